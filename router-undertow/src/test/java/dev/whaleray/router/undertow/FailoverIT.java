package dev.whaleray.router.undertow;

import static org.assertj.core.api.Assertions.assertThat;

import dev.whaleray.loadbalancing.ConsistentHashProvider;
import dev.whaleray.loadbalancing.LeastConnectionsProvider;
import dev.whaleray.loadbalancing.RoundRobinProvider;
import dev.whaleray.router.Endpoint;
import dev.whaleray.router.lb.LbContext;
import dev.whaleray.router.lb.LoadBalancerProvider;
import dev.whaleray.router.undertow.testing.BackendProcess;
import dev.whaleray.router.undertow.testing.TestBackend;
import dev.whaleray.router.undertow.testing.TestDiscovery;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * A task that refuses connections or dies costs clients nothing: three backends, 32 concurrent
 * keep-alive clients, one retry (the default) that goes to an endpoint not tried yet, for each of
 * round-robin, least-connections and consistent-hash (keyed on a header with 1,000 values). Before
 * retries remembered what they tried, the same runs failed 10 % (round-robin) to 37 %
 * (least-connections) of the requests.
 */
class FailoverIT {
  static final int CLIENTS = 32;

  static TestBackend a;
  static TestBackend b;

  @BeforeAll
  static void start() {
    a = TestBackend.start("a");
    b = TestBackend.start("b");
  }

  @AfterAll
  static void stop() {
    a.close();
    b.close();
  }

