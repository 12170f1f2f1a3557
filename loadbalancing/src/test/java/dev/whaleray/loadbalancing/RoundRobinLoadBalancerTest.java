package dev.whaleray.loadbalancing;

import static org.assertj.core.api.Assertions.assertThat;

import dev.whaleray.router.Endpoint;
import dev.whaleray.router.EndpointSet;
import dev.whaleray.router.RequestView;
import dev.whaleray.router.lb.LbContext;
import dev.whaleray.router.lb.Outcome;
import dev.whaleray.router.lb.Picker;
import dev.whaleray.router.lb.Upstream;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class RoundRobinLoadBalancerTest {
  private static final RequestView REQUEST = RequestView.of("GET", "h", "/");
  private static final Endpoint A = Endpoint.of("10.0.0.1", 8080);
  private static final Endpoint B = Endpoint.of("10.0.0.2", 8080);
  private static final Endpoint C = Endpoint.of("10.0.0.3", 8080);
  private static final Endpoint D = Endpoint.of("10.0.0.4", 8080);

  private static EndpointSet set(Endpoint... endpoints) {
    return EndpointSet.of("svc", 1, List.of(endpoints));
  }

  private static List<Endpoint> pick(Picker picker, int n) {
    List<Endpoint> picked = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      Upstream u = picker.pick(REQUEST);
      assertThat(u).as("pick %d", i).isNotNull();
      picked.add(u.endpoint());
    }
    return picked;
  }

  @Test
  void picksInSnapshotOrder() {
    Picker picker = new RoundRobinLoadBalancer(0).update(set(C, A, B));

    assertThat(pick(picker, 7)).containsExactly(A, B, C, A, B, C, A);
  }

  @Test
  void factoryAndProviderBuildARoundRobin() {
    Picker fromFactory = LoadBalancers.roundRobin(LbContext.of("svc")).update(set(A, B, C));
    Picker fromProvider =
        new RoundRobinProvider().newLoadBalancer(LbContext.of("svc")).update(set(A, B, C));

    assertThat(pick(fromFactory, 6)).containsExactly(A, B, C, A, B, C);
    assertThat(pick(fromProvider, 6)).containsExactly(A, B, C, A, B, C);
  }

  @Test
  void counterWrapKeepsPickingValidIndexes() {
    // Seeded 3 picks before Integer.MAX_VALUE: a plain `x % n` would go negative and throw.
    // With n = 3 the masked counter restarts at 0 after MAX_VALUE (2^31 is not a multiple of 3),
    // so the wrap costs one out-of-turn pick: MAX-2 % 3 = 2 (C), MAX-1 -> 0 (A), MAX -> 1 (B),
    // then 0 (A), 1 (B), 2 (C), ...
    Picker three = new RoundRobinLoadBalancer(Integer.MAX_VALUE - 2).update(set(A, B, C));
    assertThat(pick(three, 9)).containsExactly(C, A, B, A, B, C, A, B, C);

    // With a power of two the order is unbroken across the wrap.
    Picker four = new RoundRobinLoadBalancer(Integer.MAX_VALUE - 2).update(set(A, B, C, D));
    assertThat(pick(four, 8)).containsExactly(B, C, D, A, B, C, D, A);
  }

  @Test
  void counterKeepsWorkingLongAfterTheWrap() {
    Picker picker = new RoundRobinLoadBalancer(Integer.MIN_VALUE + 5).update(set(A, B));

    // (MIN+5) & MAX = 5 -> index 1.
    assertThat(pick(picker, 4)).containsExactly(B, A, B, A);
  }

  @Test
  void zeroWeightEndpointsAreSkipped() {
    Picker picker = new RoundRobinLoadBalancer(0).update(set(A.withWeight(0), B, C.withWeight(5)));

    assertThat(pick(picker, 4)).containsExactly(B, C.withWeight(5), B, C.withWeight(5));
  }

  @Test
  void allZeroWeightEndpointsAreAllUsed() {
    Picker picker = new RoundRobinLoadBalancer(0).update(set(A.withWeight(0), B.withWeight(0)));

    assertThat(pick(picker, 4))
        .containsExactly(A.withWeight(0), B.withWeight(0), A.withWeight(0), B.withWeight(0));
  }

  @Test
  void emptyOrUnknownSetPicksNothing() {
    RoundRobinLoadBalancer lb = new RoundRobinLoadBalancer(0);

    assertThat(lb.update(set()).pick(REQUEST)).isNull();
    assertThat(lb.update(EndpointSet.unknown("svc", 2)).pick(REQUEST)).isNull();
    // And recovers when endpoints come back.
    assertThat(pick(lb.update(set(A)), 2)).containsExactly(A, A);
  }

  @Test
  void upstreamsAndTheirCountersSurviveUpdatesForEndpointsThatStay() {
    RoundRobinLoadBalancer lb = new RoundRobinLoadBalancer(0);
    Picker first = lb.update(set(A, B));
    Upstream a = first.pick(REQUEST);
    Upstream b = first.pick(REQUEST);
    a.onStart();
    a.onStart();
    b.onStart();
    assertThat(a.endpoint()).isEqualTo(A);
    assertThat(a.inFlight()).isEqualTo(2);

    Picker second = lb.update(set(A, C));
    Map<Endpoint, Upstream> byEndpoint = new HashMap<>();
    for (int i = 0; i < 4; i++) {
      Upstream u = second.pick(REQUEST);
      byEndpoint.put(u.endpoint(), u);
    }

    assertThat(byEndpoint).containsOnlyKeys(A, C);
    assertThat(byEndpoint.get(A)).isSameAs(a);
    assertThat(byEndpoint.get(A).inFlight()).isEqualTo(2);
    assertThat(byEndpoint.get(C).inFlight()).isZero();
    // A request started before the update ends on the upstream it started on.
    a.onEnd(Outcome.SUCCESS, 200, 0);
    assertThat(byEndpoint.get(A).inFlight()).isEqualTo(1);

    // An endpoint that left and came back starts afresh.
    Picker third = lb.update(set(A, B));
    Upstream newB = null;
    for (int i = 0; i < 2; i++) {
      Upstream u = third.pick(REQUEST);
      if (u.endpoint().equals(B)) {
        newB = u;
      }
    }
    assertThat(newB).isNotNull().isNotSameAs(b);
    assertThat(newB.inFlight()).isZero();
  }

  @Test
  void aWeightChangeKeepsTheUpstreamAndItsInFlightCount() {
    RoundRobinLoadBalancer lb = new RoundRobinLoadBalancer(0);
    Upstream a = lb.update(set(A)).pick(REQUEST);
    a.onStart();

    Upstream heavier = lb.update(set(A.withWeight(3))).pick(REQUEST);

    // Same address: the requests in flight still count (least-connections must not see it idle).
    assertThat(heavier.endpoint()).isEqualTo(A.withWeight(3));
    assertThat(heavier).isSameAs(a);
    assertThat(heavier.inFlight()).isEqualTo(1);
  }

  @Test
  void sequenceContinuesAcrossUpdates() {
    RoundRobinLoadBalancer lb = new RoundRobinLoadBalancer(0);
    assertThat(pick(lb.update(set(A, B, C)), 1)).containsExactly(A);

    // The next pick does not go back to the first endpoint.
    assertThat(pick(lb.update(set(A, B, C, D)), 3)).containsExactly(B, C, D);
  }

  @Test
  void concurrentPicksAreSpreadExactlyEvenly() throws Exception {
    int threads = 2;
    int picksPerThread = 100_000;
    Picker picker = new RoundRobinLoadBalancer(0).update(set(A, B, C, D));
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    try {
      CountDownLatch start = new CountDownLatch(1);
      List<Future<Map<Endpoint, Integer>>> results = new ArrayList<>();
      for (int t = 0; t < threads; t++) {
        results.add(
            pool.submit(
                () -> {
                  Map<Endpoint, Integer> counts = new HashMap<>();
                  start.await();
                  for (int i = 0; i < picksPerThread; i++) {
                    counts.merge(picker.pick(REQUEST).endpoint(), 1, Integer::sum);
                  }
                  return counts;
                }));
      }
      start.countDown();
      Map<Endpoint, Integer> total = new HashMap<>();
      for (Future<Map<Endpoint, Integer>> f : results) {
        f.get(30, TimeUnit.SECONDS).forEach((e, n) -> total.merge(e, n, Integer::sum));
      }

      // Every counter value goes to exactly one pick, so 200,000 picks over 4 endpoints give
      // exactly 50,000 each, however the two threads interleave.
      assertThat(total).containsOnlyKeys(A, B, C, D);
      assertThat(total.values()).containsOnly(threads * picksPerThread / 4);
    } finally {
      pool.shutdownNow();
    }
  }
}
