package dev.whaleray.router.undertow;

import dev.whaleray.router.EndpointSet;
import dev.whaleray.router.discovery.Discovery;
import dev.whaleray.router.discovery.Watch;
import dev.whaleray.router.lb.LbContext;
import dev.whaleray.router.lb.LoadBalancer;
import dev.whaleray.router.lb.LoadBalancerProvider;
import dev.whaleray.router.lb.LoadBalancerProviders;
import dev.whaleray.router.lb.Picker;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
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

  /** How long a service that does not exist stays cached when unused (negative caching). */
  static final long NEGATIVE_TTL_NANOS = TimeUnit.SECONDS.toNanos(30);

  private final Discovery discovery;
  private final LoadBalancerProvider lbProvider;
  private final LbContext lbTemplate;
  private final int maxServices;
  private final long idleNanos;
  private final ConcurrentHashMap<String, Entry> entries = new ConcurrentHashMap<>();
  private final ConcurrentHashMap<String, LoadBalancerProvider> providers;
  private final ConcurrentHashMap<dev.whaleray.router.Route, String> routeKeys =
      new ConcurrentHashMap<>();
  private final java.util.concurrent.atomic.AtomicInteger routeCounter =
      new java.util.concurrent.atomic.AtomicInteger();
  private final java.util.concurrent.atomic.AtomicBoolean makingRoom =
      new java.util.concurrent.atomic.AtomicBoolean();
  private final @Nullable ScheduledFuture<?> sweeper;

  ServiceTable(
      Discovery discovery,
      LoadBalancerProvider lbProvider,
      LbContext lbTemplate,
      Map<String, LoadBalancerProvider> policies,
      int maxServices,
      Duration idleTimeout,
      @Nullable ScheduledExecutorService scheduler) {
    this.providers = new ConcurrentHashMap<>(policies);
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

  /**
   * The entry of a service, watching it from now on; null when the table is full. A new entry uses
   * the route's own policy and options when it names one.
   */
  @Nullable Entry get(String service, dev.whaleray.router.@Nullable Route route) {
    // Services reached through a route with its own policy get an entry of their own.
    String key =
        route == null || route.policy() == null ? service : service + '\u0000' + routeKey(route);
    Entry e = entries.get(key);
    if (e == null) {
      if (entries.size() >= maxServices) {
        makeRoom();
      }
      Entry created = new Entry(key, service, route);
      e = entries.putIfAbsent(key, created);
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
    long negativeNanos = Math.min(idleNanos, NEGATIVE_TTL_NANOS);
    for (Entry e : entries.values()) {
      long idle = now - e.lastUsed;
      if ((idle > idleNanos || (e.isNegative() && idle > negativeNanos))
          && entries.remove(e.key, e)) {
        e.close();
      }
    }
  }

  /**
   * The table is full: drop services that do not exist (a flood of random names) first, then the
   * least recently used, down to 90 % of the bound, so new services always get in and the scan runs
   * once per many insertions. One thread at a time; the others go on.
   */
  private void makeRoom() {
    if (!makingRoom.compareAndSet(false, true)) {
      return;
    }
    try {
      int target = maxServices - Math.max(1, maxServices / 10);
      java.util.List<Entry> all = new java.util.ArrayList<>(entries.values());
      for (Entry e : all) {
        if (entries.size() <= target) {
          break;
        }
        if (e.isNegative() && entries.remove(e.key, e)) {
          e.close();
        }
      }
      if (entries.size() > target) {
        // Sort a snapshot of the times: lastUsed keeps changing under a live sort.
        java.util.List<Aged> aged = new java.util.ArrayList<>(all.size());
        for (Entry e : all) {
          aged.add(new Aged(e.lastUsed, e));
        }
        aged.sort(java.util.Comparator.comparingLong(Aged::lastUsed));
        for (Aged a : aged) {
          if (entries.size() <= target) {
            break;
          }
          if (entries.remove(a.entry().key, a.entry())) {
            a.entry().close();
          }
        }
      }
    } finally {
      makingRoom.set(false);
    }
  }

  private record Aged(long lastUsed, Entry entry) {}

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
    final String key;
    final String service;
    private final LoadBalancer lb;
    private volatile @Nullable Watch watch;
    private final CompletableFuture<EndpointSet> ready = new CompletableFuture<>();
    volatile @Nullable Picker picker;
    volatile @Nullable EndpointSet current;
    volatile @Nullable Throwable lastError;
    volatile long lastUsed = System.nanoTime();

    Entry(String key, String service, dev.whaleray.router.@Nullable Route route) {
      this.key = key;
      this.service = service;
      String policy = route == null ? null : route.policy();
      LoadBalancerProvider provider = policy == null ? lbProvider : provider(policy);
      LbContext context = copyContext(service, route == null ? Map.of() : route.policyOptions());
      // Zone-aware routing and slow start for every policy, plugins included (idempotent: the
      // built-in providers decorate already).
      this.lb =
          dev.whaleray.loadbalancing.LoadBalancers.decorate(
              provider.newLoadBalancer(context), context);
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
                  } else if (picker != null) {
                    ready.complete(set);
                  }
                  // else onUpdate completes it once the picker is built: a waiting request
                  // must never find the lookup done and no picker (a 503 race seen in CI).
                });
      } catch (RuntimeException e) {
        lastError = e;
        ready.completeExceptionally(e);
      }
    }

    /** True when discovery says the service does not exist, or its first lookup failed. */
    boolean isNegative() {
      EndpointSet set = current;
      return set == null ? ready.isCompletedExceptionally() : !set.isKnown();
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
      ready.complete(endpoints); // no-op after the first
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

  private LbContext copyContext(String service, Map<String, String> routeOptions) {
    Map<String, String> options = lbTemplate.options();
    if (!routeOptions.isEmpty()) {
      options = new HashMap<>(options);
      options.putAll(routeOptions); // the route's options win over the router's
    }
    return LbContext.of(service)
        .withZone(lbTemplate.zone())
        .withOptions(options)
        .withNanoClock(lbTemplate.nanoClock());
  }

  private String routeKey(dev.whaleray.router.Route route) {
    String k = routeKeys.get(route);
    if (k == null) {
      k = routeKeys.computeIfAbsent(route, r -> Integer.toString(routeCounter.incrementAndGet()));
    }
    return k;
  }

  private LoadBalancerProvider provider(String policy) {
    LoadBalancerProvider p = providers.get(policy);
    if (p == null) {
      // A ServiceLoader scan, once per policy name.
      p = providers.computeIfAbsent(policy, LoadBalancerProviders::get);
    }
    return p;
  }
}
