package dev.whaleray.discovery.cloudmap.api;

import dev.whaleray.discovery.cloudmap.internal.Settings;
import dev.whaleray.router.discovery.Discovery;
import dev.whaleray.router.discovery.DiscoveryContext;
import dev.whaleray.router.discovery.DiscoveryProvider;
import java.net.URI;
import java.net.URISyntaxException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * The {@code cloudmap-api} discovery ({@code WHALERAY_DISCOVERY=cloudmap-api}): Cloud Map services
 * through the {@code DiscoverInstances} API; see {@link CloudMapApiDiscovery}. Region and
 * credentials come from the AWS SDK's default chains ({@code AWS_REGION}, the ECS task role).
 * Stateless and thread-safe.
 *
 * <p>Settings (the reference router's variable in brackets):
 *
 * <ul>
 *   <li>{@code namespace} ({@code WHALERAY_NAMESPACE}, default {@code whaleray.local});
 *   <li>{@code backendPort} ({@code WHALERAY_BACKEND_PORT}, default 3000): the port of instances
 *       without {@code AWS_INSTANCE_PORT};
 *   <li>{@code cloudmapRefresh} ({@code WHALERAY_CLOUDMAP_REFRESH}, default 5s): poll interval;
 *   <li>{@code cloudmapEndpoint} ({@code WHALERAY_CLOUDMAP_ENDPOINT}): endpoint override, reached
 *       exactly (no {@code data-} prefix);
 *   <li>{@code cloudmapHealthStatus} (default {@code HEALTHY_OR_ELSE_ALL}; or {@code HEALTHY},
 *       {@code UNHEALTHY}, {@code ALL});
 *   <li>{@code cloudmapWeightAttribute} (default {@code WHALERAY_WEIGHT});
 *   <li>{@code cloudmapMaxResults} (default 1000), {@code cloudmapFullRefresh} (default 30s),
 *       {@code cloudmapNegativeTtl} (default 10s), {@code cloudmapBackoffMax} (default 60s), {@code
 *       cloudmapTimeout} (default 5s), {@code cloudmapThreads} (default 2).
 * </ul>
 */
public final class CloudMapApiDiscoveryProvider implements DiscoveryProvider {

  /** The provider name, the config value. */
  public static final String NAME = "cloudmap-api";

  private static final Set<String> SETTINGS =
      Set.of(
          "namespace",
          "backendPort",
          "cloudmapRefresh",
          "cloudmapEndpoint",
          "cloudmapHealthStatus",
          "cloudmapWeightAttribute",
          "cloudmapMaxResults",
          "cloudmapFullRefresh",
          "cloudmapNegativeTtl",
          "cloudmapBackoffMax",
          "cloudmapTimeout",
          "cloudmapThreads");

  private static final Duration MIN = Duration.ofMillis(100);
  private static final Duration DAY = Duration.ofHours(24);

  @Override
  public String name() {
    return NAME;
  }

  /** The artifact that holds this provider, as error messages name it. */
  public static final String ARTIFACT = "dev.whaleray:discovery-cloudmap-api";

  /** The classes this provider needs, and the artifact each comes from. */
  private static final List<Map.Entry<String, String>> REQUIRED =
      List.of(
          Map.entry(
              "software.amazon.awssdk.services.servicediscovery.ServiceDiscoveryClient",
              "software.amazon.awssdk:servicediscovery"),
          Map.entry(
              "software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient",
              "software.amazon.awssdk:url-connection-client"));

  /**
   * False when the AWS SDK's servicediscovery module or url-connection-client is missing (a
   * dependency of {@value #ARTIFACT} excluded by hand); {@link #unavailableReason()} names it.
   */
  @Override
  public boolean isAvailable() {
    return missing(CloudMapApiDiscoveryProvider.class.getClassLoader()) == null;
  }

  /**
   * {@inheritDoc} E.g. {@code cloudmap-api discovery needs software.amazon.awssdk:servicediscovery
   * on the classpath (a dependency of dev.whaleray:discovery-cloudmap-api)}.
   */
  @Override
  public @Nullable String unavailableReason() {
    return missing(CloudMapApiDiscoveryProvider.class.getClassLoader());
  }

  /** What {@code loader} lacks for this provider, as a message; null when nothing. */
  static @Nullable String missing(@Nullable ClassLoader loader) {
    List<String> absent = new ArrayList<>();
    for (Map.Entry<String, String> e : REQUIRED) {
      try {
        Class.forName(e.getKey(), false, loader);
      } catch (ClassNotFoundException | LinkageError ex) {
        absent.add(e.getValue());
      }
    }
    if (absent.isEmpty()) {
      return null;
    }
    return NAME
        + " discovery needs "
        + String.join(" and ", absent)
        + " on the classpath ("
        + (absent.size() == 1 ? "a dependency" : "dependencies")
        + " of "
        + ARTIFACT
        + ")";
  }

  /** The settings above. */
  @Override
  public Set<String> settingNames() {
    return SETTINGS;
  }

  /** {@inheritDoc} The AWS region is looked for by {@link #newDiscovery} only. */
  @Override
  public void validate(Map<String, String> settings) {
    DiscoveryProvider.super.validate(settings);
    configure(new Settings(settings));
  }

  /**
   * {@inheritDoc}
   *
   * @throws IllegalArgumentException naming the invalid setting, or when no AWS region is found
   */
  @Override
  public Discovery newDiscovery(DiscoveryContext context) {
    return configure(new Settings(context.settings())).scheduler(context.scheduler()).build();
  }

  /** A builder with every setting applied. */
  private static CloudMapApiDiscovery.Builder configure(Settings s) {
    CloudMapApiDiscovery.Builder b =
        CloudMapApiDiscovery.builder()
            .namespace(s.string("namespace", CloudMapApiDiscovery.DEFAULT_NAMESPACE))
            .backendPort(
                s.integer("backendPort", CloudMapApiDiscovery.DEFAULT_BACKEND_PORT, 1, 65535))
            .refresh(s.duration("cloudmapRefresh", CloudMapApiDiscovery.DEFAULT_REFRESH, MIN, DAY))
            .fullRefresh(
                s.duration(
                    "cloudmapFullRefresh", CloudMapApiDiscovery.DEFAULT_FULL_REFRESH, MIN, DAY))
            .negativeTtl(
                s.duration(
                    "cloudmapNegativeTtl", CloudMapApiDiscovery.DEFAULT_NEGATIVE_TTL, MIN, DAY))
            .backoffMax(
                s.duration(
                    "cloudmapBackoffMax", CloudMapApiDiscovery.DEFAULT_BACKOFF_MAX, MIN, DAY))
            .timeout(
                s.duration(
                    "cloudmapTimeout",
                    CloudMapApiDiscovery.DEFAULT_TIMEOUT,
                    MIN,
                    Duration.ofMinutes(5)))
            .maxResults(
                s.integer("cloudmapMaxResults", CloudMapApiDiscovery.DEFAULT_MAX_RESULTS, 1, 1000))
            .threads(s.integer("cloudmapThreads", CloudMapApiDiscovery.DEFAULT_THREADS, 1, 64))
            .weightAttribute(
                s.string("cloudmapWeightAttribute", CloudMapApiDiscovery.DEFAULT_WEIGHT_ATTRIBUTE));
    String health = s.optional("cloudmapHealthStatus");
    if (health != null) {
      b.healthStatus(CloudMapApiDiscovery.Builder.parseHealthStatus(health));
    }
    String endpoint = s.optional("cloudmapEndpoint");
    if (endpoint != null) {
      URI uri;
      try {
        uri = new URI(endpoint);
      } catch (URISyntaxException e) {
        throw new IllegalArgumentException(
            "cloudmapEndpoint: '" + endpoint + "' (expected: an http(s) URL): " + e.getMessage(),
            e);
      }
      b.endpoint(uri);
    }
    return b;
  }
}
