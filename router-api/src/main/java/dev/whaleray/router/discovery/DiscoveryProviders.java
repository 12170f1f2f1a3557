package dev.whaleray.router.discovery;

import dev.whaleray.router.internal.ProviderRegistry;
import java.util.Set;

/** Finds {@link DiscoveryProvider}s through {@link java.util.ServiceLoader}. Thread-safe. */
public final class DiscoveryProviders {
  private static final ProviderRegistry<DiscoveryProvider> REGISTRY =
      new ProviderRegistry<>(
          DiscoveryProvider.class,
          DiscoveryProvider::name,
          DiscoveryProvider::priority,
          DiscoveryProvider::isAvailable,
          DiscoveryProvider::unavailableReason);

  private DiscoveryProviders() {}

  /**
   * The available provider of that name with the highest priority.
   *
   * @throws IllegalArgumentException naming the unknown value and the names on offer
   */
  public static DiscoveryProvider get(String name) {
    return REGISTRY.get(name, DiscoveryProviders.class.getClassLoader(), "discovery");
  }

  /** Same as {@link #get(String)}, searching another class loader (a plugin folder). */
  public static DiscoveryProvider get(String name, ClassLoader loader) {
    return REGISTRY.get(name, loader, "discovery");
  }

  /** The names of every available provider. */
  public static Set<String> names() {
    return REGISTRY.names(DiscoveryProviders.class.getClassLoader());
  }
}
