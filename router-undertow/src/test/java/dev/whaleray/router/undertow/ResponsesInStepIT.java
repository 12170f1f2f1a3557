package dev.whaleray.router.undertow;

import static org.assertj.core.api.Assertions.assertThat;

import dev.whaleray.router.Endpoint;
import dev.whaleray.router.undertow.testing.RouterCounts;
import dev.whaleray.router.undertow.testing.TestBackend;
import dev.whaleray.router.undertow.testing.TestDiscovery;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Every client gets its own answer back over pooled upstream connections: each request carries an
 * id that the echoing backend returns, so a request written twice on a connection (which shifts
 * every later answer on it by one) or a connection pooled with part of an answer unread fails here,
 * where a plain 200 count would not notice. Also tells a request the router proxied twice from one
 * the client sent twice (the JDK client re-sends an idempotent request once when a reused
 * connection closes before any answer byte).
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ResponsesInStepIT {
  TestBackend x;
  TestBackend y;
  TestDiscovery discovery;
  RouterHandler handler;
  RouterServer server;
  HttpClient client;
  final RouterCounts routerCounts = new RouterCounts();

  @BeforeEach
  void start() {
    x = TestBackend.start("X");
    y = TestBackend.start("Y");
    discovery =
        new TestDiscovery()
            .set("seq", List.of(Endpoint.parse(x.address()), Endpoint.parse(y.address())));
    handler =
        RouterHandler.builder()
            .discovery(discovery)
            .responseTimeout(Duration.ofSeconds(10))
            .connectTimeout(Duration.ofSeconds(5))
            .build();
    server =
        RouterServer.builder(routerCounts.around(handler))
            .host("127.0.0.1")
            .port(0)
            .ioThreads(2)
            .start();
    client =
        HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5))
            .build();
  }

  @AfterEach
  void stop() {
    server.close();
    handler.close();
    discovery.close();
    x.close();
    y.close();
  }

  HttpResponse<String> get(String pathAndQuery) throws Exception {
    return client.send(
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + pathAndQuery))
            .timeout(Duration.ofSeconds(20))
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }

  /** Asserts the answer is the one to request {@code id}: the echo's first line names it. */
  static void assertOwnAnswer(HttpResponse<String> r, String id) {
    assertThat(r.statusCode()).as("status of %s", id).isEqualTo(200);
    String body = r.body();
    int nl = body.indexOf('\n');
    assertThat(nl).as("echo of %s: %s", id, body).isPositive();
    assertThat(body.substring(0, nl)).as("answer to %s", id).endsWith(" GET /n?id=" + id);
  }

  String counts() {
    return String.format(
        "router saw %d requests on %d client connections; backends %d + %d requests over %d + %d"
            + " connections",
        routerCounts.requests(),
        routerCounts.connections(),
        x.requests(),
        y.requests(),
        x.connections(),
        y.connections());
  }

  @Test
  void sequentialRequestsEachGetTheirOwnAnswer() throws Exception {
    int n = 1000;
    for (int i = 0; i < n; i++) {
      assertOwnAnswer(get("/services/seq/n?id=" + i), String.valueOf(i));
    }
    System.out.println("in step, sequential: " + counts());
    assertThat(routerCounts.requests()).as(counts()).isEqualTo(n);
    assertThat(x.requests() + y.requests()).as(counts()).isEqualTo(n);
    assertThat(x.requests()).as(counts()).isEqualTo(n / 2);
  }

  @Test
  void concurrentRequestsEachGetTheirOwnAnswer() throws Exception {
    int threads = 4;
    int each = 150;
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    try {
      List<Future<?>> done = new java.util.ArrayList<>();
      for (int t = 0; t < threads; t++) {
        int thread = t;
        done.add(
            pool.submit(
                () -> {
                  for (int i = 0; i < each; i++) {
                    String id = thread + "-" + i;
                    assertOwnAnswer(get("/services/seq/n?id=" + id), id);
                  }
                  return null;
                }));
      }
      for (Future<?> f : done) {
        f.get(50, TimeUnit.SECONDS);
      }
    } finally {
      pool.shutdownNow();
    }
    System.out.println("in step, concurrent: " + counts());
    assertThat(routerCounts.requests()).as(counts()).isEqualTo(threads * each);
    assertThat(x.requests() + y.requests()).as(counts()).isEqualTo(threads * each);
  }

  /**
   * One keep-alive client connection used for longer than the client header timeout: the guard's
   * head timer is disarmed by every request's start, so it never answers 408 on the connection nor
   * closes it (a 408 or a close on a pooled client connection makes the JDK client drop it and
   * re-send a GET that may already have been proxied: a request handled twice, the client none the
   * wiser).
   */
  @Test
  void aKeepAliveConnectionOutlivesTheClientHeaderTimeout() throws Exception {
    try (RouterServer shortHeaderTimeout =
            RouterServer.builder(routerCounts.around(handler))
                .host("127.0.0.1")
                .port(0)
                .ioThreads(2)
                .clientHeaderTimeout(Duration.ofMillis(500))
                .start();
        dev.whaleray.router.undertow.testing.RawHttp http =
            new dev.whaleray.router.undertow.testing.RawHttp(shortHeaderTimeout.port())) {
      long end = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(2_000);
      int i = 0;
      while (System.nanoTime() - end < 0) {
        dev.whaleray.router.undertow.testing.RawHttp.Response r =
            http.send("GET /services/seq/n?id=" + i + " HTTP/1.1\r\nHost: x\r\n\r\n");
        assertThat(r.status).as("status of %d: %s", i, r).isEqualTo(200);
        assertThat(r.body.substring(0, r.body.indexOf('\n'))).endsWith(" GET /n?id=" + i);
        i++;
        Thread.sleep(i % 10 == 0 ? 120 : 5);
      }
      System.out.println("in step, header timeout: " + i + " requests; " + counts());
      assertThat(routerCounts.requests()).as(counts()).isEqualTo(i);
      assertThat(x.requests() + y.requests()).as(counts()).isEqualTo(i);
    }
  }

  /**
   * A raw backend that closes a connection without a word: after every second answer on it, either
   * at once (the router should see the close before reusing it) or after reading the next request
   * and not answering it (the router finds out only then, as with a pooled connection the backend
   * closed while the request was in flight, and retries it on the other backend). No request is
   * handled twice, none is written twice on a connection, every client gets its own answer.
   */
  @org.junit.jupiter.params.ParameterizedTest
  @org.junit.jupiter.params.provider.ValueSource(booleans = {false, true})
  void aBackendClosingPooledConnectionsNeverGetsARequestTwiceNorShiftsAnswers(boolean readFirst)
      throws Exception {
    try (IdBackend closing = new IdBackend(2, readFirst);
        IdBackend steady = new IdBackend(0, false)) {
      discovery.set(
          "raw", List.of(Endpoint.parse(closing.address()), Endpoint.parse(steady.address())));
      int n = 300;
      for (int i = 0; i < n; i++) {
        HttpResponse<String> r = get("/services/raw/n?id=" + i);
        assertThat(r.statusCode()).as("status of %d", i).isEqualTo(200);
        assertThat(r.body()).as("answer to %d", i).isEqualTo("/n?id=" + i);
      }
      List<String> all = new java.util.ArrayList<>(closing.targets());
      all.addAll(steady.targets());
      String seen =
          String.format(
              "closing backend: %d requests answered, %d read and dropped, over %d connections;"
                  + " steady: %d over %d",
              closing.targets().size(),
              closing.dropped().size(),
              closing.connections(),
              steady.targets().size(),
              steady.connections());
      System.out.println("in step, closing backend (read first: " + readFirst + "): " + seen);
      assertThat(all).as(seen).hasSize(n).doesNotHaveDuplicates();
      assertThat(steady.targets()).as(seen).containsAll(closing.dropped());
      assertThat(closing.connections()).as(seen).isGreaterThan(1);
      if (readFirst) {
        assertThat(closing.dropped()).as(seen).isNotEmpty();
      }
    }
  }

  /**
   * A backend on a raw loopback socket: answers each GET with its request target as the body, and
   * closes the connection after every {@code closeEvery}-th answer on it (0: never), at once or,
   * with {@code readFirst}, after reading the next request head (recorded as dropped, unanswered).
   */
  static final class IdBackend implements AutoCloseable {
    private final java.net.ServerSocket server;
    private final int closeEvery;
    private final boolean readFirst;
    private final List<String> dropped = Collections.synchronizedList(new java.util.ArrayList<>());
    private final List<String> targets = Collections.synchronizedList(new java.util.ArrayList<>());
    private final AtomicInteger connections = new AtomicInteger();
    private final List<java.net.Socket> sockets =
        Collections.synchronizedList(new java.util.ArrayList<>());

    IdBackend(int closeEvery, boolean readFirst) throws java.io.IOException {
      this.closeEvery = closeEvery;
      this.readFirst = readFirst;
      server = new java.net.ServerSocket(0, 50, java.net.InetAddress.getLoopbackAddress());
      Thread t = new Thread(this::accept, "id-backend");
      t.setDaemon(true);
      t.start();
    }

    String address() {
      return "127.0.0.1:" + server.getLocalPort();
    }

    List<String> targets() {
      synchronized (targets) {
        return List.copyOf(targets);
      }
    }

    List<String> dropped() {
      synchronized (dropped) {
        return List.copyOf(dropped);
      }
    }

    int connections() {
      return connections.get();
    }

    private void accept() {
      while (!server.isClosed()) {
        java.net.Socket s;
        try {
          s = server.accept();
        } catch (java.io.IOException e) {
          return;
        }
        connections.incrementAndGet();
        sockets.add(s);
        Thread t = new Thread(() -> serve(s), "id-backend-conn");
        t.setDaemon(true);
        t.start();
      }
    }

    private void serve(java.net.Socket s) {
      try (s) {
        java.io.InputStream in = new java.io.BufferedInputStream(s.getInputStream());
        java.io.OutputStream out = s.getOutputStream();
        for (int answered = 1; ; answered++) {
          String target = head(in);
          if (target == null) {
            return;
          }
          targets.add(target);
          byte[] body = target.getBytes(java.nio.charset.StandardCharsets.US_ASCII);
          out.write(
              ("HTTP/1.1 200 OK\r\nContent-Length: " + body.length + "\r\n\r\n")
                  .getBytes(java.nio.charset.StandardCharsets.US_ASCII));
          out.write(body);
          out.flush();
          if (closeEvery > 0 && answered % closeEvery == 0) {
            if (readFirst) {
              String next = head(in);
              if (next != null) {
                dropped.add(next); // read, never handled nor answered
              }
            }
            return; // closed without a word
          }
        }
      } catch (java.io.IOException e) {
        // the router closed it
      }
    }

    /** Reads a request head; returns its target, or null at the end of the stream. */
    private static String head(java.io.InputStream in) throws java.io.IOException {
      String requestLine = line(in);
      if (requestLine == null) {
        return null;
      }
      while (true) {
        String h = line(in);
        if (h == null) {
          return null;
        }
        if (h.isEmpty()) {
          return requestLine.split(" ")[1];
        }
      }
    }

    /** One CRLF-ended line, without the CRLF; null at the end of the stream. */
    private static String line(java.io.InputStream in) throws java.io.IOException {
      StringBuilder sb = new StringBuilder();
      for (int c; (c = in.read()) != -1; ) {
        if (c == '\n') {
          int len = sb.length();
          return len > 0 && sb.charAt(len - 1) == '\r' ? sb.substring(0, len - 1) : sb.toString();
        }
        sb.append((char) c);
      }
      return null;
    }

    @Override
    public void close() throws java.io.IOException {
      server.close();
      synchronized (sockets) {
        for (java.net.Socket s : sockets) {
          s.close();
        }
      }
    }
  }
}
