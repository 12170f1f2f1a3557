package dev.whaleray.reference;

import dev.whaleray.discovery.staticlist.StaticDiscovery;
import dev.whaleray.router.discovery.Discovery;
import dev.whaleray.router.discovery.DiscoveryContext;
import dev.whaleray.router.discovery.DiscoveryProvider;
import dev.whaleray.router.settings.Durations;
import java.time.Duration;
import java.util.Map;
import java.util.Set;

/**
 * Discovery plugins found by {@link java.util.ServiceLoader} on this module's test class path only
 * (the router jar holds none): how the router treats a third party's settings.
 */
final class TestPluginProviders {
  private TestPluginProviders() {}

  /** {@code test-registry}: names its settings and checks them, as a plugin should. */
  public static final class Registry implements DiscoveryProvider {
    @Override
    public String name() {
      return "test-registry";
    }

    @Override
    public Set<String> settingNames() {
      return Set.of("registryUrl", "registryRefresh");
    }

    @Override
    public void validate(Map<String, String> settings) {
      DiscoveryProvider.super.validate(settings);
      String refresh = settings.get("registryRefresh");
      if (refresh != null) {
        Durations.parse("registryRefresh", refresh, Duration.ofMillis(100), Duration.ofHours(1));
      }
    }

    @Override
    public Discovery newDiscovery(DiscoveryContext context) {
      return StaticDiscovery.builder().executor(context.scheduler()).build();
    }
  }

  /** {@code test-legacy}: written before providers named their settings, so it takes any. */
  public static final class Legacy implements DiscoveryProvider {
    static volatile Map<String, String> lastSettings = Map.of();

    @Override
    public String name() {
      return "test-legacy";
    }

    @Override
    public Discovery newDiscovery(DiscoveryContext context) {
      lastSettings = context.settings();
      return StaticDiscovery.builder().executor(context.scheduler()).build();
    }
  }
}
