package dev.whaleray.router.undertow.internal.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;

import dev.whaleray.router.Endpoint;
import dev.whaleray.router.undertow.UpstreamOptions;
import dev.whaleray.router.undertow.testing.TestBackend;
import java.io.IOException;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.xnio.OptionMap;
import org.xnio.Options;
import org.xnio.Xnio;
import org.xnio.XnioIoThread;
import org.xnio.XnioWorker;

/**
 * An h2c/TLS upstream connection released after its IO thread stopped (a call ending while the
 * router shuts down) is closed there and then; the release used to hand the close to the stopped
 * thread, whose executor threw {@code RejectedExecutionException} into the call's ending.
 */
class ClientPoolsShutdownTest {

  @Test
  void aConnectionReleasedAfterItsIoThreadStoppedIsClosedNotThrown() throws Exception {
    try (TestBackend backend = TestBackend.startHttp2("h2c")) {
      XnioWorker worker =
          Xnio.getInstance().createWorker(OptionMap.create(Options.WORKER_IO_THREADS, 1));
      ClientPools pools =
          new ClientPools(
              UpstreamOptions.h2c(), Map.of(), 2_000, 60_000, 5_000, 0, false, false, 4, 16);
      XnioIoThread thread = worker.getIoThread(0);
      ClientPools.Endpoints pool =
          pools.pool(
              thread,
              Objects.requireNonNull(pools.targetFor("svc")),
              Endpoint.of("127.0.0.1", backend.port()));
      CompletableFuture<ClientPools.Conn> got = new CompletableFuture<>();
      thread.execute(
          () ->
              pool.acquire(
                  new ClientPools.Waiter() {
                    @Override
                    public void connected(ClientPools.Conn conn) {
                      got.complete(conn);
                    }

                    @Override
                    public void connectFailed(IOException cause, boolean timedOut) {
                      got.completeExceptionally(cause);
                    }

                    @Override
                    public void queueFull() {
                      got.completeExceptionally(new IllegalStateException("queue full"));
                    }
                  }));
      ClientPools.Conn conn = got.get(5, TimeUnit.SECONDS);
      assertThat(conn.connection.isOpen()).isTrue();
      worker.shutdown();
      assertThat(worker.awaitTermination(5, TimeUnit.SECONDS)).isTrue();

      conn.retired = true; // its last stream ends now: the connection must close
      assertThatCode(() -> conn.release(true)).doesNotThrowAnyException();
      assertThat(conn.connection.isOpen()).isFalse();
    }
  }
}
