package dev.whaleray.reference;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * At start-up every provider, a plugin's too, checks the discovery settings given for it: a
 * misspelt or bad one stops the router naming where it was written, the provider and what it reads.
 */
class DiscoverySettingsTest {

  private static RouterConfig config(String yaml, Map<String, String> env) {
    return RouterConfig.parse(yaml, env).withHost("127.0.0.1").withPort(0).withAdminPort(0);
  }

  private static void starts(RouterConfig config) {
    ReferenceRouter.start(config).close();
  }

  @Test
  void aPluginsMisspeltSettingStopsStartUpNamingTheLineThePluginAndItsSettings() {
    RouterConfig c =
        config(
            "discovery:\n"
                + "  type: test-registry\n"
                + "  settings:\n"
                + "    registryUrl: http://127.0.0.1:1\n"
                + "    registryRefesh: 5s\n",
            Map.of());
    assertThatThrownBy(() -> starts(c))
        .isInstanceOf(ConfigException.class)
        .hasMessage(
            "config line 5: discovery.settings.registryRefesh: unknown setting of discovery"
                + " test-registry (expected one of: registryRefresh, registryUrl)");
  }

  @Test
  void aPluginsBadValueStopsStartUpNamingTheLineAndTheSetting() {
    RouterConfig c =
        config(
            "discovery: { type: test-registry, settings: { registryRefresh: 5 parsecs } }\n",
            Map.of());
    assertThatThrownBy(() -> starts(c))
        .isInstanceOf(ConfigException.class)
        .hasMessage(
            "config line 1: discovery.settings.registryRefresh: '5 parsecs' (expected: a duration"
                + " such as 500ms, 10s, 2m or 1h)");
    RouterConfig tooFast =
        config("discovery: { type: test-registry, settings: { registryRefresh: 10ms } }", Map.of());
    assertThatThrownBy(() -> starts(tooFast))
        .hasMessage(
            "config line 1: discovery.settings.registryRefresh: '10ms' (expected: from 100ms to"
                + " 1h)");
  }

  @Test
  void aPluginGetsOnlyTheRouterSettingsItReads() {
    // The router always holds namespace, backendPort and cloudmapRefresh, and here dnsValid from
    // a variable: test-registry would refuse them, so it starts only if it is not given them.
    starts(
        config(
            "discovery: { type: test-registry, settings: { registryRefresh: 2s } }",
            Map.of("WHALERAY_DNS_VALID", "10s")));
  }

  @Test
  void aPluginThatDoesNotNameItsSettingsGetsThemAll() {
    starts(
        config(
            "discovery: { type: test-legacy, settings: { anything: goes } }",
            Map.of("WHALERAY_DNS_VALID", "10s")));
    assertThat(TestPluginProviders.Legacy.lastSettings)
        .containsEntry("anything", "goes")
        .containsEntry("dnsValid", "10s")
        .containsEntry("namespace", "whaleray.local");
  }

  @Test
  void theStaticDiscoveryTakesNoSettingByName() {
    RouterConfig c = config("discovery:\n  type: static\n  settings: { namespace: x }\n", Map.of());
    assertThatThrownBy(() -> starts(c))
        .isInstanceOf(ConfigException.class)
        .hasMessage(
            "config line 3: discovery.settings.namespace: unknown setting of discovery static"
                + " (expected: none, it reads no setting)");
  }

  @Test
  void theCloudMapSectionMayStayWhateverTheDiscoveryButItsNamesAreChecked() {
    // The design's sample: static discovery, with a cloudmap section kept for later.
    starts(
        config(
            "discovery:\n"
                + "  type: static\n"
                + "  cloudmap: { namespace: whaleray.local, dnsValid: 10s, cloudmapRefresh: 5s }\n",
            Map.of()));
    RouterConfig typo =
        config("discovery:\n  type: static\n  cloudmap: { dnsVaild: 10s }\n", Map.of());
    assertThatThrownBy(() -> starts(typo))
        .isInstanceOf(ConfigException.class)
        .hasMessageStartingWith(
            "config line 3: discovery.cloudmap.dnsVaild: unknown setting of discovery cloudmap-api"
                + " or cloudmap-dns (expected one of: backendPort,")
        .hasMessageContaining(" dnsValid,");
  }

  @Test
  void aCloudMapSettingsBadValueNamesItsLine() {
    RouterConfig c =
        config("discovery:\n  type: cloudmap-dns\n  cloudmap:\n    dnsValid: soon\n", Map.of());
    assertThatThrownBy(() -> starts(c))
        .isInstanceOf(ConfigException.class)
        .hasMessage(
            "config line 4: discovery.cloudmap.dnsValid: 'soon' (expected: a duration such as"
                + " 500ms, 10s, 2m or 1h)");
  }
}
