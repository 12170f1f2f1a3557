package dev.whaleray.reference.soak;

import java.io.IOException;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.Map;

/**
 * A client that stops sending: half of them after part of a request head, half after 100 bytes of a
 * 4 KB body. The router must not hold it for ever: it answers 408 or closes the connection
 * (Undertow's request-parse timeout closes a stalled head silently). Both are expected; still
 * waiting after {@code stallLimitSeconds} is unexpected (a stalled upload that holds a client and
 * an upstream connection indefinitely is the slow-client hole of issue 9).
 */
final class Staller implements Runnable {
  static final int MIN_TIMEOUT_SECONDS = 5;

  private final Traffic traffic;
  private final String who;
  private final boolean head;
  private final int limitSeconds;

  Staller(Traffic traffic, String who, boolean head, int limitSeconds) {
    this.traffic = traffic;
    this.who = who;
    this.head = head;
    this.limitSeconds = limitSeconds;
  }

  @Override
  public void run() {
    try {
      while (!traffic.stopping()) {
        stall();
        Thread.sleep(1000);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private void stall() {
    String op = head ? "stalled head" : "stalled body";
    String id = traffic.nextId(who);
    long start = System.nanoTime();
    HttpConnection conn = null;
    try {
      conn = traffic.connect(limitSeconds * 1000, true);
      if (head) {
        conn.send(
            ("GET /services/soak/get/"
                    + id
                    + " HTTP/1.1\r\nHost: 127.0.0.1:"
                    + traffic.port
                    + "\r\nX-Soak-Id: "
                    + id
                    + "\r\nUser-Agent: stal")
                .getBytes(StandardCharsets.US_ASCII));
      } else {
        conn.send(
            HttpConnection.request(
                "POST",
                "/services/soak/echo/" + id,
                traffic.port,
                Map.of("X-Soak-Id", id, "Content-Length", "4096")));
        conn.send(new byte[100]);
      }
      HttpConnection.Response r = conn.read(false);
      if (r.status() == 408) {
        traffic.tally.fail(op, timeout("HTTP 408", start), id + after(start));
      } else {
        traffic.tally.fail(op, traffic.status(id, r.status()), id + after(start));
      }
    } catch (HttpConnection.ResponseEof e) {
      if (traffic.stopping()) {
        traffic.tally.cut(op);
      } else if (e.beforeStatus()) {
        traffic.tally.fail(op, timeout("closed without an answer", start), id + after(start));
      } else {
        traffic.tally.fail(op, traffic.exception(id, e), id + after(start));
      }
    } catch (SocketTimeoutException e) {
      traffic.tally.fail(
          op,
          Failure.unexpected("still held after " + limitSeconds + " s"),
          id + ": no answer and no close");
    } catch (IOException e) {
      if (traffic.stopping()) {
        traffic.tally.cut(op);
      } else if ("reset".equals(Failure.kindOf(e))) {
        traffic.tally.fail(op, timeout("reset without an answer", start), id + after(start));
      } else {
        traffic.tally.fail(op, traffic.exception(id, e), id + after(start) + ": " + e);
      }
    } finally {
      traffic.close(conn);
    }
  }

  /**
   * The router's client timeout ended the stall: expected, unless it came within {@link
   * #MIN_TIMEOUT_SECONDS} (no sane client timeout is that short).
   */
  private static Failure timeout(String kind, long start) {
    long seconds = (System.nanoTime() - start) / 1_000_000_000;
    return seconds >= MIN_TIMEOUT_SECONDS
        ? Failure.expected(kind, "the router's client timeout")
        : Failure.unexpected(kind + " within " + MIN_TIMEOUT_SECONDS + " s");
  }

  private static String after(long start) {
    return " after " + (System.nanoTime() - start) / 1_000_000_000 + " s";
  }
}
