package dev.whaleray.router.discovery;

import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.jspecify.annotations.Nullable;

/**
 * Creates a {@link Discovery} by name; listed in {@code
 * META-INF/services/dev.whaleray.router.discovery.DiscoveryProvider} so that {@link
 * DiscoveryProviders} finds it. The name is the config value ({@code WHALERAY_DISCOVERY}).
 *
 * <p>A provider owns its settings: {@link #settingNames()} says which it reads and {@link
 * #validate} checks them, so a router rejects a misspelt or bad setting at start-up, before any
 * request, whoever wrote the provider.
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
   * When {@link #isAvailable()} is false: what is missing, naming the artifact to add, e.g. {@code
   * cloudmap-api discovery needs software.amazon.awssdk:servicediscovery on the classpath}. {@link
   * DiscoveryProviders#get} puts it in its error. Null (the default) when available or when the
   * provider does not say; must not throw.
   */
  default @Nullable String unavailableReason() {
    return null;
  }

  /**
   * The names of the settings this provider reads (an empty set: none), so that a router can reject
   * any other name given for it and hand it only its own. Null, the default, when the provider does
   * not say: then every name passes and it gets every setting.
   */
  default @Nullable Set<String> settingNames() {
    return null;
  }

  /**
   * Checks settings meant for this provider without building anything. The router calls it once at
   * start-up, on any thread, before {@link #newDiscovery}. The default rejects a name outside
   * {@link #settingNames()}; override it to check values too, calling it first.
   *
   * @param settings the settings given for this provider (those of {@link #settingNames()} among
   *     the router's own, plus any given for it by name)
   * @throws IllegalArgumentException naming the setting, the value and what was expected, e.g.
   *     {@code fileLinesRefesh: unknown setting of discovery file-lines (expected one of:
   *     fileLinesDir, fileLinesRefresh)} or {@code dnsValid: 'soon' (expected: a duration such as
   *     500ms, 10s, 2m or 1h)}
   */
  default void validate(Map<String, String> settings) {
    Set<String> names = settingNames();
    if (names == null) {
      return;
    }
    for (String key : new TreeSet<>(settings.keySet())) {
      if (!names.contains(key)) {
        throw new IllegalArgumentException(
            key
                + ": unknown setting of discovery "
                + name()
                + (names.isEmpty()
                    ? " (expected: none, it reads no setting)"
                    : " (expected one of: " + String.join(", ", new TreeSet<>(names)) + ")"));
      }
    }
  }

  /**
   * A new discovery; the caller closes it. Settings this provider does not read are ignored.
   *
   * @throws IllegalArgumentException when a setting is invalid, with a message naming it
   */
  Discovery newDiscovery(DiscoveryContext context);
}
