package dev.whaleray.reference;

import dev.whaleray.router.discovery.DiscoveryProviders;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * The discovery providers the reference router is built with, and the artifact that holds each, so
 * that a router started on a class path without one (an embedder's own assembly of the jars) says
 * which artifact to add instead of only "not available".
 */
final class BundledProviders {
  private BundledProviders() {}

  /** Provider name to {artifact, provider class}. */
  private static final Map<String, String[]> DISCOVERY =
      Map.of(
          "static",
          new String[] {
            "dev.whaleray:discovery-static",
            "dev.whaleray.discovery.staticlist.StaticDiscoveryProvider"
          },
          "cloudmap-dns",
          new String[] {
            "dev.whaleray:discovery-cloudmap-dns",
            "dev.whaleray.discovery.cloudmap.dns.CloudMapDnsDiscoveryProvider"
          },
          "cloudmap-api",
          new String[] {
            "dev.whaleray:discovery-cloudmap-api",
            "dev.whaleray.discovery.cloudmap.api.CloudMapApiDiscoveryProvider"
          });

  /**
   * The error for discovery {@code name} that {@link DiscoveryProviders#get} did not give ({@code
   * notFound}): for a bundled provider whose class {@code loader} cannot see, one naming its
   * artifact, e.g. {@code discovery cloudmap-api: cloudmap-api discovery needs
   * dev.whaleray:discovery-cloudmap-api on the classpath (expected one of: [static])}; otherwise
   * the registry's message (which says what an unavailable provider lacks).
   */
  static IllegalArgumentException discoveryNotFound(
      String name, IllegalArgumentException notFound, ClassLoader loader) {
    String artifact = missingArtifact(name, loader);
    if (artifact != null) {
      return new IllegalArgumentException(
          "discovery "
              + name
              + ": "
              + name
              + " discovery needs "
              + artifact
              + " on the classpath (expected one of: "
              + DiscoveryProviders.names()
              + ")",
          notFound);
    }
    return new IllegalArgumentException(
        "discovery " + name + ": " + notFound.getMessage(), notFound);
  }

  /** The artifact of bundled provider {@code name} when {@code loader} lacks it; else null. */
  static @Nullable String missingArtifact(String name, ClassLoader loader) {
    String[] known = DISCOVERY.get(name);
    if (known == null) {
      return null;
    }
    try {
      Class.forName(known[1], false, loader);
      return null;
    } catch (ClassNotFoundException | LinkageError e) {
      return known[0];
    }
  }
}
