package dev.whaleray.loadbalancing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.whaleray.router.lb.LoadBalancerProvider;
import dev.whaleray.router.lb.LoadBalancerProviders;
import org.junit.jupiter.api.Test;

/** The registry finds every policy this module ships, by its config name. */
class RoundRobinProviderTest {

  @Test
  void registryFindsTheStockProviders() {
    assertThat(LoadBalancerProviders.names()).contains(RoundRobinProvider.NAME);

    LoadBalancerProvider provider = LoadBalancerProviders.get("round-robin");
    assertThat(provider).isInstanceOf(RoundRobinProvider.class);
    assertThat(provider.name()).isEqualTo("round-robin");
    assertThat(provider.isAvailable()).isTrue();
  }

  @Test
  void unknownPolicyNamesTheFieldAndTheChoices() {
    assertThatThrownBy(() -> LoadBalancerProviders.get("round_robin"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("loadBalancing.policy: 'round_robin' is not available")
        .hasMessageContaining("round-robin");
  }
}
