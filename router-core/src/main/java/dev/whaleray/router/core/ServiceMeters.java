package dev.whaleray.router.core;

import dev.whaleray.router.lb.Outcome;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.util.ArrayList;
import java.util.List;
import java.util.function.ToDoubleFunction;

/**
 * One service's meters besides its request timers: upstream errors by kind, retries, ejections,
 * requests refused (rate limited, circuit open), discovery updates, errors and first-lookup
 * latency, and gauges of its endpoints by state and of its circuit. Shared by every cluster of the
 * service; removed with it.
 */
final class ServiceMeters {
  private final MeterRegistry registry;
  private final List<Meter> meters = new ArrayList<>();
  final Counter connectErrors;
  final Counter resets;
  final Counter timeouts;
  final Counter brokenResponses;
  final Counter retries;
  final Counter ejections;
  final Counter rateLimited;
  final Counter circuitOpen;
  final Counter discoveryUpdates;
  final Counter discoveryErrors;
  final Timer discoveryLookup;

  ServiceMeters(MeterRegistry registry, String service, ClusterManager manager) {
    this.registry = registry;
    this.manager = manager;
    connectErrors = errors(service, "connect");
    resets = errors(service, "reset");
    timeouts = errors(service, "timeout");
    brokenResponses = errors(service, "broken_response");
    retries =
        add(
            Counter.builder("whaleray.upstream.retries")
                .description("Attempts made again to another endpoint")
                .tag("service", service)
                .register(registry));
    ejections =
        add(
            Counter.builder("whaleray.outlier.ejections")
                .description("Endpoints taken out of the picks after failures in a row")
                .tag("service", service)
                .register(registry));
    rateLimited = refused(service, "rate_limited");
    circuitOpen = refused(service, "circuit_open");
    discoveryUpdates =
        add(
            Counter.builder("whaleray.discovery.updates")
                .description("Endpoint sets discovery published")
                .tag("service", service)
                .register(registry));
    discoveryErrors =
        add(
            Counter.builder("whaleray.discovery.errors")
                .description("Failed discovery lookups (the last endpoints are kept)")
                .tag("service", service)
                .register(registry));
    discoveryLookup =
        add(
            Timer.builder("whaleray.discovery.lookup")
                .description("From a service's first use to discovery's first answer")
                .tag("service", service)
                .register(registry));
    for (String state : new String[] {"healthy", "unhealthy", "ejected"}) {
      gauge(
          "whaleray.endpoints",
          "Endpoints discovery gave, by state",
          service,
          state,
          m -> m.endpointCount(service, state));
    }
    for (String state : new String[] {"closed", "open", "half_open"}) {
      gauge(
          "whaleray.circuit.state",
          "1 for the state the service's circuit is in",
          service,
          state,
          m -> m.circuitState(service).equals(state) ? 1 : 0);
    }
  }

  private final ClusterManager manager;

  private void gauge(
      String name,
      String description,
      String service,
      String state,
      ToDoubleFunction<ClusterManager> f) {
    // A weak reference to the manager: a closed manager's gauges read NaN, never leak it.
    add(
        Gauge.builder(name, manager, f)
            .description(description)
            .tags("service", service, "state", state)
            .register(registry));
  }

  private Counter errors(String service, String kind) {
    return add(
        Counter.builder("whaleray.upstream.errors")
            .description("Attempts that failed without a whole answer, by kind")
            .tags("service", service, "kind", kind)
            .register(registry));
  }

  private Counter refused(String service, String reason) {
    return add(
        Counter.builder("whaleray.requests.refused")
            .description("Requests answered without a backend: rate limited, circuit open")
            .tags("service", service, "reason", reason)
            .register(registry));
  }

  private <M extends Meter> M add(M meter) {
    meters.add(meter);
    return meter;
  }

  /** Counts an attempt's failure by its kind. */
  void attemptFailed(Outcome outcome) {
    switch (outcome) {
      case CONNECT_FAILURE -> connectErrors.increment();
      case RESET -> resets.increment();
      case TIMEOUT -> timeouts.increment();
      case ERROR -> brokenResponses.increment();
      default -> {}
    }
  }

  /** Removes every meter of the service from the registry. */
  void remove() {
    for (Meter m : meters) {
      registry.remove(m);
    }
  }
}
