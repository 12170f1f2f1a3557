package dev.whaleray.reference;

import static java.nio.charset.StandardCharsets.US_ASCII;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The warm-up's backend: a fixed {@code 200} to every request head, from a thread per connection on
 * plain sockets. Not Undertow, as the demo backends are: the JIT's time during the warm-up then
 * goes to the router's code, not to a second HTTP server's.
 */
final class WarmupBackend implements AutoCloseable {
  private static final byte[] RESPONSE =
      "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 3\r\n\r\nok\n"
          .getBytes(US_ASCII);

  private final ServerSocket server;
  private final Set<Socket> open = ConcurrentHashMap.newKeySet();

  WarmupBackend() throws IOException {
    server = new ServerSocket(0, 64, InetAddress.getByName("127.0.0.1"));
    Thread accept = new Thread(this::accept, "whaleray-warmup-backend");
    accept.setDaemon(true);
    accept.start();
  }

  int port() {
    return server.getLocalPort();
  }

  private void accept() {
    while (!server.isClosed()) {
      try {
        Socket s = server.accept();
        open.add(s);
        Thread t =
            new Thread(
                () -> {
                  serve(s);
                  open.remove(s);
                },
                "whaleray-warmup-backend-conn");
        t.setDaemon(true);
        t.start();
      } catch (IOException e) {
        return; // closed
      }
    }
  }

  /** Answers each request head (a line that is empty ends it; these requests have no body). */
  private static void serve(Socket s) {
    try (s) {
      InputStream in = new BufferedInputStream(s.getInputStream(), 8192);
      OutputStream out = s.getOutputStream();
      int c;
      int lineLength = 0;
      while ((c = in.read()) >= 0) {
        if (c == '\n') {
          if (lineLength == 0) {
            out.write(RESPONSE);
            out.flush();
          }
          lineLength = 0;
        } else if (c != '\r') {
          lineLength++;
        }
      }
    } catch (IOException e) {
      // the router closed the connection
    }
  }

  /** Stops accepting and closes the connections still open (their threads then end). */
  @Override
  public void close() {
    try {
      server.close();
    } catch (IOException e) {
      // closing
    }
    for (Socket s : open) {
      try {
        s.close();
      } catch (IOException e) {
        // closing
      }
    }
  }
}
