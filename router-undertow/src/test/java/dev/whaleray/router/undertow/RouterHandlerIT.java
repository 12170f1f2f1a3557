package dev.whaleray.router.undertow;

import static org.assertj.core.api.Assertions.assertThat;

import dev.whaleray.router.Endpoint;
import dev.whaleray.router.undertow.testing.RawHttp;
import dev.whaleray.router.undertow.testing.RouterCounts;
import dev.whaleray.router.undertow.testing.TestBackend;
import dev.whaleray.router.undertow.testing.TestDiscovery;
import io.undertow.server.handlers.proxy.LoadBalancingProxyClient;
import io.undertow.server.handlers.proxy.ProxyHandler;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The router end to end: real Undertow backends on 127.0.0.1, a real listener, real clients. */
class RouterHandlerIT {
  static TestBackend a;
  static TestBackend b;
  static TestBackend slow;
  static int deadPort;
  static TestDiscovery discovery;
  static RouterHandler handler;
  static RouterServer server;
  static HttpClient client;
  // What the router itself received: tells a request the client sent twice from one proxied twice.
  static final RouterCounts routerCounts = new RouterCounts();

  @BeforeAll
  static void start() throws Exception {
    a = TestBackend.start("A");
    b = TestBackend.start("B");
    slow = TestBackend.start("S");
    try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      deadPort = s.getLocalPort(); // closed again: connecting is refused
    }
    discovery =
        new TestDiscovery()
            .set("demo", List.of(Endpoint.parse(a.address()), Endpoint.parse(b.address())))
            .set("empty", List.of())
            .set("dead", List.of(Endpoint.of("127.0.0.1", deadPort)))
            .set("slow", List.of(Endpoint.parse(slow.address())));
    handler =
        RouterHandler.builder()
            .discovery(discovery)
            .responseTimeout(Duration.ofMillis(1500))
            .connectTimeout(Duration.ofSeconds(2))
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

  @AfterAll
  static void stop() {
    server.close();
    handler.close();
    discovery.close();
    a.close();
    b.close();
    slow.close();
  }

  static URI uri(String pathAndQuery) {
    return URI.create("http://127.0.0.1:" + server.port() + pathAndQuery);
  }

