package dev.whaleray.router.undertow.testing;

import dev.whaleray.router.Endpoint;
import dev.whaleray.router.EndpointSet;
import dev.whaleray.router.discovery.AbstractDiscovery;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ForkJoinPool;

/** A discovery whose services the test sets by hand; unset services are unknown. */
public final class TestDiscovery extends AbstractDiscovery {
  private final Map<String, List<Endpoint>> services = new ConcurrentHashMap<>();

  public TestDiscovery() {
    super(ForkJoinPool.commonPool());
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
