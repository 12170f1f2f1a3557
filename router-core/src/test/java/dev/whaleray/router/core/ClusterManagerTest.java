package dev.whaleray.router.core;

import static org.assertj.core.api.Assertions.assertThat;

import dev.whaleray.router.Endpoint;
import dev.whaleray.router.EndpointSet;
import dev.whaleray.router.RequestView;
import dev.whaleray.router.discovery.AbstractDiscovery;
import dev.whaleray.router.lb.LbContext;
import dev.whaleray.router.lb.LoadBalancer;
import dev.whaleray.router.lb.LoadBalancerProvider;
import dev.whaleray.router.lb.Outcome;
import dev.whaleray.router.lb.PickResult;
import dev.whaleray.router.lb.Picker;
import dev.whaleray.router.lb.Tried;
import dev.whaleray.router.lb.Upstream;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class ClusterManagerTest {
  static final RequestView REQUEST = RequestView.of("GET", "h", "/");
  static final Endpoint A = Endpoint.of("10.0.0.1", 8080);
  static final Endpoint B = Endpoint.of("10.0.0.2", 8080);

  /** Publishes what the test sets, synchronously on the caller's thread. */
  static final class ManualDiscovery extends AbstractDiscovery {
    final Map<String, List<Endpoint>> services = new ConcurrentHashMap<>();

    ManualDiscovery() {
      super(Runnable::run);
    }

    void set(String service, List<Endpoint> endpoints) {
      services.put(service, endpoints);
      publish(EndpointSet.of(service, 0, endpoints));
    }

    @Override
    protected void doWatch(String service) {
      List<Endpoint> e = services.get(service);
      publish(e == null ? EndpointSet.unknown(service, 0) : EndpointSet.of(service, 0, e));
    }
  }

  /** A policy whose load balancer the test can reach: records results, publishes on demand. */
  static final class Spy implements LoadBalancerProvider {
    final AtomicReference<LbContext> context = new AtomicReference<>();
    final List<String> results = new CopyOnWriteArrayList<>();

    @Override
    public String name() {
      return "spy";
    }

    @Override
    public LoadBalancer newLoadBalancer(LbContext ctx) {
      context.set(ctx);
      return endpoints ->
          picker(endpoints.endpoints().isEmpty() ? null : endpoints.endpoints().get(0));
    }

    Picker picker(Endpoint e) {
      if (e == null) {
        return (request, tried) -> PickResult.none();
      }
      PickResult r = PickResult.of(upstream(e));
      return (request, tried) -> r; // ignores Tried, as a naive plugin would
    }

    Upstream upstream(Endpoint e) {
      return new Upstream() {
        @Override
        public Endpoint endpoint() {
          return e;
        }

        @Override
        public void onStart() {
          results.add("start " + e.authority());
        }

        @Override
        public void onEnd(Outcome outcome, int status, long latencyNanos) {
          results.add(outcome + " " + status + " " + latencyNanos + " " + e.authority());
        }

        @Override
        public int inFlight() {
          return 0;
        }
      };
    }
  }

  final ManualDiscovery discovery = new ManualDiscovery();
  final Spy spy = new Spy();
  ClusterManager manager =
      ClusterManager.builder(discovery)
          .loadBalancer(spy)
          .lbTemplate(LbContext.of("t").withOptions(Map.of("slowStart", "0s")))
          .build();

  /** One attempt made before, at an upstream {@code tried} accepts; it reached a backend. */
  static Tried triedOnce(java.util.function.Predicate<Upstream> tried) {
    return new Tried() {
      @Override
      public int count() {
        return 1;
      }

      @Override
      public boolean contains(Upstream u) {
        return tried.test(u);
      }
    };
  }

  @AfterEach
  void close() {
    manager.close();
    discovery.close();
  }

  @Test
  void aSnapshotPairsTheEndpointsWithTheirPicker() throws Exception {
    discovery.set("svc", List.of(A));
    Cluster c = manager.get("svc", null);
    assertThat(c.ready().get(5, TimeUnit.SECONDS).endpoints()).containsExactly(A);
    ClusterSnapshot s = c.snapshot();
    assertThat(s.endpoints().endpoints()).containsExactly(A);
    assertThat(c.pick(REQUEST, Tried.NONE).upstream().endpoint()).isEqualTo(A);
    assertThat(manager.get("svc", null)).isSameAs(c);

    discovery.set("svc", List.of(B));
    assertThat(c.snapshot()).isNotSameAs(s);
    assertThat(c.pick(REQUEST, Tried.NONE).upstream().endpoint()).isEqualTo(B);
    assertThat(manager.authoritiesInUse()).containsExactly(B.authority());
  }

  @Test
  void aLoadBalancerPublishesAPickerBetweenUpdates() throws Exception {
    discovery.set("svc", List.of(A, B));
    Cluster c = manager.get("svc", null);
    c.ready().get(5, TimeUnit.SECONDS);
    assertThat(c.pick(REQUEST, Tried.NONE).upstream().endpoint()).isEqualTo(A);

    spy.context.get().publish(spy.picker(B)); // e.g. A ejected
    assertThat(c.pick(REQUEST, Tried.NONE).upstream().endpoint()).isEqualTo(B);
    assertThat(c.snapshot().endpoints().endpoints()).containsExactly(A, B); // endpoints kept

    discovery.set("svc", List.of(A)); // the next update wins again
    assertThat(c.pick(REQUEST, Tried.NONE).upstream().endpoint()).isEqualTo(A);
  }

  @Test
  void aRetryNeverGetsBackAnUpstreamItTriedEvenFromAPolicyThatIgnoresTried() throws Exception {
    discovery.set("svc", List.of(A));
    Cluster c = manager.get("svc", null);
    c.ready().get(5, TimeUnit.SECONDS);
    Upstream first = c.pick(REQUEST, Tried.NONE).upstream();
    Tried triedA = triedOnce(u -> u.endpoint().equals(A));
    assertThat(first).isNotNull();
    PickResult retry = c.pick(REQUEST, triedA);
    assertThat(retry.upstream()).isNull();
    assertThat(retry.isDrop()).isFalse();
  }

  @Test
  void attemptsReachThePolicyWithStatusAndLatency() throws Exception {
    discovery.set("svc", List.of(A));
    Cluster c = manager.get("svc", null);
    c.ready().get(5, TimeUnit.SECONDS);
    Upstream u = c.pick(REQUEST, Tried.NONE).upstream();
    c.attemptStarted(u);
    c.attemptEnded(u, Outcome.SUCCESS, 503, 1234);
    c.attemptStarted(u);
    c.attemptEnded(u, Outcome.CONNECT_FAILURE, 0, 99);
    assertThat(spy.results)
        .containsExactly(
            "start 10.0.0.1:8080",
            "SUCCESS 503 1234 10.0.0.1:8080",
            "start 10.0.0.1:8080",
            "CONNECT_FAILURE 0 99 10.0.0.1:8080");
  }

  @Test
  void anUnknownServiceIsNegativeAndEvictedSoonerThanIdleOnes() throws Exception {
    manager.close();
    manager =
        ClusterManager.builder(discovery)
            .loadBalancer(spy)
            .idleTimeout(Duration.ofMillis(1))
            .build();
    discovery.set("known", List.of(A));
    Cluster unknown = manager.get("nope", null);
    unknown.ready().get(5, TimeUnit.SECONDS);
    assertThat(unknown.isNegative()).isTrue();
    assertThat(manager.get("known", null).isNegative()).isFalse();
    assertThat(manager.size()).isEqualTo(2);
    Thread.sleep(5);
    manager.evictIdle();
    assertThat(manager.size()).isZero();
    // A new cluster for the same name after eviction.
    assertThat(manager.get("nope", null)).isNotSameAs(unknown);
  }

  @Test
  void aFullManagerDropsUnknownServicesFirst() throws Exception {
    manager.close();
    manager = ClusterManager.builder(discovery).loadBalancer(spy).maxServices(10).build();
    discovery.set("keep", List.of(A));
    Cluster keep = manager.get("keep", null);
    for (int i = 0; i < 30; i++) {
      manager.get("random-" + i, null);
    }
    assertThat(manager.size()).isLessThanOrEqualTo(10);
    assertThat(manager.get("keep", null)).isSameAs(keep);
  }

  private static void await(java.util.function.BooleanSupplier condition, String what)
      throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("timed out waiting for " + what);
      }
      Thread.sleep(5);
    }
  }

  private ClusterManager ejecting(int failures, Duration base, int maxPercent) {
    manager.close();
    return ClusterManager.builder(discovery)
        .loadBalancer(spy)
        .outlierDetection(
            OutlierDetection.defaults()
                .withConsecutiveFailures(failures)
                .withBaseEjection(base)
                .withMaxEjectedPercent(maxPercent))
        .build();
  }

  @Test
  void consecutiveFailuresEjectAnEndpointUntilItsTimeIsUp() throws Exception {
    manager = ejecting(3, Duration.ofMillis(300), 50);
    discovery.set("svc", List.of(A, B));
    Cluster c = manager.get("svc", null);
    c.ready().get(5, TimeUnit.SECONDS);
    Upstream a = c.pick(REQUEST, Tried.NONE).upstream();
    assertThat(a.endpoint()).isEqualTo(A);
    // Two failures, a success (the count starts again), then three 5xx answers in a row.
    c.attemptEnded(a, Outcome.CONNECT_FAILURE, 0, 1);
    c.attemptEnded(a, Outcome.RESET, 0, 1);
    c.attemptEnded(a, Outcome.SUCCESS, 200, 1);
    c.attemptEnded(a, Outcome.SUCCESS, 500, 1);
    c.attemptEnded(a, Outcome.SUCCESS, 503, 1);
    assertThat(c.ejected()).isEmpty();
    long start = System.nanoTime();
    c.attemptEnded(a, Outcome.TIMEOUT, 0, 1);
    await(() -> c.ejected().contains(A.authority()), "the ejection");
    assertThat(c.pick(REQUEST, Tried.NONE).upstream().endpoint()).isEqualTo(B);
    assertThat(c.snapshot().endpoints().endpoints()).containsExactly(A, B); // still discovered
    await(() -> c.ejected().isEmpty(), "the return");
    assertThat(System.nanoTime() - start)
        .isGreaterThanOrEqualTo(TimeUnit.MILLISECONDS.toNanos(250));
    assertThat(c.pick(REQUEST, Tried.NONE).upstream().endpoint()).isEqualTo(A);
  }

  @Test
  void aClientAbortOrA4xxIsNotTheEndpointsFailure() throws Exception {
    manager = ejecting(2, Duration.ofSeconds(30), 50);
    discovery.set("svc", List.of(A, B));
    Cluster c = manager.get("svc", null);
    c.ready().get(5, TimeUnit.SECONDS);
    Upstream a = c.pick(REQUEST, Tried.NONE).upstream();
    for (int i = 0; i < 10; i++) {
      c.attemptEnded(a, Outcome.CLIENT_ABORT, 0, 1);
      c.attemptEnded(a, Outcome.SUCCESS, 404, 1);
    }
    Thread.sleep(50);
    assertThat(c.ejected()).isEmpty();
  }

  @Test
  void neverMoreThanTheCapIsEjected() throws Exception {
    manager = ejecting(1, Duration.ofSeconds(30), 50);
    discovery.set("svc", List.of(A, B));
    Cluster c = manager.get("svc", null);
    c.ready().get(5, TimeUnit.SECONDS);
    Upstream a = c.pick(REQUEST, Tried.NONE).upstream();
    c.attemptEnded(a, Outcome.CONNECT_FAILURE, 0, 1);
    await(() -> c.ejected().contains(A.authority()), "A's ejection");
    Upstream b = c.pick(REQUEST, Tried.NONE).upstream();
    assertThat(b.endpoint()).isEqualTo(B);
    c.attemptEnded(b, Outcome.CONNECT_FAILURE, 0, 1);
    c.attemptEnded(b, Outcome.CONNECT_FAILURE, 0, 1);
    Thread.sleep(100);
    assertThat(c.ejected()).containsExactly(A.authority()); // B stays: 50 % of 2 is one
    assertThat(c.pick(REQUEST, Tried.NONE).upstream().endpoint()).isEqualTo(B);
  }

  @Test
  void anEndpointThatLeavesForgetsItsEjection() throws Exception {
    manager = ejecting(1, Duration.ofSeconds(30), 50);
    discovery.set("svc", List.of(A, B));
    Cluster c = manager.get("svc", null);
    c.ready().get(5, TimeUnit.SECONDS);
    c.attemptEnded(c.pick(REQUEST, Tried.NONE).upstream(), Outcome.CONNECT_FAILURE, 0, 1);
    await(() -> c.ejected().contains(A.authority()), "A's ejection");
    discovery.set("svc", List.of(B));
    discovery.set("svc", List.of(A, B)); // a new task on the same address starts clean
    assertThat(c.ejected()).isEmpty();
    assertThat(c.pick(REQUEST, Tried.NONE).upstream().endpoint()).isEqualTo(A);
  }

  @Test
  void offEjectsNothing() throws Exception {
    manager.close();
    manager =
        ClusterManager.builder(discovery)
            .loadBalancer(spy)
            .outlierDetection(OutlierDetection.off())
            .build();
    discovery.set("svc", List.of(A, B));
    Cluster c = manager.get("svc", null);
    c.ready().get(5, TimeUnit.SECONDS);
    Upstream a = c.pick(REQUEST, Tried.NONE).upstream();
    for (int i = 0; i < 20; i++) {
      c.attemptEnded(a, Outcome.CONNECT_FAILURE, 0, 1);
    }
    Thread.sleep(50);
    assertThat(c.ejected()).isEmpty();
  }

  @Test
  void aServiceFailingAsAWholeOpensItsCircuitThenProbesAndClosesIt() throws Exception {
    manager.close();
    manager =
        ClusterManager.builder(discovery)
            .loadBalancer(spy)
            .outlierDetection(OutlierDetection.off())
            .circuitBreaker(
                CircuitBreaking.defaults()
                    .withFailureRate(50, 4)
                    .withOpenFor(Duration.ofMillis(300)))
            .build();
    discovery.set("svc", List.of(A));
    Cluster c = manager.get("svc", null);
    c.ready().get(5, TimeUnit.SECONDS);
    // Three failures and one success: 75 % of 4, but only a failure looks at the threshold.
    for (int i = 0; i < 3; i++) {
      assertThat(c.pick(REQUEST, Tried.NONE).upstream()).isNotNull();
      c.requestEnded(true);
    }
    assertThat(c.pick(REQUEST, Tried.NONE).upstream()).isNotNull();
    c.requestEnded(false);
    assertThat(c.pick(REQUEST, Tried.NONE).upstream()).as("not looked at on a success").isNotNull();
    c.requestEnded(true); // 4 of 5
    PickResult open = c.pick(REQUEST, Tried.NONE);
    assertThat(open.upstream()).isNull();
    assertThat(open.dropReason()).isEqualTo("circuit open");
    // After openFor, half-open: probes pass, and enough successes close the circuit.
    Thread.sleep(400);
    for (int i = 0; i < 4; i++) {
      assertThat(c.pick(REQUEST, Tried.NONE).upstream()).as("probe " + i).isNotNull();
    }
    assertThat(c.pick(REQUEST, Tried.NONE).upstream()).as("only 4 probes at once").isNull();
    for (int i = 0; i < 4; i++) {
      c.requestEnded(false);
    }
    // Closed, and the failures that opened it are forgotten: one more does not reopen it.
    assertThat(c.pick(REQUEST, Tried.NONE).upstream()).isNotNull();
    c.requestEnded(true);
    assertThat(c.pick(REQUEST, Tried.NONE).upstream()).isNotNull();
  }

  /**
   * The control thread shares the task's CPU with the IO threads: a timer that wakes it ten times a
   * second preempts the IO thread as often, and each preemption delays every request in flight.
   * With a circuit breaker, a retry budget and a rate limit, nothing is scheduled to run again
   * sooner than a second from now, and at most one task runs in the next 1.2 s.
   */
  @Test
  void nothingWakesTheControlThreadMoreOftenThanOnceASecond() throws Exception {
    manager.close();
    java.util.concurrent.atomic.AtomicInteger runs =
        new java.util.concurrent.atomic.AtomicInteger();
    java.util.concurrent.ScheduledThreadPoolExecutor control =
        new java.util.concurrent.ScheduledThreadPoolExecutor(1) {
          @Override
          protected void beforeExecute(Thread t, Runnable r) {
            runs.incrementAndGet();
          }
        };
    try {
      manager =
          ClusterManager.builder(discovery)
              .loadBalancer(spy)
              .scheduler(control)
              .retryBudgetPercent(20)
              .circuitBreaker(CircuitBreaking.defaults())
              .rateLimit(RateLimit.of(100, 10))
              .build();
      discovery.set("svc", List.of(A));
      Cluster c = manager.get("svc", null);
      c.ready().get(5, TimeUnit.SECONDS);
      assertThat(c.pick(REQUEST, Tried.NONE).upstream()).isNotNull();
      c.requestEnded(false);
      assertThat(control.getQueue()).isNotEmpty(); // the idle sweeper, at least
      for (Runnable task : control.getQueue()) {
        assertThat(((java.util.concurrent.Delayed) task).getDelay(TimeUnit.MILLISECONDS))
            .as("next run of %s", task)
            .isGreaterThan(900);
      }
      int before = runs.get();
      Thread.sleep(1200);
      assertThat(runs.get() - before)
          .as("runs on the control thread in 1.2 s")
          .isLessThanOrEqualTo(1);
    } finally {
      manager.close();
      control.shutdownNow();
    }
  }

  /**
   * A retry picked without a clock of its own (the two-argument pick, as the HTTP and TCP
   * transports retry) is counted in the current second: requests a minute old are out of the
   * budget's window and leave only its floor. (With the retry's second read as 0, every bucket
   * looked current, and the old requests let 2,100 retries through.)
   */
  @Test
  void aRetryWithoutAClockOfItsOwnIsCountedNowAgainstTheLastTenSeconds() throws Exception {
    manager.close();
    manager = ClusterManager.builder(discovery).loadBalancer(spy).retryBudgetPercent(20).build();
    discovery.set("svc", List.of(A));
    Cluster c = manager.get("svc", null);
    c.ready().get(5, TimeUnit.SECONDS);
    long aMinuteAgo = System.nanoTime() - TimeUnit.SECONDS.toNanos(60);
    for (int i = 0; i < 10_000; i++) {
      assertThat(c.pick(REQUEST, Tried.NONE, aMinuteAgo).upstream()).isNotNull();
    }
    Tried reachedAnother = triedOnce(u -> false);
    int retried = 0;
    while (retried < 5_000 && c.pick(REQUEST, reachedAnother).upstream() != null) {
      retried++;
    }
    assertThat(retried)
        .as("the floor: %d a second over %d s", RetryBudget.FLOOR_PER_SECOND, 10)
        .isEqualTo(RetryBudget.FLOOR_PER_SECOND * RetryBudget.WINDOW_SECONDS);
  }

  @Test
  void aRouteWithAPolicyOfItsOwnSharesTheServicesRateLimit() throws Exception {
    manager.close();
    manager =
        ClusterManager.builder(discovery)
            .loadBalancer(spy)
            .rateLimit(RateLimit.of(0.01, 3)) // a burst of 3, then one per 100 s
            .build();
    discovery.set("svc", List.of(A));
    Cluster plain = manager.get("svc", null);
    Cluster own =
        manager.get(
            "svc",
            dev.whaleray.router.Route.path("/x/**", "svc").withLoadBalancing("random", Map.of()));
    assertThat(own).isNotSameAs(plain);
    plain.ready().get(5, TimeUnit.SECONDS);
    own.ready().get(5, TimeUnit.SECONDS);
    assertThat(plain.pick(REQUEST, Tried.NONE).upstream()).isNotNull();
    assertThat(own.pick(REQUEST, Tried.NONE).upstream()).isNotNull();
    assertThat(plain.pick(REQUEST, Tried.NONE).upstream()).isNotNull();
    PickResult fourth = own.pick(REQUEST, Tried.NONE);
    assertThat(fourth.isRateLimited())
        .as("one burst for the service, not one per cluster")
        .isTrue();
    assertThat(plain.pick(REQUEST, Tried.NONE).isRateLimited()).isTrue();
  }
}
