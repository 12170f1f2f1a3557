package dev.whaleray.router.discovery;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class DiscoveryContextTest {
  private final ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor();

  @AfterEach
  void tearDown() {
    scheduler.shutdownNow();
  }

  @Test
  void theBuilderSetsEveryField() {
    DiscoveryContext c =
        DiscoveryContext.builder()
            .settings(Map.of("namespace", "apps.local"))
            .setting("backendPort", "3001")
            .configFile(Path.of("router.yaml"))
            .scheduler(scheduler)
            .build();

    assertThat(c.settings())
        .containsOnly(Map.entry("namespace", "apps.local"), Map.entry("backendPort", "3001"));
    assertThat(c.setting("backendPort", "3000")).isEqualTo("3001");
    assertThat(c.setting("dnsValid", "10s")).isEqualTo("10s");
    assertThat(c.configFile()).isEqualTo(Path.of("router.yaml"));
    assertThat(c.scheduler()).isSameAs(scheduler);
  }

  @Test
  void onlyTheSchedulerIsRequired() {
    DiscoveryContext c = DiscoveryContext.builder().scheduler(scheduler).build();
    assertThat(c.settings()).isEmpty();
    assertThat(c.configFile()).isNull();

    assertThatThrownBy(() -> DiscoveryContext.builder().settings(Map.of("a", "b")).build())
        .isInstanceOf(IllegalStateException.class)
        .hasMessageStartingWith("scheduler: not set");
  }

  @Test
  void buildCopiesSoAReusedBuilderNeverChangesWhatItBuilt() {
    Map<String, String> given = new HashMap<>(Map.of("a", "1"));
    DiscoveryContext.Builder b = DiscoveryContext.builder().settings(given).scheduler(scheduler);
    DiscoveryContext first = b.build();

    given.put("b", "2");
    b.setting("a", "changed").configFile(Path.of("other.yaml"));
    DiscoveryContext second = b.build();

    assertThat(first.settings()).containsOnly(Map.entry("a", "1"));
    assertThat(first.configFile()).isNull();
    assertThat(second.settings()).containsOnly(Map.entry("a", "changed"));
    assertThat(second.configFile()).isEqualTo(Path.of("other.yaml"));
    assertThatThrownBy(() -> first.settings().put("x", "y"))
        .isInstanceOf(UnsupportedOperationException.class);
  }

  @Test
  void settingsReplacesAndTheStaticFactoryIsTheBuilder() {
    DiscoveryContext c =
        DiscoveryContext.builder()
            .setting("old", "x")
            .settings(Map.of("new", "y"))
            .scheduler(scheduler)
            .build();
    assertThat(c.settings()).containsOnly(Map.entry("new", "y"));

    DiscoveryContext of = DiscoveryContext.of(Map.of("k", "v"), Path.of("f.yaml"), scheduler);
    assertThat(of.settings()).containsOnly(Map.entry("k", "v"));
    assertThat(of.configFile()).isEqualTo(Path.of("f.yaml"));
    assertThat(of.scheduler()).isSameAs(scheduler);
  }

  @Test
  void nullsAreRefusedNamingTheArgument() {
    DiscoveryContext.Builder b = DiscoveryContext.builder();
    assertThatThrownBy(() -> b.setting("a", null)).hasMessage("value");
    assertThatThrownBy(() -> b.scheduler(null)).hasMessage("scheduler");
    Map<String, String> withNull = new HashMap<>();
    withNull.put("a", null);
    assertThatThrownBy(() -> b.settings(withNull)).isInstanceOf(NullPointerException.class);
  }
}
