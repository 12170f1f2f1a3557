package dev.whaleray.router.discovery;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.whaleray.router.Endpoint;
import dev.whaleray.router.EndpointSet;
import dev.whaleray.router.testing.FakeDiscovery;
import dev.whaleray.router.testing.ManualExecutor;
import dev.whaleray.router.testing.RecordingListener;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

class AbstractDiscoveryTest {
  private static final Duration TIMEOUT = Duration.ofSeconds(10);
  private static final Endpoint A = Endpoint.of("10.0.0.1", 8080);
  private static final Endpoint B = Endpoint.of("10.0.0.2", 8080);

  @Test
  void firstWatchStartsTheLookupOnce() {
    FakeDiscovery discovery = new FakeDiscovery();

    discovery.watch("a", new RecordingListener());
    discovery.watch("a", new RecordingListener());
    discovery.watch("b", new RecordingListener());

    assertThat(discovery.watchCalls()).containsExactly("a", "b");
    assertThat(discovery.watched()).containsExactlyInAnyOrder("a", "b");
  }

  @Test
  void listenersGetTheCurrentSetThenEveryChangeWithIncreasingRevisions() {
    FakeDiscovery discovery = new FakeDiscovery().set("a", A);
    RecordingListener first = new RecordingListener();
    discovery.watch("a", first);
    discovery.set("a", A, B);
    RecordingListener late = new RecordingListener();
    discovery.watch("a", late);

    assertThat(first.updates()).hasSize(2);
    assertThat(first.updates().get(0).endpoints()).containsExactly(A);
    assertThat(first.updates().get(1).endpoints()).containsExactly(A, B);
    assertThat(first.updates().get(1).revision()).isGreaterThan(first.updates().get(0).revision());
    assertThat(late.updates()).containsExactly(first.last());
    assertThat(discovery.published("a")).isEqualTo(first.last());
  }

  @Test
  void unchangedContentIsDropped() {
    FakeDiscovery discovery = new FakeDiscovery();
    RecordingListener listener = new RecordingListener();
    discovery.watch("a", listener);

    discovery.set("a", A, B);
    discovery.set(EndpointSet.of("a", 99, List.of(B, A, A))); // same content, other order
    discovery.set("a", A);
    discovery.set("a", A);
    discovery.setUnknown("a");
    discovery.setUnknown("a");
    discovery.set("a");
    discovery.set("a");

    List<EndpointSet> updates = listener.updates();
    assertThat(updates).hasSize(4);
    assertThat(updates.get(0).endpoints()).containsExactly(A, B);
    assertThat(updates.get(1).endpoints()).containsExactly(A);
    assertThat(updates.get(2).isKnown()).isFalse();
    assertThat(updates.get(3).isKnown()).isTrue();
    assertThat(updates.get(3).isEmpty()).isTrue();
    // Revisions come from the discovery, not from the published sets.
    assertThat(updates).extracting(EndpointSet::revision).isSorted().doesNotHaveDuplicates();
    assertThat(updates).extracting(EndpointSet::revision).doesNotContain(0L, 99L);
  }

  @Test
  void publishingAnUnwatchedServiceDoesNothing() {
    FakeDiscovery discovery = new FakeDiscovery();
    RecordingListener listener = new RecordingListener();
    discovery.watch("a", listener);

    discovery.set("b", A);

    assertThat(listener.updates()).isEmpty();
    assertThat(discovery.published("b")).isNull();
    assertThat(discovery.watched()).containsExactly("a");
  }

