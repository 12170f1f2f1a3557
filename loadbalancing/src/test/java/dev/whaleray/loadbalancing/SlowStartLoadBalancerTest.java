package dev.whaleray.loadbalancing;

import static dev.whaleray.loadbalancing.Picks.set;
import static org.assertj.core.api.Assertions.assertThat;

import dev.whaleray.router.Endpoint;
import dev.whaleray.router.lb.LbContext;
import dev.whaleray.router.lb.LoadBalancer;
import dev.whaleray.router.lb.Picker;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class SlowStartLoadBalancerTest {
  private static final Duration WINDOW = Duration.ofSeconds(10);
  private static final Endpoint A = Endpoint.of("10.0.0.1", 8080);
  private static final Endpoint B = Endpoint.of("10.0.0.2", 8080);
  private static final Endpoint C = Endpoint.of("10.0.0.3", 8080);
  private static final Endpoint N = Endpoint.of("10.0.0.4", 8080); // the newcomer

  private final ManualClock clock = new ManualClock();

  private SlowStartLoadBalancer slowStart(LoadBalancer inner) {
    return new SlowStartLoadBalancer(inner, WINDOW.toNanos(), clock);
  }

  /** The share of picks a newcomer gets from random over 4 endpoints at acceptance p. */
  private static double expectedShare(double p) {
    double q = 0.25;
    double r = q * (1 - p);
    // Accepted at attempt 1, 2 or 3; after three refusals the last warm upstream is answered.
    return q * p * (1 + r + r * r);
  }

  @Test
  void endpointsOfTheFirstSnapshotAreWarm() {
    SlowStartLoadBalancer lb = slowStart(new RoundRobinLoadBalancer(0));
    Picker picker = lb.update(set(A, B, C));

    assertThat(picker).isInstanceOf(RoundRobinLoadBalancer.RoundRobinPicker.class);
    assertThat(Picks.pick(picker, 6)).containsExactly(A, B, C, A, B, C);
  }

  @Test
  void aNewEndpointGetsNothingAtTheStartOfItsWindow() {
    SlowStartLoadBalancer lb = slowStart(new RoundRobinLoadBalancer(0));
    lb.update(set(A, B, C));
    clock.advance(Duration.ofSeconds(5));
    Picker picker = lb.update(set(A, B, C, N));

    // Elapsed 0: acceptance 0. N's round-robin turn is refused and the next turn (A) taken.
    List<Endpoint> picks = Picks.pick(picker, 400);
    assertThat(picks).doesNotContain(N).contains(A, B, C);
    assertThat(picks.subList(0, 8)).containsExactly(A, B, C, A, B, C, A, B);
  }

  @Test
  void earlyPicksAvoidTheNewEndpointAtTheExpectedRate() {
    SlowStartLoadBalancer lb = slowStart(new RandomLoadBalancer());
    lb.update(set(A, B, C));
    Picker picker = lb.update(set(A, B, C, N));
    List<Endpoint> all = List.of(A, B, C, N);

    for (double p : new double[] {0.25, 0.5, 0.75}) {
      // The same picker, a quarter of the window later each time.
      clock.advance(WINDOW.dividedBy(4));
      long[] counts = Picks.counts(picker, all, 100_000);
      double expected = expectedShare(p) * 100_000;
      double sd = Math.sqrt(100_000 * expectedShare(p) * (1 - expectedShare(p)));
      System.out.printf(
          "slow start at %.2f of the window: newcomer %d of 100000 picks (expected %.0f, sd %.0f;"
              + " 25000 without slow start)%n",
          p, counts[3], expected, sd);
      assertThat((double) counts[3]).isBetween(expected - 5 * sd, expected + 5 * sd);
    }
  }

  @Test
  void fullShareOnceTheWindowHasPassed() {
    SlowStartLoadBalancer lb = slowStart(new RoundRobinLoadBalancer(0));
    lb.update(set(A, B, C));
    Picker picker = lb.update(set(A, B, C, N));
    assertThat(picker).isInstanceOf(SlowStartLoadBalancer.SlowStartPicker.class);

    clock.advance(WINDOW);
    long[] counts = Picks.counts(picker, List.of(A, B, C, N), 4_000);
    assertThat(counts).containsExactly(1000, 1000, 1000, 1000);

    // The next update no longer wraps the picker at all.
    assertThat(lb.update(set(A, B, C, N)))
        .isInstanceOf(RoundRobinLoadBalancer.RoundRobinPicker.class);
  }

  @Test
  void theRampSurvivesUpdatesAndWeightChanges() {
    SlowStartLoadBalancer lb = slowStart(new RoundRobinLoadBalancer(0));
    lb.update(set(A, B, C));
    lb.update(set(A, B, C, N)); // N joins at t0
    clock.advance(WINDOW.dividedBy(2));
    // Another change half-way through: C leaves, N's weight changes. N keeps its join time t0.
    Picker picker = lb.update(set(A, B, N.withWeight(3)));
    assertThat(picker).isInstanceOf(SlowStartLoadBalancer.SlowStartPicker.class);

    // At t0 + window N is fully warm: exact round-robin. Had the update restarted N's ramp it
    // would be half-way (acceptance 0.5) and lose about a third of its turns.
    clock.advance(WINDOW.dividedBy(2));
    long[] counts = Picks.counts(picker, List.of(A, B, N.withWeight(3)), 3_000);
    assertThat(counts).containsExactly(1000, 1000, 1000);
  }

  @Test
  void halfWayThroughTheRampRoundRobinTurnsAreRefusedAboutHalfTheTime() {
    SlowStartLoadBalancer lb = slowStart(new RoundRobinLoadBalancer(0));
    lb.update(set(A, B, C));
    Picker picker = lb.update(set(A, B, C, N));
    clock.advance(WINDOW.dividedBy(2));

    long[] counts = Picks.counts(picker, List.of(A, B, C, N), 42_000);
    // N's turn is accepted with p = 0.5; when refused, A's turn is taken at once and the next
    // request starts at B. As a chain over whose turn a request starts on, the stationary shares
    // are A 1/7, B, C and N 2/7 each; N's turns are half accepted: N gets 1/7 of the picks (6,000)
    // instead of 1/4, and A, B and C 2/7 each (12,000). About 12,000 N turns, binomial sd 55.
    assertThat(counts[3]).isBetween(5_600L, 6_400L);
    assertThat(counts[0]).isBetween(11_600L, 12_400L);
    assertThat(counts[1]).isBetween(11_600L, 12_400L);
  }

  @Test
  void anEndpointThatLeavesAndComesBackRampsAgain() {
    SlowStartLoadBalancer lb = slowStart(new RoundRobinLoadBalancer(0));
    lb.update(set(A, B, C));
    lb.update(set(A, B, C, N));
    clock.advance(WINDOW.multipliedBy(2));
    assertThat(lb.update(set(A, B, C, N)))
        .isInstanceOf(RoundRobinLoadBalancer.RoundRobinPicker.class);
    lb.update(set(A, B, C));

    Picker back = lb.update(set(A, B, C, N));
    assertThat(back).isInstanceOf(SlowStartLoadBalancer.SlowStartPicker.class);
    assertThat(Picks.pick(back, 400)).doesNotContain(N);
  }

  @Test
  void noWrapperWhenEveryEndpointIsNew() {
    SlowStartLoadBalancer lb = slowStart(new RoundRobinLoadBalancer(0));
    // An empty first snapshot does not count: the first endpoints seen are warm.
    lb.update(set());
    assertThat(lb.update(set(A, B))).isInstanceOf(RoundRobinLoadBalancer.RoundRobinPicker.class);
    // A complete replacement has no warm endpoint to protect the new ones with.
    assertThat(lb.update(set(C, N))).isInstanceOf(RoundRobinLoadBalancer.RoundRobinPicker.class);
  }

  @Test
  void worksOverTwoChoicesLeastConnections() {
    List<Endpoint> warm = Picks.endpoints(9);
    Endpoint newcomer = Endpoint.of("10.9.9.9", 8080);
    SlowStartLoadBalancer lb = slowStart(new LeastConnectionsLoadBalancer());
    lb.update(set(warm));
    List<Endpoint> all = new java.util.ArrayList<>(warm);
    all.add(newcomer);
    Picker picker = lb.update(set(all));

    // All idle, so P2C returns its first draw: the newcomer a tenth of the time, always refused
    // (elapsed 0); the re-picks land on warm endpoints. Only a pick before any warm one was seen
    // can end on the newcomer (three draws of it in a row: 1 in 1,000).
    long newcomerPicks = Picks.pick(picker, 10_000).stream().filter(newcomer::equals).count();
    assertThat(newcomerPicks).isLessThanOrEqualTo(1);
  }

  @Test
  void decorateUsesTheContextClockAndSlowStartOption() {
    LbContext ctx =
        LbContext.of("svc").withNanoClock(clock).withOptions(Map.of("slowStart", "10s"));
    LoadBalancer lb = new RoundRobinProvider().newLoadBalancer(ctx);
    assertThat(lb).isInstanceOf(SlowStartLoadBalancer.class);
    lb.update(set(A, B, C));
    Picker picker = lb.update(set(A, B, C, N));
    assertThat(Picks.pick(picker, 100)).doesNotContain(N);
    clock.advance(Duration.ofSeconds(10));
    assertThat(Picks.counts(picker, List.of(A, B, C, N), 400)).containsExactly(100, 100, 100, 100);
  }

  @Test
  void anIdleNewcomerUnderExactLeastConnectionsIsNotFloodedAndRefusalsSpread() {
    SlowStartLoadBalancer lb = slowStart(new LeastConnectionsLoadBalancer());
    Picker warmPicker = lb.update(set(A, B, C));
    // Load the warm endpoints: five requests in flight each.
    for (int i = 0; i < 15; i++) {
      warmPicker.pick(TestRequest.of()).onStart();
    }
    Picker picker = lb.update(set(A, B, C, N));
    // The exact scan always offers the idle newcomer; at elapsed 0 it is always refused, and the
    // refusals go to the warm endpoints, spread rather than onto one.
    java.util.Map<Endpoint, Integer> counts = new java.util.HashMap<>();
    for (int i = 0; i < 3000; i++) {
      counts.merge(picker.pick(TestRequest.of()).endpoint(), 1, Integer::sum);
    }
    assertThat(counts).doesNotContainKey(N);
    assertThat(counts.get(A)).isBetween(800, 1200);
    assertThat(counts.get(B)).isBetween(800, 1200);
    assertThat(counts.get(C)).isBetween(800, 1200);
  }

  /**
   * The same over zone-aware routing in its local mode with endpoints elsewhere (the usual
   * production stack: slow start outside, zone-aware inside): slow start must still find the warm
   * local upstreams to fall back on (the zone-aware picker hid them once, and the idle newcomer got
   * every request).
   */
  @Test
  void anIdleLocalNewcomerUnderZoneAwareLeastConnectionsIsNotFlooded() {
    String local = "us-east-1a";
    Endpoint a = Endpoint.builder("10.0.0.1", 8080).zone(local).build();
    Endpoint b = Endpoint.builder("10.0.0.2", 8080).zone(local).build();
    Endpoint c = Endpoint.builder("10.0.0.3", 8080).zone(local).build();
    Endpoint n = Endpoint.builder("10.0.0.4", 8080).zone(local).build();
    Endpoint remote = Endpoint.builder("10.0.1.1", 8080).zone("us-east-1b").build();
    SlowStartLoadBalancer lb =
        slowStart(new ZoneAwareLoadBalancer(new LeastConnectionsLoadBalancer(), local, 0.5));
    Picker warmPicker = lb.update(set(a, b, c, remote));
    for (int i = 0; i < 15; i++) {
      warmPicker.pick(TestRequest.of()).onStart();
    }
    Picker picker = lb.update(set(a, b, c, n, remote));
    java.util.Map<Endpoint, Integer> counts = new java.util.HashMap<>();
    for (int i = 0; i < 3000; i++) {
      counts.merge(picker.pick(TestRequest.of()).endpoint(), 1, Integer::sum);
    }
    assertThat(counts).doesNotContainKey(n).doesNotContainKey(remote);
    assertThat(counts.get(a)).isBetween(800, 1200);
    assertThat(counts.get(b)).isBetween(800, 1200);
    assertThat(counts.get(c)).isBetween(800, 1200);
  }
}
