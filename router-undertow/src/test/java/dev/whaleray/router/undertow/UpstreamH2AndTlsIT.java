package dev.whaleray.router.undertow;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.whaleray.router.Endpoint;
import dev.whaleray.router.undertow.testing.TestBackend;
import dev.whaleray.router.undertow.testing.TestCertificates;
import dev.whaleray.router.undertow.testing.TestDiscovery;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Services reached over HTTP/2 (h2c by prior knowledge, h2 by ALPN) and HTTP/1.1 over TLS, with
 * real Undertow backends on loopback: the protocol and scheme the backend saw are asserted, HTTP/2
 * requests share few connections, TLS verifies the backend's certificate and name, and failures
 * answer as on the HTTP/1.1 path (a clear 502, a retry on a refused port, 504 on a silent one).
 */
class UpstreamH2AndTlsIT {
  private final TestDiscovery discovery = new TestDiscovery();
  private final HttpClient client =
      HttpClient.newBuilder()
          .version(HttpClient.Version.HTTP_1_1)
          .connectTimeout(Duration.ofSeconds(5))
          .build();
  private @TempDir Path dir;
  private TestCertificates ca;

  @BeforeEach
  void authority() throws Exception {
    ca = TestCertificates.newAuthority();
  }

  @AfterEach
  void close() {
    discovery.close();
  }

  /** A handler reaching service {@code g} over h2c. */
  private RouterHandler h2cHandler() {
    return RouterHandler.builder()
        .discovery(discovery)
        .serviceUpstreams(Map.of("g", UpstreamOptions.h2c()))
        .build();
  }

  private RouterServer start(RouterHandler handler) {
    return RouterServer.builder(handler).host("127.0.0.1").port(0).ioThreads(2).start();
  }

