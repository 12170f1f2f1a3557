package dev.whaleray.loadbalancing;

import static dev.whaleray.loadbalancing.Picks.set;
import static org.assertj.core.api.Assertions.assertThat;

import dev.whaleray.router.Endpoint;
import dev.whaleray.router.lb.LbContext;
import dev.whaleray.router.lb.LoadBalancer;
import dev.whaleray.router.lb.Picker;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class ZoneAwareLoadBalancerTest {
  private static final String LOCAL = "us-east-1a";

  /** {@code perZone[i]} endpoints in zone {@code us-east-1<letter i>}; zone 0 is local. */
  private static List<Endpoint> zones(int... perZone) {
    List<Endpoint> list = new ArrayList<>();
    for (int z = 0; z < perZone.length; z++) {
      for (int i = 0; i < perZone[z]; i++) {
        list.add(
            Endpoint.builder("10.0." + z + "." + (i + 1), 8080)
                .zone("us-east-1" + (char) ('a' + z))
                .build());
      }
    }
    return list;
  }

  private static ZoneAwareLoadBalancer zoneAware(double minFraction) {
    return new ZoneAwareLoadBalancer(new RoundRobinLoadBalancer(0), LOCAL, minFraction);
  }

  @ParameterizedTest(name = "local {0} of {1} in {2} zones, fraction {3}: local = {4}")
  @CsvSource({
    // The documented rule: local >= 1 and local >= fraction * active / zones.
    "4, 12, 3, 0.5, true", //  4 >= 2.0
    "2, 10, 3, 0.5, true", //  2 >= 1.67
    "1,  9, 3, 0.5, false", // 1 <  1.5
    "3, 10, 2, 0.5, true", //  3 >= 2.5
    "2, 10, 2, 0.5, false", // 2 <  2.5  (two zones: spill below half an average zone)
    "1,  2, 2, 1.0, true", //  1 >= 1.0  (exactly at the threshold: stay local)
    "1,  3, 2, 1.0, false", // 1 <  1.5
    "1, 99, 3, 0.0, true", //  fraction 0: local while one endpoint is left
    "0, 10, 2, 0.0, false" //  never with none
  })
  void spillOverRule(int local, int active, int zones, double fraction, boolean expected) {
    assertThat(ZoneAwareLoadBalancer.useLocal(local, active, zones, fraction)).isEqualTo(expected);
  }

  @Test
  void usesOnlyTheLocalZoneWhileItHasEnoughEndpoints() {
    List<Endpoint> endpoints = zones(4, 4, 4);
    ZoneAwareLoadBalancer lb = zoneAware(0.5);
    Picker picker = lb.update(set(endpoints));

    assertThat(lb.usingLocalZone()).isTrue();
    assertThat(Picks.pick(picker, 8))
        .containsExactly(
            endpoints.get(0),
            endpoints.get(1),
            endpoints.get(2),
            endpoints.get(3),
            endpoints.get(0),
            endpoints.get(1),
            endpoints.get(2),
            endpoints.get(3));
  }

  @Test
  void spillsOverAtTheThresholdAndComesBack() {
    ZoneAwareLoadBalancer lb = zoneAware(0.5);
    List<Endpoint> all = zones(4, 4, 4);

    // 2 of 4 local endpoints left: 2 >= 0.5 * 10 / 3 = 1.67, still local.
    List<Endpoint> twoLocal = new ArrayList<>(all.subList(2, 12));
    Picker p2 = lb.update(set(twoLocal));
    assertThat(lb.usingLocalZone()).isTrue();
    assertThat(Picks.pick(p2, 100)).containsOnly(all.get(2), all.get(3));

    // 1 left: 1 < 0.5 * 9 / 3 = 1.5, spill over to every zone.
    List<Endpoint> oneLocal = new ArrayList<>(all.subList(3, 12));
    Picker p1 = lb.update(set(oneLocal));
    assertThat(lb.usingLocalZone()).isFalse();
    assertThat(Picks.pick(p1, 9)).containsExactlyInAnyOrderElementsOf(oneLocal);

    // Back to 4: local again.
    Picker p4 = lb.update(set(all));
    assertThat(lb.usingLocalZone()).isTrue();
    assertThat(Picks.pick(p4, 100)).allSatisfy(e -> assertThat(e.zone()).isEqualTo(LOCAL));
  }

  @Test
  void noLocalEndpointMeansAllZones() {
    ZoneAwareLoadBalancer lb = zoneAware(0);
    List<Endpoint> remote = zones(0, 2, 2);
    Picker picker = lb.update(set(remote));
    assertThat(lb.usingLocalZone()).isFalse();
    assertThat(Picks.pick(picker, 4)).containsExactlyElementsOf(remote);
  }

  @Test
  void zeroWeightAndZonelessEndpointsCountAsTheRuleSays() {
    List<Endpoint> endpoints = new ArrayList<>(zones(1, 1));
    // Three endpoints without a zone: one more "zone" of 3; the weight-0 local one is inactive.
    endpoints.add(Endpoint.of("10.9.0.1", 8080));
    endpoints.add(Endpoint.of("10.9.0.2", 8080));
    endpoints.add(Endpoint.of("10.9.0.3", 8080));
    endpoints.add(Endpoint.builder("10.0.0.9", 8080).zone(LOCAL).weight(0).build());
    ZoneAwareLoadBalancer lb = zoneAware(0.6);
    // Active 5 in 3 zones: 1 local >= 0.6 * 5 / 3 = 1.0.
    Picker picker = lb.update(set(endpoints));
    assertThat(lb.usingLocalZone()).isTrue();
    assertThat(Picks.pick(picker, 10)).containsOnly(endpoints.get(0));

    ZoneAwareLoadBalancer stricter = zoneAware(0.7); // 1 < 0.7 * 5 / 3 = 1.17
    stricter.update(set(endpoints));
    assertThat(stricter.usingLocalZone()).isFalse();
  }

  @Test
  void decorateAppliesItOnlyWithAZoneAndUnlessTurnedOff() {
    List<Endpoint> endpoints = zones(2, 2);
    LbContext noSlowStart = LbContext.of("svc").withOptions(Map.of("slowStart", "0s"));

    LoadBalancer withZone =
        LoadBalancers.decorate(LoadBalancers.roundRobin(noSlowStart), noSlowStart.withZone(LOCAL));
    assertThat(withZone).isInstanceOf(ZoneAwareLoadBalancer.class);
    assertThat(Picks.pick(withZone.update(set(endpoints)), 20))
        .allSatisfy(e -> assertThat(e.zone()).isEqualTo(LOCAL));

    LoadBalancer noZone =
        LoadBalancers.decorate(LoadBalancers.roundRobin(noSlowStart), noSlowStart);
    assertThat(noZone).isInstanceOf(RoundRobinLoadBalancer.class);

    LbContext off =
        LbContext.of("svc")
            .withZone(LOCAL)
            .withOptions(Map.of("slowStart", "0", "zoneAware", "false"));
    LoadBalancer turnedOff = LoadBalancers.decorate(LoadBalancers.roundRobin(off), off);
    assertThat(turnedOff).isInstanceOf(RoundRobinLoadBalancer.class);
    assertThat(Picks.pick(turnedOff.update(set(endpoints)), 4))
        .containsExactlyElementsOf(endpoints);
  }

  @Test
  void zoneMinFractionOptionIsUsed() {
    List<Endpoint> endpoints = zones(1, 4); // 1 local of 5 in 2 zones
    LbContext ctx = LbContext.of("svc").withZone(LOCAL).withOptions(Map.of("slowStart", "0s"));
    // Default 0.5: 1 < 0.5 * 5 / 2 = 1.25, spill over.
    Picker byDefault = new RoundRobinProvider().newLoadBalancer(ctx).update(set(endpoints));
    assertThat(Picks.pick(byDefault, 5)).containsExactlyElementsOf(endpoints);
    // 0.4: 1 >= 0.4 * 5 / 2 = 1.0, local.
    LbContext lenient = ctx.withOptions(Map.of("slowStart", "0s", "zoneMinFraction", "0.4"));
    Picker local = new RoundRobinProvider().newLoadBalancer(lenient).update(set(endpoints));
    assertThat(Picks.pick(local, 5)).containsOnly(endpoints.get(0));
  }
}
