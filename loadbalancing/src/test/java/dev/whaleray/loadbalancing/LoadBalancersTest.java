package dev.whaleray.loadbalancing;

import static dev.whaleray.loadbalancing.Picks.set;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.whaleray.router.Endpoint;
import dev.whaleray.router.lb.LbContext;
import dev.whaleray.router.lb.LoadBalancer;
import dev.whaleray.router.lb.LoadBalancerProvider;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class LoadBalancersTest {
  private static final List<LoadBalancerProvider> PROVIDERS =
      List.of(
          new RoundRobinProvider(),
          new RandomProvider(),
          new WeightedProvider(),
          new LeastConnectionsProvider(),
          new ConsistentHashProvider());

  @Test
  void decorateOrdersSlowStartOutsideZoneAware() {
    LbContext ctx = LbContext.of("svc").withZone("us-east-1a");
    LoadBalancer lb = LoadBalancers.decorate(LoadBalancers.leastConnections(ctx), ctx);
    assertThat(lb.toString()).startsWith("SlowStart{30000ms, ZoneAware{us-east-1a, min 0.5, ");
  }

  @Test
  void decorateIsIdempotent() {
    LbContext ctx = LbContext.of("svc").withZone("us-east-1a");
    for (LoadBalancerProvider p : PROVIDERS) {
      LoadBalancer built = p.newLoadBalancer(ctx);
      assertThat(LoadBalancers.decorate(built, ctx)).as(p.name()).isSameAs(built);
    }
    // Nothing to decorate with: the policy itself, again and again.
    LbContext bare = LbContext.of("svc").withOptions(Map.of("slowStart", "0s"));
    LoadBalancer rr = LoadBalancers.roundRobin(bare);
    assertThat(LoadBalancers.decorate(rr, bare)).isSameAs(rr);
    assertThat(LoadBalancers.decorate(LoadBalancers.decorate(rr, bare), bare)).isSameAs(rr);
  }

  @Test
  void decorateWrapsAnyPolicyIncludingAPlugin() {
    ManualClock clock = new ManualClock();
    LbContext ctx = LbContext.of("svc").withNanoClock(clock).withZone("z1");
    // A plugin policy: always the first endpoint it is given.
    LoadBalancer first =
        endpoints -> (request, tried) -> new CountingUpstream(endpoints.endpoints().get(0)).result;
    LoadBalancer lb = LoadBalancers.decorate(first, ctx);

    Endpoint remote = Endpoint.builder("10.0.0.1", 80).zone("z2").build();
    Endpoint local = Endpoint.builder("10.0.0.2", 80).zone("z1").build();
    // Zone-aware: the plugin only sees the local endpoint although the remote one sorts first.
    assertThat(Picks.pick(lb.update(set(remote, local)), 3)).containsOnly(local);
  }

  @Test
  void slowStartDefaultsTo30sAndIsOffForConsistentHash() {
    LbContext ctx = LbContext.of("svc");
    assertThat(new RoundRobinProvider().newLoadBalancer(ctx).toString())
        .startsWith("SlowStart{30000ms");
    assertThat(new LeastConnectionsProvider().newLoadBalancer(ctx).toString())
        .startsWith("SlowStart{30000ms");
    assertThat(new ConsistentHashProvider().newLoadBalancer(ctx))
        .isInstanceOf(ConsistentHashLoadBalancer.class);
    LbContext explicit = ctx.withOptions(Map.of("slowStart", "2m"));
    assertThat(new ConsistentHashProvider().newLoadBalancer(explicit).toString())
        .startsWith("SlowStart{120000ms");
    LbContext off = ctx.withOptions(Map.of("slowStart", "0s"));
    assertThat(new WeightedProvider().newLoadBalancer(off))
        .isInstanceOf(WeightedRoundRobinLoadBalancer.class);
  }

  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      value = {
        "slowStart       | x      | slowStart: 'x' (expected: a duration such as 500ms, 10s, 2m or 1h)",
        "slowStart       | -5s    | slowStart: '-5s' (expected: a duration such as 500ms, 10s, 2m or 1h)",
        "slowStart       | 30sec  | slowStart: '30sec' (expected: a duration such as 500ms, 10s, 2m or 1h)",
        "slowStart       | PT-5S  | slowStart: 'PT-5S' (expected: a duration such as 500ms, 10s, 2m or 1h)",
        "zoneAware       | yes    | zoneAware: 'yes' (expected: true or false)",
        "zoneMinFraction | 1.5    | zoneMinFraction: '1.5' (expected: a number from 0 to 1, e.g. 0.5)",
        "zoneMinFraction | NaN    | zoneMinFraction: 'NaN' (expected: a number from 0 to 1, e.g. 0.5)",
        "zoneMinFraction | half   | zoneMinFraction: 'half' (expected: a number from 0 to 1, e.g. 0.5)"
      })
  void badOptionsFailEveryProviderNamingTheOption(String key, String value, String message) {
    // Without a zone too: a bad zone option fails at start-up, not when a zone is configured.
    for (LoadBalancerProvider p : PROVIDERS) {
      assertThatThrownBy(
              () -> p.newLoadBalancer(LbContext.of("svc").withOptions(Map.of(key, value))))
          .as(p.name())
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessage(message);
    }
  }

  @ParameterizedTest
  @CsvSource({
    "0, 0",
    "0s, 0",
    "500ms, 500",
    "30s, 30000",
    "2m, 120000",
    "1h, 3600000",
    "PT45S, 45000",
    "30, 30000", // a bare number is seconds, as everywhere else
    " 10S , 10000"
  })
  void durationForms(String text, long millis) {
    assertThat(LbOptions.duration(Map.of("slowStart", text), "slowStart", Duration.ofDays(1)))
        .isEqualTo(Duration.ofMillis(millis));
  }

  @Test
  void unknownOptionsAreIgnoredAndDefaultsApply() {
    Map<String, String> options = Map.of("somethingElse", "x", "zoneAware", "FALSE");
    assertThat(LbOptions.duration(options, "slowStart", Duration.ofSeconds(30)))
        .isEqualTo(Duration.ofSeconds(30));
    assertThat(LbOptions.bool(options, "zoneAware", true)).isFalse();
    assertThat(LbOptions.fraction(options, "zoneMinFraction", 0.5)).isEqualTo(0.5);
    for (LoadBalancerProvider p : PROVIDERS) {
      assertThat(p.newLoadBalancer(LbContext.of("svc").withOptions(options))).isNotNull();
    }
  }
}
