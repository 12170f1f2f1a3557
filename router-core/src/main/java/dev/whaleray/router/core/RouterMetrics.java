package dev.whaleray.router.core;

import static java.util.Objects.requireNonNull;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The router's meters in the embedder's Micrometer {@link MeterRegistry}. Without one (no {@code
 * metrics(...)} on the builders) nothing is recorded and nothing is paid. Tags are bounded: a
 * service tag only for services discovery knows ({@link #UNKNOWN} otherwise), a route tag naming
 * the route's patterns (never a request's path), and a status class ({@code 2xx}...). Meter names
 * are listed in the README.
 */
public final class RouterMetrics {
  /** The service tag of requests for no service discovery knows. */
  public static final String UNKNOWN = "unknown";

  /** The route tag of requests no route matched. */
  public static final String NO_ROUTE = "none";

  private static final String[] CLASSES = {"1xx", "2xx", "3xx", "4xx", "5xx", "other"};

  private final MeterRegistry registry;
  // service -> route -> one timer per status class, made on first use.
  private final ConcurrentHashMap<String, ConcurrentHashMap<String, Timer[]>> timers =
      new ConcurrentHashMap<>();

  private RouterMetrics(MeterRegistry registry) {
    this.registry = registry;
  }

  /** Meters in {@code registry}. */
  public static RouterMetrics of(MeterRegistry registry) {
    return new RouterMetrics(requireNonNull(registry, "registry"));
  }

  /** The registry the meters live in. */
  public MeterRegistry registry() {
    return registry;
  }

  /**
   * Times one request ({@code whaleray.requests}, with a percentile histogram) by service, route
   * and status class. Lock-free and allocation-free once the timer exists.
   */
  public void recordRequest(String service, String route, int status, long nanos) {
    ConcurrentHashMap<String, Timer[]> byRoute = timers.get(service);
    if (byRoute == null) {
      byRoute = timers.computeIfAbsent(service, s -> new ConcurrentHashMap<>());
    }
    Timer[] byClass = byRoute.get(route);
    if (byClass == null) {
      byClass = byRoute.computeIfAbsent(route, r -> new Timer[CLASSES.length]);
    }
    int c = status >= 100 && status < 600 ? status / 100 - 1 : CLASSES.length - 1;
    Timer t = byClass[c];
    if (t == null) {
      t = requestTimer(service, route, CLASSES[c]);
      byClass[c] = t; // racy but idempotent: the registry returns the same timer
    }
    t.record(nanos, java.util.concurrent.TimeUnit.NANOSECONDS);
  }

  private Timer requestTimer(String service, String route, String statusClass) {
    return Timer.builder("whaleray.requests")
        .description("Requests the router answered, from head to the response's end")
        .tags("service", service, "route", route, "status", statusClass)
        .publishPercentileHistogram()
        .minimumExpectedValue(Duration.ofMillis(1))
        .maximumExpectedValue(Duration.ofSeconds(60))
        .register(registry);
  }

  /** Drops every request timer: the manager closed (the {@code unknown} service's too). */
  void forgetAll() {
    for (String service : java.util.List.copyOf(timers.keySet())) {
      forget(service);
    }
  }

  /** Drops the request timers of a service that left the table (bounded cardinality). */
  void forget(String service) {
    ConcurrentHashMap<String, Timer[]> byRoute = timers.remove(service);
    if (byRoute != null) {
      for (Timer[] byClass : byRoute.values()) {
        for (Timer t : byClass) {
          if (t != null) {
            registry.remove(t);
          }
        }
      }
    }
  }
}
