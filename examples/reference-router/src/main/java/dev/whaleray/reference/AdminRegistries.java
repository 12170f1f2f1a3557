package dev.whaleray.reference;

import dev.whaleray.discovery.cloudmap.api.CloudMapRegistry;
import dev.whaleray.router.core.registry.MemoryRegistry;
import dev.whaleray.router.discovery.Registry;
import java.net.URI;
import java.util.concurrent.ScheduledExecutorService;

/**
 * Builds the admin API's {@link Registry} from {@code admin.registry}: {@code memory} (this task
 * only) or {@code cloudmap} (Cloud Map instances, with the namespace and endpoint override of the
 * Cloud Map discovery settings: {@code WHALERAY_NAMESPACE}, {@code WHALERAY_CLOUDMAP_ENDPOINT}).
 */
final class AdminRegistries {
  private AdminRegistries() {}

  static Registry newRegistry(RouterConfig config, ScheduledExecutorService scheduler) {
    MemoryRegistry local = MemoryRegistry.create(scheduler);
    if (!config.admin.registry.equals(AdminSettings.CLOUDMAP)) {
      return local;
    }
    if (!config.discovery.equals("cloudmap-api")) {
      local.close();
      throw new IllegalArgumentException(
          "admin.registry: cloudmap needs discovery cloudmap-api (found: "
              + config.discovery
              + "): the routers read registrations back through it");
    }
    CloudMapRegistry.Builder b =
        CloudMapRegistry.builder()
            .local(local)
            .background(
                java.util.concurrent.ForkJoinPool.commonPool()) // lapsed removals: off the timer
            .namespace(config.discoverySettings.getOrDefault("namespace", "whaleray.local"));
    String weight = config.discoverySettings.get("cloudmapWeightAttribute");
    if (weight != null) {
      b.weightAttribute(weight);
    }
    String endpoint = config.discoverySettings.get("cloudmapEndpoint");
    if (endpoint != null) {
      try {
        b.endpoint(new URI(endpoint));
      } catch (java.net.URISyntaxException e) {
        throw new IllegalArgumentException(
            "admin.registry cloudmap: cloudmapEndpoint: '" + endpoint + "' (expected: a URL)", e);
      }
    }
    try {
      return b.build();
    } catch (IllegalArgumentException e) {
      local.close();
      throw new IllegalArgumentException("admin.registry cloudmap: " + e.getMessage(), e);
    }
  }
}
