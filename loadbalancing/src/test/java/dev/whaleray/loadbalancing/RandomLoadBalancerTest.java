package dev.whaleray.loadbalancing;

import static dev.whaleray.loadbalancing.Picks.REQUEST;
import static dev.whaleray.loadbalancing.Picks.set;
import static org.assertj.core.api.Assertions.assertThat;

import dev.whaleray.router.Endpoint;
import dev.whaleray.router.EndpointSet;
import dev.whaleray.router.lb.LbContext;
import dev.whaleray.router.lb.Picker;
import java.util.List;
import org.junit.jupiter.api.Test;

class RandomLoadBalancerTest {
  private static final Endpoint A = Endpoint.of("10.0.0.1", 8080);
  private static final Endpoint B = Endpoint.of("10.0.0.2", 8080);
  private static final Endpoint C = Endpoint.of("10.0.0.3", 8080);

  @Test
  void picksUniformlyChiSquareOver100kPicks() {
    List<Endpoint> endpoints = Picks.endpoints(5);
    Picker picker = LoadBalancers.random(LbContext.of("svc")).update(set(endpoints));

    long[] counts = Picks.counts(picker, endpoints, 100_000);

    ChiSquare.assertFits(counts, ChiSquare.uniform(5));
  }

  @Test
  void ignoresZeroWeightsUnlessAllAreZero() {
    Picker some = new RandomLoadBalancer().update(set(A.withWeight(0), B, C.withWeight(7)));
    assertThat(Picks.pick(some, 2_000)).containsOnly(B, C.withWeight(7)).contains(B);

    Picker all = new RandomLoadBalancer().update(set(A.withWeight(0), B.withWeight(0)));
    assertThat(Picks.pick(all, 2_000)).containsOnly(A.withWeight(0), B.withWeight(0)).hasSize(2000);
    assertThat(Picks.pick(all, 2_000)).contains(A.withWeight(0), B.withWeight(0));
  }

  @Test
  void emptyOrUnknownSetPicksNothing() {
    RandomLoadBalancer lb = new RandomLoadBalancer();
    assertThat(lb.update(set()).pick(REQUEST)).isNull();
    assertThat(lb.update(EndpointSet.unknown("svc", 2)).pick(REQUEST)).isNull();
    assertThat(Picks.pick(lb.update(set(A)), 3)).containsExactly(A, A, A);
  }

  @Test
  void keepsCountersAcrossUpdates() {
    RandomLoadBalancer lb = new RandomLoadBalancer();
    var a = lb.update(set(A)).pick(REQUEST);
    a.onStart();

    var again = lb.update(set(A, B));
    int seen = 0;
    for (int i = 0; i < 200; i++) {
      var u = again.pick(REQUEST);
      if (u.endpoint().equals(A)) {
        seen++;
        assertThat(u).isSameAs(a);
        assertThat(u.inFlight()).isEqualTo(1);
      }
    }
    assertThat(seen).isPositive();
  }
}
