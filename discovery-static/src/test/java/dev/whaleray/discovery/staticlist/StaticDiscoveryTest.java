package dev.whaleray.discovery.staticlist;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.whaleray.router.Endpoint;
import dev.whaleray.router.EndpointSet;
import dev.whaleray.router.discovery.Watch;
import dev.whaleray.router.testing.RecordingListener;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class StaticDiscoveryTest {
  private static final Duration TIMEOUT = Duration.ofSeconds(10);
  // Tests that drive polls by hand use a period no poll reaches within a test.
  private static final Duration NEVER = Duration.ofHours(1);
  private static final Endpoint E8081 = Endpoint.of("127.0.0.1", 8081);
  private static final Endpoint E8082 = Endpoint.of("127.0.0.1", 8082);

  private final ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor();
  private final List<AutoCloseable> toClose = new ArrayList<>();
  @TempDir Path dir;

  @AfterEach
  void tearDown() throws Exception {
    for (AutoCloseable c : toClose) {
      c.close();
    }
    scheduler.shutdownNow();
    assertThat(scheduler.awaitTermination(10, TimeUnit.SECONDS)).isTrue();
  }

  private <T extends AutoCloseable> T closeLater(T closeable) {
    toClose.add(closeable);
    return closeable;
  }

  private static String config(String staticSection) {
    return "port: 8080\ndiscovery:\n  type: static\n  static:\n" + staticSection;
  }

  /** Replaces the file in one step, so a poll never sees it half written. */
  private Path write(String name, String content) throws IOException {
    Path target = dir.resolve(name);
    Path temp = Files.createTempFile(dir, name, ".tmp");
    Files.writeString(temp, content);
    return Files.move(
        temp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
  }

  /** Waits until every callback queued on the (single-thread) scheduler so far has run. */
  private void drainScheduler() throws InterruptedException, ExecutionException, TimeoutException {
    scheduler.submit(() -> {}).get(10, TimeUnit.SECONDS);
    scheduler.submit(() -> {}).get(10, TimeUnit.SECONDS);
  }

  private static EndpointSet ready(Watch watch) throws Exception {
    return watch.ready().toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  @Test
  void builderServesItsServices() throws Exception {
    StaticDiscovery discovery =
        closeLater(
            StaticDiscovery.builder()
                .service("demo", E8082, E8081)
                .service("Other", List.of(Endpoint.of("10.0.0.1", 80)))
                .service("empty")
                .build());
    RecordingListener listener = new RecordingListener();

    EndpointSet demo = ready(discovery.watch("demo", listener));

    assertThat(demo.isKnown()).isTrue();
    assertThat(demo.endpoints()).containsExactly(E8081, E8082);
    assertThat(demo.revision()).isPositive();
    assertThat(listener.awaitUpdates(1, TIMEOUT)).containsExactly(demo);
    assertThat(ready(discovery.watch("other", new RecordingListener())).endpoints())
        .containsExactly(Endpoint.of("10.0.0.1", 80));
    EndpointSet empty = ready(discovery.watch("empty", new RecordingListener()));
    assertThat(empty.isKnown()).isTrue();
    assertThat(empty.isEmpty()).isTrue();
    assertThat(discovery.services().keySet()).containsExactly("demo", "empty", "other");
  }

  @Test
  void unknownServiceIsUnknown() throws Exception {
    StaticDiscovery discovery =
        closeLater(StaticDiscovery.builder().service("demo", E8081).build());

    EndpointSet ghost = ready(discovery.watch("ghost", new RecordingListener()));

    assertThat(ghost.service()).isEqualTo("ghost");
    assertThat(ghost.isKnown()).isFalse();
    assertThat(ghost.isEmpty()).isTrue();
  }

  @Test
  void builderCopiesOnBuildAndAddsUp() {
    StaticDiscovery.Builder builder = StaticDiscovery.builder().service("demo", E8081);
    StaticDiscovery first = closeLater(builder.build());
    builder.service("DEMO", E8082).service("late", E8081);
    StaticDiscovery second = closeLater(builder.build());

    assertThat(first.services()).containsOnlyKeys("demo").containsEntry("demo", List.of(E8081));
    assertThat(second.services())
        .containsOnlyKeys("demo", "late")
        .containsEntry("demo", List.of(E8081, E8082));
    assertThatThrownBy(() -> second.services().put("x", List.of()))
        .isInstanceOf(UnsupportedOperationException.class);
  }

  @Test
  void builderRejectsBadNames() {
    assertThatThrownBy(() -> StaticDiscovery.builder().service("bad_name", E8081))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("service: 'bad_name' (expected: a DNS label, 1-63 of [a-z0-9-])");
    assertThatThrownBy(() -> StaticDiscovery.builder().service("a", (Endpoint) null))
        .isInstanceOf(NullPointerException.class);
  }

  @Test
  void builderWithAnExecutorRunsCallbacksThere() {
    List<Runnable> queued = new ArrayList<>();
    StaticDiscovery discovery =
        closeLater(StaticDiscovery.builder().service("demo", E8081).executor(queued::add).build());
    RecordingListener listener = new RecordingListener();

    discovery.watch("demo", listener);
    assertThat(listener.updates()).isEmpty();
    while (!queued.isEmpty()) {
      queued.remove(0).run();
    }

    assertThat(listener.updates()).hasSize(1);
    assertThat(listener.last().endpoints()).containsExactly(E8081);
  }

  @Test
  void fromFileServesTheStaticSection() throws Exception {
    Path file =
        write(
            "config.yaml",
            config(
                "    demo: [ \"127.0.0.1:8081\", \"127.0.0.1:8082 weight=3 zone=us-east-1a\" ]\n"));
    StaticDiscovery discovery = closeLater(StaticDiscovery.fromFile(file, scheduler));

    EndpointSet demo = ready(discovery.watch("demo", new RecordingListener()));
    EndpointSet ghost = ready(discovery.watch("ghost", new RecordingListener()));

    assertThat(demo.endpoints())
        .containsExactly(E8081, E8082.toBuilder().weight(3).zone("us-east-1a").build());
    assertThat(ghost.isKnown()).isFalse();
    assertThat(discovery).hasToString("StaticDiscovery{file=" + file + ", services=[demo]}");
  }

  @Test
  void badFileAtStartIsAnError() throws IOException {
    Path file =
        write("config.yaml", config("    demo: [ \"127.0.0.1:80\", \"127.0.0.1:http\" ]\n"));

    assertThatThrownBy(() -> StaticDiscovery.fromFile(file, scheduler))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(
            file
                + " line 5: discovery.static.demo[1]: port: 'http' (expected: a number from 1 to"
                + " 65535)");
    assertThatThrownBy(() -> StaticDiscovery.fromFile(dir.resolve("missing.yaml"), scheduler))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("missing.yaml: cannot read the file");
    assertThatThrownBy(() -> StaticDiscovery.fromFile(file, scheduler, Duration.ZERO))
        .hasMessage("pollInterval: PT0S (expected: > 0)");
  }

  @Test
  void hotReloadPublishesANewRevision() throws Exception {
    Path file = write("config.yaml", config("    demo: [ \"127.0.0.1:8081\" ]\n"));
    StaticDiscovery discovery =
        closeLater(StaticDiscovery.fromFile(file, scheduler, Duration.ofMillis(20)));
    RecordingListener demo = new RecordingListener();
    RecordingListener added = new RecordingListener();
    EndpointSet first = ready(discovery.watch("demo", demo));
    assertThat(ready(discovery.watch("added", added)).isKnown()).isFalse();

    write(
        "config.yaml",
        config("    demo: [ \"127.0.0.1:8081\", \"127.0.0.1:8082\" ]\n    added: []\n"));

    EndpointSet second = demo.awaitLast(s -> s.size() == 2, TIMEOUT);
    assertThat(second.endpoints()).containsExactly(E8081, E8082);
    assertThat(second.revision()).isGreaterThan(first.revision());
    EndpointSet nowKnown = added.awaitLast(EndpointSet::isKnown, TIMEOUT);
    assertThat(nowKnown.isEmpty()).isTrue();
    assertThat(discovery.services()).containsOnlyKeys("added", "demo");

    // A service that leaves the file becomes unknown.
    write("config.yaml", config("    added: [ \"127.0.0.1:9000\" ]\n"));
    EndpointSet gone = demo.awaitLast(s -> !s.isKnown(), TIMEOUT);
    assertThat(gone.revision()).isGreaterThan(second.revision());
    assertThat(added.awaitLast(s -> s.size() == 1, TIMEOUT).endpoints())
        .containsExactly(Endpoint.of("127.0.0.1", 9000));
  }

  @Test
  void badEditKeepsTheLastGoodEndpointsUntilFixed() throws Exception {
    Path file = write("config.yaml", config("    demo: [ \"127.0.0.1:8081\" ]\n"));
    StaticDiscovery discovery = closeLater(StaticDiscovery.fromFile(file, scheduler, NEVER));
    RecordingListener listener = new RecordingListener();
    EndpointSet good = ready(discovery.watch("demo", listener));
    List<LogRecord> logged = captureLogs();

    write(
        "config.yaml", config("    demo:\n      - \"127.0.0.1:8082\"\n      - \"127.0.0.1:x\"\n"));
    discovery.pollNow();
    discovery.pollNow(); // the same broken content is reported once
    drainScheduler();

    assertThat(listener.updates()).containsExactly(good);
    assertThat(discovery.services()).containsEntry("demo", List.of(E8081));
    assertThat(logged)
        .extracting(LogRecord::getMessage)
        .containsExactly(
            file
                + " line 7: discovery.static.demo[1]: port: 'x' (expected: a number from 1 to"
                + " 65535); keeping the last good endpoints");
    assertThat(logged.get(0).getLevel()).isEqualTo(java.util.logging.Level.WARNING);

    // A missing file is also survived.
    Files.delete(file);
    discovery.pollNow();
    drainScheduler();
    assertThat(listener.updates()).containsExactly(good);
    assertThat(logged).hasSize(2);
    assertThat(logged.get(1).getMessage()).contains("cannot read the file", "NoSuchFileException");

    write("config.yaml", config("    demo: [ \"127.0.0.1:8082\" ]\n"));
    discovery.pollNow();

    EndpointSet fixed = listener.awaitLast(s -> s.endpoints().equals(List.of(E8082)), TIMEOUT);
    assertThat(fixed.revision()).isGreaterThan(good.revision());
    assertThat(listener.updates()).hasSize(2);
  }

  @Test
  void unchangedContentPublishesNothingNew() throws Exception {
    String content =
        config("    demo: [ \"127.0.0.1:8081\" ]\n    other: [ \"127.0.0.1:9000\" ]\n");
    Path file = write("config.yaml", content);
    StaticDiscovery discovery = closeLater(StaticDiscovery.fromFile(file, scheduler, NEVER));
    RecordingListener listener = new RecordingListener();
    EndpointSet first = ready(discovery.watch("demo", listener));

    // The same bytes again (a touch), then a comment, then another service's change.
    write("config.yaml", content);
    discovery.pollNow();
    write("config.yaml", "# edited\n" + content);
    discovery.pollNow();
    write(
        "config.yaml",
        config("    demo: [ \"127.0.0.1:8081\" ]\n    other: [ \"127.0.0.1:9001\" ]\n"));
    discovery.pollNow();
    drainScheduler();

    assertThat(listener.updates()).containsExactly(first);
    assertThat(discovery.services().get("other")).containsExactly(Endpoint.of("127.0.0.1", 9001));
  }

  @Test
  void refreshChecksTheFileAtOnce() throws Exception {
    Path file = write("config.yaml", config("    demo: [ \"127.0.0.1:8081\" ]\n"));
    StaticDiscovery discovery = closeLater(StaticDiscovery.fromFile(file, scheduler, NEVER));
    RecordingListener listener = new RecordingListener();
    Watch watch = discovery.watch("demo", listener);
    ready(watch);

    write("config.yaml", config("    demo: [ \"127.0.0.1:8082\" ]\n"));
    watch.refresh();

    assertThat(listener.awaitLast(s -> s.endpoints().equals(List.of(E8082)), TIMEOUT)).isNotNull();
  }

  @Test
  void closeStopsPolling() throws Exception {
    Path file = write("config.yaml", config("    demo: [ \"127.0.0.1:8081\" ]\n"));
    StaticDiscovery discovery = StaticDiscovery.fromFile(file, scheduler, Duration.ofMillis(10));
    RecordingListener listener = new RecordingListener();
    ready(discovery.watch("demo", listener));

    discovery.close();
    write("config.yaml", config("    demo: [ \"127.0.0.1:8082\" ]\n"));
    discovery.pollNow();
    drainScheduler();

    assertThat(discovery.services()).containsEntry("demo", List.of(E8081));
    assertThat(listener.updates()).hasSize(1);
    assertThatThrownBy(() -> discovery.watch("demo", listener))
        .isInstanceOf(IllegalStateException.class);
  }

  private final List<Logger> keptLoggers = new ArrayList<>();

  /** Records what StaticDiscovery logs from now on (System.Logger goes to java.util.logging). */
  private List<LogRecord> captureLogs() {
    Logger logger = Logger.getLogger(StaticDiscovery.class.getName());
    keptLoggers.add(logger); // a logger only weakly held would lose its handler
    List<LogRecord> records = new java.util.concurrent.CopyOnWriteArrayList<>();
    Handler handler =
        new Handler() {
          @Override
          public void publish(LogRecord record) {
            if (record.getLevel().intValue() >= java.util.logging.Level.WARNING.intValue()) {
              records.add(record);
            }
          }

          @Override
          public void flush() {}

          @Override
          public void close() {}
        };
    logger.addHandler(handler);
    toClose.add(() -> logger.removeHandler(handler));
    return records;
  }
}
