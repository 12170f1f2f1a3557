package dev.whaleray.router.core.registry;

import static org.assertj.core.api.Assertions.assertThat;

import dev.whaleray.router.Endpoint;
import dev.whaleray.router.EndpointSet;
import dev.whaleray.router.discovery.AbstractDiscovery;
import dev.whaleray.router.discovery.Discovery;
import dev.whaleray.router.discovery.Registration;
import dev.whaleray.router.discovery.Watch;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class RegistryDiscoveryTest {
  private static final Endpoint A = Endpoint.of("10.0.0.1", 80);
  private static final Endpoint B =
      Endpoint.builder("10.0.0.2", 81).weight(3).zone("us-east-1a").build();

  private final ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor();
  private final Source source = new Source();
  private final MemoryRegistry registry = MemoryRegistry.create(scheduler);
  private final RegistryDiscovery discovery = RegistryDiscovery.of(source, registry, Runnable::run);

  @AfterEach
  void close() {
    discovery.close();
    registry.close();
    scheduler.shutdownNow();
  }

  /** A configured discovery whose answers the test gives. */
  static final class Source extends AbstractDiscovery {
    final List<String> refreshes = new CopyOnWriteArrayList<>();

    Source() {
      super(Runnable::run);
    }

    void set(EndpointSet set) {
      publish(set);
    }

    void fail(String service) {
      publishError(service, new IllegalStateException("lookup failed"));
    }

    @Override
    protected void doWatch(String service) {}

    @Override
    protected void doRefresh(String service) {
      refreshes.add(service);
    }
  }

  static final class Updates implements Discovery.Listener {
    final LinkedBlockingQueue<EndpointSet> queue = new LinkedBlockingQueue<>();

    @Override
    public void onUpdate(EndpointSet endpoints) {
      queue.add(endpoints);
    }

    EndpointSet await(Predicate<EndpointSet> condition) throws InterruptedException {
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
      EndpointSet last = null;
      while (System.nanoTime() < deadline) {
        EndpointSet s = queue.poll(100, TimeUnit.MILLISECONDS);
        if (s != null) {
          last = s;
          if (condition.test(s)) {
            return s;
          }
        }
      }
      throw new AssertionError("no matching update; last " + last);
    }
  }

  @Test
  void registeredEndpointsJoinTheConfiguredOnesAndLeaveOnDeregister() throws Exception {
    Updates updates = new Updates();
    Watch w = discovery.watch("shop", updates);
    assertThat(updates.queue).isEmpty(); // the configured discovery has not answered yet
    source.set(EndpointSet.of("shop", 0, List.of(A)));
    assertThat(updates.await(s -> true).endpoints()).containsExactly(A);

    registry.register("shop", B, Duration.ofMinutes(1));
    assertThat(updates.await(s -> s.size() == 2).endpoints()).containsExactly(A, B);
    assertThat(source.refreshes).containsExactly("shop");

    // The same address from the configured discovery wins over the registered copy.
    registry.register("shop", A.withWeight(7), Duration.ofMinutes(1));
    assertThat(updates.queue).isEmpty();

    assertThat(registry.deregister("shop", B)).isTrue();
    assertThat(updates.await(s -> s.size() == 1).endpoints()).containsExactly(A);
    assertThat(registry.deregister("shop", B)).isFalse();
    w.close();
  }

  @Test
  void aServiceUnknownToTheConfiguredDiscoveryBecomesKnownWhenRegistered() throws Exception {
    Updates updates = new Updates();
    discovery.watch("notebook", updates);
    source.set(EndpointSet.unknown("notebook", 0));
    assertThat(updates.await(s -> true).isKnown()).isFalse();

    registry.register("notebook", B, Duration.ofMinutes(1));
    EndpointSet known = updates.await(EndpointSet::isKnown);
    assertThat(known.endpoints()).containsExactly(B);
    assertThat(known.endpoints().get(0).weight()).isEqualTo(3);
    assertThat(known.endpoints().get(0).zone()).isEqualTo("us-east-1a");
  }

  @Test
  void aRegistrationLapsesAfterItsTtlUnlessRenewed() throws Exception {
    Updates updates = new Updates();
    discovery.watch("shop", updates);
    source.set(EndpointSet.of("shop", 0, List.of(A)));
    List<Registration> expired = new CopyOnWriteArrayList<>();
    registry.subscribe(
        new dev.whaleray.router.discovery.Registry.Listener() {
          @Override
          public void changed(String service) {}

          @Override
          public void expired(Registration r) {
            expired.add(r);
          }
        });

    registry.register("shop", B, Duration.ofMillis(300));
    updates.await(s -> s.size() == 2);
    // Heartbeats every 100 ms keep it for 600 ms, three TTLs' worth... (bounded: 6 beats).
    for (int i = 0; i < 6; i++) {
      Thread.sleep(100);
      registry.register("shop", B, Duration.ofMillis(300));
    }
    assertThat(registry.endpoints("shop")).containsExactly(B);
    assertThat(expired).isEmpty();

    long stopped = System.nanoTime();
    EndpointSet after = updates.await(s -> s.size() == 1);
    long ms = (System.nanoTime() - stopped) / 1_000_000;
    assertThat(after.endpoints()).containsExactly(A);
    assertThat(ms).isBetween(200L, 2000L);
    assertThat(expired).extracting(Registration::endpoint).containsExactly(B);
    assertThat(registry.registrations()).isEmpty();
  }

  @Test
  void registeredEndpointsAreServedWhenTheConfiguredDiscoveryFailsItsFirstLookup()
      throws Exception {
    registry.register("shop", B, Duration.ofMinutes(1));
    Updates updates = new Updates();
    Watch w = discovery.watch("shop", updates);
    source.fail("shop");
    assertThat(updates.await(s -> true).endpoints()).containsExactly(B);
    assertThat(w.ready().toCompletableFuture().get(5, TimeUnit.SECONDS).endpoints())
        .containsExactly(B);
  }

  @Test
  void aPortWatchMergesTheSourcesPortViewWithRegisteredEndpointsThatHaveThePort() throws Exception {
    Endpoint withMetrics = Endpoint.builder("10.0.0.3", 3000).port("metrics", 9100).build();
    Endpoint registeredWithMetrics =
        Endpoint.builder("10.0.0.4", 3001).port("metrics", 9101).build();
    registry.register("demo", registeredWithMetrics, java.time.Duration.ofMinutes(1));
    registry.register("demo", A, java.time.Duration.ofMinutes(1)); // no metrics port
    Updates metrics = new Updates();
    discovery.watch("demo", "metrics", metrics);
    source.set(EndpointSet.of("demo", 0, List.of(withMetrics, B)));

    EndpointSet set = metrics.await(s -> s.size() == 2);
    assertThat(set.service()).isEqualTo("demo");
    assertThat(set.endpoints())
        .containsExactly(withMetrics.atPort(9100), registeredWithMetrics.atPort(9101));
  }

  @Test
  void aServiceKnownOnlyByRegistrationIsKnownAndEmptyForAPortNoneHas() throws Exception {
    registry.register("shop", A, java.time.Duration.ofMinutes(1));
    Updates grpc = new Updates();
    discovery.watch("shop", "grpc", grpc);
    source.set(EndpointSet.unknown("shop", 0));

    EndpointSet set = grpc.await(s -> true);
    assertThat(set.isKnown()).isTrue();
    assertThat(set.isEmpty()).isTrue();
    assertThat(set.service()).isEqualTo("shop");
  }
}
