package dev.whaleray.router.undertow.testing;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * A backend on a raw loopback socket that records exactly the bytes it receives, for checking what
 * the router forwards. It splits what it reads into requests (head, then a Content-Length or
 * chunked body) and answers each complete one {@code 200 ok}; bytes that never make a complete
 * request are recorded but not answered.
 */
public final class RecordingBackend implements AutoCloseable {
  private final ServerSocket server;
  private final Thread acceptor;
  private final List<Socket> sockets = new ArrayList<>();
  private final ByteArrayOutputStream received = new ByteArrayOutputStream();
  private int requests;

  public RecordingBackend() throws IOException {
    server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    acceptor = new Thread(this::accept, "recording-backend");
    acceptor.setDaemon(true);
    acceptor.start();
  }

  public int port() {
    return server.getLocalPort();
  }

  public String address() {
    return "127.0.0.1:" + port();
  }

  /** Everything received since the last {@link #reset}, over all connections, as ISO-8859-1. */
  public synchronized String received() {
    return received.toString(StandardCharsets.ISO_8859_1);
  }

  /** Complete requests received since the last {@link #reset}. */
  public synchronized int requests() {
    return requests;
  }

  /** Forgets what was received (connections stay open: the router pools them). */
  public synchronized void reset() {
    received.reset();
    requests = 0;
  }

  private void accept() {
    while (!server.isClosed()) {
      try {
        Socket s = server.accept();
        synchronized (this) {
          sockets.add(s);
        }
        Thread t = new Thread(() -> serve(s), "recording-backend-conn");
        t.setDaemon(true);
        t.start();
      } catch (IOException e) {
        return;
      }
    }
  }

  private void serve(Socket s) {
    ByteArrayOutputStream pending = new ByteArrayOutputStream();
    byte[] buf = new byte[16384];
    try (s) {
      InputStream in = s.getInputStream();
      OutputStream out = s.getOutputStream();
      for (int n; (n = in.read(buf)) != -1; ) {
        synchronized (this) {
          received.write(buf, 0, n);
        }
        pending.write(buf, 0, n);
        byte[] data = pending.toByteArray();
        int used = 0;
        for (int end; (end = requestEnd(data, used)) > 0; used = end) {
          synchronized (this) {
            requests++;
          }
          out.write(
              "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok".getBytes(StandardCharsets.US_ASCII));
          out.flush();
        }
        pending.reset();
        pending.write(data, used, data.length - used);
      }
    } catch (IOException e) {
      // the router closed or reset the connection
    }
  }

  /** Where the request starting at {@code from} ends, or -1 when it is not complete (or broken). */
  static int requestEnd(byte[] d, int from) {
    int headEnd = indexOf(d, from, "\r\n\r\n");
    if (headEnd < 0) {
      return -1;
    }
    String head = new String(d, from, headEnd - from, StandardCharsets.ISO_8859_1);
    int bodyStart = headEnd + 4;
    long length = 0;
    boolean chunked = false;
    for (String line : head.split("\r\n")) {
      int colon = line.indexOf(':');
      if (colon < 0) {
        continue;
      }
      String name = line.substring(0, colon).trim().toLowerCase(Locale.ROOT);
      String value = line.substring(colon + 1).trim();
      if (name.equals("content-length")) {
        length = Long.parseLong(value);
      } else if (name.equals("transfer-encoding")) {
        chunked = value.equalsIgnoreCase("chunked");
      }
    }
    if (!chunked) {
      return d.length - bodyStart >= length ? (int) (bodyStart + length) : -1;
    }
    int p = bodyStart;
    while (true) {
      int lineEnd = indexOf(d, p, "\r\n");
      if (lineEnd < 0) {
        return -1;
      }
      String sizeLine = new String(d, p, lineEnd - p, StandardCharsets.ISO_8859_1);
      int size;
      try {
        size = Integer.parseInt(sizeLine.split(";")[0].trim(), 16);
      } catch (NumberFormatException e) {
        return -1;
      }
      p = lineEnd + 2;
      if (size == 0) {
        int end = indexOf(d, p - 2, "\r\n\r\n");
        return end < 0 ? -1 : end + 4;
      }
      if (d.length < p + size + 2) {
        return -1;
      }
      p += size + 2;
    }
  }

  private static int indexOf(byte[] d, int from, String what) {
    byte[] w = what.getBytes(StandardCharsets.US_ASCII);
    outer:
    for (int i = Math.max(0, from); i <= d.length - w.length; i++) {
      for (int j = 0; j < w.length; j++) {
        if (d[i + j] != w[j]) {
          continue outer;
        }
      }
      return i;
    }
    return -1;
  }

  @Override
  public void close() throws IOException {
    server.close();
    List<Socket> open;
    synchronized (this) {
      open = new ArrayList<>(sockets);
      sockets.clear();
    }
    for (Socket s : open) {
      s.close();
    }
  }
}