  static Stream<Arguments> policies() {
    return Stream.of(
        Arguments.of("round-robin", new RoundRobinProvider()),
        Arguments.of("least-connections", new LeastConnectionsProvider()),
        Arguments.of("consistent-hash", new ConsistentHashProvider()));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("policies")
  void oneOfThreeRefusingConnectionsCostsNoRequest(String name, LoadBalancerProvider policy)
      throws Exception {
    int refusing = freePort(); // bound and closed: connections to it are refused
    TestDiscovery discovery = discovery(Endpoint.of("127.0.0.1", refusing));
    try (RouterHandler handler = router(discovery, policy);
        RouterServer server = serve(handler)) {
      Tally tally = new Tally();
      load(tally, server.port(), Duration.ofSeconds(3), () -> {});
      System.out.printf("refusing, %s: %s%n", name, tally);
      assertThat(tally.errors()).as(tally.toString()).isZero();
      assertThat(tally.ok.get()).isGreaterThan(CLIENTS * 10);
      assertThat(tally.byBackend.keySet()).containsOnly("a", "b");
    } finally {
      discovery.close();
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("policies")
  void aBackendKilledUnderLoadAndBackFiveSecondsLaterCostsNoRequest(
      String name, LoadBalancerProvider policy) throws Exception {
    BackendProcess c = BackendProcess.start("c", 0);
    int port = c.port();
    BackendProcess[] restarted = new BackendProcess[1];
    TestDiscovery discovery = discovery(Endpoint.of("127.0.0.1", port));
    try (RouterHandler handler = router(discovery, policy);
        RouterServer server = serve(handler)) {
      AtomicLong killedAt = new AtomicLong();
      Tally tally = new Tally();
      load(
          tally,
          server.port(),
          Duration.ofSeconds(30), // a bound: the script ends the run 3 s after the restart
          new Runnable() {
            final long start = System.nanoTime();

            @Override
            public void run() {
              long elapsed = System.nanoTime() - start;
              try {
                if (killedAt.get() == 0 && elapsed > TimeUnit.SECONDS.toNanos(2)) {
                  killedAt.set(System.nanoTime());
                  c.kill(); // SIGKILL mid-run
                } else if (restarted[0] == null
                    && killedAt.get() != 0
                    && System.nanoTime() - killedAt.get() > TimeUnit.SECONDS.toNanos(5)) {
                  restarted[0] = BackendProcess.start("c", port);
                  tally.mark(); // from here on, count what the restarted backend answers
                  tally.stopIn(Duration.ofSeconds(3)); // and run on long enough to see it
                }
              } catch (Exception e) {
                throw new IllegalStateException(e);
              }
            }
          });
      System.out.printf("killed for 5 s, %s: %s%n", name, tally);
      assertThat(killedAt.get()).isNotZero();
      assertThat(restarted[0]).as("restarted").isNotNull();
      assertThat(tally.errors()).as(tally.toString()).isZero();
      assertThat(tally.byBackend.keySet()).contains("a", "b", "c");
      assertThat(tally.afterMark.getOrDefault("c", new AtomicInteger()).get())
          .as("requests the restarted backend answered")
          .isPositive();
    } finally {
      discovery.close();
      c.close();
      if (restarted[0] != null) {
        restarted[0].close();
      }
    }
  }

  @Test
  void withTheDefaultsARefusingAndAKilledBackendCostNoRequestEither() throws Exception {
    // Ejection on, retry budget 20 %: the failing backend leaves the picks after five failures.
    int refusing = freePort();
    BackendProcess c = BackendProcess.start("c", 0);
    TestDiscovery discovery =
        new TestDiscovery()
            .set(
                "x",
                List.of(
                    Endpoint.parse(a.address()),
                    Endpoint.of("127.0.0.1", refusing),
                    Endpoint.of("127.0.0.1", c.port())));
    try (RouterHandler handler =
            RouterHandler.builder()
                .discovery(discovery)
                .loadBalancer(new RoundRobinProvider())
                .build();
        RouterServer server = serve(handler)) {
      Tally tally = new Tally();
      load(
          tally,
          server.port(),
          Duration.ofSeconds(4),
          new Runnable() {
            final long start = System.nanoTime();
            boolean killed;

            @Override
            public void run() {
              if (!killed && System.nanoTime() - start > TimeUnit.SECONDS.toNanos(1)) {
                killed = true;
                try {
                  c.kill();
                } catch (InterruptedException e) {
                  Thread.currentThread().interrupt();
                }
              }
            }
          });
      System.out.printf("defaults, one refusing and one killed: %s%n", tally);
      assertThat(tally.errors()).as(tally.toString()).isZero();
      assertThat(tally.byBackend.keySet()).contains("a");
    } finally {
      discovery.close();
      c.close();
    }
  }

  /**
   * Zone-aware routing with one task per zone, the usual spread of a small ECS service: the local
   * zone's only task refuses connections. The one default retry goes to another zone (it had
   * nowhere to go: the local picker had tried its only endpoint, and every request failed until
   * outlier ejection took that task out of the picks).
   */
  @Test
  void theLocalZonesOnlyTaskRefusingCostsNoRequest() throws Exception {
    int refusing = freePort();
    TestDiscovery discovery =
        new TestDiscovery()
            .set(
                "x",
                List.of(
                    Endpoint.builder("127.0.0.1", refusing).zone("us-east-1a").build(),
                    Endpoint.builder("127.0.0.1", port(a)).zone("us-east-1b").build(),
                    Endpoint.builder("127.0.0.1", port(b)).zone("us-east-1c").build()));
    try (RouterHandler handler =
            RouterHandler.builder()
                .discovery(discovery)
                .loadBalancerContext(LbContext.of("x").withZone("us-east-1a"))
                .build();
        RouterServer server = serve(handler)) {
      Tally tally = new Tally();
      load(tally, server.port(), Duration.ofSeconds(2), () -> {});
      System.out.printf("zone-aware, the local zone's only task refusing: %s%n", tally);
      assertThat(tally.errors()).as(tally.toString()).isZero();
      assertThat(tally.ok.get()).isGreaterThan(CLIENTS * 10);
      assertThat(tally.byBackend.keySet()).containsOnly("a", "b");
    } finally {
      discovery.close();
    }
  }

  private static int port(TestBackend backend) {
    return Endpoint.parse(backend.address()).port();
  }

  private static TestDiscovery discovery(Endpoint third) {
    return new TestDiscovery()
        .set("x", List.of(Endpoint.parse(a.address()), Endpoint.parse(b.address()), third));
  }

  private static RouterHandler router(TestDiscovery discovery, LoadBalancerProvider policy) {
    return RouterHandler.builder()
        .discovery(discovery)
        .loadBalancer(policy)
        .loadBalancerContext(
            LbContext.of("x").withOptions(Map.of("hashKey", "header:X-User", "slowStart", "0s")))
        // Retries alone, as issue 10 measured them: outlier ejection (OutlierIT) would take the
        // failing backend out of the picks after five failures and hide what retries do.
        .outlierDetection(dev.whaleray.router.core.OutlierDetection.off())
        // Nor the retry budget: without ejection a third of the requests need a retry, more than
        // the default budget of 20 %; with the defaults, ejection keeps retries rare (below).
        .retryBudgetPercent(100)
        .connectTimeout(Duration.ofSeconds(2))
        .responseTimeout(Duration.ofSeconds(5))
        .build();
  }

  private static RouterServer serve(RouterHandler handler) {
    return RouterServer.builder(handler).host("127.0.0.1").port(0).ioThreads(2).start();
  }

  static int freePort() throws IOException {
    return dev.whaleray.router.undertow.testing.Ports.free();
  }

  /** What the clients saw. */
  static final class Tally {
    final AtomicInteger ok = new AtomicInteger();
    final Map<Integer, AtomicInteger> badStatus = new ConcurrentHashMap<>();
    final AtomicInteger exceptions = new AtomicInteger();
    final Map<String, AtomicInteger> byBackend = new ConcurrentHashMap<>();
    final Map<String, AtomicInteger> afterMark = new ConcurrentHashMap<>();
    volatile boolean marked;
    volatile long deadline;

    void stopIn(Duration d) {
      deadline = System.nanoTime() + d.toNanos();
    }

    void mark() {
      marked = true;
    }

    void answered(String backend) {
      ok.incrementAndGet();
      byBackend.computeIfAbsent(backend, k -> new AtomicInteger()).incrementAndGet();
      if (marked) {
        afterMark.computeIfAbsent(backend, k -> new AtomicInteger()).incrementAndGet();
      }
    }

    int errors() {
      return exceptions.get() + badStatus.values().stream().mapToInt(AtomicInteger::get).sum();
    }

    @Override
    public String toString() {
      Map<String, Integer> backends = new TreeMap<>();
      byBackend.forEach((k, v) -> backends.put(k, v.get()));
      return (ok.get() + errors())
          + " requests, "
          + ok.get()
          + " ok, "
          + errors()
          + " errors (statuses "
          + badStatus
          + ", exceptions "
          + exceptions
          + "), by backend "
          + backends
          + (marked ? ", after the restart " + afterMark : "");
    }
  }

  /**
   * {@value #CLIENTS} clients, each with its own keep-alive connection, send GETs for {@code
   * duration}; the first client also runs {@code step} between its requests (the fault script).
   */
  private static void load(Tally tally, int port, Duration duration, Runnable step)
      throws Exception {
    URI uri = URI.create("http://127.0.0.1:" + port + "/services/x/work");
    tally.stopIn(duration);
    ExecutorService pool = Executors.newFixedThreadPool(CLIENTS);
    try {
      List<Future<?>> clients = new ArrayList<>();
      for (int i = 0; i < CLIENTS; i++) {
        boolean scripted = i == 0;
        clients.add(
            pool.submit(
                () -> {
                  HttpClient client =
                      HttpClient.newBuilder()
                          .version(HttpClient.Version.HTTP_1_1)
                          .connectTimeout(Duration.ofSeconds(5))
                          .build();
                  while (System.nanoTime() - tally.deadline < 0) {
                    if (scripted) {
                      step.run();
                    }
                    HttpRequest request =
                        HttpRequest.newBuilder(uri)
                            .header("X-User", "user-" + ThreadLocalRandom.current().nextInt(1000))
                            .timeout(Duration.ofSeconds(10))
                            .build();
                    try {
                      HttpResponse<String> r =
                          client.send(request, HttpResponse.BodyHandlers.ofString());
                      if (r.statusCode() == 200) {
                        tally.answered(r.headers().firstValue("X-Backend").orElse("?"));
                      } else {
                        tally
                            .badStatus
                            .computeIfAbsent(r.statusCode(), k -> new AtomicInteger())
                            .incrementAndGet();
                      }
                    } catch (java.io.IOException e) {
                      tally.exceptions.incrementAndGet();
                    }
                  }
                  return null;
                }));
      }
      for (Future<?> f : clients) {
        f.get(duration.toMillis() + 30_000, TimeUnit.MILLISECONDS);
      }
    } finally {
      pool.shutdownNow();
    }
  }
}
