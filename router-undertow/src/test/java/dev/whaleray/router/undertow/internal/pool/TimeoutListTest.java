package dev.whaleray.router.undertow.internal.pool;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.xnio.OptionMap;
import org.xnio.Options;
import org.xnio.Xnio;
import org.xnio.XnioIoThread;
import org.xnio.XnioWorker;

/** Timeouts on a real IO thread (no socket): order, cancel, re-arm, and a handler that throws. */
class TimeoutListTest {
  static XnioWorker worker;
  static XnioIoThread io;

  @BeforeAll
  static void start() throws Exception {
    worker =
        Xnio.getInstance()
            .createWorker(OptionMap.builder().set(Options.WORKER_IO_THREADS, 1).getMap());
    io = worker.getIoThread();
  }

  @AfterAll
  static void stop() {
    worker.shutdownNow();
  }

  /** Runs {@code task} on the IO thread and waits for its answer. */
  static <T> T onIo(Supplier<T> task) throws Exception {
    CompletableFuture<T> f = new CompletableFuture<>();
    io.execute(
        () -> {
          try {
            f.complete(task.get());
          } catch (Throwable t) {
            f.completeExceptionally(t);
          }
        });
    return f.get(10, TimeUnit.SECONDS);
  }

  static final class Named extends TimeoutList.Node {
    final String name;
    final List<String> expired;
    final CountDownLatch latch;
    final boolean fail;

    Named(String name, List<String> expired, CountDownLatch latch, boolean fail) {
      this.name = name;
      this.expired = expired;
      this.latch = latch;
      this.fail = fail;
    }

    @Override
    protected void expired() {
      expired.add(name);
      latch.countDown();
      if (fail) {
        throw new IllegalStateException("handler failed");
      }
    }
  }

  @Test
  void expiresInDeadlineOrderAndSkipsCancelledNodes() throws Exception {
    List<String> expired = new CopyOnWriteArrayList<>();
    CountDownLatch latch = new CountDownLatch(3);
    TimeoutList list = new TimeoutList(io, 30);
    Named a = new Named("a", expired, latch, false);
    Named b = new Named("b", expired, latch, false);
    Named c = new Named("c", expired, latch, true); // a throwing handler stops nothing
    Named d = new Named("d", expired, latch, false);
    int armed =
        onIo(
            () -> {
              list.add(a);
              list.add(b);
              list.add(c);
              list.add(d);
              b.cancel();
              list.add(a); // re-armed: now after d
              return list.size();
            });
    assertThat(armed).isEqualTo(3);
    assertThat(b.isArmed()).isFalse();
    assertThat(latch.await(10, TimeUnit.SECONDS)).isTrue();
    assertThat(expired).containsExactly("c", "d", "a");
    assertThat(onIo(list::size)).isZero();
    assertThat(a.isArmed()).isFalse();
  }

  @Test
  void aNodeAddedByAHandlerIsCoveredByTheSameTimerChain() throws Exception {
    List<String> expired = new CopyOnWriteArrayList<>();
    CountDownLatch latch = new CountDownLatch(2);
    // Not named `list`: inside a Node that name is the node's own field.
    TimeoutList timeouts = new TimeoutList(io, 20);
    Named second = new Named("second", expired, latch, false);
    TimeoutList.Node first =
        new TimeoutList.Node() {
          @Override
          protected void expired() {
            expired.add("first");
            latch.countDown();
            timeouts.add(second);
          }
        };
    onIo(
        () -> {
          timeouts.add(first);
          return null;
        });
    assertThat(latch.await(10, TimeUnit.SECONDS)).isTrue();
    assertThat(expired).containsExactly("first", "second");
  }
}
