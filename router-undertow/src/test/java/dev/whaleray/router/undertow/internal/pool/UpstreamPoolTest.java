package dev.whaleray.router.undertow.internal.pool;

import static dev.whaleray.router.undertow.internal.pool.TimeoutListTest.onIo;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.xnio.IoFuture;
import org.xnio.IoUtils;
import org.xnio.StreamConnection;

/**
 * The pool's accounting on a real IO thread against a listening socket that never answers: the cap,
 * the wait queue, reuse of an idle connection, and a detached (upgraded) connection leaving the
 * count so the next waiter gets its place.
 */
class UpstreamPoolTest {
  static ServerSocket upstream;

  @BeforeAll
  static void start() throws Exception {
    TimeoutListTest.start();
    upstream = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
  }

  @AfterAll
  static void stop() throws IOException {
    upstream.close();
    TimeoutListTest.stop();
  }

  /** Records what the pool tells one waiter. */
  static final class Waiter implements UpstreamPool.Waiter {
    final CompletableFuture<UpstreamPool.Conn> conn = new CompletableFuture<>();
    final List<String> events = new CopyOnWriteArrayList<>();

    @Override
    public int ticket() {
      return 0;
    }

    @Override
    public void connected(UpstreamPool.Conn c, boolean reused, int ticket) {
      events.add(reused ? "reused" : "new");
      conn.complete(c);
    }

    @Override
    public void connecting(IoFuture<StreamConnection> future, int ticket) {
      events.add("connecting");
    }

    @Override
    public void connectFailed(IOException cause, int ticket) {
      events.add("failed");
      conn.completeExceptionally(cause);
    }

    @Override
    public void queueFull() {
      events.add("queueFull");
    }
  }

  @Test
  void capsQueuesReusesAndLetsADetachedConnectionGo() throws Exception {
    Upstreams config =
        new Upstreams(1, 1, 30_000, 5_000, 60_000, false, true, 1, 0, 60_000, 0, 1, 60_000);
    Upstreams.PerThread thread = config.new PerThread(TimeoutListTest.io);
    int port = upstream.getLocalPort();
    UpstreamPool pool = new UpstreamPool("127.0.0.1:" + port, "127.0.0.1", port, thread, 1, 1);

    Waiter first = new Waiter();
    onIo(
        () -> {
          pool.acquire(first);
          return null;
        });
    UpstreamPool.Conn c1 = first.conn.get(10, TimeUnit.SECONDS);
    assertThat(first.events).containsExactly("connecting", "new");

    Waiter second = new Waiter();
    Waiter third = new Waiter();
    int openWhileFull =
        onIo(
            () -> {
              pool.acquire(second); // at the cap: waits
              pool.acquire(third); // the queue holds one: refused
              return pool.open();
            });
    assertThat(openWhileFull).isEqualTo(1);
    assertThat(second.events).isEmpty();
    assertThat(third.events).containsExactly("queueFull");

    // An upgrade takes the connection out of the pool: its place goes to the waiter at once.
    int openAfterDetach =
        onIo(
            () -> {
              c1.detach();
              IoUtils.safeClose(c1.connection);
              return pool.open();
            });
    assertThat(openAfterDetach).isEqualTo(1); // the detached one left, the waiter's is opening
    UpstreamPool.Conn c2 = second.conn.get(10, TimeUnit.SECONDS);
    assertThat(c2).isNotSameAs(c1);
    assertThat(second.events).containsExactly("connecting", "new");

    Waiter fourth = new Waiter();
    boolean unusedWhileIdle =
        onIo(
            () -> {
              c2.release(true);
              boolean unused = pool.isUnused();
              pool.acquire(fourth);
              return unused;
            });
    assertThat(unusedWhileIdle).isFalse(); // an idle connection is still open
    assertThat(fourth.conn.get(10, TimeUnit.SECONDS)).isSameAs(c2);
    assertThat(fourth.events).containsExactly("reused");

    boolean unusedAfterClose =
        onIo(
            () -> {
              c2.release(true);
              pool.closeIdle();
              return pool.isUnused();
            });
    assertThat(unusedAfterClose).isTrue();
    assertThat(pool.open()).isZero();
  }
}
