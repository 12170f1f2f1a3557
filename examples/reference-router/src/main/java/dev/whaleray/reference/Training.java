package dev.whaleray.reference;

import static java.nio.charset.StandardCharsets.US_ASCII;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.jspecify.annotations.Nullable;

/**
 * {@code --train N}: N keep-alive requests through the router's own proxy path on four connections,
 * so that a class-data-sharing archive ({@code -XX:ArchiveClassesAtExit}) or a JDK 25 AOT cache
 * ({@code -XX:AOTCacheOutput}) written at exit holds the request path's classes, and with an AOT
 * cache its method profiles. Plain sockets: a JDK HTTP client would put its own classes into the
 * archive. The same requests, for a time instead of a count, are the warm-up ({@code
 * WHALERAY_WARMUP}).
 */
final class Training {
  private static final System.Logger LOG = System.getLogger(Training.class.getName());
  private static final int CONNECTIONS = 4;

  private Training() {}

  static void run(int port, int requests) {
    AtomicInteger left = new AtomicInteger(requests);
    long start = System.nanoTime();
    int ok = drive(port, () -> left.getAndDecrement() > 0);
    LOG.log(
        System.Logger.Level.INFO,
        "training: "
            + ok
            + " of "
            + requests
            + " requests answered 200 in "
            + (System.nanoTime() - start) / 1_000_000
            + " ms");
  }

  /**
   * The warm-up: requests as {@link #run} sends them until {@code duration} has passed.
   *
   * @return how many were answered 200
   */
  static int runFor(int port, java.time.Duration duration) {
    long end = System.nanoTime() + duration.toNanos();
    return drive(port, () -> end - System.nanoTime() > 0);
  }

  /** Requests on {@link #CONNECTIONS} threads while {@code more} says so; the 200s counted. */
  private static int drive(int port, java.util.function.BooleanSupplier more) {
    AtomicInteger ok = new AtomicInteger();
    List<Thread> threads = new ArrayList<>();
    for (int i = 0; i < CONNECTIONS; i++) {
      Thread t = new Thread(() -> drive(port, more, ok), "whaleray-train-" + i);
      t.start();
      threads.add(t);
    }
    for (Thread t : threads) {
      try {
        t.join();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        break;
      }
    }
    return ok.get();
  }

  private static void drive(int port, java.util.function.BooleanSupplier more, AtomicInteger ok) {
    byte[] request =
        ("GET /services/demo/ HTTP/1.1\r\nHost: 127.0.0.1:" + port + "\r\n\r\n").getBytes(US_ASCII);
    Socket socket = null;
    InputStream in = null;
    int failures = 0;
    while (more.getAsBoolean()) {
      try {
        if (socket == null || in == null) {
          socket =
              new Socket(
                  "127.0.0.1", port); // where the routers listen, IPv4 also when IPv6 is preferred
          socket.setSoTimeout(10_000);
          // Buffered: a read call per byte held the warm-up to about 1,000 requests a second.
          in = new BufferedInputStream(socket.getInputStream(), 8192);
        }
        OutputStream out = socket.getOutputStream();
        out.write(request);
        out.flush();
        int status = readResponse(in);
        if (status == 200) {
          ok.incrementAndGet();
        }
        if (status < 0) {
          closeQuietly(socket);
          socket = null;
        }
      } catch (IOException | RuntimeException e) {
        // A reset or a head that does not parse: a new connection, unless it keeps failing.
        closeQuietly(socket);
        socket = null;
        if (++failures == 100) {
          LOG.log(
              System.Logger.Level.WARNING, "training / warm-up: stopped after 100 errors: " + e);
          break;
        }
      }
    }
    closeQuietly(socket);
  }

  private static void closeQuietly(@Nullable Socket socket) {
    if (socket != null) {
      try {
        socket.close();
      } catch (IOException ignored) {
        // closing
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
