package dev.whaleray.router.lb;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

/**
 * router-api ships no policy: the registry's answer for a name it does not know. The stock
 * providers are asserted where they live (loadbalancing, discovery-static).
 */
class LoadBalancerProvidersTest {

  @Test
  void unknownPolicyNamesTheConfigField() {
    assertThatThrownBy(() -> LoadBalancerProviders.get("no-such-policy"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith(
            "loadBalancing.policy: 'no-such-policy' is not available (expected one of: [");
  }

  @Test
  void unknownDiscoveryNamesTheConfigField() {
    assertThatThrownBy(
            () -> dev.whaleray.router.discovery.DiscoveryProviders.get("no-such-discovery"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith(
            "discovery: 'no-such-discovery' is not available (expected one of: [");
  }
}