  private HttpResponse<String> get(RouterServer server, String path) throws Exception {
    return client.send(
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + path))
            .timeout(Duration.ofSeconds(10))
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }

  /** {@code n} requests for {@code path} at once, each on its own client connection. */
  private static List<HttpResponse<String>> concurrently(RouterServer server, String path, int n)
      throws Exception {
    List<CompletableFuture<HttpResponse<String>>> all = new ArrayList<>();
    HttpClient many = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    for (int i = 0; i < n; i++) {
      all.add(
          many.sendAsync(
              HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + path))
                  .timeout(Duration.ofSeconds(20))
                  .build(),
              HttpResponse.BodyHandlers.ofString()));
    }
    List<HttpResponse<String>> answers = new ArrayList<>();
    for (CompletableFuture<HttpResponse<String>> f : all) {
      answers.add(f.get(30, TimeUnit.SECONDS));
    }
    return answers;
  }

  @Test
  void h2cMultiplexesRequestsOverFewConnections() throws Exception {
    try (TestBackend backend = TestBackend.startHttp2("h")) {
      discovery.set("g", List.of(Endpoint.parse(backend.address())));
      try (RouterHandler handler = h2cHandler();
          RouterServer server = start(handler)) {
        HttpResponse<String> one = get(server, "/services/g/hello?x=1");
        assertThat(one.statusCode()).isEqualTo(200);
        assertThat(one.headers().firstValue("X-Backend-Protocol")).hasValue("HTTP/2.0");
        assertThat(one.body()).startsWith("h GET /hello?x=1\n").contains("x-forwarded-for: ");

        // 64 at once, each on its own client connection: the backend sees at most one HTTP/2
        // connection per router IO thread (two), streams multiplexed over them.
        for (HttpResponse<String> r : concurrently(server, "/services/g/slow?ms=200", 64)) {
          assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
          assertThat(r.headers().firstValue("X-Backend-Protocol")).hasValue("HTTP/2.0");
        }
        System.out.printf(
            "h2c: %d requests over %d upstream connections%n", backend.requests(), backend.peers());
        assertThat(backend.requests()).isEqualTo(65);
        assertThat(backend.peers()).isBetween(1, 2);
      }
    }
  }

  /** A created {@code traceparent} reaches an h2c backend too (it is written into the head). */
  @Test
  void h2cBackendsGetACreatedTraceparent() throws Exception {
    try (TestBackend backend = TestBackend.startHttp2("h")) {
      discovery.set("g", List.of(Endpoint.parse(backend.address())));
      try (RouterHandler handler =
              RouterHandler.builder()
                  .discovery(discovery)
                  .serviceUpstreams(Map.of("g", UpstreamOptions.h2c()))
                  .createTraceparent(true)
                  .build();
          RouterServer server = start(handler)) {
        HttpResponse<String> made = get(server, "/services/g/t");
        assertThat(made.statusCode()).isEqualTo(200);
        assertThat(made.body()).containsPattern("\ntraceparent: 00-[0-9a-f]{32}-[0-9a-f]{16}-01\n");
        String tp = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
        HttpResponse<String> kept =
            client.send(
                HttpRequest.newBuilder(
                        URI.create("http://127.0.0.1:" + server.port() + "/services/g/t"))
                    .header("traceparent", tp)
                    .timeout(Duration.ofSeconds(10))
                    .build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(kept.body()).contains("\ntraceparent: " + tp + "\n");
        assertThat(kept.body().split("traceparent:", -1)).hasSize(2); // one, not two
      }
    }
  }

  @Test
  void h2cCarriesRequestBodiesBothFramings() throws Exception {
    try (TestBackend backend = TestBackend.startHttp2("h")) {
      discovery.set("g", List.of(Endpoint.parse(backend.address())));
      try (RouterHandler handler = h2cHandler();
          RouterServer server = start(handler)) {
        URI upload = URI.create("http://127.0.0.1:" + server.port() + "/services/g/upload");
        byte[] body = new byte[300_000];
        java.util.zip.CRC32 crc = new java.util.zip.CRC32();
        for (int i = 0; i < body.length; i++) {
          body[i] = TestBackend.patternByte(i);
        }
        crc.update(body);
        HttpResponse<String> fixed =
            client.send(
                HttpRequest.newBuilder(upload)
                    .POST(HttpRequest.BodyPublishers.ofByteArray(body))
                    .build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(fixed.body()).isEqualTo("bytes=300000 crc=" + crc.getValue());
        // Unknown length: chunked from the client, HTTP/2 DATA frames upstream.
        HttpResponse<String> chunked =
            client.send(
                HttpRequest.newBuilder(upload)
                    .POST(
                        HttpRequest.BodyPublishers.ofInputStream(
                            () -> new java.io.ByteArrayInputStream(body)))
                    .build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(chunked.body()).isEqualTo("bytes=300000 crc=" + crc.getValue());
        HttpResponse<byte[]> download =
            client.send(
                HttpRequest.newBuilder(
                        URI.create(
                            "http://127.0.0.1:"
                                + server.port()
                                + "/services/g/download?bytes=1000000"))
                    .build(),
                HttpResponse.BodyHandlers.ofByteArray());
        assertThat(download.body()).hasSize(1_000_000);
        for (int i = 0; i < download.body().length; i += 9973) {
          assertThat(download.body()[i]).isEqualTo(TestBackend.patternByte(i));
        }
      }
    }
  }

  @Test
  void h2cRetriesARefusedEndpointAndTimesOutASilentOne() throws Exception {
    int dead;
    try (ServerSocket s = new ServerSocket(0)) {
      dead = s.getLocalPort();
    }
    try (TestBackend live = TestBackend.startHttp2("live")) {
      discovery.set("g", List.of(Endpoint.of("127.0.0.1", dead), Endpoint.parse(live.address())));
      try (RouterHandler handler =
              RouterHandler.builder()
                  .discovery(discovery)
                  .serviceUpstreams(Map.of("g", UpstreamOptions.h2c()))
                  .responseTimeout(Duration.ofMillis(700))
                  .build();
          RouterServer server = start(handler)) {
        for (int i = 0; i < 10; i++) {
          HttpResponse<String> r = get(server, "/services/g/x");
          assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
          assertThat(r.headers().firstValue("X-Backend")).hasValue("live");
        }
        long t0 = System.nanoTime();
        HttpResponse<String> slow = get(server, "/services/g/slow?ms=3000");
        long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
        assertThat(slow.statusCode()).as(slow.body()).isEqualTo(504);
        assertThat(slow.body()).contains("upstream response timed out");
        assertThat(ms).isLessThan(2500);
        // The stream was reset (its connection retired, as a late answer would go unread): the
        // next request is answered.
        assertThat(get(server, "/services/g/y").statusCode()).isEqualTo(200);
      }
    }
  }

  @Test
  void clientsLeavingMidDownloadNeverStallTheUpstreamConnection() throws Exception {
    try (TestBackend backend = TestBackend.startHttp2("h")) {
      discovery.set("g", List.of(Endpoint.parse(backend.address())));
      try (RouterHandler handler = h2cHandler();
          RouterServer server =
              RouterServer.builder(handler).host("127.0.0.1").port(0).ioThreads(1).start()) {
        assertThat(get(server, "/services/g/warm").statusCode()).isEqualTo(200);
        for (int i = 0; i < 5; i++) {
          try (java.net.Socket s = new java.net.Socket("127.0.0.1", server.port())) {
            s.setSoTimeout(15_000);
            s.getOutputStream()
                .write(
                    "GET /services/g/download?bytes=50000000 HTTP/1.1\r\nHost: x\r\n\r\n"
                        .getBytes(java.nio.charset.StandardCharsets.US_ASCII));
            byte[] buf = new byte[65536];
            int got = 0;
            while (got < 200_000) {
              int n = s.getInputStream().read(buf);
              if (n < 0) {
                break;
              }
              got += n;
            }
            assertThat(got).isGreaterThanOrEqualTo(200_000);
          } // closed mid-body
        }
        for (int i = 0; i < 10; i++) {
          assertThat(get(server, "/services/g/after").statusCode()).isEqualTo(200);
        }
        System.out.printf(
            "5 downloads cut by their clients: %d upstream connection(s) for %d requests%n",
            backend.peers(), backend.requests());
        // Each cut stream leaves its connection retired (see ClientPools.Conn.retired): new
        // requests go on a fresh connection, and none stalls.
        assertThat(backend.peers()).isBetween(2, 7);
      }
    }
  }

  /**
   * A client that stops reading holds its stream's data unread in the router: another request on
   * the same HTTP/2 connection (one IO thread: one connection) still gets its answer. Before the
   * connection window was widened, the stuck stream held the whole 64 KiB connection window and the
   * second download stalled.
   */
  @Test
  void aStuckClientDoesNotStallOtherStreamsOnItsConnection() throws Exception {
    try (TestBackend backend = TestBackend.startHttp2("h")) {
      discovery.set("g", List.of(Endpoint.parse(backend.address())));
      try (RouterHandler handler = h2cHandler();
          RouterServer server =
              RouterServer.builder(handler).host("127.0.0.1").port(0).ioThreads(1).start()) {
        assertThat(get(server, "/services/g/warm").statusCode()).isEqualTo(200);
        try (java.net.Socket stuck = new java.net.Socket("127.0.0.1", server.port())) {
          stuck.setReceiveBufferSize(4096);
          stuck
              .getOutputStream()
              .write(
                  "GET /services/g/download?bytes=50000000 HTTP/1.1\r\nHost: x\r\n\r\n"
                      .getBytes(java.nio.charset.StandardCharsets.US_ASCII));
          Thread.sleep(500); // its data fills the socket, the router's buffers, then the windows
          long t0 = System.nanoTime();
          HttpResponse<byte[]> other =
              client.send(
                  HttpRequest.newBuilder(
                          URI.create(
                              "http://127.0.0.1:"
                                  + server.port()
                                  + "/services/g/download?bytes=1000000"))
                      .timeout(Duration.ofSeconds(10))
                      .build(),
                  HttpResponse.BodyHandlers.ofByteArray());
          System.out.printf(
              "beside a stuck client: 1 MB in %d ms over %d upstream connection(s)%n",
              TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0), backend.peers());
          assertThat(other.statusCode()).isEqualTo(200);
          assertThat(other.body()).hasSize(1_000_000);
          assertThat(backend.peers()).as("the same connection").isEqualTo(1);
        }
      }
    }
  }

  /** A backend allowing 4 streams a connection: the rest wait for another, none fails. */
  @Test
  void h2cKeepsToTheBackendsStreamLimit() throws Exception {
    try (TestBackend backend = TestBackend.startHttp2("h", 4)) {
      discovery.set("g", List.of(Endpoint.parse(backend.address())));
      try (RouterHandler handler = h2cHandler();
          RouterServer server = start(handler)) {
        for (HttpResponse<String> r : concurrently(server, "/services/g/slow?ms=300", 24)) {
          assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        }
        System.out.printf(
            "h2c, backend limit 4 streams: 24 requests over %d connections%n", backend.peers());
        assertThat(backend.requests()).isEqualTo(24);
      }
    }
  }

  /**
   * The backend dies mid-body: the client's answer is cut, promptly, and the request is not sent
   * again to the other endpoint (its head was already passed on).
   */
  @Test
  void anUpstreamDyingMidBodyCutsTheClientPromptly() throws Exception {
    TestBackend backend = TestBackend.startHttp2("dying");
    try (TestBackend bystander = TestBackend.startHttp2("bystander")) {
      discovery.set(
          "g", List.of(Endpoint.parse(backend.address()), Endpoint.parse(bystander.address())));
      try (RouterHandler handler = h2cHandler();
          RouterServer server = start(handler)) {
        for (int attempt = 0; attempt < 6; attempt++) {
          try (java.net.Socket s = new java.net.Socket("127.0.0.1", server.port())) {
            s.setSoTimeout(15_000);
            s.getOutputStream()
                .write(
                    "GET /services/g/download?bytes=200000000 HTTP/1.1\r\nHost: x\r\n\r\n"
                        .getBytes(java.nio.charset.StandardCharsets.US_ASCII));
            java.io.InputStream in = s.getInputStream();
            StringBuilder head = new StringBuilder();
            while (head.indexOf("\r\n\r\n") < 0) {
              int c = in.read();
              if (c < 0) {
                break;
              }
              head.append((char) c);
            }
            if (!head.toString().toLowerCase().contains("x-backend: dying")) {
              continue; // round-robin gave the bystander this one: cut it, ask again
            }
            int bystanderBefore = bystander.requests();
            long t0 = System.nanoTime();
            long got = 0;
            Throwable error = null;
            try {
              byte[] buf = new byte[65536];
              boolean killed = false;
              for (int n; (n = in.read(buf)) >= 0; ) {
                got += n;
                if (!killed && got > 1_000_000) {
                  killed = true;
                  backend.kill();
                }
              }
            } catch (java.io.IOException e) {
              error = e;
            }
            long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
            System.out.printf(
                "upstream died mid-body: client got %d bytes then %s after %d ms%n",
                got, error == null ? "EOF" : error.toString(), ms);
            assertThat(got).isGreaterThan(1_000_000).isLessThan(200_000_000);
            if (error != null) {
              assertThat(error)
                  .as("cut, not timed out")
                  .isNotInstanceOf(java.net.SocketTimeoutException.class);
            }
            assertThat(ms).isLessThan(10_000);
            Thread.sleep(200);
            assertThat(bystander.requests()).as("not sent again").isEqualTo(bystanderBefore);
            return;
          }
        }
        throw new AssertionError("no download reached the dying backend in 6 tries");
      }
    } finally {
      backend.close();
    }
  }

  @Test
  void h2OverTlsAndHttps11WithATrustStore() throws Exception {
    Path trust = ca.writeCa(dir.resolve("ca.pem"));
    try (TestBackend h2 = TestBackend.startTls("h2", ca.serverContext("h2.internal"), true);
        TestBackend h1 = TestBackend.startTls("h1", ca.serverContext("h1.internal"), false)) {
      discovery.set("a", List.of(Endpoint.parse(h2.address())));
      discovery.set("b", List.of(Endpoint.parse(h1.address())));
      discovery.set("c", List.of(Endpoint.parse(h1.address())));
      discovery.set("d", List.of(Endpoint.parse(h1.address())));
      discovery.set("e", List.of(Endpoint.parse(h1.address())));
      try (RouterHandler handler =
              RouterHandler.builder()
                  .discovery(discovery)
                  .serviceUpstreams(
                      Map.of(
                          "a", UpstreamOptions.h2().withTrustStore(trust, null),
                          "b", UpstreamOptions.https().withTrustStore(trust, null),
                          "c",
                              UpstreamOptions.https()
                                  .withTrustStore(trust, null)
                                  .withServerName("h1.internal"),
                          "d",
                              UpstreamOptions.https()
                                  .withTrustStore(trust, null)
                                  .withServerName("wrong.example"),
                          "e", UpstreamOptions.https()))
                  .build();
          RouterServer server = start(handler)) {
        HttpResponse<String> a = get(server, "/services/a/x");
        assertThat(a.statusCode()).as(a.body()).isEqualTo(200);
        assertThat(a.headers().firstValue("X-Backend-Protocol")).hasValue("HTTP/2.0");
        assertThat(a.headers().firstValue("X-Backend-Scheme")).hasValue("https");

        HttpResponse<String> b = get(server, "/services/b/x");
        assertThat(b.statusCode()).as(b.body()).isEqualTo(200);
        assertThat(b.headers().firstValue("X-Backend-Protocol")).hasValue("HTTP/1.1");
        assertThat(b.headers().firstValue("X-Backend-Scheme")).hasValue("https");
        for (int i = 0; i < 20; i++) {
          assertThat(get(server, "/services/b/x").statusCode()).isEqualTo(200);
        }
        assertThat(h1.peers()).as("kept alive").isLessThanOrEqualTo(2);

        assertThat(get(server, "/services/c/x").statusCode()).isEqualTo(200);

        // A certificate that does not name the host asked for: verification fails, clearly.
        HttpResponse<String> d = get(server, "/services/d/x");
        System.out.println("wrong host name: " + d.statusCode() + " " + d.body());
        assertThat(d.statusCode()).isEqualTo(502);
        assertThat(d.body()).contains("upstream TLS handshake failed").contains("wrong.example");

        // The JDK's authorities do not know the test CA.
        HttpResponse<String> e = get(server, "/services/e/x");
        System.out.println("untrusted: " + e.statusCode() + " " + e.body());
        assertThat(e.statusCode()).isEqualTo(502);
        assertThat(e.body()).contains("upstream TLS handshake failed");
      }
    }
  }

  @Test
  void https11KeepsToTheConnectionLimitAndQueuesTheRest() throws Exception {
    Path trust = ca.writeCa(dir.resolve("ca.pem"));
    try (TestBackend h1 = TestBackend.startTls("h1", ca.serverContext(), false)) {
      discovery.set("b", List.of(Endpoint.parse(h1.address())));
      try (RouterHandler handler =
              RouterHandler.builder()
                  .discovery(discovery)
                  .serviceUpstreams(
                      Map.of("b", UpstreamOptions.https().withTrustStore(trust, null)))
                  .maxConnectionsPerThread(1)
                  .build();
          RouterServer server = start(handler)) {
        for (HttpResponse<String> r : concurrently(server, "/services/b/slow?ms=100", 12)) {
          assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        }
        System.out.printf(
            "https, 1 connection per IO thread: 12 requests over %d connections%n", h1.peers());
        assertThat(h1.peers()).isBetween(1, 2); // one per router IO thread
      }
    }
  }

  /**
   * Active checks of a TLS service go over TLS with its trust store, as its requests do: the
   * endpoint with an untrusted certificate turns unhealthy and takes no traffic. (Checked over
   * plain HTTP, both endpoints failed and the service ran in panic mode.)
   */
  @Test
  void healthChecksOfATlsServiceUseItsTransport() throws Exception {
    Path trust = ca.writeCa(dir.resolve("ca.pem"));
    TestCertificates other = TestCertificates.newAuthority();
    try (TestBackend good = TestBackend.startTls("good", ca.serverContext(), false);
        TestBackend stranger = TestBackend.startTls("stranger", other.serverContext(), false)) {
      discovery.set(
          "t", List.of(Endpoint.parse(good.address()), Endpoint.parse(stranger.address())));
      try (RouterHandler handler =
              RouterHandler.builder()
                  .discovery(discovery)
                  .serviceUpstreams(
                      Map.of("t", UpstreamOptions.https().withTrustStore(trust, null)))
                  .healthCheck(
                      dev.whaleray.router.core.HealthCheck.of("/health")
                          .withInterval(Duration.ofMillis(100))
                          .withThresholds(1, 1)
                          .withNewEndpointsWaitingForACheck(true))
                  .outlierDetection(dev.whaleray.router.core.OutlierDetection.off())
                  .retries(0)
                  .build();
          RouterServer server = start(handler)) {
        get(server, "/services/t/first"); // watched from now (before any check: either endpoint)
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (good.requests() < 3 && System.nanoTime() < deadline) {
          Thread.sleep(50); // the good endpoint's checks arrive over TLS
        }
        int goodBefore = good.requests();
        for (int i = 0; i < 20; i++) {
          HttpResponse<String> r = get(server, "/services/t/x");
          assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
          assertThat(r.headers().firstValue("X-Backend")).hasValue("good");
          assertThat(r.headers().firstValue("X-WhaleRay-Panic")).isEmpty();
        }
        assertThat(good.requests() - goodBefore).isGreaterThanOrEqualTo(20);
        assertThat(stranger.requests()).as("no request passes an untrusted handshake").isZero();
        System.out.printf(
            "TLS health checks: good saw %d requests (checks included)%n", good.requests());
      }
    }
  }

  @Test
  void hostnameVerificationCanBeTurnedOff() throws Exception {
    Path trust = ca.writeCa(dir.resolve("ca.pem"));
    try (TestBackend h1 = TestBackend.startTls("h1", ca.serverContext("h1.internal"), false)) {
      discovery.set("d", List.of(Endpoint.parse(h1.address())));
      try (RouterHandler handler =
              RouterHandler.builder()
                  .discovery(discovery)
                  .serviceUpstreams(
                      Map.of(
                          "d",
                          UpstreamOptions.https()
                              .withTrustStore(trust, null)
                              .withServerName("wrong.example")
                              .withVerifyHostname(false)))
                  .build();
          RouterServer server = start(handler)) {
        assertThat(get(server, "/services/d/x").statusCode()).isEqualTo(200);
      }
    }
  }

  @Test
  void aTrustStoreThatCannotBeReadFailsTheBuildNamingTheFile() throws Exception {
    Path bad = Files.writeString(dir.resolve("bad.pem"), "not a certificate");
    assertThatThrownBy(
            () ->
                RouterHandler.builder()
                    .discovery(discovery)
                    .serviceUpstreams(
                        Map.of("x", UpstreamOptions.https().withTrustStore(bad, null)))
                    .build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("service x")
        .hasMessageContaining("bad.pem");
  }
}
