package dev.whaleray.router.undertow.internal.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.whaleray.router.Endpoint;
import dev.whaleray.router.EndpointSet;
import dev.whaleray.router.core.Cluster;
import dev.whaleray.router.core.ClusterManager;
import dev.whaleray.router.discovery.Discovery;
import dev.whaleray.router.discovery.Watch;
import dev.whaleray.router.undertow.testing.TestDiscovery;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The first-lookup decision of the HTTP and TCP paths, in each state discovery can be in when a
 * request or connection looks: in particular the answer that comes between its read of no snapshot
 * and its look at {@link Cluster#ready()} (a first TCP connection was reset for it in a loaded CI
 * run: the path took the done lookup for a failed one).
 */
class FirstLookupTest {

  @Test
  void anAnswerThatCameAfterTheFirstReadIsUsedNotTakenForAFailure() throws Exception {
    try (ClusterManager services =
        ClusterManager.builder(
                new TestDiscovery().set("echo", List.of(Endpoint.of("127.0.0.1", 9))))
            .build()) {
      Cluster c = services.get("echo", null);
      // A first connection read no snapshot (null below), then discovery answered (on its own
      // thread) before the connection looked at ready().
      c.ready().get(10, TimeUnit.SECONDS);
      assertThat(FirstLookup.of(null, c)).isEqualTo(FirstLookup.PROCEED);
      assertThat(FirstLookup.of(c.snapshot(), c)).isEqualTo(FirstLookup.PROCEED);
    }
  }

  @Test
  void noAnswerYetWaits() {
    try (ClusterManager services =
        ClusterManager.builder(new Fixed(new CompletableFuture<>())).build()) {
      Cluster c = services.get("echo", null);
      assertThat(FirstLookup.of(c.snapshot(), c)).isEqualTo(FirstLookup.WAIT);
    }
  }

  @Test
  void aFailedFirstLookupFails() {
    try (ClusterManager services =
        ClusterManager.builder(
                new Fixed(CompletableFuture.failedFuture(new IllegalStateException("down"))))
            .build()) {
      Cluster c = services.get("echo", null);
      assertThat(c.ready()).isCompletedExceptionally();
      assertThat(FirstLookup.of(c.snapshot(), c)).isEqualTo(FirstLookup.FAILED);
    }
  }

  /** A discovery whose every watch has {@code ready} and never gives its listener a set. */
  private static final class Fixed implements Discovery {
    private final CompletableFuture<EndpointSet> ready;

    Fixed(CompletableFuture<EndpointSet> ready) {
      this.ready = ready;
    }

    @Override
    public Watch watch(String service, Listener listener) {
      return new Watch() {
        @Override
        public CompletionStage<EndpointSet> ready() {
          return ready;
        }

        @Override
        public void refresh() {}

        @Override
        public void close() {}
      };
    }

    @Override
    public void close() {}
  }
}
