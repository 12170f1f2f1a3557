package dev.whaleray.loadbalancing;

import static dev.whaleray.loadbalancing.Picks.REQUEST;
import static dev.whaleray.loadbalancing.Picks.set;
import static org.assertj.core.api.Assertions.assertThat;

import dev.whaleray.router.Endpoint;
import dev.whaleray.router.RequestView;
import dev.whaleray.router.lb.LbContext;
import dev.whaleray.router.lb.LoadBalancer;
import dev.whaleray.router.lb.LoadBalancerProviders;
import dev.whaleray.router.lb.PickResult;
import dev.whaleray.router.lb.Picker;
import dev.whaleray.router.lb.Tried;
import dev.whaleray.router.lb.Upstream;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * A retry never goes back to an endpoint the request tried: every built-in policy, through its
 * registered (decorated) provider, skips the tried ones while others remain and answers none once
 * all were tried. Before the second SPI, least-connections and consistent-hash re-picked the
 * endpoint that had just refused most of the time.
 */
class RetryPickTest {
  static final List<Endpoint> FIVE = Picks.endpoints(5);

  static Stream<Arguments> policies() {
    return Stream.of(
        Arguments.of("round-robin", Map.of()),
        Arguments.of("random", Map.of()),
        Arguments.of("weighted", Map.of()),
        Arguments.of("least-connections", Map.of()),
        Arguments.of("consistent-hash", Map.of("hashKey", "header:X-User")),
        Arguments.of("consistent-hash", Map.of()), // no key in the request: round-robin fallback
        Arguments.of("round-robin", Map.of("slowStart", "30s")));
  }

  /** A tried set over upstream addresses. */
  static final class TriedSet implements Tried {
    final Set<String> addresses = new HashSet<>();

    TriedSet add(Upstream u) {
      addresses.add(u.endpoint().authority());
      return this;
    }

    @Override
    public int count() {
      return addresses.size();
    }

    @Override
    public boolean contains(Upstream u) {
      return addresses.contains(u.endpoint().authority());
    }
  }

  @ParameterizedTest(name = "{0} {1}")
  @MethodSource("policies")
  void retriesWalkEveryUntriedEndpointOnceThenAnswerNone(
      String policy, Map<String, String> options) {
    LoadBalancer lb =
        LoadBalancerProviders.get(policy).newLoadBalancer(LbContext.of("svc").withOptions(options));
    Picker picker = lb.update(set(FIVE));
    for (int request = 0; request < 200; request++) {
      RequestView view = TestRequest.header("X-User", "user-" + request);
      List<Endpoint> order = walk(picker, view, request);
      assertThat(order).as("request %d", request).containsExactlyInAnyOrderElementsOf(FIVE);
    }
  }

  /**
   * One request's attempts: a first pick, then retries with every upstream tried so far, until the
   * picker answers none (never a drop); no upstream twice. The upstreams in the order tried.
   */
  private static List<Endpoint> walk(Picker picker, RequestView view, int request) {
    TriedSet tried = new TriedSet();
    List<Endpoint> order = new ArrayList<>();
    PickResult r = picker.pick(view, Tried.NONE);
    while (r.upstream() != null) {
      assertThat(tried.contains(r.upstream()))
          .as("request %d re-picked %s after %s", request, r.upstream().endpoint(), order)
          .isFalse();
      order.add(r.upstream().endpoint());
      tried.add(r.upstream());
      r = picker.pick(view, tried);
    }
    assertThat(r.isDrop()).as("request %d", request).isFalse();
    return order;
  }

  @ParameterizedTest(name = "{0} {1}")
  @MethodSource("policies")
  void firstPicksReturnTheUpstreamsOwnResultWithoutAllocating(
      String policy, Map<String, String> options) {
    Picker picker =
        LoadBalancerProviders.get(policy)
            .newLoadBalancer(LbContext.of("svc").withOptions(options))
            .update(set(FIVE));
    // The same endpoint picked twice gives the very same result object: built once per upstream.
    Map<Upstream, PickResult> seen = new java.util.IdentityHashMap<>();
    int repeats = 0;
    for (int i = 0; i < 100; i++) {
      PickResult r = picker.pick(REQUEST, Tried.NONE);
      PickResult before = seen.putIfAbsent(r.upstream(), r);
      if (before != null) {
        assertThat(r).isSameAs(before);
        repeats++;
      }
    }
    assertThat(repeats).isGreaterThan(50);
  }

