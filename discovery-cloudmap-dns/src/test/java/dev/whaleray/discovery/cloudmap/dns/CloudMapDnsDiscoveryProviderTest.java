package dev.whaleray.discovery.cloudmap.dns;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.whaleray.router.discovery.Discovery;
import dev.whaleray.router.discovery.DiscoveryContext;
import dev.whaleray.router.discovery.DiscoveryProviders;
import java.net.InetSocketAddress;
import java.net.URL;
import java.net.URLClassLoader;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class CloudMapDnsDiscoveryProviderTest {
  private final ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor();

  @AfterEach
  void tearDown() {
    scheduler.shutdownNow();
  }

  private Discovery newDiscovery(Map<String, String> settings) {
    return new CloudMapDnsDiscoveryProvider()
        .newDiscovery(DiscoveryContext.builder().settings(settings).scheduler(scheduler).build());
  }

  @Test
  void theRegistryFindsIt() {
    assertThat(DiscoveryProviders.get("cloudmap-dns"))
        .isInstanceOf(CloudMapDnsDiscoveryProvider.class);
    assertThat(new CloudMapDnsDiscoveryProvider().isAvailable()).isTrue();
  }

  @Test
  void withoutDnsjavaItIsUnavailableAndNamesWhatToAdd() throws Exception {
    assertThat(new CloudMapDnsDiscoveryProvider().unavailableReason()).isNull();
    try (URLClassLoader jdkOnly =
        new URLClassLoader(new URL[0], ClassLoader.getPlatformClassLoader())) {
      assertThat(CloudMapDnsDiscoveryProvider.missing(jdkOnly))
          .isEqualTo(
              "cloudmap-dns discovery needs dnsjava:dnsjava on the classpath (a dependency of"
                  + " dev.whaleray:discovery-cloudmap-dns)");
    }
  }

  @Test
  void defaultsNeedNoSetting() {
    try (Discovery d = newDiscovery(Map.of())) {
      assertThat(d.toString()).contains("namespace=whaleray.local.");
    }
  }

  @Test
  void settingsAreRead() {
    try (Discovery d =
        newDiscovery(
            Map.of(
                "namespace", "apps.internal",
                "dnsServers", "127.0.0.1:5353, 127.0.0.2",
                "dnsValid", "10s"))) {
      assertThat(d.toString())
          .contains("namespace=apps.internal.")
          .contains("servers=127.0.0.1:5353, 127.0.0.2:53")
          .contains("valid=PT10S");
    }
  }

  @Test
  void serversAreHostAndOptionalPort() {
    assertThat(CloudMapDnsDiscoveryProvider.parseServers("169.254.169.253"))
        .containsExactly(new InetSocketAddress("169.254.169.253", 53));
    assertThat(CloudMapDnsDiscoveryProvider.parseServers("127.0.0.1:15353,[::1]:54,::1"))
        .containsExactly(
            new InetSocketAddress("127.0.0.1", 15353),
            new InetSocketAddress("::1", 54),
            new InetSocketAddress("::1", 53));
    assertThat(CloudMapDnsDiscoveryProvider.parseServers("localhost:5353"))
        .extracting(InetSocketAddress::getPort)
        .containsExactly(5353);
  }

  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      value = {
        "x:y",
        "127.0.0.1:0",
        "127.0.0.1:65536",
        "127.0.0.1:",
        "''",
        "a b",
        "[::1",
        "[::1]x",
        "[1.2.3.4]:53",
        "1.2.3.4,,5.6.7.8"
      })
  void badServersAreRefusedNamingTheSetting(String servers) {
    assertThatThrownBy(
            () -> newDiscovery(Map.of("dnsServers", servers.isEmpty() ? " , " : servers)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("dnsServers: '")
        .hasMessageContaining("(expected: host[:port]");
  }

  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      value = {
        "dnsValid|abc|dnsValid: 'abc' (expected: a duration such as 500ms, 10s, 2m or 1h)",
        "dnsValid|0s|dnsValid: '0s' (expected: from 100ms to 24h)",
        "dnsTimeout|2h|dnsTimeout: '2h' (expected: from 100ms to 1m)",
        "dnsNegativeTtl|-5s|dnsNegativeTtl: '-5s' (expected: a duration",
        "dnsAttempts|11|dnsAttempts: '11' (expected: a number from 1 to 10)",
        "backendPort|0|backendPort: '0' (expected: a number from 1 to 65535)",
        "namespace|bad..name|namespace: 'bad..name' (expected: a DNS domain",
        "dnsMaxTtl|500ms|dnsMaxTtl: PT0.5S (expected: at least dnsMinTtl, PT1S)"
      })
  void invalidSettingsNameTheSetting(String key, String value, String message) {
    assertThatThrownBy(() -> newDiscovery(Map.of(key, value)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith(message);
    assertThatThrownBy(() -> new CloudMapDnsDiscoveryProvider().validate(Map.of(key, value)))
        .as("validate, without building")
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith(message);
  }

  @Test
  void validateRefusesAnUnknownSettingNamingTheProviderAndItsSettings() {
    CloudMapDnsDiscoveryProvider p = new CloudMapDnsDiscoveryProvider();
    assertThatThrownBy(() -> p.validate(Map.of("dnsValid", "10s", "dnsVaild", "10s")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(
            "dnsVaild: unknown setting of discovery cloudmap-dns (expected one of: backendPort,"
                + " dnsAttempts, dnsBackoff, dnsBackoffMax, dnsMaxTtl, dnsMinTtl, dnsNegativeTtl,"
                + " dnsServers, dnsTimeout, dnsValid, namespace)");
    // A Cloud Map API setting is not one of this provider's either.
    assertThatThrownBy(() -> p.validate(Map.of("cloudmapRefresh", "5s")))
        .hasMessageStartingWith("cloudmapRefresh: unknown setting of discovery cloudmap-dns");
  }

  @Test
  void validateAcceptsEveryDocumentedSettingAndResolvesNoName() {
    Map<String, String> all = new java.util.HashMap<>();
    all.put("namespace", "whaleray.local");
    all.put("backendPort", "3000");
    // A name no resolver knows: validate checks its form only (newDiscovery resolves it), so
    // this passes only because nothing is resolved.
    all.put("dnsServers", "169.254.169.253, no-such-host.invalid:5353");
    all.put("dnsValid", "10s");
    all.put("dnsNegativeTtl", "5s");
    all.put("dnsTimeout", "2s");
    all.put("dnsAttempts", "2");
    all.put("dnsMinTtl", "1");
    all.put("dnsMaxTtl", "PT1H");
    all.put("dnsBackoff", "1s");
    all.put("dnsBackoffMax", "30s");
    CloudMapDnsDiscoveryProvider p = new CloudMapDnsDiscoveryProvider();
    assertThat(p.settingNames()).isEqualTo(all.keySet());
    p.validate(all);
  }

  @Test
  void theNamespaceMayBeGivenAbsolute() {
    try (Discovery d = newDiscovery(Map.of("namespace", "whaleray.local."))) {
      assertThat(d.toString()).contains("namespace=whaleray.local.,");
    }
  }
}
