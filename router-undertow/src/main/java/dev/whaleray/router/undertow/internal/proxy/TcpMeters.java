package dev.whaleray.router.undertow.internal.proxy;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.ArrayList;
import java.util.List;

/**
 * One TCP listener's meters, tagged with its service and port: connections accepted, open now and
 * refused (over the limit, or nothing reachable), and bytes each way. Made once per listener, only
 * when there is a registry; nothing per connection. Connect failures to endpoints are the service's
 * {@code whaleray.upstream.errors} (the cluster counts them). Thread-safe.
 */
public final class TcpMeters {
  private final MeterRegistry registry;
  private final List<Meter> meters = new ArrayList<>();
  final Counter accepted;
  final Counter refusedOverLimit;
  final Counter unavailable;
  final Counter bytesIn;
  final Counter bytesOut;

  /**
   * Registers the meters of the listener of {@code service} on {@code port}, over {@code proxy}.
   */
  public TcpMeters(MeterRegistry registry, String service, int port, TcpProxy proxy) {
    this.registry = registry;
    String p = Integer.toString(port);
    accepted =
        add(
            Counter.builder("whaleray.tcp.connections")
                .description("Client connections a TCP listener accepted (within its limit)")
                .tags("service", service, "port", p)
                .register(registry));
    add(
        Gauge.builder("whaleray.tcp.connections.active", proxy, TcpProxy::openConnections)
            .description("Client connections a TCP listener proxies now")
            .tags("service", service, "port", p)
            .register(registry));
    refusedOverLimit = refused(service, p, "limit");
    unavailable = refused(service, p, "unavailable");
    bytesIn = bytes(service, p, "in");
    bytesOut = bytes(service, p, "out");
  }

  private Counter refused(String service, String port, String reason) {
    return add(
        Counter.builder("whaleray.tcp.connections.refused")
            .description(
                "Client connections closed at once: over the listener's limit, or no endpoint"
                    + " reachable (unknown service, none healthy, rate limited, circuit open)")
            .tags("service", service, "port", port, "reason", reason)
            .register(registry));
  }

  private Counter bytes(String service, String port, String direction) {
    return add(
        Counter.builder("whaleray.tcp.bytes")
            .description("Bytes a TCP listener passed on: in from clients, out to clients")
            .baseUnit("bytes")
            .tags("service", service, "port", port, "direction", direction)
            .register(registry));
  }

  private <M extends Meter> M add(M meter) {
    meters.add(meter);
    return meter;
  }

  /** Removes the listener's meters from the registry (it closed). */
  public void remove() {
    for (Meter m : meters) {
      registry.remove(m);
    }
  }
}