  static HttpResponse<String> get(String pathAndQuery) throws Exception {
    return client.send(
        HttpRequest.newBuilder(uri(pathAndQuery)).timeout(Duration.ofSeconds(20)).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  static String firstLine(String body) {
    return body.substring(0, body.indexOf('\n'));
  }

  /**
   * The client address forwarded is the exchange's source address: the connection's peer, kept on
   * the connection, unless a handler around the router set another for this request (as a
   * forwarded-peer or proxy-protocol handler does); one connection, requests with and without.
   */
  @Test
  void aSourceAddressSetByAWrappingHandlerIsTheOneForwarded() throws Exception {
    io.undertow.server.HttpHandler peers =
        exchange -> {
          String peer = exchange.getRequestHeaders().getFirst("X-Test-Peer");
          if (peer != null) {
            exchange.setSourceAddress(new java.net.InetSocketAddress(peer, 4444));
          }
          handler.handleRequest(exchange);
        };
    try (RouterServer s =
            RouterServer.builder(peers).host("127.0.0.1").port(0).ioThreads(1).start();
        RawHttp http = new RawHttp(s.port())) {
      String plain = "GET /services/demo/p HTTP/1.1\r\nHost: example.test\r\n\r\n";
      String other =
          "GET /services/demo/p HTTP/1.1\r\nHost: example.test\r\nX-Test-Peer: 203.0.113.7\r\n\r\n";
      assertThat(http.send(plain).body).contains("\nx-forwarded-for: 127.0.0.1\n");
      assertThat(http.send(other).body).contains("\nx-forwarded-for: 203.0.113.7\n");
      assertThat(http.send(plain).body).contains("\nx-forwarded-for: 127.0.0.1\n");
      assertThat(http.send(other).body).contains("\nx-forwarded-for: 203.0.113.7\n");
    }
  }

  @Test
  void stripsThePrefixAndKeepsTheQuery() throws Exception {
    assertThat(firstLine(get("/services/demo/a/b?x=1&y=%20z").body()))
        .endsWith(" GET /a/b?x=1&y=%20z");
    assertThat(firstLine(get("/services/demo").body())).endsWith(" GET /");
    assertThat(firstLine(get("/services/demo/").body())).endsWith(" GET /");
    assertThat(firstLine(get("/services/demo?q=1").body())).endsWith(" GET /?q=1");
    assertThat(firstLine(get("/services/DEMO/x").body())).endsWith(" GET /x");
    // Encoded characters in the rest of the path reach the backend as the client sent them.
    assertThat(firstLine(get("/services/demo/a%2Fb/%20c").body())).endsWith(" GET /a%2Fb/%20c");
  }

  @ParameterizedTest
  @ValueSource(strings = {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
  void passesEveryMethodWithItsBody(String method) throws Exception {
    boolean withBody = method.startsWith("P");
    HttpRequest.Builder req = HttpRequest.newBuilder(uri("/services/demo/m"));
    req.method(
        method,
        withBody
            ? HttpRequest.BodyPublishers.ofString("payload-" + method)
            : HttpRequest.BodyPublishers.noBody());
    HttpResponse<String> r = client.send(req.build(), HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.headers().firstValue("X-Echo")).hasValue("yes");
    if (method.equals("HEAD")) {
      assertThat(r.body()).isEmpty();
    } else {
      assertThat(firstLine(r.body())).endsWith(" " + method + " /m");
      if (withBody) {
        assertThat(r.body()).endsWith("\n\npayload-" + method);
      }
    }
  }

  @Test
  void carriesHeadersBothWaysAndAddsForwardedHeaders() throws Exception {
    HttpResponse<String> r =
        client.send(
            HttpRequest.newBuilder(uri("/services/demo/h"))
                .header("X-Custom", "v1")
                .header("traceparent", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01")
                .header("X-Amzn-Trace-Id", "Root=1-5759e988-bd862e3fe1be46a994272793")
                .header("X-Respond-Header", "X-From-Backend: hello")
                .build(),
            HttpResponse.BodyHandlers.ofString());
    String body = r.body();
    assertThat(body).contains("\nx-custom: v1\n");
    assertThat(body)
        .contains("\ntraceparent: 00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01\n");
    assertThat(body).contains("\nx-amzn-trace-id: Root=1-5759e988-bd862e3fe1be46a994272793\n");
    assertThat(body).contains("\nx-forwarded-for: 127.0.0.1\n");
    assertThat(body).contains("\nx-forwarded-proto: http\n");
    assertThat(body).contains("\nx-forwarded-host: 127.0.0.1:" + server.port() + "\n");
    assertThat(body).contains("\nx-forwarded-port: " + server.port() + "\n");
    assertThat(body).contains("\nx-forwarded-server: 127.0.0.1\n");
    String backend = r.headers().firstValue("X-Backend").orElseThrow();
    int backendPort = backend.equals("A") ? a.port() : b.port();
    assertThat(body).contains("\nhost: 127.0.0.1:" + backendPort + "\n");
    assertThat(r.headers().firstValue("X-From-Backend")).hasValue("hello");
  }

  /**
   * Host value sent, then the X-Forwarded-Port and -Server the backend must see. (A port over 65535
   * or not a number never gets here: Undertow answers 400 for the Host header.)
   */
  @ParameterizedTest
  @ValueSource(
      strings = {
        "example.com|80|example.com",
        "example.com:8443|8443|example.com",
        "example.com:0080|80|example.com",
        "[::1]:9000|9000|::1",
        "[::1]|80|::1",
        "10.1.2.3:65535|65535|10.1.2.3"
      })
  void derivesForwardedPortAndServerFromTheHostHeader(String row) throws Exception {
    String[] f = row.split("\\|");
    RawHttp.Response r =
        RawHttp.exchange(
            server.port(), "GET /services/demo/fwd HTTP/1.1\r\nHost: " + f[0] + "\r\n\r\n");
    assertThat(r.status).isEqualTo(200);
    assertThat(r.body).contains("\nx-forwarded-port: " + f[1] + "\n");
    assertThat(r.body).contains("\nx-forwarded-server: " + f[2] + "\n");
  }

  @Test
  void appendsToAnIncomingForwardedFor() throws Exception {
    HttpResponse<String> r =
        client.send(
            HttpRequest.newBuilder(uri("/services/demo/xff"))
                .header("X-Forwarded-For", "203.0.113.7")
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(r.body()).contains("\nx-forwarded-for: 203.0.113.7,127.0.0.1\n");
  }

  @Test
  void removesHopByHopHeaders() throws Exception {
    RawHttp.Response r =
        RawHttp.exchange(
            server.port(),
            "GET /services/demo/hop HTTP/1.1\r\nHost: x\r\nConnection: keep-alive, X-Secret\r\n"
                + "X-Secret: s3cr3t\r\nKeep-Alive: timeout=5\r\nProxy-Connection: keep-alive\r\n"
                + "TE: trailers\r\nX-Kept: yes\r\n"
                + "X-Respond-Header: Keep-Alive: timeout=99\r\n\r\n");
    assertThat(r.status).isEqualTo(200);
    assertThat(r.body).contains("\nx-kept: yes\n");
    assertThat(r.body).doesNotContain("x-secret").doesNotContain("keep-alive: timeout");
    assertThat(r.body).doesNotContain("proxy-connection").doesNotContain("\nte: ");
    assertThat(r.header("Keep-Alive")).isNull();
  }

  @Test
  void keepsTheClientHostWhenAsked() throws Exception {
    try (RouterHandler keep =
            RouterHandler.builder().discovery(discovery).preserveHost(true).build();
        RouterServer s = RouterServer.builder(keep).host("127.0.0.1").port(0).start()) {
      RawHttp.Response r =
          RawHttp.exchange(
              s.port(), "GET /services/demo/ HTTP/1.1\r\nHost: shop.example.com\r\n\r\n");
      assertThat(r.body).contains("\nhost: shop.example.com\n");
    }
  }

  @Test
  void passesBackendStatusCodesAndBodiesUnchanged() throws Exception {
    for (int status : new int[] {201, 204, 301, 404, 418, 500, 503}) {
      HttpResponse<String> r = get("/services/demo/status/" + status);
      assertThat(r.statusCode()).as("status %d", status).isEqualTo(status);
      assertThat(r.headers().firstValue("X-Status-From")).isPresent();
      if (status != 204) {
        assertThat(r.body()).startsWith("status " + status + " from ");
      }
    }
  }

  @Test
  void streamsChunkedResponses() throws Exception {
    RawHttp.Response r =
        RawHttp.exchange(server.port(), "GET /services/demo/chunked HTTP/1.1\r\nHost: x\r\n\r\n");
    assertThat(r.status).isEqualTo(200);
    assertThat(r.header("Transfer-Encoding")).isEqualToIgnoringCase("chunked");
    assertThat(r.body).isEqualTo("chunk0;chunk1;chunk2;");
  }

  @Test
  void alternatesRoundRobinBetweenTheBackends() throws Exception {
    List<String> seen = new ArrayList<>();
    for (int i = 0; i < 10; i++) {
      seen.add(get("/services/demo/rr").headers().firstValue("X-Backend").orElseThrow());
    }
    for (int i = 1; i < seen.size(); i++) {
      assertThat(seen.get(i)).as("request %d of %s", i, seen).isNotEqualTo(seen.get(i - 1));
    }
    assertThat(seen).containsOnly("A", "B");
  }

  @Test
  void reusesAHandfulOfUpstreamConnectionsFor1000SequentialRequests() throws Exception {
    try (TestBackend x = TestBackend.start("X");
        TestBackend y = TestBackend.start("Y")) {
      discovery.set("seq", List.of(Endpoint.parse(x.address()), Endpoint.parse(y.address())));
      int routerBefore = routerCounts.requests();
      int clientConnectionsBefore = routerCounts.connections();
      for (int i = 0; i < 1000; i++) {
        HttpResponse<String> r = get("/services/seq/n?id=" + i);
        assertThat(r.statusCode()).isEqualTo(200);
        // Each answer is this request's own (the echo names it): a request written twice on a
        // pooled connection would shift every later answer on it by one.
        assertThat(firstLine(r.body())).as("answer to request %d", i).endsWith(" GET /n?id=" + i);
      }
      int opened = x.connections() + y.connections();
      String counts =
          String.format(
              "1000 sequential requests: the router got %d on %d new client connections; %d + %d"
                  + " requests over %d + %d upstream connections",
              routerCounts.requests() - routerBefore,
              routerCounts.connections() - clientConnectionsBefore,
              x.requests(),
              y.requests(),
              x.connections(),
              y.connections());
      System.out.println(counts);
      if (x.requests() + y.requests() != 1000) {
        // Which request a backend got twice, and over which of its connections (N target).
        Map<String, List<String>> byTarget = new java.util.TreeMap<>();
        for (TestBackend backend : List.of(x, y)) {
          for (String s : backend.seen()) {
            byTarget
                .computeIfAbsent(s.substring(s.indexOf(' ') + 1), k -> new ArrayList<>())
                .add(backend.name() + " connection " + s.substring(0, s.indexOf(' ')));
          }
        }
        byTarget.values().removeIf(l -> l.size() == 1);
        counts += "; received more than once: " + byTarget;
      }
      assertThat(x.requests() + y.requests()).as(counts).isEqualTo(1000);
      assertThat(x.requests()).as(counts).isEqualTo(500);
      // At most one pooled connection per backend and router IO thread (2 here).
      assertThat(opened).as(counts).isBetween(2, 4);
    }
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "/services/../x",
        "/services/%2e%2e/x",
        "/services/%2E%2E",
        "/services/a.b/x",
        "/services/a%2Fb/x",
        "/services/%00/x",
        "/services/",
        "/services//x",
        "/services/-demo/x",
        "/services/de_mo/x",
        "/services/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa/x"
      })
  void rejectsBadServiceIdsWithoutReachingABackend(String path) throws Exception {
    int before = a.requests() + b.requests() + slow.requests();
    RawHttp.Response r =
        RawHttp.exchange(server.port(), "GET " + path + " HTTP/1.1\r\nHost: x\r\n\r\n");
    assertThat(r.status).as(path).isEqualTo(400);
    assertThat(r.header("Content-Type")).isEqualTo("application/json");
    // %00 is refused by the path policy before routing; the rest as invalid service ids.
    assertThat(r.body)
        .startsWith(
            path.contains("%00")
                ? "{\"error\":\"path holds an encoded control byte"
                : "{\"error\":\"invalid service id\",\"service\":");
    assertThat(a.requests() + b.requests() + slow.requests()).isEqualTo(before);
  }

  @Test
  void answersOversizedRequestsWith414And431AndKeepsServing() throws Exception {
    String longPath = "/services/demo/" + "x".repeat(10_000);
    assertThat(
            RawHttp.exchange(server.port(), "GET " + longPath + " HTTP/1.1\r\nHost: x\r\n\r\n")
                .status)
        .isEqualTo(414);
    RawHttp.Response big =
        RawHttp.exchange(
            server.port(),
            "GET /services/demo/ HTTP/1.1\r\nHost: x\r\nX-Big: " + "y".repeat(40_000) + "\r\n\r\n");
    assertThat(big.status).isEqualTo(431);
    assertThat(big.body).contains("X-Big");
    assertThat(get("/services/demo/after").statusCode()).isEqualTo(200);
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "GARBAGE\r\n\r\n",
        "GET /services/demo/ HTTP/1.1\r\nBad Header Without Colon\r\n\r\n",
        "GET /services/demo/ HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n",
        "GET /serv ices/demo/ HTTP/1.1\r\nHost: x\r\n\r\n"
      })
  void answersMalformedRequestsWith400AndClosesTheConnection(String request) throws Exception {
    try (RawHttp http = new RawHttp(server.port())) {
      RawHttp.Response r = http.send(request);
      assertThat(r.status).as(request).isEqualTo(400);
      assertThat(http.closedByPeer()).as("closed after %s", request).isTrue();
    }
    assertThat(get("/services/demo/after-malformed").statusCode()).isEqualTo(200);
  }

  @Test
  void answersUnsupportedHttpVersionsWith505AndCloses() throws Exception {
    try (RawHttp http = new RawHttp(server.port())) {
      RawHttp.Response r = http.send("GET /services/demo/ HTTP/0.9\r\nHost: x\r\n\r\n");
      assertThat(r.status).isEqualTo(505);
      assertThat(r.body).contains("HTTP/0.9");
      assertThat(http.closedByPeer()).isTrue();
    }
  }

  @Test
  void answersTheDesignStatusCodesWithJson() throws Exception {
    HttpResponse<String> health = get("/health");
    assertThat(health.statusCode()).isEqualTo(200);
    assertThat(health.body()).isEqualTo("OK");

    HttpResponse<String> none = get("/elsewhere");
    assertThat(none.statusCode()).isEqualTo(404);
    assertThat(none.headers().firstValue("Content-Type")).hasValue("application/json");

    HttpResponse<String> unknown = get("/services/nosuch/x");
    assertThat(unknown.statusCode()).isEqualTo(502);
    assertThat(unknown.body())
        .isEqualTo("{\"error\":\"unknown service\",\"service\":\"nosuch\",\"status\":502}\n");

    HttpResponse<String> empty = get("/services/empty/x");
    assertThat(empty.statusCode()).isEqualTo(503);
    assertThat(empty.body()).contains("\"error\":\"no healthy endpoint\"", "\"service\":\"empty\"");

    HttpResponse<String> refused = get("/services/dead/x");
    assertThat(refused.statusCode()).isEqualTo(502);
    assertThat(refused.headers().firstValue("Content-Type")).hasValue("application/json");
    assertThat(refused.body()).contains("\"service\":\"dead\"", "upstream");

    HttpResponse<String> refusedPost =
        client.send(
            HttpRequest.newBuilder(uri("/services/dead/x"))
                .POST(HttpRequest.BodyPublishers.ofString("body"))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(refusedPost.statusCode()).isEqualTo(502);

    long started = System.nanoTime();
    HttpResponse<String> timedOut = get("/services/slow/slow?ms=4000");
    long tookMillis = (System.nanoTime() - started) / 1_000_000;
    assertThat(timedOut.statusCode()).isEqualTo(504);
    assertThat(timedOut.body())
        .contains("\"error\":\"upstream timed out\"", "\"service\":\"slow\"");
    assertThat(tookMillis).isBetween(1400L, 3900L);

    // The router is fine afterwards.
    assertThat(get("/services/slow/slow?ms=10").statusCode()).isEqualTo(200);
  }

  @Test
  void serves64ConcurrentClientsWithoutErrors() throws Exception {
    Map<Integer, AtomicInteger> ours = load(server.port(), "/services/demo/load");
    // The same load through Undertow's stock ProxyHandler + LoadBalancingProxyClient (10
    // connections per IO thread, no wait queue), for comparison; printed, not asserted.
    LoadBalancingProxyClient stockClient = new LoadBalancingProxyClient();
    stockClient.addHost(URI.create("http://" + a.address()));
    stockClient.addHost(URI.create("http://" + b.address()));
    io.undertow.Undertow stock =
        io.undertow.Undertow.builder()
            .addHttpListener(0, "127.0.0.1")
            .setIoThreads(2)
            .setHandler(ProxyHandler.builder().setProxyClient(stockClient).build())
            .build();
    stock.start();
    Map<Integer, AtomicInteger> stockStatuses;
    try {
      int stockPort =
          ((java.net.InetSocketAddress) stock.getListenerInfo().get(0).getAddress()).getPort();
      stockStatuses = load(stockPort, "/load");
    } finally {
      stock.stop();
    }
    System.out.println(
        "64 concurrent clients x 40 requests, statuses: WhaleRay "
            + ours
            + ", Undertow stock ProxyHandler "
            + stockStatuses);
    assertThat(ours.keySet()).containsExactly(200);
    assertThat(ours.get(200).get()).isEqualTo(64 * 40);
  }

  private static Map<Integer, AtomicInteger> load(int port, String path) throws Exception {
    int clients = 64;
    int perClient = 40;
    ExecutorService pool = Executors.newFixedThreadPool(clients);
    Map<Integer, AtomicInteger> statuses = new ConcurrentHashMap<>();
    java.util.concurrent.CountDownLatch go = new java.util.concurrent.CountDownLatch(1);
    try {
      List<Future<?>> futures = new ArrayList<>();
      for (int c = 0; c < clients; c++) {
        futures.add(
            pool.submit(
                () -> {
                  // One client (and so one connection) per thread, like wrk's connections.
                  HttpClient own =
                      HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
                  go.await();
                  for (int i = 0; i < perClient; i++) {
                    HttpResponse<String> r =
                        own.send(
                            HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                                .timeout(Duration.ofSeconds(20))
                                .build(),
                            HttpResponse.BodyHandlers.ofString());
                    statuses
                        .computeIfAbsent(r.statusCode(), k -> new AtomicInteger())
                        .incrementAndGet();
                  }
                  return null;
                }));
      }
      go.countDown();
      for (Future<?> f : futures) {
        f.get(120, TimeUnit.SECONDS);
      }
    } finally {
      pool.shutdownNow();
    }
    return statuses;
  }
}
