package dev.whaleray.loadbalancing;

import static dev.whaleray.loadbalancing.Picks.REQUEST;
import static dev.whaleray.loadbalancing.Picks.set;
import static org.assertj.core.api.Assertions.assertThat;

import dev.whaleray.router.Endpoint;
import dev.whaleray.router.EndpointSet;
import dev.whaleray.router.lb.LbContext;
import dev.whaleray.router.lb.Picker;
import dev.whaleray.router.lb.Upstream;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class WeightedRoundRobinLoadBalancerTest {
  private static final Endpoint A = Endpoint.of("10.0.0.1", 8080);
  private static final Endpoint B = Endpoint.of("10.0.0.2", 8080);
  private static final Endpoint C = Endpoint.of("10.0.0.3", 8080);
  private static final Endpoint D = Endpoint.of("10.0.0.4", 8080);

  private static Picker weighted(int... weights) {
    return new WeightedRoundRobinLoadBalancer(0).update(set(withWeights(weights)));
  }

  private static List<Endpoint> withWeights(int... weights) {
    List<Endpoint> list = new ArrayList<>();
    for (int i = 0; i < weights.length; i++) {
      list.add(Endpoint.of("10.0." + (i / 250) + "." + (i % 250 + 1), 8080).withWeight(weights[i]));
    }
    return list;
  }

  @Test
  void nginxSmoothSequenceForWeights511() {
    Endpoint a = A.withWeight(5);
    Endpoint b = B;
    Endpoint c = C;
    Picker picker = new WeightedRoundRobinLoadBalancer(0).update(set(a, b, c));

    // nginx's documented example: { a, a, b, a, c, a, a }, then again.
    assertThat(Picks.pick(picker, 14)).containsExactly(a, a, b, a, c, a, a, a, a, b, a, c, a, a);
    assertThat(picker).isInstanceOf(WeightedRoundRobinLoadBalancer.SchedulePicker.class);
  }

  @Test
  void moreExactSequences() {
    // Weights 4, 2, 1 (nginx): a b a c a b a.
    Endpoint a = A.withWeight(4);
    Endpoint b = B.withWeight(2);
    Picker p421 = new WeightedRoundRobinLoadBalancer(0).update(set(a, b, C));
    assertThat(Picks.pick(p421, 7)).containsExactly(a, b, a, C, a, b, a);

    // Weights 3, 3, 1, 1 (two groups of equal weight take turns inside the group):
    // current after adding, winner: (3,3,1,1) a; (-2,6,2,2) b; (1,1,3,3) c; (4,4,-4,4) a;
    // (-1,7,-3,5) b; (2,2,-2,6) d; (5,5,-1,-1) a; (0,8,0,0) b.
    Endpoint a3 = A.withWeight(3);
    Endpoint b3 = B.withWeight(3);
    Picker p3311 = new WeightedRoundRobinLoadBalancer(0).update(set(a3, b3, C, D));
    assertThat(Picks.pick(p3311, 8)).containsExactly(a3, b3, C, a3, b3, D, a3, b3);
  }

  @Test
  void weightsAreReducedByTheirGreatestCommonDivisor() {
    // 50, 10, 10 behaves like 5, 1, 1: a period of 7, not 70.
    Endpoint a = A.withWeight(50);
    Endpoint b = B.withWeight(10);
    Endpoint c = C.withWeight(10);
    Picker picker = new WeightedRoundRobinLoadBalancer(0).update(set(a, b, c));
    assertThat(Picks.pick(picker, 7)).containsExactly(a, a, b, a, c, a, a);
    assertThat(picker.toString()).contains("period 7");
  }

  @Test
  void equalWeightsAreRoundRobin() {
    Picker picker = weighted(3, 3, 3);
    List<Endpoint> e = withWeights(3, 3, 3);
    assertThat(Picks.pick(picker, 6))
        .containsExactly(e.get(0), e.get(1), e.get(2), e.get(0), e.get(1), e.get(2));
  }

  @Test
  void everyWindowOfSumOfWeightsPicksHasExactCounts() {
    Random random = new Random(42);
    List<int[]> cases = new ArrayList<>();
    cases.add(new int[] {5, 1, 1});
    cases.add(new int[] {1, 2, 3, 4, 5, 6, 7, 8, 9, 10});
    cases.add(new int[] {100, 1});
    cases.add(new int[] {7, 0, 3}); // weight 0: never picked
    int[] hundred = new int[100]; // 100 distinct weights: grouped by sorting, sum 5,050
    for (int i = 0; i < hundred.length; i++) {
      hundred[i] = 100 - i;
    }
    cases.add(hundred);
    for (int c = 0; c < 5; c++) {
      int[] w = new int[2 + random.nextInt(30)];
      for (int i = 0; i < w.length; i++) {
        w[i] = 1 + random.nextInt(100);
      }
      cases.add(w);
    }
    for (int[] weights : cases) {
      assertExactWindows(weights, weighted(weights));
    }
  }

  @Test
  void largeWeightSumsUseTheStrideAndStayExact() {
    // 65,536 + 3 + 2 = 65,541 > MAX_SCHEDULE and the GCD is 1: no schedule array.
    int[] weights = {65_536, 3, 2};
    Picker picker = weighted(weights);
    assertThat(picker).isInstanceOf(WeightedRoundRobinLoadBalancer.StridePicker.class);
    assertExactWindows(weights, picker);

    // SRV-style weights 40,000, 30,000 and 1 (sum 70,001): already the first 1,000 picks are
    // within 1 % of the 4:3 proportion, i.e. interleaved, not 571 a's followed by 428 b's.
    int[] srv = {40_000, 30_000, 1};
    long[] first = Picks.counts(weighted(srv), withWeights(srv), 1000);
    assertThat(first[0]).isBetween(561L, 581L);
    assertThat(first[1]).isBetween(419L, 439L);
    assertThat(weighted(srv)).isInstanceOf(WeightedRoundRobinLoadBalancer.StridePicker.class);
  }

  @Test
  void manyDistinctWeightsBeyondTheScheduleWorkBoundUseTheStride() {
    // 1..330: sum 54,615 fits a schedule, but 54,615 * 330 steps exceed 2^24.
    int[] weights = new int[330];
    for (int i = 0; i < weights.length; i++) {
      weights[i] = i + 1;
    }
    Picker picker = weighted(weights);
    assertThat(picker).isInstanceOf(WeightedRoundRobinLoadBalancer.StridePicker.class);
    assertExactWindows(weights, picker);
  }

  /** Picks 2 periods + 1/2 and checks every window of one period (sliding by one pick). */
  private static void assertExactWindows(int[] weights, Picker picker) {
    List<Endpoint> endpoints = withWeights(weights);
    int gcd = 0;
    for (int w : weights) {
      gcd = WeightedRoundRobinLoadBalancer.gcd(gcd, w);
    }
    int period = 0;
    for (int w : weights) {
      period += w / gcd;
    }
    int total = period * 2 + period / 2;
    int[] picked = new int[total];
    Map<Endpoint, Integer> index = new HashMap<>();
    for (int i = 0; i < endpoints.size(); i++) {
      index.put(endpoints.get(i), i);
    }
    for (int i = 0; i < total; i++) {
      picked[i] = index.get(picker.pick(REQUEST).endpoint());
    }
    int[] window = new int[weights.length];
    for (int i = 0; i < period; i++) {
      window[picked[i]]++;
    }
    for (int start = 0; ; start++) {
      for (int e = 0; e < weights.length; e++) {
        if (window[e] != weights[e] / gcd) {
          throw new AssertionError(
              "weights "
                  + java.util.Arrays.toString(weights)
                  + ": window at "
                  + start
                  + " has "
                  + window[e]
                  + " picks of endpoint "
                  + e
                  + ", expected "
                  + weights[e] / gcd);
        }
      }
      if (start + period == total) {
        break;
      }
      window[picked[start]]--;
      window[picked[start + period]]++;
    }
  }

  @Test
  void proportionalChiSquareOver100kPicks() {
    int[] weights = {1, 2, 3, 5, 8, 13};
    long[] counts = Picks.counts(weighted(weights), withWeights(weights), 100_000);
    double[] expected = {1, 2, 3, 5, 8, 13};
    ChiSquare.assertFits(counts, expected);

    int[] large = {65_536, 30_000, 7};
    long[] strideCounts = Picks.counts(weighted(large), withWeights(large), 100_000);
    ChiSquare.assertFits(strideCounts, new double[] {65_536, 30_000, 7});
  }

  @Test
  void zeroWeightsGetTrafficOnlyWhenAllAreZero() {
    Picker some = new WeightedRoundRobinLoadBalancer(0).update(set(A.withWeight(0), B, C));
    assertThat(Picks.pick(some, 4)).containsExactly(B, C, B, C);

    Endpoint a0 = A.withWeight(0);
    Endpoint b0 = B.withWeight(0);
    Picker none = new WeightedRoundRobinLoadBalancer(0).update(set(a0, b0));
    assertThat(Picks.pick(none, 4)).containsExactly(a0, b0, a0, b0);
  }

  @Test
  void emptyOrUnknownSetPicksNothing() {
    WeightedRoundRobinLoadBalancer lb = new WeightedRoundRobinLoadBalancer(0);
    assertThat(lb.update(set()).pick(REQUEST)).isNull();
    assertThat(lb.update(EndpointSet.unknown("svc", 2)).pick(REQUEST)).isNull();
    assertThat(Picks.pick(lb.update(set(A.withWeight(9))), 2)).containsOnly(A.withWeight(9));
  }

  @Test
  void counterWrapKeepsPickingValidIndexes() {
    Endpoint a = A.withWeight(5);
    Picker picker = new WeightedRoundRobinLoadBalancer(Integer.MAX_VALUE - 2).update(set(a, B, C));
    // MAX-2 % 7 = 6 -> a, MAX-1 % 7 = 0 -> a, MAX % 7 = 1 -> a, then 0, 1, 2, ...: a a b.
    assertThat(Picks.pick(picker, 6)).containsExactly(a, a, a, a, a, B);
  }

  @Test
  void factoryAndProviderBuildTheSameSequence() {
    Endpoint a = A.withWeight(5);
    Picker fromFactory = LoadBalancers.weighted(LbContext.of("svc")).update(set(a, B, C));
    Picker fromProvider =
        new WeightedProvider().newLoadBalancer(LbContext.of("svc")).update(set(a, B, C));
    assertThat(Picks.pick(fromFactory, 7)).containsExactly(a, a, B, a, C, a, a);
    assertThat(Picks.pick(fromProvider, 7)).containsExactly(a, a, B, a, C, a, a);
  }

  @Test
  void countersSurviveUpdates() {
    WeightedRoundRobinLoadBalancer lb = new WeightedRoundRobinLoadBalancer(0);
    Upstream a = lb.update(set(A.withWeight(2), B)).pick(REQUEST);
    a.onStart();
    assertThat(a.endpoint()).isEqualTo(A.withWeight(2));
    Picker next = lb.update(set(A.withWeight(2), B, C));
    Upstream again = null;
    for (int i = 0; i < 4 && again == null; i++) {
      Upstream u = next.pick(REQUEST);
      again = u.endpoint().equals(A.withWeight(2)) ? u : null;
    }
    assertThat(again).isSameAs(a);
    assertThat(again.inFlight()).isEqualTo(1);
  }

  @Test
  void concurrentPicksGiveExactCounts() throws Exception {
    Endpoint a = A.withWeight(5);
    Picker picker = new WeightedRoundRobinLoadBalancer(0).update(set(a, B, C));
    int threads = 2;
    int picksPerThread = 7 * 14_286; // 100,002: the total is a whole number of periods
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
      int periods = threads * picksPerThread / 7;
      assertThat(total).containsEntry(a, 5 * periods).containsEntry(B, periods);
      assertThat(total).containsEntry(C, periods).hasSize(3);
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void mulModMatchesBigInteger() {
    Random random = new Random(7);
    long[] moduli = {65_537, 3_037_000_499L, 3_037_000_500L, 1L << 40, (1L << 51) - 1, 999_999_937};
    for (long m : moduli) {
      for (int i = 0; i < 2_000; i++) {
        long a = Math.floorMod(random.nextLong(), m);
        long b = Math.floorMod(random.nextLong(), m);
        long expected =
            BigInteger.valueOf(a)
                .multiply(BigInteger.valueOf(b))
                .mod(BigInteger.valueOf(m))
                .longValue();
        assertThat(WeightedRoundRobinLoadBalancer.mulMod(a, b, m))
            .as("%d * %d mod %d", a, b, m)
            .isEqualTo(expected);
      }
      assertThat(WeightedRoundRobinLoadBalancer.mulMod(m - 1, m - 1, m)).isEqualTo(1);
    }
  }

  @Test
  void strideIsCoprimeAndNearTheGoldenRatio() {
    for (long total : new long[] {65_537, 65_541, 70_001, 1L << 20, 10_000_000_000L}) {
      long s = WeightedRoundRobinLoadBalancer.stride(total);
      assertThat(WeightedRoundRobinLoadBalancer.gcd(s, total)).isEqualTo(1);
      assertThat((double) s / total).isBetween(0.617, 0.62);
    }
  }
}
