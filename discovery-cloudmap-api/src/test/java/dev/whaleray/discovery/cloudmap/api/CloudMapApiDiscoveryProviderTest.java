package dev.whaleray.discovery.cloudmap.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.whaleray.router.discovery.Discovery;
import dev.whaleray.router.discovery.DiscoveryContext;
import dev.whaleray.router.discovery.DiscoveryProviders;
import java.net.URL;
import java.net.URLClassLoader;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class CloudMapApiDiscoveryProviderTest {
  private final ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor();

  @AfterEach
  void tearDown() {
    scheduler.shutdownNow();
    System.clearProperty("aws.region");
    System.clearProperty("aws.disableEc2Metadata");
  }

  private Discovery newDiscovery(Map<String, String> settings) {
    return new CloudMapApiDiscoveryProvider()
        .newDiscovery(DiscoveryContext.builder().settings(settings).scheduler(scheduler).build());
  }

  @Test
  void theRegistryFindsIt() {
    assertThat(DiscoveryProviders.get("cloudmap-api"))
        .isInstanceOf(CloudMapApiDiscoveryProvider.class);
    assertThat(new CloudMapApiDiscoveryProvider().isAvailable()).isTrue();
  }

  @Test
  void withoutTheAwsSdkItIsUnavailableAndNamesWhatToAdd() throws Exception {
    CloudMapApiDiscoveryProvider provider = new CloudMapApiDiscoveryProvider();
    assertThat(provider.unavailableReason()).isNull();
    // A class loader that sees the JDK only: no AWS SDK.
    try (URLClassLoader jdkOnly =
        new URLClassLoader(new URL[0], ClassLoader.getPlatformClassLoader())) {
      assertThat(CloudMapApiDiscoveryProvider.missing(jdkOnly))
          .isEqualTo(
              "cloudmap-api discovery needs software.amazon.awssdk:servicediscovery and"
                  + " software.amazon.awssdk:url-connection-client on the classpath (dependencies"
                  + " of dev.whaleray:discovery-cloudmap-api)");
    }
    assertThat(CloudMapApiDiscoveryProvider.missing(getClass().getClassLoader())).isNull();
  }

  @Test
  void settingsAreRead() {
    System.setProperty("aws.region", "us-west-2");
    Map<String, String> s = new HashMap<>();
    s.put("namespace", "apps.internal");
    s.put("cloudmapRefresh", "2s");
    s.put("cloudmapHealthStatus", "healthy");
    s.put("cloudmapEndpoint", "https://vpce-0123.servicediscovery.us-west-2.vpce.amazonaws.com");
    try (Discovery d = newDiscovery(s)) {
      assertThat(d.toString())
          .isEqualTo(
              "CloudMapApiDiscovery{namespace=apps.internal, healthStatus=HEALTHY, refresh=PT2S}");
    }
  }

  @Test
  void withoutARegionTheErrorSaysToSetAwsRegion() {
    // No region anywhere (and no instance metadata lookup, which would leave the loopback).
    System.setProperty("aws.disableEc2Metadata", "true");
    org.junit.jupiter.api.Assumptions.assumeTrue(
        System.getenv("AWS_REGION") == null && System.getenv("AWS_DEFAULT_REGION") == null,
        "AWS_REGION is set in this environment");
    assertThatThrownBy(() -> newDiscovery(Map.of()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("AWS region: not found")
        .hasMessageContaining("set AWS_REGION");
  }

  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      value = {
        "cloudmapHealthStatus|sick|cloudmapHealthStatus: 'sick' (expected: one of ALL, HEALTHY,"
            + " HEALTHY_OR_ELSE_ALL, UNHEALTHY)",
        "cloudmapEndpoint|ftp://example.com|cloudmapEndpoint: 'ftp://example.com' (expected: an"
            + " http(s) URL",
        "cloudmapEndpoint|not a url|cloudmapEndpoint: 'not a url' (expected: an http(s) URL)",
        "cloudmapEndpoint|localhost:8080|cloudmapEndpoint: 'localhost:8080' (expected: an http(s)"
            + " URL",
        "cloudmapRefresh|fast|cloudmapRefresh: 'fast' (expected: a duration",
        "cloudmapRefresh|10ms|cloudmapRefresh: '10ms' (expected: from 100ms to 24h)",
        "cloudmapMaxResults|5000|cloudmapMaxResults: '5000' (expected: a number from 1 to 1000)",
        "cloudmapThreads|0|cloudmapThreads: '0' (expected: a number from 1 to 64)",
        "backendPort|http|backendPort: 'http' (expected: a number from 1 to 65535)"
      })
  void invalidSettingsNameTheSetting(String key, String value, String message) {
    assertThatThrownBy(() -> newDiscovery(Map.of(key, value)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith(message);
    assertThatThrownBy(() -> new CloudMapApiDiscoveryProvider().validate(Map.of(key, value)))
        .as("validate, without building")
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith(message);
  }

  @Test
  void validateRefusesAnUnknownSettingNamingTheProviderAndItsSettings() {
    assertThatThrownBy(
            () -> new CloudMapApiDiscoveryProvider().validate(Map.of("cloudmapRefesh", "5s")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(
            "cloudmapRefesh: unknown setting of discovery cloudmap-api (expected one of:"
                + " backendPort, cloudmapBackoffMax, cloudmapEndpoint, cloudmapFullRefresh,"
                + " cloudmapHealthStatus, cloudmapMaxResults, cloudmapNegativeTtl,"
                + " cloudmapRefresh, cloudmapThreads, cloudmapTimeout, cloudmapWeightAttribute,"
                + " namespace)");
  }

  @Test
  void validateNeedsNoRegionAndBuildsNothing() {
    System.setProperty("aws.disableEc2Metadata", "true");
    Map<String, String> s = new HashMap<>();
    s.put("namespace", "apps.internal");
    s.put("backendPort", "3000");
    s.put("cloudmapRefresh", "2s");
    s.put("cloudmapEndpoint", "http://127.0.0.1:1");
    s.put("cloudmapHealthStatus", "ALL");
    s.put("cloudmapWeightAttribute", "W");
    s.put("cloudmapMaxResults", "100");
    s.put("cloudmapFullRefresh", "30s");
    s.put("cloudmapNegativeTtl", "10s");
    s.put("cloudmapBackoffMax", "1m");
    s.put("cloudmapTimeout", "5s");
    s.put("cloudmapThreads", "2");
    CloudMapApiDiscoveryProvider p = new CloudMapApiDiscoveryProvider();
    assertThat(p.settingNames()).isEqualTo(s.keySet());
    p.validate(s); // no region set here: only newDiscovery needs one
  }
}
