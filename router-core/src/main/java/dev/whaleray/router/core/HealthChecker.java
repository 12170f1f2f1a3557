package dev.whaleray.router.core;

import dev.whaleray.router.Endpoint;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;

/**
 * Probes one service's endpoints with {@link HealthCheck}s: starts at once for an endpoint
 * discovery adds, stops the moment it drops one (a late answer is ignored), and tells its cluster
 * when an endpoint turns healthy or unhealthy. Runs on the cluster's control executor; the probes
 * themselves are asynchronous requests of a shared {@link HttpClient}, or in {@link
 * HealthCheck.Mode#TCP} mode non-blocking connects in a shared channel group, closed once open.
 */
final class HealthChecker {

  private final HealthCheck check;
  private final ScheduledExecutorService control;
  private final @Nullable HttpClient client;
  private final @Nullable TcpProbes tcp;
  private final @Nullable HealthProbe probe; // the service's own transport, when it has one
  private final String service;
  private final Runnable changed;
  private final java.util.function.Consumer<String> healthyAgain;
  private final Map<String, Probe> probes = new HashMap<>(); // control thread only
  private volatile Map<String, Boolean> unhealthy = Map.of(); // read by the cluster's rebuild
  private boolean closed;

  HealthChecker(
      HealthCheck check,
      ScheduledExecutorService control,
      @Nullable HttpClient client,
      @Nullable TcpProbes tcp,
      @Nullable HealthProbe probe,
      String service,
      Runnable changed,
      java.util.function.Consumer<String> healthyAgain) {
    this.probe = probe;
    this.check = check;
    this.control = control;
    this.client = client;
    this.tcp = tcp;
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

  /**
   * One TCP-connect check: passes when the connection opens within the timeout (then closes it at
   * once), fails on a refusal, an error or the timeout (which closes the socket). Reports once.
   */
  private final class TcpAttempt
      implements java.nio.channels.CompletionHandler<Void, @Nullable Void> {
    private final Probe probe;
    private final TcpProbes probes;
    private final java.util.concurrent.atomic.AtomicBoolean settled =
        new java.util.concurrent.atomic.AtomicBoolean();
    private java.nio.channels.@Nullable AsynchronousSocketChannel channel;
    private volatile @Nullable ScheduledFuture<?> timer;

    TcpAttempt(Probe probe, TcpProbes probes) {
      this.probe = probe;
      this.probes = probes;
    }

    /** On the probe pool: resolves, opens and starts the connect, and the timeout's clock. */
    void start() {
      try {
        java.net.InetSocketAddress address =
            new java.net.InetSocketAddress(probe.endpoint.host(), probe.endpoint.port());
        if (address.isUnresolved()) {
          report(false, "unknown host " + probe.endpoint.host());
          return;
        }
        java.nio.channels.AsynchronousSocketChannel ch =
            java.nio.channels.AsynchronousSocketChannel.open(probes.group());
        synchronized (this) {
          channel = ch;
        }
        timer =
            control.schedule(
                () ->
                    report(false, "connect timed out after " + check.timeout().toMillis() + " ms"),
                check.timeout().toNanos(),
                TimeUnit.NANOSECONDS);
        ch.connect(address, null, this);
      } catch (java.io.IOException | RuntimeException e) {
        report(false, String.valueOf(e.getMessage()));
      }
    }

    @Override
    public void completed(@Nullable Void v, @Nullable Void a) {
      report(true, "connected");
    }

    @Override
    public void failed(Throwable error, @Nullable Void a) {
      report(false, String.valueOf(error.getMessage()));
    }

    /** Once: closes the socket, stops the timer and hands the result to the control thread. */
    private void report(boolean pass, String why) {
      if (!settled.compareAndSet(false, true)) {
        return;
      }
      java.nio.channels.AsynchronousSocketChannel ch;
      synchronized (this) {
        ch = channel;
      }
      if (ch != null) {
        try {
          ch.close();
        } catch (java.io.IOException e) {
          // closing anyway
        }
      }
      ScheduledFuture<?> t = timer;
      if (t != null) {
        t.cancel(false);
      }
      try {
        control.execute(() -> probe.result(pass, why));
      } catch (java.util.concurrent.RejectedExecutionException e) {
        // the manager closed
      }
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
      TcpProbes t = tcp;
      if (t != null) {
        // Resolving a host name may block: on the bounded probe pool, never the control thread.
        try {
          t.resolver().execute(() -> new TcpAttempt(this, t).start());
        } catch (java.util.concurrent.RejectedExecutionException e) {
          // the manager closed
        }
        return;
      }
      HealthProbe own = probe;
      if (own != null) {
        CompletableFuture<Integer> answer;
        try {
          answer = own.get(endpoint, check.path(), check.timeout());
        } catch (RuntimeException e) {
          answer = CompletableFuture.failedFuture(e);
        }
        answer.whenComplete(
            (status, error) -> {
              boolean pass =
                  error == null
                      && status != null
                      && status >= check.minStatus()
                      && status <= check.maxStatus();
              String why = error != null ? String.valueOf(error.getMessage()) : "status " + status;
              control.execute(() -> result(pass, why));
            });
        return;
      }
      HttpClient client = java.util.Objects.requireNonNull(HealthChecker.this.client);
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
