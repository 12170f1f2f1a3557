package dev.whaleray.loadbalancing;

import static org.assertj.core.api.Assertions.assertThat;

import dev.whaleray.router.lb.LbContext;
import dev.whaleray.router.lb.LoadBalancerProvider;
import dev.whaleray.router.lb.LoadBalancerProviders;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The registry finds every policy this module ships, by its config name, through {@code
 * META-INF/services} (like gRPC's {@code LoadBalancerRegistryTest.stockProviders}).
 */
class StockProvidersTest {
  private static final Map<String, Class<? extends LoadBalancerProvider>> SHIPPED =
      Map.of(
          "round-robin", RoundRobinProvider.class,
          "random", RandomProvider.class,
          "weighted", WeightedProvider.class,
          "least-connections", LeastConnectionsProvider.class,
          "consistent-hash", ConsistentHashProvider.class);

  @Test
  void registryFindsEveryShippedPolicy() {
    assertThat(LoadBalancerProviders.names()).containsAll(SHIPPED.keySet());
    SHIPPED.forEach(
        (name, type) -> {
          LoadBalancerProvider p = LoadBalancerProviders.get(name);
          assertThat(p).as(name).isInstanceOf(type);
          assertThat(p.name()).isEqualTo(name);
          assertThat(p.isAvailable()).isTrue();
          assertThat(p.newLoadBalancer(LbContext.of("svc")).update(Picks.set()).pick(Picks.REQUEST))
              .as(name + " over no endpoints")
              .isNull();
        });
  }

  @Test
  void providerNameConstantsAreTheConfigValues() {
    assertThat(RoundRobinProvider.NAME).isEqualTo("round-robin");
    assertThat(RandomProvider.NAME).isEqualTo("random");
    assertThat(WeightedProvider.NAME).isEqualTo("weighted");
    assertThat(LeastConnectionsProvider.NAME).isEqualTo("least-connections");
    assertThat(ConsistentHashProvider.NAME).isEqualTo("consistent-hash");
  }
}
