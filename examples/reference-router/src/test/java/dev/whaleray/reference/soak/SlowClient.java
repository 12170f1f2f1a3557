package dev.whaleray.reference.soak;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;

/**
 * A slow but legitimate client: it sends its request head byte by byte (5-50 ms apart) and its body
 * in pieces of 1-64 bytes (10-150 ms apart), 1-3 requests per connection, each request within about
 * 10 s, far inside any sane client timeout (the defaults are 30 s for a head and 60 s of
 * idle body). So every answer must be a 200 with the right body; a 408 here is unexpected. Bodies
 * are small (up to 3 KB), under the router's 64 KB request buffer.
 */
final class SlowClient implements Runnable {
  private final Traffic traffic;
  private final String who;
  private final Random random;
  private HttpConnection conn;

  SlowClient(Traffic traffic, String who, long seed) {
    this.traffic = traffic;
    this.who = who;
    this.random = new Random(1000 + seed);
  }

  @Override
  public void run() {
    try {
      Thread.sleep(random.nextInt(3000)); // not all in step
      while (!traffic.stopping()) {
        connection();
        Thread.sleep(200);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private void connection() throws InterruptedException {
    try {
      int requests = 1 + random.nextInt(3);
      for (int i = 0; i < requests && !traffic.stopping(); i++) {
        if (!request()) {
          return;
        }
      }
    } finally {
      traffic.close(conn);
      conn = null;
    }
  }

  /** One slow request (on {@link #conn}, opened when null); false when the connection is over. */
  private boolean request() throws InterruptedException {
    String id = traffic.nextId(who);
    int kind = random.nextInt(3);
    String op = kind == 0 ? "slow GET" : kind == 1 ? "slow POST" : "slow POST chunked";
    long start = System.nanoTime();
    try {
      if (conn == null) {
        conn = traffic.connect(30_000, false);
      }
      Map<String, String> headers = new LinkedHashMap<>();
      headers.put("X-Soak-Id", id);
      byte[] body = null;
      byte[] wire = null;
      if (kind > 0) {
        body = new byte[200 + random.nextInt(2800)];
        random.nextBytes(body);
        if (kind == 1) {
          headers.put("Content-Length", Integer.toString(body.length));
          wire = body;
        } else {
          headers.put("Transfer-Encoding", "chunked");
          wire = HttpConnection.chunked(body, 700);
        }
      }
      String target = "/services/soak/" + (kind == 0 ? "get/" : "echo/") + id;
      byte[] head =
          HttpConnection.request(kind == 0 ? "GET" : "POST", target, traffic.port, headers);
      OutputStream out = conn.out();
      for (byte b : head) {
        out.write(b);
        out.flush();
        Thread.sleep(5 + random.nextInt(46));
      }
      if (wire != null) {
        for (int off = 0; off < wire.length; ) {
          int n = Math.min(wire.length - off, 1 + random.nextInt(64));
          out.write(wire, off, n);
          out.flush();
          off += n;
          Thread.sleep(10 + random.nextInt(141));
        }
      }
      HttpConnection.Response r = conn.read(false);
      boolean right = body == null ? r.text().contains(id) : Arrays.equals(r.body(), body);
      if (r.status() != 200) {
        traffic.tally.fail(op, traffic.status(id, r.status()), id + ": " + snippet(r.body()));
      } else if (!right) {
        traffic.tally.fail(op, Failure.unexpected("wrong body"), id);
      } else {
        traffic.tally.ok(op, start);
      }
      return r.keepAlive();
    } catch (IOException e) {
      if (traffic.cutting()) {
        traffic.tally.cut(op);
      } else {
        traffic.tally.fail(op, traffic.exception(id, e), id + ": " + e);
      }
      return false;
    }
  }

  private static String snippet(byte[] body) {
    String s = new String(body, StandardCharsets.UTF_8).replace('\n', ' ');
    return s.length() > 160 ? s.substring(0, 160) + "..." : s;
  }
}
