package dev.whaleray.router.lb;

import dev.whaleray.router.internal.ProviderRegistry;
import java.util.Set;

/** Finds {@link LoadBalancerProvider}s through {@link java.util.ServiceLoader}. Thread-safe. */
public final class LoadBalancerProviders {
  private static final ProviderRegistry<LoadBalancerProvider> REGISTRY =
      new ProviderRegistry<>(
          LoadBalancerProvider.class,
          LoadBalancerProvider::name,
          LoadBalancerProvider::priority,
          LoadBalancerProvider::isAvailable);

  private LoadBalancerProviders() {}

  /**
   * The available provider of that policy name with the highest priority.
   *
   * @throws IllegalArgumentException naming the unknown value and the names on offer
   */
  public static LoadBalancerProvider get(String name) {
    return REGISTRY.get(name, LoadBalancerProviders.class.getClassLoader(), "loadBalancing.policy");
  }

  /** The names of every available policy. */
  public static Set<String> names() {
    return REGISTRY.names(LoadBalancerProviders.class.getClassLoader());
  }
}
