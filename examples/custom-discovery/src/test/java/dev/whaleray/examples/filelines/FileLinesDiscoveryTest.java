package dev.whaleray.examples.filelines;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.whaleray.router.Endpoint;
import dev.whaleray.router.EndpointSet;
import dev.whaleray.router.discovery.Discovery;
import dev.whaleray.router.discovery.DiscoveryContext;
import dev.whaleray.router.discovery.DiscoveryProvider;
import dev.whaleray.router.discovery.DiscoveryProviders;
import dev.whaleray.router.discovery.Watch;
import dev.whaleray.router.testing.RecordingListener;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The plugin as the router loads it: by name through ServiceLoader, built from settings. */
class FileLinesDiscoveryTest {
  private static final Duration WAIT = Duration.ofSeconds(10);

  @TempDir Path dir;
  private final ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor();
  private Discovery discovery;

  @AfterEach
  void tearDown() {
    if (discovery != null) {
      discovery.close();
    }
    scheduler.shutdownNow();
  }

  private Discovery discovery() {
    DiscoveryProvider provider = DiscoveryProviders.get("file-lines");
    discovery =
        provider.newDiscovery(
            DiscoveryContext.builder()
                .setting("fileLinesDir", dir.toString())
                .setting("fileLinesRefresh", "50ms")
                .scheduler(scheduler)
                .build());
    return discovery;
  }

  @Test
  void serviceLoaderFindsThePluginByName() {
    assertThat(DiscoveryProviders.get("file-lines")).isInstanceOf(FileLinesDiscoveryProvider.class);
    assertThat(DiscoveryProviders.names()).contains("file-lines");
  }

  @Test
  void eachLineIsAnEndpointAndChangesAreFollowed() throws Exception {
    Files.writeString(
        dir.resolve("orders"),
        "# orders\n10.0.1.15:32768 zone=us-east-1a\n\n10.0.2.27:32771 weight=2 version=7\n");
    RecordingListener listener = new RecordingListener();
    Watch watch = discovery().watch("orders", listener);

    EndpointSet first = watch.ready().toCompletableFuture().get(10, TimeUnit.SECONDS);
    assertThat(first.endpoints())
        .containsExactly(
            Endpoint.builder("10.0.1.15", 32768).zone("us-east-1a").build(),
            Endpoint.builder("10.0.2.27", 32771).weight(2).attribute("version", "7").build());

    Files.writeString(dir.resolve("orders"), "10.0.1.15:32768 zone=us-east-1a\n");
    assertThat(listener.awaitLast(s -> s.size() == 1, WAIT).endpoints())
        .containsExactly(Endpoint.builder("10.0.1.15", 32768).zone("us-east-1a").build());
  }

  @Test
  void noFileIsUnknownAndAnEmptyFileIsKnownWithoutEndpoints() throws Exception {
    Files.writeString(dir.resolve("drained"), "# all tasks stopped\n");
    Discovery d = discovery();

    EndpointSet missing =
        d.watch("missing", new RecordingListener())
            .ready()
            .toCompletableFuture()
            .get(10, TimeUnit.SECONDS);
    EndpointSet drained =
        d.watch("drained", new RecordingListener())
            .ready()
            .toCompletableFuture()
            .get(10, TimeUnit.SECONDS);

    assertThat(missing.isKnown()).isFalse();
    assertThat(drained.isKnown()).isTrue();
    assertThat(drained.isEmpty()).isTrue();
  }

  @Test
  void aBadLineKeepsTheLastGoodEndpointsAndReportsTheLine() throws Exception {
    Files.writeString(dir.resolve("orders"), "10.0.1.15:32768\n");
    RecordingListener listener = new RecordingListener();
    discovery().watch("orders", listener).ready().toCompletableFuture().get(10, TimeUnit.SECONDS);

    Files.writeString(dir.resolve("orders"), "10.0.1.15:32768\n10.0.1.16:http\n");

    RecordingListener.Failure failure = listener.awaitErrors(1, WAIT).get(0);
    assertThat(failure.error())
        .hasMessageEndingWith("orders line 2: port: 'http' (expected: a number from 1 to 65535)");
    assertThat(listener.updates()).hasSize(1);
  }

  @Test
  void aMissingDirectoryIsRefusedNamingTheSetting() {
    assertThatThrownBy(
            () ->
                new FileLinesDiscoveryProvider()
                    .newDiscovery(
                        DiscoveryContext.builder()
                            .setting("fileLinesDir", dir.resolve("nope").toString())
                            .scheduler(scheduler)
                            .build()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("fileLinesDir: '")
        .hasMessageEndingWith("(expected: a directory)");
  }

  @Test
  void validateAcceptsItsTwoSettingsInTheRouterGrammar() {
    DiscoveryProvider p = DiscoveryProviders.get("file-lines");
    assertThat(p.settingNames()).containsExactlyInAnyOrder("fileLinesDir", "fileLinesRefresh");
    for (String refresh : new String[] {"10ms", "2s", "1m", "1h", "PT0.5S", "3"}) {
      p.validate(Map.of("fileLinesDir", dir.toString(), "fileLinesRefresh", refresh));
    }
  }

  @Test
  void validateRefusesAMisspeltSettingNamingThePluginAndItsSettings() {
    assertThatThrownBy(
            () ->
                new FileLinesDiscoveryProvider()
                    .validate(Map.of("fileLinesDir", dir.toString(), "fileLinesRefesh", "2s")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(
            "fileLinesRefesh: unknown setting of discovery file-lines"
                + " (expected one of: fileLinesDir, fileLinesRefresh)");
  }

  @Test
  void validateRefusesBadValuesNamingTheSetting() {
    FileLinesDiscoveryProvider p = new FileLinesDiscoveryProvider();
    String good = dir.toString();
    assertThatThrownBy(() -> p.validate(Map.of("fileLinesDir", good, "fileLinesRefresh", "soon")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("fileLinesRefresh: 'soon' (expected: a duration such as 500ms, 10s, 2m or 1h)");
    assertThatThrownBy(() -> p.validate(Map.of("fileLinesDir", good, "fileLinesRefresh", "5ms")))
        .hasMessage("fileLinesRefresh: '5ms' (expected: from 10ms to 24h)");
    assertThatThrownBy(() -> p.validate(Map.of("fileLinesDir", dir.resolve("nope").toString())))
        .hasMessageStartingWith("fileLinesDir: '")
        .hasMessageEndingWith("(expected: a directory)");
  }
}
