package dev.whaleray.router.discovery;

/**
 * Creates a {@link Discovery} by name; listed in {@code
 * META-INF/services/dev.whaleray.router.discovery.DiscoveryProvider} so that {@link
 * DiscoveryProviders} finds it. The name is the config value ({@code WHALERAY_DISCOVERY}).
 *
 * <p>Implementations are stateless and thread-safe, with a public no-argument constructor.
 */
public interface DiscoveryProvider {

  /** The name users put in the config, e.g. {@code static} or {@code cloudmap-dns}. */
  String name();

  /** Among providers of one name the highest priority wins (then the first found). Default 5. */
  default int priority() {
    return 5;
  }

  /** False when this provider cannot work here (a missing dependency); must not throw. */
  default boolean isAvailable() {
    return true;
  }

  /**
   * A new discovery; the caller closes it.
   *
   * @throws IllegalArgumentException when a setting is invalid, with a message naming it
   */
  Discovery newDiscovery(DiscoveryContext context);
}
