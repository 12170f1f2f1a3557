package dev.whaleray.router.core;

import dev.whaleray.router.Endpoint;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;

/**
 * Probes one service's endpoints with {@link HealthCheck}s: starts at once for an endpoint
 * discovery adds, stops the moment it drops one (a late answer is ignored), and tells its cluster
 * when an endpoint turns healthy or unhealthy. Runs on the cluster's control executor; the probes
 * themselves are asynchronous requests of a shared {@link HttpClient}.
 */
final class HealthChecker {

  private final HealthCheck check;
  private final ScheduledExecutorService control;
  private final HttpClient client;
  private final String service;
  private final Runnable changed;
  private final java.util.function.Consumer<String> healthyAgain;
  private final Map<String, Probe> probes = new HashMap<>(); // control thread only
  private volatile Map<String, Boolean> unhealthy = Map.of(); // read by the cluster's rebuild
  private boolean closed;

  HealthChecker(
      HealthCheck check,
      ScheduledExecutorService control,
      HttpClient client,
      String service,
      Runnable changed,
      java.util.function.Consumer<String> healthyAgain) {
    this.check = check;
    this.control = control;
    this.client = client;
    this.service = service;
    this.changed = changed;
    this.healthyAgain = healthyAgain;
  }

  /** The endpoints now: probes start for new ones and stop for those gone. Any thread. */
  void update(List<Endpoint> endpoints) {
    control.execute(() -> apply(endpoints));
  }

  /** True when the endpoint failed its checks (or has not passed one yet, when so configured). */
  boolean isUnhealthy(String authority) {
    return unhealthy.containsKey(authority);
  }

  void close() {
    control.execute(
        () -> {
          closed = true;
          for (Probe p : probes.values()) {
            p.stop();
          }
          probes.clear();
        });
  }

  private void apply(List<Endpoint> endpoints) {
    if (closed) {
      return;
    }
    Map<String, Endpoint> now = new HashMap<>();
    for (Endpoint e : endpoints) {
      now.put(e.authority(), e);
    }
    boolean removed = false;
    for (java.util.Iterator<Probe> it = probes.values().iterator(); it.hasNext(); ) {
      Probe p = it.next();
      if (!now.containsKey(p.endpoint.authority())) {
        p.stop();
        it.remove();
        removed = true;
      }
    }
    for (Map.Entry<String, Endpoint> e : now.entrySet()) {
      if (!probes.containsKey(e.getKey())) {
        Probe p = new Probe(e.getValue(), !check.newEndpointsWaitForACheck());
        probes.put(e.getKey(), p);
        p.schedule(0);
      }
    }
    publish(removed);
  }

  private void publish(boolean force) {
    Map<String, Boolean> next = new HashMap<>();
    for (Probe p : probes.values()) {
      if (!p.healthy) {
        next.put(p.endpoint.authority(), Boolean.TRUE);
      }
    }
    if (force || !next.equals(unhealthy)) {
      unhealthy = Map.copyOf(next);
      changed.run();
    }
  }

  /** One endpoint's checks; its fields are touched on the control thread only. */
  private final class Probe {
    final Endpoint endpoint;
    final URI uri;
    boolean healthy;
    int passes;
    int failures;
    boolean stopped;
    @Nullable ScheduledFuture<?> next;

    Probe(Endpoint endpoint, boolean healthy) {
      this.endpoint = endpoint;
      this.healthy = healthy;
      this.uri = URI.create("http://" + endpoint.authority() + check.path());
    }

    void schedule(long delayNanos) {
      if (!stopped) {
        next = control.schedule(this::send, delayNanos, TimeUnit.NANOSECONDS);
      }
    }

    void send() {
      if (stopped) {
        return;
      }
      HttpRequest request =
          HttpRequest.newBuilder(uri)
              .timeout(check.timeout())
              .header("User-Agent", "WhaleRay-HealthCheck")
              .GET()
              .build();
      client
          .sendAsync(request, HttpResponse.BodyHandlers.discarding())
          .whenComplete(
              (r, error) -> {
                boolean pass =
                    error == null
                        && r.statusCode() >= check.minStatus()
                        && r.statusCode() <= check.maxStatus();
                String why =
                    error != null
                        ? String.valueOf(error.getMessage())
                        : r == null ? "no answer" : "status " + r.statusCode();
                control.execute(() -> result(pass, why));
              });
    }

    void result(boolean pass, String why) {
      if (stopped || closed) {
        return; // the endpoint left while its check was out: the answer no longer counts
      }
      if (pass) {
        failures = 0;
        if (!healthy && ++passes >= check.healthyThreshold()) {
          healthy = true;
          passes = 0;
          Decisions.log(
              Cluster.DECISIONS,
              org.slf4j.event.Level.INFO,
              "healthy",
              service,
              endpoint.authority(),
              () -> "endpoint " + endpoint.authority() + " of " + service + " healthy");
          healthyAgain.accept(endpoint.authority()); // an ejection ends: the checks vouch for it
          publish(false);
        }
      } else {
        passes = 0;
        if (healthy && ++failures >= check.unhealthyThreshold()) {
          healthy = false;
          failures = 0;
          Decisions.log(
              Cluster.DECISIONS,
              org.slf4j.event.Level.WARN,
              "unhealthy",
              service,
              endpoint.authority(),
              () ->
                  "endpoint "
                      + endpoint.authority()
                      + " of "
                      + service
                      + " unhealthy after "
                      + check.unhealthyThreshold()
                      + " failed checks (last: "
                      + why
                      + ")");
          publish(false);
        }
      }
      long interval = check.interval().toNanos();
      schedule(interval + ThreadLocalRandom.current().nextLong(Math.max(1, interval / 10)));
    }

    void stop() {
      stopped = true;
      ScheduledFuture<?> f = next;
      if (f != null) {
        f.cancel(false);
      }
    }
  }
}
