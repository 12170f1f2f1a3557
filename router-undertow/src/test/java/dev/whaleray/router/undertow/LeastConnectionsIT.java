package dev.whaleray.router.undertow;

import static org.assertj.core.api.Assertions.assertThat;

import dev.whaleray.loadbalancing.LeastConnectionsProvider;
import dev.whaleray.loadbalancing.RoundRobinProvider;
import dev.whaleray.router.Endpoint;
import dev.whaleray.router.lb.LoadBalancerProvider;
import dev.whaleray.router.undertow.testing.TestBackend;
import dev.whaleray.router.undertow.testing.TestDiscovery;
import io.undertow.Undertow;
import io.undertow.util.HttpString;
import io.undertow.util.SameThreadExecutor;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Least-connections with real backends: one answers at once, the other after {@value #SLOW_MS} ms.
 * The same closed-loop load (16 clients) through round-robin and then least-connections:
 * round-robin sends the slow backend half of the requests whatever its latency; least-connections
 * sees the slow backend's requests pile up in flight and sends it only a small share.
 */
class LeastConnectionsIT {
  static final int CLIENTS = 16;
  static final int REQUESTS_PER_CLIENT = 40;
  static final long SLOW_MS = 50;

  /** Each run stops early (and the test then fails on the counts) if it takes longer than this. */
  static final Duration RUN_LIMIT = Duration.ofSeconds(10);

  static TestBackend fast;
  static Undertow slow;
  static final AtomicInteger slowRequests = new AtomicInteger();
  static TestDiscovery discovery;

  @BeforeAll
  static void start() {
    fast = TestBackend.start("fast");
    // Answers every request after SLOW_MS without holding a thread: an XNIO timer on the IO
    // thread sends the response.
    slow =
        Undertow.builder()
            .addHttpListener(0, "127.0.0.1")
            .setIoThreads(1)
            .setHandler(
                exchange -> {
                  slowRequests.incrementAndGet();
                  exchange.dispatch(
                      SameThreadExecutor.INSTANCE,
                      () ->
                          exchange
                              .getIoThread()
                              .executeAfter(
                                  () -> {
                                    exchange
                                        .getResponseHeaders()
                                        .put(new HttpString("X-Backend"), "slow");
                                    exchange.getResponseSender().send("slow");
                                  },
                                  SLOW_MS,
                                  TimeUnit.MILLISECONDS));
                })
            .build();
    slow.start();
    int slowPort = ((InetSocketAddress) slow.getListenerInfo().get(0).getAddress()).getPort();
    discovery =
        new TestDiscovery()
            .set("x", List.of(Endpoint.parse(fast.address()), Endpoint.of("127.0.0.1", slowPort)));
  }

  @AfterAll
  static void stop() {
    discovery.close();
    fast.close();
    slow.stop();
  }

  @Test
  void leastConnectionsSendsTheSlowBackendFarFewerRequestsThanRoundRobin() throws Exception {
    Map<String, Integer> roundRobin = load(new RoundRobinProvider());
    Map<String, Integer> leastConnections = load(new LeastConnectionsProvider());
    int total = CLIENTS * REQUESTS_PER_CLIENT;
    double rrSlowShare = roundRobin.getOrDefault("slow", 0) / (double) total;
    double lcSlowShare = leastConnections.getOrDefault("slow", 0) / (double) total;
    System.out.printf(
        "%d clients x %d requests, slow backend %d ms: round-robin %s (slow share %.3f),"
            + " least-connections %s (slow share %.3f)%n",
        CLIENTS,
        REQUESTS_PER_CLIENT,
        SLOW_MS,
        roundRobin,
        rrSlowShare,
        leastConnections,
        lcSlowShare);

    // Every request answered by one of the two backends, in both runs.
    assertThat(roundRobin.getOrDefault("fast", 0) + roundRobin.getOrDefault("slow", 0))
        .isEqualTo(total);
    assertThat(leastConnections.getOrDefault("fast", 0) + leastConnections.getOrDefault("slow", 0))
        .isEqualTo(total);
    // Round-robin alternates: half each, whatever the latency (one pick per request).
    assertThat(rrSlowShare).isBetween(0.45, 0.55);
    // Least-connections: with 16 clients the slow backend holds about as many requests in flight
    // as the fast one, but each for 50 ms instead of about 1 ms, so it gets a few percent of the
    // requests. Less than half of round-robin's share is a wide margin for a loaded machine.
    assertThat(lcSlowShare).isLessThan(rrSlowShare / 2);
    assertThat(slowRequests.get())
        .isEqualTo(roundRobin.get("slow") + leastConnections.getOrDefault("slow", 0));
  }

  /** Runs the load through a router with {@code policy}; answers per X-Backend value. */
  private static Map<String, Integer> load(LoadBalancerProvider policy) throws Exception {
    try (RouterHandler handler =
            RouterHandler.builder()
                .discovery(discovery)
                .loadBalancer(policy)
                .responseTimeout(Duration.ofSeconds(5))
                .build();
        RouterServer server =
            RouterServer.builder(handler).host("127.0.0.1").port(0).ioThreads(2).start()) {
      URI uri = URI.create("http://127.0.0.1:" + server.port() + "/services/x/work");
      Map<String, AtomicInteger> byBackend = new ConcurrentHashMap<>();
      long deadline = System.nanoTime() + RUN_LIMIT.toNanos();
      ExecutorService pool = Executors.newFixedThreadPool(CLIENTS);
      CountDownLatch go = new CountDownLatch(1);
      try {
        List<Future<?>> clients = new ArrayList<>();
        for (int c = 0; c < CLIENTS; c++) {
          clients.add(
              pool.submit(
                  () -> {
                    // One client, so one keep-alive connection, per thread.
                    HttpClient client =
                        HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
                    go.await();
                    for (int i = 0; i < REQUESTS_PER_CLIENT && System.nanoTime() < deadline; i++) {
                      String backend;
                      try {
                        HttpResponse<String> r =
                            client.send(
                                HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(5)).build(),
                                HttpResponse.BodyHandlers.ofString());
                        backend =
                            r.statusCode() == 200
                                ? r.headers().firstValue("X-Backend").orElse("none")
                                : "status " + r.statusCode();
                      } catch (java.io.IOException e) {
                        backend = e.getClass().getSimpleName(); // counted, fails the assertions
                      }
                      byBackend
                          .computeIfAbsent(backend, k -> new AtomicInteger())
                          .incrementAndGet();
                    }
                    return null;
                  }));
        }
        go.countDown();
        for (Future<?> f : clients) {
          f.get(30, TimeUnit.SECONDS);
        }
      } finally {
        pool.shutdownNow();
      }
      Map<String, Integer> counts = new java.util.TreeMap<>();
      byBackend.forEach((k, v) -> counts.put(k, v.get()));
      return counts;
    }
  }
}
