package dev.whaleray.reference.soak;

import java.io.IOException;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;
import java.util.function.Predicate;

/**
 * A client at normal speed on one keep-alive connection: in a loop, a {@code GET} (one in eight
 * answered chunked), a {@code POST} of 1-8 KB echoed back (one in four sent chunked), a 1 MB {@code
 * POST} (2 %), or a WebSocket session (10 %), with a short pause between operations. Every answer
 * is checked: status 200 and the body the backend must have produced.
 */
final class FastWorker implements Runnable {
  static final int LARGE_BODY = 1024 * 1024;

  private final Traffic traffic;
  private final String who;
  private final int thinkMillis;
  private final Random random;
  private final WebSocketProbe webSocket;
  private HttpConnection conn;

  FastWorker(Traffic traffic, String who, int thinkMillis, long seed) {
    this.traffic = traffic;
    this.who = who;
    this.thinkMillis = thinkMillis;
    this.random = new Random(seed);
    this.webSocket = new WebSocketProbe(traffic, random);
  }

  @Override
  public void run() {
    try {
      while (!traffic.stopping()) {
        int r = random.nextInt(100);
        if (r < 60) {
          get();
        } else if (r < 88) {
          post(1024 + random.nextInt(7 * 1024), random.nextInt(4) == 0);
        } else if (r < 90) {
          post(LARGE_BODY, false);
        } else {
          webSocket.session(traffic.nextId(who));
        }
        if (thinkMillis > 0) {
          Thread.sleep(thinkMillis);
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } finally {
      traffic.close(conn);
    }
  }

  private void get() {
    String id = traffic.nextId(who);
    if (random.nextInt(8) == 0) {
      exchange(
          "GET chunked response",
          id,
          "GET",
          "/services/soak/stream/" + id,
          null,
          false,
          r -> r.text().contains(id + " part 2"));
    } else {
      exchange(
          "GET", id, "GET", "/services/soak/get/" + id, null, false, r -> r.text().contains(id));
    }
  }

  private void post(int size, boolean chunked) {
    String id = traffic.nextId(who);
    byte[] body = new byte[size];
    random.nextBytes(body);
    String op = size == LARGE_BODY ? "POST 1 MB" : chunked ? "POST 1-8 KB chunked" : "POST 1-8 KB";
    exchange(
        op,
        id,
        "POST",
        "/services/soak/echo/" + id,
        body,
        chunked,
        r -> Arrays.equals(r.body(), body));
  }

  private void exchange(
      String op,
      String id,
      String method,
      String target,
      byte[] body,
      boolean chunked,
      Predicate<HttpConnection.Response> check) {
    long start = System.nanoTime();
    int reused = -1;
    try {
      if (conn == null || conn.isClosed()) {
        conn = traffic.connect(30_000, false);
      }
      reused = conn.exchanges();
      Map<String, String> headers = new LinkedHashMap<>();
      headers.put("X-Soak-Id", id);
      byte[] payload = null;
      if (body != null) {
        headers.put("Content-Type", "application/octet-stream");
        if (chunked) {
          headers.put("Transfer-Encoding", "chunked");
          payload = HttpConnection.chunked(body, 1000);
        } else {
          headers.put("Content-Length", Integer.toString(body.length));
          payload = body;
        }
      }
      conn.out().write(HttpConnection.request(method, target, traffic.port, headers));
      if (payload != null) {
        conn.out().write(payload);
      }
      conn.out().flush();
      HttpConnection.Response r = conn.read(false);
      if (!r.keepAlive()) {
        traffic.close(conn);
        conn = null;
      }
      if (r.status() != 200) {
        traffic.tally.fail(op, traffic.status(id, r.status()), detail(id, reused, r.text()));
      } else if (!check.test(r)) {
        traffic.tally.fail(
            op, Failure.unexpected("wrong body"), detail(id, reused, r.body().length + " bytes"));
      } else {
        traffic.tally.ok(op, start);
      }
    } catch (IOException e) {
      traffic.close(conn);
      conn = null;
      if (traffic.cutting()) {
        traffic.tally.cut(op);
      } else {
        traffic.tally.fail(op, traffic.exception(id, e), detail(id, reused, e.toString()));
      }
    }
  }

  private static String detail(String id, int reused, String what) {
    String s = what.length() > 160 ? what.substring(0, 160) + "..." : what;
    return id
        + (reused < 0 ? " (connecting)" : " (exchange " + (reused + 1) + " of its connection)")
        + ": "
        + s.replace('\n', ' ');
  }
}
