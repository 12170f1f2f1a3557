package dev.whaleray.discovery.staticlist;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.whaleray.router.Endpoint;
import dev.whaleray.router.EndpointSet;
import dev.whaleray.router.discovery.Discovery;
import dev.whaleray.router.discovery.DiscoveryContext;
import dev.whaleray.router.discovery.DiscoveryProvider;
import dev.whaleray.router.discovery.DiscoveryProviders;
import dev.whaleray.router.testing.RecordingListener;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class StaticDiscoveryProviderTest {
  private final ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor();

  @AfterEach
  void tearDown() throws InterruptedException {
    scheduler.shutdownNow();
    assertThat(scheduler.awaitTermination(10, TimeUnit.SECONDS)).isTrue();
  }

  private static EndpointSet ready(Discovery discovery, String service) throws Exception {
    return discovery
        .watch(service, new RecordingListener())
        .ready()
        .toCompletableFuture()
        .get(10, TimeUnit.SECONDS);
  }

  @Test
  void registryFindsTheStaticProvider() {
    DiscoveryProvider provider = DiscoveryProviders.get("static");

    assertThat(provider).isInstanceOf(StaticDiscoveryProvider.class);
    assertThat(provider.name()).isEqualTo(StaticDiscoveryProvider.NAME).isEqualTo("static");
    assertThat(provider.isAvailable()).isTrue();
    assertThat(DiscoveryProviders.names()).contains("static");
  }

  @Test
  void withoutAConfigFileEveryServiceIsUnknown() throws Exception {
    DiscoveryContext context = DiscoveryContext.builder().scheduler(scheduler).build();

    try (Discovery discovery = DiscoveryProviders.get("static").newDiscovery(context)) {
      assertThat(ready(discovery, "demo").isKnown()).isFalse();
    }
  }

  @Test
  void readsTheConfigFile(@TempDir Path dir) throws Exception {
    Path file =
        Files.writeString(
            dir.resolve("router.yaml"),
            "discovery:\n  type: static\n  static:\n    demo: [ \"127.0.0.1:8081\" ]\n");
    DiscoveryContext context =
        DiscoveryContext.builder().configFile(file).scheduler(scheduler).build();

    try (Discovery discovery = new StaticDiscoveryProvider().newDiscovery(context)) {
      assertThat(ready(discovery, "demo").endpoints())
          .containsExactly(Endpoint.of("127.0.0.1", 8081));
      assertThat(ready(discovery, "other").isKnown()).isFalse();
    }
  }

  @Test
  void invalidConfigFileFailsWithTheLineAndField(@TempDir Path dir) throws Exception {
    Path file =
        Files.writeString(
            dir.resolve("router.yaml"), "discovery:\n  static:\n    demo: \"127.0.0.1:8081\"\n");
    DiscoveryContext context =
        DiscoveryContext.builder().configFile(file).scheduler(scheduler).build();

    assertThatThrownBy(() -> new StaticDiscoveryProvider().newDiscovery(context))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith(file + " line 3: discovery.static.demo: '127.0.0.1:8081'");
  }

  @Test
  void readsNoSettingSoAnyGivenByNameIsRefused() {
    DiscoveryProvider provider = new StaticDiscoveryProvider();
    assertThat(provider.settingNames()).isEmpty();
    provider.validate(Map.of());
    assertThatThrownBy(() -> provider.validate(Map.of("static", "127.0.0.1:8081")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(
            "static: unknown setting of discovery static (expected: none, it reads no setting)");
  }
}
