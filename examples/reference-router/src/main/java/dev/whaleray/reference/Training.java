package dev.whaleray.reference;

import static java.nio.charset.StandardCharsets.US_ASCII;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * {@code --train N}: N keep-alive requests through the router's own proxy path on four connections,
 * so that a class-data-sharing archive ({@code -XX:ArchiveClassesAtExit}) or a JDK 25 AOT cache
 * ({@code -XX:AOTCacheOutput}) written at exit holds the request path's classes, and with an AOT
 * cache its method profiles. Plain sockets: a JDK HTTP client would put its own classes into the
 * archive.
 */
final class Training {
  private static final System.Logger LOG = System.getLogger(Training.class.getName());
  private static final int CONNECTIONS = 4;

  private Training() {}

  static void run(int port, int requests) {
    AtomicInteger left = new AtomicInteger(requests);
    AtomicInteger ok = new AtomicInteger();
    List<Thread> threads = new ArrayList<>();
    long start = System.nanoTime();
    for (int i = 0; i < CONNECTIONS; i++) {
      Thread t = new Thread(() -> drive(port, left, ok), "whaleray-train-" + i);
      t.start();
      threads.add(t);
    }
    for (Thread t : threads) {
      try {
        t.join();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
    }
    LOG.log(
        System.Logger.Level.INFO,
        "training: "
            + ok.get()
            + " of "
            + requests
            + " requests answered 200 in "
            + (System.nanoTime() - start) / 1_000_000
            + " ms");
  }

  private static void drive(int port, AtomicInteger left, AtomicInteger ok) {
    byte[] request =
        ("GET /services/demo/ HTTP/1.1\r\nHost: 127.0.0.1:" + port + "\r\n\r\n").getBytes(US_ASCII);
    Socket socket = null;
    try {
      while (left.getAndDecrement() > 0) {
        if (socket == null) {
          socket = new Socket(InetAddress.getLoopbackAddress(), port);
          socket.setSoTimeout(10_000);
        }
        OutputStream out = socket.getOutputStream();
        out.write(request);
        out.flush();
        int status = readResponse(socket.getInputStream());
        if (status == 200) {
          ok.incrementAndGet();
        }
        if (status < 0) {
          socket.close();
          socket = null;
        }
      }
    } catch (IOException e) {
      LOG.log(System.Logger.Level.WARNING, "training: " + e);
    } finally {
      if (socket != null) {
        try {
          socket.close();
        } catch (IOException ignored) {
          // closing
        }
      }
    }
  }

  /** Reads one response with a Content-Length body; its status, or -1 when the connection ended. */
  private static int readResponse(InputStream in) throws IOException {
    StringBuilder head = new StringBuilder();
    int c;
    while ((c = in.read()) >= 0) {
      head.append((char) c);
      int n = head.length();
      if (n >= 4 && head.charAt(n - 1) == '\n' && head.lastIndexOf("\r\n\r\n") == n - 4) {
        break;
      }
    }
    if (c < 0 || head.length() < 12) {
      return -1;
    }
    int status = Integer.parseInt(head.substring(9, 12));
    long length = 0;
    for (String line : head.toString().split("\r\n")) {
      if (line.regionMatches(true, 0, "content-length:", 0, 15)) {
        length = Long.parseLong(line.substring(15).trim());
      }
    }
    for (long i = 0; i < length; i++) {
      if (in.read() < 0) {
        return -1;
      }
    }
    return status;
  }
}
