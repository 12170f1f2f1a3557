package dev.whaleray.loadbalancing;

import static dev.whaleray.loadbalancing.Picks.set;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.whaleray.router.Endpoint;
import dev.whaleray.router.EndpointSet;
import dev.whaleray.router.RequestView;
import dev.whaleray.router.lb.LbContext;
import dev.whaleray.router.lb.LoadBalancer;
import dev.whaleray.router.lb.Picker;
import dev.whaleray.router.lb.Upstream;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ConsistentHashLoadBalancerTest {

  private static LoadBalancer byHeader() {
    return LoadBalancers.consistentHash(
        LbContext.of("svc").withOptions(Map.of("hashKey", "header:X-Session-Id")));
  }

  private static RequestView session(String id) {
    return TestRequest.header("X-Session-Id", id);
  }

  private static Endpoint endpointFor(Picker picker, RequestView request) {
    Upstream u = picker.pick(request);
    assertThat(u).isNotNull();
    return u.endpoint();
  }

  @Test
  void sameKeySameEndpointAcrossPickersAndInstances() {
    List<Endpoint> endpoints = Picks.endpoints(10);
    Picker first = byHeader().update(set(endpoints));
    Picker second = byHeader().update(set(endpoints)); // another router instance
    for (int k = 0; k < 1_000; k++) {
      RequestView r = session("session-" + k);
      Endpoint e = endpointFor(first, r);
      assertThat(endpointFor(first, r)).isEqualTo(e);
      assertThat(endpointFor(second, r)).as("key %d", k).isEqualTo(e);
    }
  }

  @Test
  void keysSpreadEvenlyChiSquare() {
    List<Endpoint> endpoints = Picks.endpoints(10);
    Picker picker = byHeader().update(set(endpoints));
    long[] counts = new long[10];
    for (int k = 0; k < 100_000; k++) {
      counts[endpoints.indexOf(endpointFor(picker, session("user-" + k)))]++;
    }
    ChiSquare.assertFits(counts, ChiSquare.uniform(10));
  }

  @Test
  void removingOneOfTenEndpointsMovesAboutATenthOfTheKeys() {
    List<Endpoint> ten = Picks.endpoints(10);
    LoadBalancer lb = byHeader();
    Picker before = lb.update(set(ten));
    Endpoint leaving = ten.get(6);
    List<Endpoint> nine = new ArrayList<>(ten);
    nine.remove(leaving);
    Picker after = lb.update(set(nine));

    int keys = 10_000;
    int moved = 0;
    int movedThoughStaying = 0;
    for (int k = 0; k < keys; k++) {
      RequestView r = session("key-" + k);
      Endpoint was = endpointFor(before, r);
      Endpoint now = endpointFor(after, r);
      if (!was.equals(now)) {
        moved++;
        if (!was.equals(leaving)) {
          movedThoughStaying++;
        }
      }
    }
    double fraction = moved / (double) keys;
    System.out.printf(
        "consistent-hash: 10 -> 9 endpoints moved %.4f of %d keys (%d not on the leaver)%n",
        fraction, keys, movedThoughStaying);
    assertThat(fraction).isBetween(0.07, 0.13);
    // Maglev's extra disruption: few keys of the endpoints that stay move.
    assertThat(movedThoughStaying).isLessThan(keys / 50);

    // And the endpoint's return restores the original table exactly.
    Picker back = lb.update(set(ten));
    for (int k = 0; k < 1_000; k++) {
      RequestView r = session("key-" + k);
      assertThat(endpointFor(back, r)).isEqualTo(endpointFor(before, r));
    }
  }

  @Test
  void weightOrZoneChangeKeepsTheEndpointsPlace() {
    List<Endpoint> endpoints = Picks.endpoints(5);
    Picker before = byHeader().update(set(endpoints));
    List<Endpoint> rezoned = new ArrayList<>();
    for (Endpoint e : endpoints) {
      rezoned.add(e.withZone("us-east-1a"));
    }
    Picker after = byHeader().update(set(rezoned));
    for (int k = 0; k < 500; k++) {
      RequestView r = session("s" + k);
      assertThat(endpointFor(after, r)).isEqualTo(endpointFor(before, r).withZone("us-east-1a"));
    }
  }

  @Test
  void tableSlotsFollowWeights() {
    List<Endpoint> endpoints = Picks.endpoints(3);
    CountingUpstream[] ups = new CountingUpstream[3];
    for (int i = 0; i < 3; i++) {
      ups[i] = new CountingUpstream(endpoints.get(i));
    }
    int m = ConsistentHashLoadBalancer.SMALL_TABLE;
    Upstream[] table =
        ConsistentHashLoadBalancer.buildTable(ups, new int[] {1, 2, 3}, m, 0x9E3779B97F4A7C15L);
    Map<Upstream, Integer> slots = new HashMap<>();
    for (Upstream u : table) {
      assertThat(u).isNotNull();
      slots.merge(u, 1, Integer::sum);
    }
    // Earliest-deadline-first turns: exactly proportional, within one slot.
    assertThat(slots.get(ups[0])).isBetween(m / 6 - 1, m / 6 + 1);
    assertThat(slots.get(ups[1])).isBetween(2 * m / 6 - 1, 2 * m / 6 + 1);
    assertThat(slots.get(ups[2])).isBetween(3 * m / 6 - 1, 3 * m / 6 + 1);

    Upstream[] equal =
        ConsistentHashLoadBalancer.buildTable(ups, new int[] {1, 1, 1}, m, 0x9E3779B97F4A7C15L);
    Map<Upstream, Integer> equalSlots = new HashMap<>();
    for (Upstream u : equal) {
      equalSlots.merge(u, 1, Integer::sum);
    }
    assertThat(equalSlots.values()).allSatisfy(n -> assertThat(n).isBetween(m / 3, m / 3 + 1));
  }

  @Test
  void tableSizesArePrime() {
    assertThat(BigInteger.valueOf(ConsistentHashLoadBalancer.SMALL_TABLE).isProbablePrime(50))
        .isTrue();
    assertThat(BigInteger.valueOf(ConsistentHashLoadBalancer.LARGE_TABLE).isProbablePrime(50))
        .isTrue();
  }

  @Test
  void cookieKey() {
    Picker picker =
        LoadBalancers.consistentHash(
                LbContext.of("svc").withOptions(Map.of("hashKey", "cookie:sid")))
            .update(set(Picks.endpoints(10)));
    Map<String, Endpoint> byValue = new HashMap<>();
    for (int k = 0; k < 200; k++) {
      String sid = "abc" + k;
      Endpoint e = endpointFor(picker, TestRequest.header("Cookie", "sid=" + sid));
      byValue.put(sid, e);
      // The same cookie, among others and spaced differently, picks the same endpoint.
      assertThat(
              endpointFor(
                  picker, TestRequest.header("Cookie", "theme=dark;  sid=" + sid + " ; lang=en")))
          .isEqualTo(e);
      assertThat(endpointFor(picker, TestRequest.header("Cookie", "xsid=1; sid=\"" + sid + "\"")))
          .isEqualTo(e);
    }
    assertThat(new java.util.HashSet<>(byValue.values())).hasSizeGreaterThan(5);
  }

  @Test
  void clientIpKeyUsesTheFirstForwardedForEntry() {
    Picker picker =
        LoadBalancers.consistentHash(LbContext.of("svc")).update(set(Picks.endpoints(10)));
    for (int k = 0; k < 200; k++) {
      String ip = "203.0.113." + k;
      Endpoint e = endpointFor(picker, TestRequest.header("X-Forwarded-For", ip));
      assertThat(endpointFor(picker, TestRequest.header("X-Forwarded-For", ip + ", 10.0.0.9")))
          .isEqualTo(e);
      assertThat(endpointFor(picker, TestRequest.header("X-Forwarded-For", " " + ip + ",10.1.1.1")))
          .isEqualTo(e);
    }
  }

  @Test
  void requestsWithoutAKeyAreBalancedRoundRobin() {
    List<Endpoint> endpoints = Picks.endpoints(3);
    LoadBalancer lb = byHeader();
    Picker picker = lb.update(set(endpoints));

    // No header, an empty header, and (client-ip) no X-Forwarded-For: round-robin in order.
    List<Endpoint> picked = new ArrayList<>();
    picked.add(endpointFor(picker, TestRequest.of()));
    picked.add(endpointFor(picker, session("")));
    picked.add(endpointFor(picker, TestRequest.header("Other", "x")));
    picked.add(endpointFor(picker, TestRequest.of()));
    assertThat(picked)
        .containsExactly(endpoints.get(0), endpoints.get(1), endpoints.get(2), endpoints.get(0));

    Picker clientIp = LoadBalancers.consistentHash(LbContext.of("svc")).update(set(endpoints));
    assertThat(Picks.pick(clientIp, 3)).containsExactlyElementsOf(endpoints);
  }

  @Test
  void badHashKeyOptionNamesTheOption() {
    for (String bad : new String[] {"header:", "cookie:", "ip", "header:X Session", "cookie:a;b"}) {
      assertThatThrownBy(
              () ->
                  new ConsistentHashProvider()
                      .newLoadBalancer(LbContext.of("svc").withOptions(Map.of("hashKey", bad))))
          .as(bad)
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessage(
              "hashKey: '"
                  + bad
                  + "' (expected: header:NAME, cookie:NAME or client-ip, e.g. header:X-Session-Id)");
    }
  }

  @Test
  void zeroWeightEndpointsGetNoKeysUnlessAllAreZero() {
    List<Endpoint> endpoints = new ArrayList<>(Picks.endpoints(3));
    endpoints.set(1, endpoints.get(1).withWeight(0));
    Picker picker = byHeader().update(set(endpoints));
    for (int k = 0; k < 2_000; k++) {
      assertThat(endpointFor(picker, session("k" + k))).isNotEqualTo(endpoints.get(1));
    }
  }

  @Test
  void emptyOrUnknownSetPicksNothing() {
    LoadBalancer lb = byHeader();
    assertThat(lb.update(set()).pick(session("a"))).isNull();
    assertThat(lb.update(EndpointSet.unknown("svc", 3)).pick(session("a"))).isNull();
  }

  @Test
  void largeSetsUseTheLargeTable() {
    List<Endpoint> many = Picks.endpoints(ConsistentHashLoadBalancer.SMALL_TABLE_MAX_ENDPOINTS + 1);
    Picker picker = byHeader().update(set(many));
    assertThat(picker.toString()).contains("M=" + ConsistentHashLoadBalancer.LARGE_TABLE);
    Picker small = byHeader().update(set(Picks.endpoints(10)));
    assertThat(small.toString()).contains("M=" + ConsistentHashLoadBalancer.SMALL_TABLE);
  }
}
