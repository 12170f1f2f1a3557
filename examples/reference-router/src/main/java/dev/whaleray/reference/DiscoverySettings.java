package dev.whaleray.reference;

import dev.whaleray.router.discovery.DiscoveryProvider;
import dev.whaleray.router.discovery.DiscoveryProviders;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.jspecify.annotations.Nullable;

/**
 * Checks the discovery settings of a {@link RouterConfig} against the provider that reads them, at
 * start-up: the provider says which names it reads and checks their values, this class only says
 * where the operator wrote each one. Stateless.
 */
final class DiscoverySettings {
  /** The variables behind discovery settings, so an error names what the operator set. */
  private static final Map<String, String> VARIABLES =
      Map.of(
          "namespace", "WHALERAY_NAMESPACE",
          "backendPort", "WHALERAY_BACKEND_PORT",
          "dnsServers", "WHALERAY_DNS_SERVERS",
          "dnsValid", "WHALERAY_DNS_VALID",
          "cloudmapEndpoint", "WHALERAY_CLOUDMAP_ENDPOINT",
          "cloudmapRefresh", "WHALERAY_CLOUDMAP_REFRESH");

  /** Providers whose settings {@code discovery.cloudmap} holds: their names start with this. */
  private static final String CLOUDMAP = "cloudmap";

  private DiscoverySettings() {}

  /**
   * The settings for {@code provider}, checked by it: those given for it by name under {@code
   * discovery.settings} plus those of the router's own (defaults, variables, {@code
   * discovery.cloudmap}) that it reads; all of them when it does not say what it reads.
   *
   * @throws IllegalArgumentException naming the file and line or the variable, the setting, the
   *     provider and what was expected
   */
  static Map<String, String> checked(RouterConfig config, DiscoveryProvider provider) {
    checkCloudmapSection(config);
    Set<String> names = provider.settingNames();
    Map<String, String> settings = new LinkedHashMap<>();
    for (Map.Entry<String, String> e : config.discoverySettings.entrySet()) {
      String key = e.getKey();
      if (names == null || names.contains(key) || config.namedDiscoverySettings.contains(key)) {
        settings.put(key, e.getValue());
      }
    }
    try {
      provider.validate(settings);
    } catch (IllegalArgumentException e) {
      throw error(config, provider.name(), e);
    }
    return settings;
  }

  /**
   * Rewrites a provider's error ({@code key: message}) to say where the operator set the key: the
   * file's line, else the variable.
   */
  static IllegalArgumentException error(
      RouterConfig config, String provider, IllegalArgumentException e) {
    if (e instanceof ConfigException) {
      return e;
    }
    String message = String.valueOf(e.getMessage());
    int colon = message.indexOf(": ");
    String key = colon > 0 ? message.substring(0, colon) : "";
    YamlFile.Value node = config.discoveryNodes.get(key);
    if (node != null) {
      ConfigException located = node.error(message.substring(colon + 2));
      located.initCause(e);
      return located;
    }
    String variable = VARIABLES.get(key);
    return new IllegalArgumentException(
        "discovery " + provider + ": " + (variable == null ? "" : variable + " / ") + message, e);
  }

  /**
   * {@code discovery.cloudmap} may stay in a file whichever discovery is selected (the design's
   * sample does so), so its names are checked against every Cloud Map provider at once.
   */
  private static void checkCloudmapSection(RouterConfig config) {
    if (config.cloudmapSettings.isEmpty()) {
      return;
    }
    Set<String> providers = new TreeSet<>();
    Set<String> accepted = new TreeSet<>();
    for (String name : DiscoveryProviders.names()) {
      if (name.startsWith(CLOUDMAP)) {
        @Nullable Set<String> names = DiscoveryProviders.get(name).settingNames();
        if (names == null) {
          return; // a provider that does not say what it reads takes any name
        }
        providers.add(name);
        accepted.addAll(names);
      }
    }
    if (providers.isEmpty()) {
      return; // no Cloud Map provider here: the section is not read
    }
    for (String key : new TreeSet<>(config.cloudmapSettings)) {
      YamlFile.Value node = config.discoveryNodes.get(key);
      if (!accepted.contains(key) && node != null) {
        throw node.error(
            "unknown setting of discovery "
                + String.join(" or ", providers)
                + " (expected one of: "
                + String.join(", ", accepted)
                + ")");
      }
    }
  }
}
