package dev.whaleray.discovery.cloudmap;

import static org.assertj.core.api.Assertions.assertThat;

import dev.whaleray.discovery.cloudmap.api.CloudMapApiDiscoveryProvider;
import dev.whaleray.discovery.cloudmap.dns.CloudMapDnsDiscoveryProvider;
import dev.whaleray.router.discovery.DiscoveryProviders;
import java.io.File;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;

/**
 * Both shipped providers are registered, and report themselves unavailable without their libraries.
 */
class ProvidersTest {

  @Test
  void theRegistryFindsEveryShippedProvider() {
    assertThat(DiscoveryProviders.names()).contains("cloudmap-dns", "cloudmap-api");
    assertThat(DiscoveryProviders.get(CloudMapDnsDiscoveryProvider.NAME))
        .isInstanceOf(CloudMapDnsDiscoveryProvider.class);
    assertThat(DiscoveryProviders.get(CloudMapApiDiscoveryProvider.NAME))
        .isInstanceOf(CloudMapApiDiscoveryProvider.class);
  }

  @Test
  void withoutTheAwsSdkOnlyTheDnsProviderIsAvailable() throws Exception {
    try (URLClassLoader loader = isolated(p -> p.contains("awssdk"))) {
      assertThat(names(loader)).contains("cloudmap-dns").doesNotContain("cloudmap-api");
      assertThat(available(loader, CloudMapApiDiscoveryProvider.class)).isFalse();
      assertThat(available(loader, CloudMapDnsDiscoveryProvider.class)).isTrue();
    }
  }

  @Test
  void withoutAnyLibraryNeitherIsAvailableAndNothingThrows() throws Exception {
    try (URLClassLoader loader = isolated(p -> p.contains("awssdk") || p.contains("dnsjava"))) {
      assertThat(names(loader)).doesNotContain("cloudmap-dns", "cloudmap-api");
      assertThat(available(loader, CloudMapApiDiscoveryProvider.class)).isFalse();
      assertThat(available(loader, CloudMapDnsDiscoveryProvider.class)).isFalse();
    }
  }

  /** The test class path without the entries {@code drop} matches, on the platform loader. */
  private static URLClassLoader isolated(Predicate<String> drop) throws Exception {
    String cp =
        System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
    List<URL> urls = new ArrayList<>();
    for (String entry : cp.split(File.pathSeparator)) {
      if (!entry.isEmpty() && !drop.test(entry)) {
        urls.add(Path.of(entry).toUri().toURL());
      }
    }
    return new URLClassLoader(urls.toArray(new URL[0]), ClassLoader.getPlatformClassLoader());
  }

  @SuppressWarnings("unchecked")
  private static Set<String> names(ClassLoader loader) throws Exception {
    Class<?> providers = Class.forName(DiscoveryProviders.class.getName(), true, loader);
    assertThat(providers).isNotSameAs(DiscoveryProviders.class);
    return (Set<String>) providers.getMethod("names").invoke(null);
  }

  private static boolean available(ClassLoader loader, Class<?> provider) throws Exception {
    Object p = Class.forName(provider.getName(), true, loader).getConstructor().newInstance();
    return (Boolean) p.getClass().getMethod("isAvailable").invoke(p);
  }
}
