package dev.whaleray.loadbalancing;

import static dev.whaleray.loadbalancing.Picks.set;
import static org.assertj.core.api.Assertions.assertThat;

import dev.whaleray.router.Endpoint;
import org.junit.jupiter.api.Test;

class UpstreamTableTest {
  private static final Endpoint A = Endpoint.of("10.0.0.1", 8080);
  private static final Endpoint B = Endpoint.of("10.0.0.2", 8080);

  @Test
  void inFlightCountsSurviveAWeightOrZoneChangeOfTheSameAddress() {
    UpstreamTable table = new UpstreamTable();
    CountingUpstream[] first = table.update(set(A, B));
    first[0].onStart();
    first[0].onStart();
    first[0].onStart();

    Endpoint heavierA = A.withWeight(5).withZone("us-east-1a");
    CountingUpstream[] second = table.update(set(heavierA, B));

    assertThat(second[0]).isSameAs(first[0]);
    assertThat(second[0].inFlight()).isEqualTo(3);
    assertThat(second[0].endpoint()).isEqualTo(heavierA);
    assertThat(second[1]).isSameAs(first[1]);
    first[0].onEnd(
        dev.whaleray.router.lb.Outcome.SUCCESS, 200, 0); // an old request ends: same counter
    assertThat(second[0].inFlight()).isEqualTo(2);
  }

  @Test
  void anAddressThatLeavesAndComesBackStartsAtZero() {
    UpstreamTable table = new UpstreamTable();
    CountingUpstream[] first = table.update(set(A, B));
    first[0].onStart();
    table.update(set(B));
    CountingUpstream[] back = table.update(set(A, B));
    assertThat(back[0]).isNotSameAs(first[0]);
    assertThat(back[0].inFlight()).isZero();
  }
}
