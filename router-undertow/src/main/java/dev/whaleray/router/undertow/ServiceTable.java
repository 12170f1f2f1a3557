package dev.whaleray.router.undertow;

import dev.whaleray.router.EndpointSet;
import dev.whaleray.router.discovery.Discovery;
import dev.whaleray.router.discovery.Watch;
import dev.whaleray.router.lb.LbContext;
import dev.whaleray.router.lb.LoadBalancer;
import dev.whaleray.router.lb.LoadBalancerProvider;
import dev.whaleray.router.lb.Picker;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;

/**
 * The router's view of every service in use: one discovery watch, one load balancer and the current
 * picker per service. Services are watched on first request and dropped when idle, and their number
 * is bounded. Thread-safe: the request path reads volatile fields only.
 */
final class ServiceTable implements AutoCloseable {
  private static final System.Logger LOG = System.getLogger(ServiceTable.class.getName());

  private final Discovery discovery;
  private final LoadBalancerProvider lbProvider;
  private final LbContext lbTemplate;
  private final int maxServices;
  private final long idleNanos;
  private final ConcurrentHashMap<String, Entry> entries = new ConcurrentHashMap<>();
  private final @Nullable ScheduledFuture<?> sweeper;

  ServiceTable(
      Discovery discovery,
      LoadBalancerProvider lbProvider,
      LbContext lbTemplate,
      int maxServices,
      Duration idleTimeout,
      @Nullable ScheduledExecutorService scheduler) {
    this.discovery = discovery;
    this.lbProvider = lbProvider;
    this.lbTemplate = lbTemplate;
    this.maxServices = maxServices;
    this.idleNanos = idleTimeout.toNanos();
    long period = Math.max(1000, Math.min(idleTimeout.toMillis() / 2, 30_000));
    this.sweeper =
        scheduler == null
            ? null
            : scheduler.scheduleWithFixedDelay(
                this::evictIdle, period, period, TimeUnit.MILLISECONDS);
  }

  /** The entry of a service, watching it from now on; null when the table is full. */
  @Nullable Entry get(String service) {
    Entry e = entries.get(service);
    if (e == null) {
      if (entries.size() >= maxServices) {
        evictIdle();
        if (entries.size() >= maxServices) {
          return null;
        }
      }
      Entry created = new Entry(service);
      e = entries.putIfAbsent(service, created);
      if (e == null) {
        e = created;
        e.start();
      }
    }
    e.lastUsed = System.nanoTime();
    return e;
  }

  int size() {
    return entries.size();
  }

  /** The {@code host:port} of every endpoint of every service in use. */
  java.util.Set<String> authoritiesInUse() {
    java.util.Set<String> result = new java.util.HashSet<>();
    for (Entry e : entries.values()) {
      EndpointSet set = e.current;
      if (set != null) {
        for (dev.whaleray.router.Endpoint endpoint : set.endpoints()) {
          result.add(endpoint.authority());
        }
      }
    }
    return result;
  }

  void evictIdle() {
    long now = System.nanoTime();
    for (Entry e : entries.values()) {
      if (now - e.lastUsed > idleNanos && entries.remove(e.service, e)) {
        e.close();
      }
    }
  }

  @Override
  public void close() {
    if (sweeper != null) {
      sweeper.cancel(false);
    }
    for (Entry e : entries.values()) {
      e.close();
    }
    entries.clear();
  }

  /** One service: its watch, its load balancer and the picker built from the latest snapshot. */
  final class Entry implements Discovery.Listener {
    final String service;
    private final LoadBalancer lb;
    private volatile @Nullable Watch watch;
    private final CompletableFuture<EndpointSet> ready = new CompletableFuture<>();
    volatile @Nullable Picker picker;
    volatile @Nullable EndpointSet current;
    volatile @Nullable Throwable lastError;
    volatile long lastUsed = System.nanoTime();

    Entry(String service) {
      this.service = service;
      this.lb = lbProvider.newLoadBalancer(copyContext(service));
    }

    void start() {
      try {
        Watch w = discovery.watch(service, this);
        watch = w;
        w.ready()
            .whenComplete(
                (set, error) -> {
                  if (error != null) {
                    lastError = error;
                    ready.completeExceptionally(error);
                  } else {
                    ready.complete(set);
                  }
                });
      } catch (RuntimeException e) {
        lastError = e;
        ready.completeExceptionally(e);
      }
    }

    /** Completes once the first snapshot has a picker, or the first lookup failed. */
    CompletableFuture<EndpointSet> ready() {
      return ready;
    }

    /** Asks discovery for a fresh lookup (after a connect failure). */
    void refresh() {
      Watch w = watch;
      if (w != null) {
        w.refresh();
      }
    }

    @Override
    public void onUpdate(EndpointSet endpoints) {
      // Serial per service (discovery contract); build the picker, then publish it.
      picker = lb.update(endpoints);
      current = endpoints;
      lastError = null;
      LOG.log(System.Logger.Level.DEBUG, () -> "endpoints of " + service + ": " + endpoints);
    }

    @Override
    public void onError(String service, Throwable error) {
      lastError = error;
      LOG.log(
          System.Logger.Level.WARNING,
          () -> "discovery of " + service + " failed (keeping last endpoints): " + error);
    }

    void close() {
      Watch w = watch;
      if (w != null) {
        w.close();
      }
      try {
        lb.close();
      } catch (RuntimeException e) {
        LOG.log(System.Logger.Level.WARNING, "closing the load balancer of " + service, e);
      }
    }
  }

  private LbContext copyContext(String service) {
    return LbContext.of(service)
        .withZone(lbTemplate.zone())
        .withOptions(lbTemplate.options())
        .withNanoClock(lbTemplate.nanoClock());
  }
}
