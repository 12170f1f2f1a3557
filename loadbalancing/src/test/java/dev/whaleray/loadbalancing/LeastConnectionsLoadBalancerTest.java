package dev.whaleray.loadbalancing;

import static dev.whaleray.loadbalancing.Picks.REQUEST;
import static dev.whaleray.loadbalancing.Picks.set;
import static org.assertj.core.api.Assertions.assertThat;

import dev.whaleray.router.Endpoint;
import dev.whaleray.router.EndpointSet;
import dev.whaleray.router.lb.LbContext;
import dev.whaleray.router.lb.Outcome;
import dev.whaleray.router.lb.Picker;
import dev.whaleray.router.lb.Upstream;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class LeastConnectionsLoadBalancerTest {
  private static final Endpoint A = Endpoint.of("10.0.0.1", 8080);
  private static final Endpoint B = Endpoint.of("10.0.0.2", 8080);
  private static final Endpoint C = Endpoint.of("10.0.0.3", 8080);

  /** The upstream of every endpoint of a picker, found by picking until each has shown up. */
  private static Map<Endpoint, Upstream> upstreams(Picker picker, int endpoints) {
    Map<Endpoint, Upstream> byEndpoint = new HashMap<>();
    for (int i = 0; i < 10_000 && byEndpoint.size() < endpoints; i++) {
      Upstream u = picker.pick(REQUEST);
      byEndpoint.put(u.endpoint(), u);
    }
    assertThat(byEndpoint).hasSize(endpoints);
    return byEndpoint;
  }

  private static void start(Upstream u, int times) {
    for (int i = 0; i < times; i++) {
      u.onStart();
    }
  }

  @Test
  void picksTheLeastLoaded() {
    Picker picker = new LeastConnectionsLoadBalancer().update(set(A, B, C));
    Map<Endpoint, Upstream> u = upstreams(picker, 3);
    start(u.get(A), 3);
    start(u.get(B), 1);
    start(u.get(C), 2);

    assertThat(Picks.pick(picker, 100)).containsOnly(B);

    // B gets busier than A and C: now A and C (2 each after one ends) are the choice.
    start(u.get(B), 4);
    u.get(A).onEnd(Outcome.SUCCESS, 200, 0);
    assertThat(Picks.pick(picker, 300)).containsOnly(A, C).contains(A, C);
  }

  @Test
  void startingWhatItPicksSpreadsTheLoadExactly() {
    // Each pick starts a request that does not end: an exact least-connections scan keeps the
    // in-flight counts within one of each other, so 30 picks over 3 endpoints give 10 each.
    Picker picker = new LeastConnectionsLoadBalancer().update(set(A, B, C));
    for (int i = 0; i < 30; i++) {
      picker.pick(REQUEST).onStart();
    }
    Map<Endpoint, Upstream> u = upstreams(picker, 3);
    assertThat(u.get(A).inFlight()).isEqualTo(10);
    assertThat(u.get(B).inFlight()).isEqualTo(10);
    assertThat(u.get(C).inFlight()).isEqualTo(10);
  }

  @Test
  void honoursWeights() {
    Endpoint heavy = B.withWeight(3);
    Picker picker = new LeastConnectionsLoadBalancer().update(set(A, heavy));
    Map<Endpoint, Upstream> u = upstreams(picker, 2);
    start(u.get(A), 2); // 2 / 1 = 2
    start(u.get(heavy), 4); // 4 / 3 = 1.33
    assertThat(Picks.pick(picker, 50)).containsOnly(heavy);

    start(u.get(heavy), 3); // 7 / 3 = 2.33 > 2
    assertThat(Picks.pick(picker, 50)).containsOnly(A);

    // Started one by one, 40 requests settle in proportion to the weights: 10 and 30.
    Picker fresh = new LeastConnectionsLoadBalancer().update(set(A, heavy));
    for (int i = 0; i < 40; i++) {
      fresh.pick(REQUEST).onStart();
    }
    Map<Endpoint, Upstream> f = upstreams(fresh, 2);
    assertThat(f.get(A).inFlight()).isEqualTo(10);
    assertThat(f.get(heavy).inFlight()).isEqualTo(30);
  }

  @Test
  void tiesDoNotAlwaysGoToTheFirstEndpoint() {
    Picker picker = new LeastConnectionsLoadBalancer().update(set(A, B, C));
    long[] counts = Picks.counts(picker, List.of(A, B, C), 30_000);
    // All idle: every endpoint is a minimum and the scan starts at a random one.
    // 10,000 each expected (binomial sd 82); the first endpoint does not take them all.
    for (long c : counts) {
      assertThat(c).isGreaterThan(9_000L);
    }
  }

  @Test
  void exactScanWithAllEqualIsUniformChiSquare() {
    List<Endpoint> endpoints = Picks.endpoints(LeastConnectionsLoadBalancer.EXACT_SCAN_MAX);
    Picker picker = new LeastConnectionsLoadBalancer().update(set(endpoints));
    assertThat(picker).isInstanceOf(LeastConnectionsLoadBalancer.ExactPicker.class);

    ChiSquare.assertFits(
        Picks.counts(picker, endpoints, 100_000), ChiSquare.uniform(endpoints.size()));
  }

  @Test
  void twoChoicesWithAllEqualIsUniformChiSquare() {
    List<Endpoint> endpoints = Picks.endpoints(20);
    Picker picker = new LeastConnectionsLoadBalancer().update(set(endpoints));
    assertThat(picker).isInstanceOf(LeastConnectionsLoadBalancer.TwoChoicesPicker.class);
    Map<Endpoint, Upstream> u = upstreams(picker, 20);
    for (Upstream up : u.values()) {
      start(up, 5); // equal, and not zero
    }

    ChiSquare.assertFits(Picks.counts(picker, endpoints, 100_000), ChiSquare.uniform(20));
  }

  @Test
  void twoChoicesAvoidTheBusiestAndFavourTheIdlest() {
    List<Endpoint> endpoints = Picks.endpoints(20);
    Picker picker = new LeastConnectionsLoadBalancer().update(set(endpoints));
    Map<Endpoint, Upstream> u = upstreams(picker, 20);
    for (Endpoint e : endpoints) {
      start(u.get(e), 5);
    }
    Endpoint busiest = endpoints.get(3);
    Endpoint idlest = endpoints.get(11);
    start(u.get(busiest), 10);
    for (int i = 0; i < 5; i++) {
      u.get(idlest).onEnd(Outcome.SUCCESS, 200, 0);
    }

    long[] counts = Picks.counts(picker, endpoints, 100_000);

    // The busiest loses every comparison; the idlest wins each one it is drawn into, which is
    // 2/20 of the picks: 10,000 expected, binomial sd 95, so 9,500..10,500 is over 5 sd.
    assertThat(counts[3]).isZero();
    assertThat(counts[11]).isBetween(9_500L, 10_500L);
  }

  @Test
  void twoChoicesHonourWeights() {
    List<Endpoint> endpoints = new java.util.ArrayList<>(Picks.endpoints(10));
    Endpoint heavy = endpoints.get(0).withWeight(4);
    endpoints.set(0, heavy);
    Picker picker = new LeastConnectionsLoadBalancer().update(set(endpoints));
    Map<Endpoint, Upstream> u = upstreams(picker, 10);
    for (Endpoint e : endpoints) {
      start(u.get(e), 2);
    }
    start(u.get(heavy), 4); // 6 / 4 = 1.5 < 2 / 1: it wins every comparison it is drawn into

    long[] counts = Picks.counts(picker, endpoints, 10_000);
    // Drawn in 2/10 of the picks: 2,000 expected (sd 40).
    assertThat(counts[0]).isBetween(1_800L, 2_200L);
  }

  @Test
  void inFlightCountsSurviveUpdatesForEndpointsThatStay() {
    LeastConnectionsLoadBalancer lb = new LeastConnectionsLoadBalancer();
    Map<Endpoint, Upstream> u = upstreams(lb.update(set(A, B)), 2);
    start(u.get(A), 5);

    // C joins: A keeps its 5 in flight, so only B and C are picked.
    Picker next = lb.update(set(A, B, C));
    assertThat(Picks.pick(next, 200)).containsOnly(B, C).contains(B, C);

    // Once A's requests end it is picked again, through the same upstream.
    for (int i = 0; i < 5; i++) {
      u.get(A).onEnd(Outcome.SUCCESS, 200, 0);
    }
    assertThat(upstreams(next, 3).get(A)).isSameAs(u.get(A));
  }

  @Test
  void zeroWeightsOnlyWhenAllAreZero() {
    Picker some = new LeastConnectionsLoadBalancer().update(set(A.withWeight(0), B, C));
    assertThat(Picks.pick(some, 200)).containsOnly(B, C);

    Endpoint a0 = A.withWeight(0);
    Endpoint b0 = B.withWeight(0);
    Picker all = new LeastConnectionsLoadBalancer().update(set(a0, b0));
    for (int i = 0; i < 10; i++) {
      all.pick(REQUEST).onStart();
    }
    Map<Endpoint, Upstream> u = upstreams(all, 2);
    assertThat(u.get(a0).inFlight()).isEqualTo(5);
    assertThat(u.get(b0).inFlight()).isEqualTo(5);
  }

  @Test
  void emptyOrUnknownSetPicksNothing() {
    LeastConnectionsLoadBalancer lb = new LeastConnectionsLoadBalancer();
    assertThat(lb.update(set()).pick(REQUEST)).isNull();
    assertThat(lb.update(EndpointSet.unknown("svc", 2)).pick(REQUEST)).isNull();
    assertThat(Picks.pick(lb.update(set(A)), 2)).containsExactly(A, A);
  }

  @Test
  void providerBuildsLeastConnections() {
    Picker picker =
        new LeastConnectionsProvider().newLoadBalancer(LbContext.of("svc")).update(set(A, B));
    Map<Endpoint, Upstream> u = upstreams(picker, 2);
    start(u.get(A), 1);
    assertThat(Picks.pick(picker, 20)).containsOnly(B);
  }
}