  @org.junit.jupiter.api.Test
  void consistentHashRetriesTheNextEndpointOnTheRingTheSameWayEveryTime() {
    Picker picker =
        LoadBalancers.consistentHash(
                LbContext.of("svc").withOptions(Map.of("hashKey", "header:X-User")))
            .update(set(FIVE));
    Map<Endpoint, Integer> secondChoices = new java.util.HashMap<>();
    for (int user = 0; user < 500; user++) {
      RequestView view = TestRequest.header("X-User", "u" + user);
      Upstream first = picker.pick(view);
      Upstream second = picker.pick(view, new TriedSet().add(first)).upstream();
      for (int again = 0; again < 3; again++) {
        assertThat(picker.pick(view, new TriedSet().add(first)).upstream()).isSameAs(second);
      }
      assertThat(second).isNotSameAs(first);
      secondChoices.merge(second.endpoint(), 1, Integer::sum);
    }
    // The keys of a failed endpoint spread over the others instead of piling onto one.
    assertThat(secondChoices.keySet()).hasSize(5);
  }

  @org.junit.jupiter.api.Test
  void leastConnectionsRetriesAvoidTheTriedIdleEndpoint() {
    Picker picker = LoadBalancers.leastConnections(LbContext.of("svc")).update(set(FIVE));
    // Four endpoints are busy, one is idle: least-connections picks the idle one every time...
    Upstream idle = picker.pick(REQUEST);
    List<Upstream> others = new ArrayList<>();
    TriedSet notIdle = new TriedSet().add(idle);
    for (int i = 0; i < 4; i++) {
      Upstream u = picker.pick(REQUEST, notIdle).upstream();
      notIdle.add(u);
      others.add(u);
    }
    for (Upstream u : others) {
      for (int k = 0; k < 10; k++) {
        u.onStart();
      }
    }
    for (int i = 0; i < 20; i++) {
      assertThat(picker.pick(REQUEST).endpoint()).isEqualTo(idle.endpoint());
    }
    // ...and after it refused, the retry goes to a busy one every time rather than back to it.
    for (int i = 0; i < 100; i++) {
      Upstream retry = picker.pick(REQUEST, new TriedSet().add(idle)).upstream();
      assertThat(retry).isNotNull();
      assertThat(retry.endpoint()).isNotEqualTo(idle.endpoint());
    }
  }

  /**
   * Zone-aware routing (local zone {@code us-east-1a}, two endpoints in each of three zones): first
   * attempts stay local, and retries try both local endpoints, then every endpoint of the other
   * zones once, then answer none. Before, a retry after both local endpoints failed had nowhere to
   * go while four endpoints elsewhere could answer.
   */
  @ParameterizedTest(name = "{0} {1}")
  @MethodSource("policies")
  void zoneAwareRetriesSpillToOtherZonesOnceTheLocalOnesAreTried(
      String policy, Map<String, String> options) {
    List<Endpoint> endpoints = new ArrayList<>();
    for (char z = 'a'; z <= 'c'; z++) {
      for (int i = 1; i <= 2; i++) {
        endpoints.add(
            Endpoint.builder("10.0." + (z - 'a') + "." + i, 8080).zone("us-east-1" + z).build());
      }
    }
    Map<String, String> zoned = new java.util.HashMap<>(options);
    zoned.put("zoneAware", "true");
    Picker picker =
        LoadBalancerProviders.get(policy)
            .newLoadBalancer(LbContext.of("svc").withZone("us-east-1a").withOptions(zoned))
            .update(set(endpoints));
    for (int request = 0; request < 100; request++) {
      RequestView view = TestRequest.header("X-User", "user-" + request);
      List<Endpoint> order = walk(picker, view, request);
      assertThat(order).as("request %d", request).containsExactlyInAnyOrderElementsOf(endpoints);
      assertThat(order.subList(0, 2))
          .as("request %d: local first", request)
          .allMatch(e -> "us-east-1a".equals(e.zone()));
    }
  }
}
