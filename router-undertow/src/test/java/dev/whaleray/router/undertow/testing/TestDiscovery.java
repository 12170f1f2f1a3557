package dev.whaleray.router.undertow.testing;

import dev.whaleray.router.Endpoint;
import dev.whaleray.router.EndpointSet;
import dev.whaleray.router.discovery.AbstractDiscovery;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/** A discovery whose services the test sets by hand; unset services are unknown. */
public final class TestDiscovery extends AbstractDiscovery {
  private final Map<String, List<Endpoint>> services = new ConcurrentHashMap<>();

  /**
   * Callbacks run here rather than on the common pool, which has one thread on a 2-core machine:
   * anything else using it (CompletableFuture stages, parallel streams) delayed first lookups past
   * the discovery timeout on a loaded CI machine (a 503 for a 502).
   */
  private static final java.util.concurrent.ExecutorService CALLBACKS =
      java.util.concurrent.Executors.newFixedThreadPool(
          4,
          r -> {
            Thread t = new Thread(r, "test-discovery");
            t.setDaemon(true);
            return t;
          });

  public TestDiscovery() {
    super(CALLBACKS);
  }

  /** Sets (and publishes) a service's endpoints. */
  public TestDiscovery set(String service, List<Endpoint> endpoints) {
    services.put(service, List.copyOf(endpoints));
    publish(EndpointSet.of(service, 0, endpoints));
    return this;
  }

  @Override
  protected void doWatch(String service) {
    List<Endpoint> endpoints = services.get(service);
    publish(
        endpoints == null
            ? EndpointSet.unknown(service, 0)
            : EndpointSet.of(service, 0, endpoints));
  }
}
