package dev.whaleray.router.undertow;

import static org.assertj.core.api.Assertions.assertThat;

import dev.whaleray.router.Endpoint;
import dev.whaleray.router.EndpointSet;
import dev.whaleray.router.discovery.AbstractDiscovery;
import dev.whaleray.router.lb.LoadBalancerProviders;
import dev.whaleray.router.lb.Outcome;
import dev.whaleray.router.undertow.testing.CountingProvider;
import dev.whaleray.router.undertow.testing.RawHttp;
import dev.whaleray.router.undertow.testing.TestBackend;
import dev.whaleray.router.undertow.testing.TestDiscovery;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Edge cases found in review: smuggling, header stripping, retries, accounting, slow parts. */
class RouterHardeningIT {
  static TestBackend live;
  static int deadPort;
  static TestDiscovery discovery;
  static RouterHandler handler;
  static RouterServer server;
  static HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

  @BeforeAll
  static void start() throws Exception {
    live = TestBackend.start("live");
    try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      deadPort = s.getLocalPort();
    }
    discovery =
        new TestDiscovery()
            .set("app", List.of(Endpoint.parse(live.address())))
            .set(
                "half",
                List.of(Endpoint.of("127.0.0.1", deadPort), Endpoint.parse(live.address())));
    handler =
        RouterHandler.builder()
            .discovery(discovery)
            .loadBalancer(LoadBalancerProviders.get("counting"))
            .responseTimeout(Duration.ofMillis(1000))
            .maxServices(100)
            .build();
    server = RouterServer.builder(handler).host("127.0.0.1").port(0).start();
  }

  @AfterAll
  static void stop() {
    server.close();
    handler.close();
    discovery.close();
    live.close();
  }

  static HttpResponse<String> send(HttpRequest.Builder b) throws Exception {
    return client.send(
        b.timeout(Duration.ofSeconds(20)).build(), HttpResponse.BodyHandlers.ofString());
  }

  static URI uri(String path) {
    return URI.create("http://127.0.0.1:" + server.port() + path);
  }

  @Test
  void aSlowUploadIsNotASlowResponse() throws Exception {
    // 3 chunks, 600 ms apart: 1.2 s of upload against a 1 s response timeout.
    try (Socket socket = new Socket()) {
      socket.connect(new InetSocketAddress("127.0.0.1", server.port()));
      socket.setSoTimeout(10_000);
      OutputStream out = socket.getOutputStream();
      out.write(
          ("POST /services/app/upload HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
                  + "Connection: close\r\n\r\n")
              .getBytes(StandardCharsets.US_ASCII));
      for (int i = 0; i < 3; i++) {
        out.write("5\r\nhello\r\n".getBytes(StandardCharsets.US_ASCII));
        out.flush();
        Thread.sleep(600);
      }
      out.write("0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
      out.flush();
      String response = new String(socket.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      assertThat(response).startsWith("HTTP/1.1 200").contains("bytes=15 ");
    }
    // The timeout still applies after the body: a slow response gets 504.
    HttpResponse<String> slow =
        send(
            HttpRequest.newBuilder(uri("/services/app/slow?ms=3000"))
                .POST(HttpRequest.BodyPublishers.ofString("x")));
    assertThat(slow.statusCode()).isEqualTo(504);
  }

  @Test
  void refusesTransferEncodingsItCannotForwardSafely() throws Exception {
    int before = live.requests();
    for (String te : new String[] {"xchunked", "chunked, identity", "gzip"}) {
      try (RawHttp http = new RawHttp(server.port())) {
        RawHttp.Response r =
            http.send(
                "POST /services/app/x HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: "
                    + te
                    + "\r\n\r\n5\r\nhello\r\n0\r\n\r\n");
        assertThat(r.status).as(te).isEqualTo(501);
        assertThat(r.body).contains("unsupported Transfer-Encoding");
        assertThat(http.closedByPeer()).isTrue();
      }
    }
    try (RawHttp http = new RawHttp(server.port())) {
      RawHttp.Response r =
          http.send(
              "POST /services/app/x HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
                  + "Content-Length: 5\r\n\r\n5\r\nhello\r\n0\r\n\r\n");
      // Undertow itself may refuse this first; either way: 400, closed, nothing forwarded.
      assertThat(r.status).isEqualTo(400);
      assertThat(http.closedByPeer()).isTrue();
    }
    assertThat(live.requests()).isEqualTo(before);
  }

  @Test
  void aClientCannotStripForwardedHeadersThroughConnection() throws Exception {
    RawHttp.Response r =
        RawHttp.exchange(
            server.port(),
            "GET /services/app/h HTTP/1.1\r\nHost: x\r\nX-Forwarded-For: 203.0.113.9\r\n"
                + "X-Forwarded-Proto: https\r\nX-Amzn-Trace-Id: Root=1-abc\r\n"
                + "Connection: keep-alive, X-Forwarded-For, X-Forwarded-Proto, X-Amzn-Trace-Id,"
                + " X-Drop\r\nX-Drop: 1\r\n\r\n");
    assertThat(r.status).isEqualTo(200);
    assertThat(r.body)
        .contains("\nx-forwarded-for: 203.0.113.9,127.0.0.1\n")
        .contains("\nx-forwarded-proto: https\n")
        .contains("\nx-amzn-trace-id: Root=1-abc\n")
        .doesNotContain("x-drop");
  }

  @Test
  void retriesARefusedConnectionOnAnotherEndpointAndCountsEveryAttempt() throws Exception {
    CountingProvider.Counts dead =
        CountingProvider.COUNTS.computeIfAbsent(
            Endpoint.of("127.0.0.1", deadPort), k -> new CountingProvider.Counts());
    int deadStartsBefore = dead.starts.get();
    for (int i = 0; i < 6; i++) {
      assertThat(send(HttpRequest.newBuilder(uri("/services/half/g"))).statusCode()).isEqualTo(200);
      assertThat(
              send(HttpRequest.newBuilder(uri("/services/half/p"))
                      .POST(HttpRequest.BodyPublishers.ofString("body")))
                  .statusCode())
          .isEqualTo(200);
    }
    assertThat(dead.starts.get() - deadStartsBefore).isGreaterThanOrEqualTo(3);
    assertThat(dead.outcomes).containsOnly(Outcome.CONNECT_FAILURE);
    awaitBalanced();
  }

  /** Every onStart has its onEnd once requests are over (checked after each test's traffic). */
  static void awaitBalanced() throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
    while (System.nanoTime() < deadline && !balanced()) {
      Thread.sleep(10);
    }
    for (var e : CountingProvider.COUNTS.entrySet()) {
      assertThat(e.getValue().ends.get())
          .as("onEnd calls of %s", e.getKey())
          .isEqualTo(e.getValue().starts.get());
    }
  }

  static boolean balanced() {
    for (CountingProvider.Counts c : CountingProvider.COUNTS.values()) {
      if (c.starts.get() != c.ends.get()) {
        return false;
      }
    }
    return true;
  }

  @Test
  void accountsForTimeoutsAndSuccessesExactlyOnce() throws Exception {
    CountingProvider.Counts c =
        CountingProvider.COUNTS.computeIfAbsent(
            Endpoint.parse(live.address()), k -> new CountingProvider.Counts());
    assertThat(send(HttpRequest.newBuilder(uri("/services/app/slow?ms=2500"))).statusCode())
        .isEqualTo(504);
    assertThat(send(HttpRequest.newBuilder(uri("/services/app/ok"))).statusCode()).isEqualTo(200);
    awaitBalanced();
    assertThat(c.outcomes).contains(Outcome.TIMEOUT, Outcome.SUCCESS);
  }

  @Test
  void healthAnswersGetAndHeadOnly() throws Exception {
    assertThat(send(HttpRequest.newBuilder(uri("/health"))).statusCode()).isEqualTo(200);
    assertThat(
            send(HttpRequest.newBuilder(uri("/health"))
                    .method("HEAD", HttpRequest.BodyPublishers.noBody()))
                .statusCode())
        .isEqualTo(200);
    HttpResponse<String> post =
        send(HttpRequest.newBuilder(uri("/health")).POST(HttpRequest.BodyPublishers.noBody()));
    assertThat(post.statusCode()).isEqualTo(405);
    assertThat(post.headers().firstValue("Allow")).hasValue("GET, HEAD");
  }

  @Test
  void aFloodOfUnknownNamesDoesNotLockOutNewServices() throws Exception {
    for (int i = 0; i < 300; i++) {
      assertThat(send(HttpRequest.newBuilder(uri("/services/random-" + i + "/"))).statusCode())
          .isEqualTo(502);
    }
    assertThat(handler.servicesInUse()).isLessThanOrEqualTo(100);
    discovery.set("fresh", List.of(Endpoint.parse(live.address())));
    assertThat(send(HttpRequest.newBuilder(uri("/services/fresh/"))).statusCode()).isEqualTo(200);
    assertThat(send(HttpRequest.newBuilder(uri("/services/app/"))).statusCode()).isEqualTo(200);
  }

  @Test
  void aFirstRequestWaitsForSlowDiscoveryWithoutBlockingOthers() throws Exception {
    ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor();
    AbstractDiscovery slowDiscovery =
        new AbstractDiscovery(scheduler) {
          @Override
          protected void doWatch(String service) {
            if (service.equals("never")) {
              return; // never answers
            }
            scheduler.schedule(
                () -> publish(EndpointSet.of(service, 0, List.of(Endpoint.parse(live.address())))),
                400,
                TimeUnit.MILLISECONDS);
          }
        };
    try (RouterHandler slowHandler =
            RouterHandler.builder()
                .discovery(slowDiscovery)
                .discoveryTimeout(Duration.ofMillis(800))
                .build();
        RouterServer slowServer =
            RouterServer.builder(slowHandler).host("127.0.0.1").port(0).ioThreads(1).start()) {
      String base = "http://127.0.0.1:" + slowServer.port();
      var first =
          client.sendAsync(
              HttpRequest.newBuilder(URI.create(base + "/services/later/x")).build(),
              HttpResponse.BodyHandlers.ofString());
      // With one IO thread, this answers while the first request waits: nothing blocks it.
      long t0 = System.nanoTime();
      assertThat(
              client
                  .send(
                      HttpRequest.newBuilder(URI.create(base + "/health")).build(),
                      HttpResponse.BodyHandlers.ofString())
                  .statusCode())
          .isEqualTo(200);
      assertThat((System.nanoTime() - t0) / 1_000_000).isLessThan(350);
      assertThat(first.get(10, TimeUnit.SECONDS).statusCode()).isEqualTo(200);

      HttpResponse<String> never =
          client.send(
              HttpRequest.newBuilder(URI.create(base + "/services/never/x")).build(),
              HttpResponse.BodyHandlers.ofString());
      assertThat(never.statusCode()).isEqualTo(503);
      assertThat(never.body()).contains("discovery timed out");
    } finally {
      slowDiscovery.close();
      scheduler.shutdownNow();
    }
  }

  @Test
  void aConnectThatHangsTimesOutWith504() throws Exception {
    // A listener whose accept queue is full and never drained: further SYNs are dropped, so a
    // connect neither succeeds nor fails until the router's connect timeout.
    try (ServerSocket full = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      List<Socket> fillers = new java.util.ArrayList<>();
      try {
        for (int i = 0; i < 4; i++) {
          Socket f = new Socket();
          try {
            f.connect(new InetSocketAddress("127.0.0.1", full.getLocalPort()), 200);
            fillers.add(f);
          } catch (java.io.IOException e) {
            f.close();
            break; // the queue is full
          }
        }
        TestDiscovery hole =
            new TestDiscovery().set("hole", List.of(Endpoint.of("127.0.0.1", full.getLocalPort())));
        try (RouterHandler h =
                RouterHandler.builder()
                    .discovery(hole)
                    .connectTimeout(Duration.ofMillis(400))
                    .retries(0)
                    .build();
            RouterServer s = RouterServer.builder(h).host("127.0.0.1").port(0).start()) {
          long t0 = System.nanoTime();
          HttpResponse<String> r =
              send(
                  HttpRequest.newBuilder(
                      URI.create("http://127.0.0.1:" + s.port() + "/services/hole/x")));
          long ms = (System.nanoTime() - t0) / 1_000_000;
          assertThat(r.statusCode()).isEqualTo(504);
          assertThat(r.body()).contains("upstream connect timed out");
          assertThat(ms).isBetween(350L, 3000L);
        } finally {
          hole.close();
        }
      } finally {
        for (Socket f : fillers) {
          f.close();
        }
      }
    }
  }
}
