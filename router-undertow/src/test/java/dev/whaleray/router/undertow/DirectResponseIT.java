package dev.whaleray.router.undertow;

import static org.assertj.core.api.Assertions.assertThat;

import dev.whaleray.router.Endpoint;
import dev.whaleray.router.undertow.UpstreamProtocolIT.RawBackend;
import dev.whaleray.router.undertow.testing.RawHttp;
import dev.whaleray.router.undertow.testing.TestDiscovery;
import io.undertow.server.HttpHandler;
import io.undertow.server.handlers.CookieImpl;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Responses the router writes onto the client's connection itself (a body framed by Content-Length,
 * or none, to an HTTP/1.1 client) answer what Undertow's response channel would have: each case
 * goes through two router servers on the same raw backend, one as it is and one whose wrapping
 * handler adds a response wrapper (which keeps every response on Undertow's channel), and both must
 * give the same status, headers (but {@code Date}) and body, request after request on one
 * kept-alive connection. A completion listener on the first server shows the direct path was taken
 * (Undertow's channel never started a response) and that its body bytes were counted for the access
 * log. A third server, with no completion listener but the router's own, writes the backend's
 * headers from the parsed head's bytes without putting them into the exchange's map: its answers
 * must be the same too.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class DirectResponseIT {
  static final int BIG_BODY = 100_000;
  static final String PAD = "p".repeat(8_000);

  static RawBackend backend;
  static RawBackend slowBackend;
  static TestDiscovery discovery;
  static RouterHandler directHandler;
  static RouterHandler undertowHandler;
  static RouterServer direct;
  static RouterServer undertow;
  static RouterServer kept; // no foreign completion listener: headers kept out of the map

  /** Per completed exchange on {@link #direct}: the Content-Type its completion listener saw. */
  static final BlockingQueue<String> types = new LinkedBlockingQueue<>();

  /** Per completed exchange on {@link #direct}: response started by Undertow, body bytes sent. */
  static final BlockingQueue<String> ends = new LinkedBlockingQueue<>();

  /** {@link #directHandler}, with each exchange's end recorded in {@link #ends}. */
  static HttpHandler recorded;

  @BeforeAll
  static void start() throws Exception {
    backend = RawBackend.keepAlive(DirectResponseIT::respond);
    slowBackend = RawBackend.start(DirectResponseIT::headThenBody);
    discovery =
        new TestDiscovery()
            .set("app", List.of(Endpoint.of("127.0.0.1", backend.port())))
            .set("slow", List.of(Endpoint.of("127.0.0.1", slowBackend.port())));
    directHandler = handler();
    undertowHandler = handler();
    recorded =
        exchange -> {
          exchange.addExchangeCompleteListener(
              (ex, next) -> {
                ends.add(
                    "started=" + ex.isResponseStarted() + " bytes=" + ex.getResponseBytesSent());
                types.add(String.valueOf(ex.getResponseHeaders().getFirst("Content-Type")));
                next.proceed();
              });
          directHandler.handleRequest(exchange);
        };
    direct = RouterServer.builder(recorded).host("127.0.0.1").port(0).ioThreads(1).start();
    HttpHandler wrapped =
        exchange -> {
          exchange.addResponseWrapper((factory, ex) -> factory.create());
          undertowHandler.handleRequest(exchange);
        };
    undertow = RouterServer.builder(wrapped).host("127.0.0.1").port(0).ioThreads(1).start();
    kept = RouterServer.builder(directHandler).host("127.0.0.1").port(0).ioThreads(1).start();
  }

  static RouterHandler handler() {
    return RouterHandler.builder()
        .discovery(discovery)
        .connectTimeout(Duration.ofSeconds(2))
        .responseTimeout(Duration.ofSeconds(5))
        .build();
  }

  @AfterAll
  static void stop() throws Exception {
    direct.close();
    undertow.close();
    kept.close();
    directHandler.close();
    undertowHandler.close();
    discovery.close();
    backend.close();
    slowBackend.close();
  }

  @BeforeEach
  void clear() {
    ends.clear();
    types.clear();
  }

  /** The raw backend's canned answers, by the request's path. */
  static String respond(String head) {
    String target = head.substring(head.indexOf(' ') + 1, head.indexOf(" HTTP/"));
    String path = target.contains("?") ? target.substring(0, target.indexOf('?')) : target;
    String query = target.contains("?") ? target.substring(target.indexOf('?') + 1) : "";
    switch (path) {
      case "/plain":
        // No Date: the router adds one. Repeated fields, a cookie and a type pass as sent.
        return "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nX-Multi: 1\r\nX-Multi: 2\r\n"
            + "Set-Cookie: a=b; Path=/\r\nContent-Type: text/plain\r\n\r\nhello";
      case "/dated":
        return "HTTP/1.1 200 OK\r\nDate: Sun, 06 Nov 1994 08:49:37 GMT\r\nContent-Length: 2\r\n"
            + "\r\nok";
      case "/date-named":
        return "HTTP/1.1 200 OK\r\nConnection: Date\r\nDate: Sun, 06 Nov 1994 08:49:37 GMT\r\n"
            + "Content-Length: 2\r\n\r\nok";
      case "/empty":
        return "HTTP/1.1 201 Created\r\nLocation: /things/1\r\nContent-Length: 0\r\n\r\n";
      case "/no-content":
        return "HTTP/1.1 204 No Content\r\nContent-Length: 0\r\nX-K: v\r\n\r\n";
      case "/not-modified":
        return "HTTP/1.1 304 Not Modified\r\nETag: \"v1\"\r\nContent-Length: 10\r\n\r\n";
      case "/head":
        return "HTTP/1.1 200 OK\r\nContent-Length: 1000\r\nContent-Type: text/plain\r\n\r\n";
      case "/reason":
        return "HTTP/1.1 418 Short And Stout\r\nContent-Length: 3\r\n\r\ntea";
      case "/ordered":
        return "HTTP/1.1 200 OK\r\nX-Zeta: 1\r\nContent-Type: text/x-ordered\r\nX-Alpha: 2\r\n"
            + "Keep-Alive: timeout=5\r\nSet-Cookie: o=1\r\nX-Zeta: 3\r\nX-Mid: m\r\n"
            + "Content-Length: 7\r\n\r\nordered";
      case "/unframed":
        return "HTTP/1.1 200 OK\r\nX-Unframed: 1\r\n\r\n";
      case "/hop":
        return "HTTP/1.1 200 OK\r\nConnection: X-Hop, keep-alive\r\nX-Hop: 1\r\n"
            + "Keep-Alive: timeout=5\r\nX-End: 2\r\nContent-Length: 3\r\n\r\nhop";
      case "/expect-failed":
        return "HTTP/1.1 417 Expectation Failed\r\nContent-Length: 4\r\n\r\nnope";
      case "/big":
        return "HTTP/1.1 200 OK\r\nX-Seq: "
            + query
            + "\r\nX-Pad: "
            + PAD
            + "\r\nContent-Length: "
            + BIG_BODY
            + "\r\n\r\n"
            + String.valueOf((char) ('a' + Integer.parseInt(query) % 26)).repeat(BIG_BODY);
      default:
        return "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n";
    }
  }

  /**
   * Answers {@code ?user=U&ms=N}: a head naming U (with U's own cookie), flushed, and U's body N ms
   * later; request after request on the connection.
   */
  static void headThenBody(
      java.net.Socket socket, java.io.InputStream in, java.io.OutputStream out, RawBackend self)
      throws java.io.IOException {
    for (int i = 0; i < 100; i++) {
      String head = self.readHead(in);
      if (head == null) {
        return;
      }
      String query = head.substring(head.indexOf('?') + 1, head.indexOf(" HTTP/"));
      String user = query.substring(query.indexOf("user=") + 5, query.indexOf('&'));
      long ms = Long.parseLong(query.substring(query.indexOf("ms=") + 3));
      String body = "body-" + user;
      out.write(
          ("HTTP/1.1 200 OK\r\nContent-Length: "
                  + body.length()
                  + "\r\nX-User: "
                  + user
                  + "\r\nSet-Cookie: session=secret-of-"
                  + user
                  + "\r\n\r\n")
              .getBytes(java.nio.charset.StandardCharsets.ISO_8859_1));
      out.flush();
      try {
        Thread.sleep(ms);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
      out.write(body.getBytes(java.nio.charset.StandardCharsets.ISO_8859_1));
      out.flush();
    }
  }

  static String get(String path) {
    return "GET /services/app" + path + " HTTP/1.1\r\nHost: example.test\r\n\r\n";
  }

  /** Sends each request on one connection in turn and returns the answers. */
  static List<RawHttp.Response> ask(RouterServer server, List<String> requests) throws Exception {
    return askPort(server.port(), requests);
  }

  static List<RawHttp.Response> askPort(int port, List<String> requests) throws Exception {
    List<RawHttp.Response> out = new ArrayList<>();
    try (RawHttp http = new RawHttp(port)) {
      for (String r : requests) {
        out.add(http.send(r));
      }
    }
    return out;
  }

  static Map<String, List<String>> withoutDate(RawHttp.Response r) {
    Map<String, List<String>> h = new LinkedHashMap<>(r.headers);
    h.remove("date");
    return h;
  }

  /** The requests answered by both servers alike, and the direct path was taken for each. */
  static List<RawHttp.Response> sameOnBoth(List<String> requests) throws Exception {
    List<RawHttp.Response> mine = ask(direct, requests);
    List<RawHttp.Response> theirs = ask(undertow, requests);
    List<RawHttp.Response> fromBytes = ask(kept, requests);
    for (int i = 0; i < requests.size(); i++) {
      RawHttp.Response t = theirs.get(i);
      String what = requests.get(i).lines().findFirst().orElseThrow();
      for (RawHttp.Response m : List.of(mine.get(i), fromBytes.get(i))) {
        assertThat(m.status).as("status of %s", what).isEqualTo(t.status);
        assertThat(withoutDate(m)).as("headers of %s", what).isEqualTo(withoutDate(t));
        assertThat(m.body).as("body of %s", what).isEqualTo(t.body);
        assertThat(m.headers.get("date")).as("date of %s", what).hasSize(1);
      }
    }
    for (int i = 0; i < requests.size(); i++) {
      String end = ends.poll(5, TimeUnit.SECONDS);
      assertThat(end).as("exchange %d ended", i).startsWith("started=false ");
    }
    return mine;
  }

  @Test
  void answersAsUndertowsChannelWouldRequestAfterRequestOnOneConnection() throws Exception {
    List<RawHttp.Response> r =
        sameOnBoth(
            List.of(
                get("/plain"),
                get("/dated"),
                get("/empty"),
                get("/no-content"),
                get("/not-modified"),
                "HEAD /services/app/head HTTP/1.1\r\nHost: example.test\r\n\r\n",
                get("/reason"),
                get("/hop"),
                "HEAD /services/app/not-modified HTTP/1.1\r\nHost: example.test\r\n\r\n",
                get("/plain"),
                get("/date-named")));
    assertThat(r.get(0).body).isEqualTo("hello");
    assertThat(r.get(0).headers.get("x-multi")).containsExactly("1", "2");
    assertThat(r.get(0).header("set-cookie")).isEqualTo("a=b; Path=/");
    assertThat(r.get(1).header("date")).isEqualTo("Sun, 06 Nov 1994 08:49:37 GMT");
    assertThat(r.get(3).header("content-length")).isNull();
    assertThat(r.get(4).header("etag")).isEqualTo("\"v1\"");
    assertThat(r.get(5).header("content-length")).isEqualTo("1000");
    assertThat(r.get(5).body).isEmpty();
    assertThat(r.get(6).status).isEqualTo(418);
    assertThat(r.get(7).headers).doesNotContainKeys("x-hop", "keep-alive", "connection");
    assertThat(r.get(7).header("x-end")).isEqualTo("2");
    assertThat(r.get(8).header("content-length")).as("a 304 to HEAD keeps it").isEqualTo("10");
    // The backend's Date, named by its Connection header, is dropped: the router adds its own.
    assertThat(r.get(10).header("date")).isNotEqualTo("Sun, 06 Nov 1994 08:49:37 GMT");
    for (RouterServer server : List.of(direct, kept)) {
      assertThat(ask(server, List.of(get("/dated"))).get(0).headers.get("date"))
          .containsExactly("Sun, 06 Nov 1994 08:49:37 GMT");
    }
  }

  /**
   * Without a completion listener but the router's own, the backend's headers go from the head's
   * bytes to the client in the backend's order (the exchange's map would give its hash order), with
   * what the exchange's map holds first; with one, as on {@link #direct}, the listener finds them
   * in the map when the exchange ends.
   */
  @Test
  void theBackendsHeadersAreWrittenInItsOrderOrLeftInTheMapForAListener() throws Exception {
    String request = get("/ordered");
    RawHttp.Response fromBytes = ask(kept, List.of(request)).get(0);
    assertThat(fromBytes.headers.keySet())
        .containsExactly(
            "date", "x-zeta", "content-type", "x-alpha", "set-cookie", "x-mid", "content-length");
    assertThat(fromBytes.headers.get("x-zeta")).containsExactly("1", "3");
    assertThat(fromBytes.body).isEqualTo("ordered");
    assertThat(withoutDate(fromBytes))
        .isEqualTo(withoutDate(ask(undertow, List.of(request)).get(0)));
    assertThat(ask(direct, List.of(request)).get(0).body).isEqualTo("ordered");
    assertThat(types.poll(5, TimeUnit.SECONDS)).isEqualTo("text/x-ordered");
    assertThat(ends.poll(5, TimeUnit.SECONDS)).startsWith("started=false ");
  }

  /**
   * Regression: a head that waits for its body was left in the IO thread's shared head buffer,
   * which the next exchange's head overwrote: a client got another client's head (with its cookie),
   * or a body without any head. Two clients on one IO thread, heads flushed before bodies, the
   * second head written while the first waits.
   */
  @Test
  void clientsWhoseHeadsWaitForTheirBodiesEachGetTheirOwnHead() throws Exception {
    for (RouterServer server : List.of(direct, kept)) {
      eachGetsTheirOwnHead(server.port());
    }
  }

  private static void eachGetsTheirOwnHead(int port) throws Exception {
    java.util.concurrent.ExecutorService pool =
        java.util.concurrent.Executors.newFixedThreadPool(2);
    try {
      java.util.concurrent.Future<RawHttp.Response> a =
          pool.submit(() -> RawHttp.exchange(port, slowGet("A", 600)));
      Thread.sleep(200);
      java.util.concurrent.Future<RawHttp.Response> b =
          pool.submit(() -> RawHttp.exchange(port, slowGet("B", 200)));
      for (Map.Entry<String, java.util.concurrent.Future<RawHttp.Response>> e :
          Map.of("A", a, "B", b).entrySet()) {
        RawHttp.Response r = e.getValue().get(10, TimeUnit.SECONDS);
        assertThat(r.header("x-user")).as("head of %s", e.getKey()).isEqualTo(e.getKey());
        assertThat(r.header("set-cookie")).isEqualTo("session=secret-of-" + e.getKey());
        assertThat(r.body).isEqualTo("body-" + e.getKey());
      }
    } finally {
      pool.shutdownNow();
    }
  }

  static String slowGet(String user, int ms) {
    return "GET /services/slow/u?user="
        + user
        + "&ms="
        + ms
        + " HTTP/1.1\r\nHost: example.test\r\n\r\n";
  }

  @Test
  void aHeadAnswerWithoutALengthKeepsUndertowsChannel() throws Exception {
    String request = "HEAD /services/app/unframed HTTP/1.1\r\nHost: example.test\r\n\r\n";
    RawHttp.Response mine = ask(direct, List.of(request)).get(0);
    RawHttp.Response theirs = ask(undertow, List.of(request)).get(0);
    assertThat(withoutDate(mine)).isEqualTo(withoutDate(theirs));
    assertThat(withoutDate(ask(kept, List.of(request)).get(0))).isEqualTo(withoutDate(theirs));
    assertThat(ends.poll(5, TimeUnit.SECONDS)).startsWith("started=true ");
  }

  /**
   * Embedded in a server built with {@code Undertow.builder()} (as the README shows), whose {@code
   * ALWAYS_SET_KEEP_ALIVE} is on: both paths say {@code Connection: keep-alive}.
   */
  @Test
  void anUndertowBuiltServersKeepAliveHeaderIsKept() throws Exception {
    io.undertow.Undertow plain =
        io.undertow.Undertow.builder()
            .addHttpListener(0, "127.0.0.1")
            .setIoThreads(1)
            .setHandler(recorded)
            .build();
    io.undertow.Undertow wrapped =
        io.undertow.Undertow.builder()
            .addHttpListener(0, "127.0.0.1")
            .setIoThreads(1)
            .setHandler(
                exchange -> {
                  exchange.addResponseWrapper((factory, ex) -> factory.create());
                  undertowHandler.handleRequest(exchange);
                })
            .build();
    plain.start();
    wrapped.start();
    try {
      List<String> requests = List.of(get("/plain"), get("/no-content"), get("/plain"));
      List<RawHttp.Response> mine = askPort(port(plain), requests);
      List<RawHttp.Response> theirs = askPort(port(wrapped), requests);
      for (int i = 0; i < requests.size(); i++) {
        assertThat(withoutDate(mine.get(i)))
            .as("answer %d", i)
            .isEqualTo(withoutDate(theirs.get(i)));
        assertThat(mine.get(i).body).isEqualTo(theirs.get(i).body);
      }
      assertThat(mine.get(0).header("connection")).isEqualTo("keep-alive");
      for (int i = 0; i < requests.size(); i++) {
        assertThat(ends.poll(5, TimeUnit.SECONDS)).as("end %d", i).startsWith("started=false ");
      }
    } finally {
      plain.stop();
      wrapped.stop();
    }
  }

  static int port(io.undertow.Undertow u) {
    return ((java.net.InetSocketAddress) u.getListenerInfo().get(0).getAddress()).getPort();
  }

  @Test
  void bodyBytesAreCountedForTheAccessLog() throws Exception {
    ask(direct, List.of(get("/plain"), get("/empty")));
    assertThat(ends.poll(5, TimeUnit.SECONDS)).isEqualTo("started=false bytes=5");
    assertThat(ends.poll(5, TimeUnit.SECONDS)).isEqualTo("started=false bytes=0");
  }

  @Test
  void aClientsConnectionCloseAndA417CloseTheConnectionAfterTheAnswer() throws Exception {
    for (String request :
        List.of(
            "GET /services/app/plain HTTP/1.1\r\nHost: example.test\r\nConnection: close\r\n\r\n",
            get("/expect-failed"))) {
      List<RawHttp.Response> answers = sameOnBoth(List.of(request));
      assertThat(answers.get(0).header("connection")).isEqualTo("close");
      try (RawHttp http = new RawHttp(direct.port())) {
        http.send(request);
        assertThat(http.closedByPeer()).as("closed after %s", request).isTrue();
      }
      ends.poll(5, TimeUnit.SECONDS);
    }
  }

  @Test
  void pipelinedLargeAnswersToAClientThatReadsLateArriveWholeAndInOrder() throws Exception {
    int n = 40; // 4 MB of answers: far past the sockets' buffers, so writes stop and resume
    StringBuilder all = new StringBuilder();
    for (int i = 0; i < n; i++) {
      all.append(get("/big?" + i));
    }
    readsLateInOrder(kept.port(), all.toString(), n);
    readsLateInOrder(direct.port(), all.toString(), n);
    for (int i = 0; i < n; i++) {
      assertThat(ends.poll(5, TimeUnit.SECONDS)).isEqualTo("started=false bytes=" + BIG_BODY);
    }
  }

  private static void readsLateInOrder(int port, String all, int n) throws Exception {
    try (RawHttp http = new RawHttp(port)) {
      http.write(all);
      Thread.sleep(300);
      for (int i = 0; i < n; i++) {
        RawHttp.Response r = http.read();
        assertThat(r.status).as("answer %d", i).isEqualTo(200);
        assertThat(r.header("x-seq")).as("answer %d", i).isEqualTo(String.valueOf(i));
        assertThat(r.header("x-pad")).as("answer %d", i).isEqualTo(PAD);
        assertThat(r.body)
            .as("answer %d", i)
            .isEqualTo(String.valueOf((char) ('a' + i % 26)).repeat(BIG_BODY));
      }
    }
  }

  @Test
  void aCookieSetByAWrappingHandlerKeepsTheResponseOnUndertowsChannel() throws Exception {
    HttpHandler cookies =
        exchange -> {
          exchange.setResponseCookie(new CookieImpl("w", "1"));
          directHandler.handleRequest(exchange);
        };
    try (RouterServer s =
        RouterServer.builder(cookies).host("127.0.0.1").port(0).ioThreads(1).start()) {
      RawHttp.Response r = ask(s, List.of(get("/plain"))).get(0);
      assertThat(r.headers.get("set-cookie")).containsExactlyInAnyOrder("a=b; Path=/", "w=1");
      assertThat(r.body).isEqualTo("hello");
    }
  }

  @Test
  void aCommitListenerOfAWrappingHandlerStillSeesTheResponse() throws Exception {
    HttpHandler committed =
        exchange -> {
          exchange.addResponseCommitListener(
              ex -> ex.getResponseHeaders().put(new io.undertow.util.HttpString("X-Seen"), "yes"));
          directHandler.handleRequest(exchange);
        };
    try (RouterServer s =
        RouterServer.builder(committed).host("127.0.0.1").port(0).ioThreads(1).start()) {
      RawHttp.Response r = ask(s, List.of(get("/plain"))).get(0);
      assertThat(r.header("x-seen")).isEqualTo("yes");
      assertThat(r.body).isEqualTo("hello");
    }
  }

  @Test
  void http10ClientsKeepUndertowsChannel() throws Exception {
    RawHttp.Response r =
        ask(direct, List.of("GET /services/app/plain HTTP/1.0\r\nHost: example.test\r\n\r\n"))
            .get(0);
    assertThat(r.body).isEqualTo("hello");
    assertThat(ends.poll(5, TimeUnit.SECONDS)).isEqualTo("started=true bytes=5");
  }
}