  @Test
  void deliveryIsSerialAndInOrderOnAThreadPool() throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(4);
    ExecutorService publishers = Executors.newFixedThreadPool(4);
    try {
      FakeDiscovery discovery = new FakeDiscovery(pool);
      RecordingListener listener = new RecordingListener();
      discovery.watch("a", listener);
      int perThread = 250;
      CountDownLatch start = new CountDownLatch(1);
      List<java.util.concurrent.Future<?>> done = new ArrayList<>();
      for (int t = 0; t < 4; t++) {
        int base = 1 + t * 1000;
        done.add(
            publishers.submit(
                () -> {
                  start.await();
                  for (int i = 0; i < perThread; i++) {
                    // Every set differs from every other, so none is dropped as unchanged.
                    discovery.set("a", Endpoint.of("10.0.0.1", base + i));
                  }
                  return null;
                }));
      }
      start.countDown();
      for (var f : done) {
        f.get(10, TimeUnit.SECONDS);
      }

      List<EndpointSet> updates = listener.awaitUpdates(4 * perThread, TIMEOUT);
      assertThat(updates).hasSize(4 * perThread);
      assertThat(listener.maxConcurrentCalls()).isEqualTo(1);
      assertThat(updates).extracting(EndpointSet::revision).isSorted().doesNotHaveDuplicates();
      assertThat(discovery.published("a")).isEqualTo(updates.get(updates.size() - 1));
    } finally {
      publishers.shutdownNow();
      pool.shutdownNow();
    }
  }

  @Test
  void aThrowingListenerIsContained() {
    FakeDiscovery discovery = new FakeDiscovery();
    AtomicBoolean called = new AtomicBoolean();
    Watch throwing =
        discovery.watch(
            "a",
            new Discovery.Listener() {
              @Override
              public void onUpdate(EndpointSet endpoints) {
                called.set(true);
                throw new IllegalStateException("listener bug (expected by the test)");
              }

              @Override
              public void onError(String service, Throwable error) {
                throw new IllegalStateException("listener bug (expected by the test)");
              }
            });
    RecordingListener healthy = new RecordingListener();
    discovery.watch("a", healthy);

    discovery.set("a", A);
    discovery.fail("a", new IOException("lookup failed"));
    discovery.set("a", A, B);

    assertThat(called).isTrue();
    assertThat(healthy.updates()).hasSize(2);
    assertThat(healthy.errors()).hasSize(1);
    assertThat(throwing.ready().toCompletableFuture())
        .isCompletedWithValue(healthy.updates().get(0));
  }

  @Test
  void readyCompletesAfterTheListenerGotTheSet() throws Exception {
    ManualExecutor executor = new ManualExecutor();
    FakeDiscovery discovery = new FakeDiscovery(executor);
    AtomicReference<Watch> watch = new AtomicReference<>();
    List<Boolean> readyDoneDuringUpdate = new ArrayList<>();
    List<EndpointSet> seen = new ArrayList<>();
    watch.set(
        discovery.watch(
            "a",
            set -> {
              readyDoneDuringUpdate.add(watch.get().ready().toCompletableFuture().isDone());
              seen.add(set);
            }));
    CompletableFuture<List<EndpointSet>> seenWhenReady =
        watch.get().ready().thenApply(set -> List.copyOf(seen)).toCompletableFuture();
    assertThat(seenWhenReady).isNotDone();

    discovery.set("a", A);
    assertThat(seenWhenReady).isNotDone(); // nothing runs before the control executor does
    executor.runAll();

    assertThat(readyDoneDuringUpdate).containsExactly(false);
    assertThat(seenWhenReady.get()).hasSize(1);
    assertThat(seenWhenReady.get().get(0).endpoints()).containsExactly(A);
    assertThat(watch.get().ready().toCompletableFuture().get()).isSameAs(seen.get(0));
  }

  @Test
  void readyCompletesForUnknownServices() {
    FakeDiscovery discovery = new FakeDiscovery().setUnknown("ghost");

    Watch watch = discovery.watch("ghost", new RecordingListener());

    assertThat(watch.ready().toCompletableFuture().join().isKnown()).isFalse();
  }

  @Test
  void readyFailsWhenTheFirstLookupFails() {
    FakeDiscovery discovery = new FakeDiscovery();
    RecordingListener listener = new RecordingListener();
    Watch watch = discovery.watch("a", listener);
    IOException error = new IOException("SERVFAIL");

    discovery.fail("a", error);

    assertThat(watch.ready().toCompletableFuture())
        .isCompletedExceptionally()
        .failsWithin(Duration.ZERO)
        .withThrowableOfType(ExecutionException.class)
        .withCause(error);
    assertThat(listener.errors()).containsExactly(new RecordingListener.Failure("a", error));
    assertThat(listener.updates()).isEmpty();
  }

  @Test
  void laterErrorsKeepTheLastGoodSet() {
    FakeDiscovery discovery = new FakeDiscovery().set("a", A);
    RecordingListener listener = new RecordingListener();
    Watch watch = discovery.watch("a", listener);
    EndpointSet good = listener.last();

    discovery.fail("a", new IOException("timeout"));
    Watch later = discovery.watch("a", new RecordingListener());

    assertThat(watch.ready().toCompletableFuture()).isCompletedWithValue(good);
    assertThat(later.ready().toCompletableFuture()).isCompletedWithValue(good);
    assertThat(discovery.published("a")).isSameAs(good);
    assertThat(listener.updates()).containsExactly(good);
    assertThat(listener.errors()).hasSize(1);
  }

  @Test
  void aThrowingDoWatchIsReportedAsAnError() {
    IllegalStateException failure = new IllegalStateException("cannot start");
    FakeDiscovery discovery = new FakeDiscovery().failNextWatch(failure);
    RecordingListener listener = new RecordingListener();

    Watch watch = discovery.watch("a", listener);

    assertThat(watch.ready().toCompletableFuture()).isCompletedExceptionally();
    assertThat(listener.errors()).containsExactly(new RecordingListener.Failure("a", failure));
  }

  @Test
  void aWatchAddedWhileAnUpdateIsQueuedEndsOnTheNewestSet() {
    // Regression: the watch used to capture the current set when it was added and deliver it
    // after an already queued newer set, leaving the new listener on stale endpoints.
    ManualExecutor executor = new ManualExecutor();
    FakeDiscovery discovery = new FakeDiscovery(executor);
    discovery.watch("a", new RecordingListener());
    discovery.set("a", A);
    executor.runAll();
    discovery.set("a", A, B); // queued, not yet run

    RecordingListener late = new RecordingListener();
    discovery.watch("a", late);
    executor.runAll();

    assertThat(late.updates()).hasSize(1);
    assertThat(late.last().endpoints()).containsExactly(A, B);
    assertThat(late.last()).isEqualTo(discovery.published("a"));
  }

  @Test
  void closingTheLastWatchUnwatchesTheService() {
    FakeDiscovery discovery = new FakeDiscovery().set("a", A);
    RecordingListener first = new RecordingListener();
    RecordingListener second = new RecordingListener();
    Watch w1 = discovery.watch("a", first);
    Watch w2 = discovery.watch("a", second);

    w1.close();
    assertThat(discovery.unwatchCalls()).isEmpty();
    discovery.set("a", A, B);
    assertThat(first.updates()).hasSize(1); // closed: no more updates
    assertThat(second.updates()).hasSize(2);

    w2.close();
    w2.close();
    assertThat(discovery.unwatchCalls()).containsExactly("a");
    assertThat(discovery.watched()).isEmpty();
    assertThat(discovery.published("a")).isNull();

    // Watching again starts a new lookup.
    RecordingListener again = new RecordingListener();
    discovery.watch("a", again);
    assertThat(discovery.watchCalls()).containsExactly("a", "a");
    assertThat(again.updates()).hasSize(1);
    assertThat(again.last().endpoints()).containsExactly(A, B);
  }

  @Test
  void refreshAsksTheSourceUnlessClosed() {
    FakeDiscovery discovery = new FakeDiscovery();
    Watch watch = discovery.watch("a", new RecordingListener());

    watch.refresh();
    watch.close();
    watch.refresh();

    assertThat(discovery.refreshCalls()).containsExactly("a");
  }

  @Test
  void closeStopsEverything() {
    FakeDiscovery discovery = new FakeDiscovery();
    RecordingListener listener = new RecordingListener();
    discovery.watch("a", listener);

    discovery.close();
    discovery.close();
    discovery.set("a", A);

    assertThat(discovery.closeCalls()).isEqualTo(1);
    assertThat(listener.updates()).isEmpty();
    assertThatThrownBy(() -> discovery.watch("a", listener))
        .isInstanceOf(IllegalStateException.class)
        .hasMessage("discovery closed");
  }

  @Test
  void nullArgumentsAreRejectedByName() {
    FakeDiscovery discovery = new FakeDiscovery();

    assertThatThrownBy(() -> discovery.watch(null, new RecordingListener())).hasMessage("service");
    assertThatThrownBy(() -> discovery.watch("a", null)).hasMessage("listener");
  }

  @Test
  void watchAndUnwatchOfOneServiceRunInTheOrderTheyHappened() {
    dev.whaleray.router.testing.ManualExecutor executor =
        new dev.whaleray.router.testing.ManualExecutor();
    java.util.List<String> calls = new java.util.concurrent.CopyOnWriteArrayList<>();
    AbstractDiscovery discovery =
        new AbstractDiscovery(executor) {
          @Override
          protected void doWatch(String service) {
            calls.add("watch " + service);
          }

          @Override
          protected void doUnwatch(String service) {
            calls.add("unwatch " + service);
          }
        };
    Watch first = discovery.watch("a", new RecordingListener());
    first.close();
    Watch second = discovery.watch("a", new RecordingListener());
    assertThat(calls).isEmpty(); // nothing runs on the caller's (IO) thread
    executor.runAll();
    assertThat(calls).containsExactly("watch a", "unwatch a", "watch a");
    second.close();
    executor.runAll();
    assertThat(calls).containsExactly("watch a", "unwatch a", "watch a", "unwatch a");
  }
}
