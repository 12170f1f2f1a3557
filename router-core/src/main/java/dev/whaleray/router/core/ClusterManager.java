package dev.whaleray.router.core;

import static dev.whaleray.router.settings.Durations.requirePositive;
import static java.util.Objects.requireNonNull;

import dev.whaleray.loadbalancing.LoadBalancers;
import dev.whaleray.router.Endpoint;
import dev.whaleray.router.EndpointSet;
import dev.whaleray.router.Route;
import dev.whaleray.router.discovery.Discovery;
import dev.whaleray.router.lb.LbContext;
import dev.whaleray.router.lb.LoadBalancerProvider;
import dev.whaleray.router.lb.LoadBalancerProviders;
import dev.whaleray.router.lb.PickResult;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.jspecify.annotations.Nullable;

/**
 * Every service in use, as {@link Cluster}s: watched through discovery on first use, dropped when
 * idle, bounded in number (services that do not exist are cached briefly and dropped first).
 * Thread-safe; {@link #get} is lock-free when the service is known.
 */
public final class ClusterManager implements AutoCloseable {
  /** How long a service that does not exist stays cached when unused (negative caching). */
  public static final Duration NEGATIVE_TTL = Duration.ofSeconds(30);

  private final Discovery discovery;
  private final LoadBalancerProvider lbProvider;
  private final LbContext lbTemplate;
  private final int maxServices;
  private final long idleNanos;
  private final ConcurrentHashMap<String, Cluster> clusters = new ConcurrentHashMap<>();
  private final ConcurrentHashMap<String, LoadBalancerProvider> providers;
  private final ConcurrentHashMap<Route, String> routeKeys = new ConcurrentHashMap<>();
  private final AtomicInteger routeCounter = new AtomicInteger();
  private final AtomicBoolean makingRoom = new AtomicBoolean();
  private final @Nullable ScheduledFuture<?> sweeper;
  private final OutlierDetection outliers;
  private final int retryBudgetPercent;
  private final @Nullable RateLimit rateLimit;
  private final Map<String, RateLimit> serviceRateLimits;
  private final @Nullable HealthCheck healthCheck;
  // Per service, over healthCheck; an empty value: no checks for that service.
  private final Map<String, Optional<HealthCheck>> serviceHealthChecks;
  private final @Nullable CircuitBreaking breaking;
  private final @Nullable RouterMetrics metrics;
  private final java.util.concurrent.@Nullable ExecutorService probeThreads;
  private final java.net.http.@Nullable HttpClient probes;
  private final @Nullable TcpProbes tcpProbes;
  private final java.util.function.Function<String, @Nullable HealthProbe> healthProbes;
  private final ScheduledExecutorService control;
  private final boolean ownControl;

  private ClusterManager(Builder b) {
    this.discovery = requireNonNull(b.discovery, "discovery");
    this.lbProvider = requireNonNull(b.lbProvider, "loadBalancer");
    this.lbTemplate = b.lbTemplate;
    this.providers = new ConcurrentHashMap<>(b.policies);
    this.maxServices = b.maxServices;
    this.idleNanos = b.idleTimeout.toNanos();
    long period = Math.max(1000, Math.min(b.idleTimeout.toMillis() / 2, 30_000));
    this.healthProbes = b.healthProbes;
    ScheduledExecutorService scheduler = b.scheduler;
    this.outliers = b.outliers;
    this.retryBudgetPercent = b.retryBudgetPercent;
    this.rateLimit = b.rateLimit;
    this.serviceRateLimits = b.serviceRateLimits;
    this.healthCheck = b.healthCheck;
    this.serviceHealthChecks = Map.copyOf(b.serviceHealthChecks);
    this.breaking = b.breaking;
    this.metrics = b.metrics;
    List<HealthCheck> checks = new ArrayList<>();
    if (healthCheck != null) {
      checks.add(healthCheck);
    }
    serviceHealthChecks.values().forEach(c -> c.ifPresent(checks::add));
    this.probeThreads =
        checks.isEmpty()
            ? null
            : java.util.concurrent.Executors.newFixedThreadPool(
                2,
                r -> {
                  Thread t = new Thread(r, "whaleray-health-check");
                  t.setDaemon(true);
                  return t;
                });
    // Each kind of probe exists when some check needs it: TCP connects, or HTTP GETs (whose
    // connect may take the longest check timeout; each request has its own check's timeout).
    boolean anyTcp = checks.stream().anyMatch(c -> c.mode() == HealthCheck.Mode.TCP);
    Optional<Duration> httpTimeout =
        checks.stream()
            .filter(c -> c.mode() == HealthCheck.Mode.HTTP)
            .map(HealthCheck::timeout)
            .max(Duration::compareTo);
    this.tcpProbes = probeThreads == null || !anyTcp ? null : tcpProbes(probeThreads);
    this.probes =
        probeThreads == null || httpTimeout.isEmpty()
            ? null
            : java.net.http.HttpClient.newBuilder()
                .version(java.net.http.HttpClient.Version.HTTP_1_1)
                .connectTimeout(httpTimeout.get())
                .executor(probeThreads)
                .build();
    // Ejections and their ends run here, off the IO threads: the given scheduler, else our own.
    this.ownControl = scheduler == null;
    this.control = scheduler != null ? scheduler : newControlThread();
    this.sweeper =
        scheduler == null
            ? null
            : scheduler.scheduleWithFixedDelay(
                this::evictIdle, period, period, TimeUnit.MILLISECONDS);
  }

  /** A builder over {@code discovery}, with round-robin unless told otherwise. */
  public static Builder builder(Discovery discovery) {
    return new Builder(discovery);
  }

  /**
   * The cluster of {@code service}, watched from now on. A service reached through a route that
   * names its own policy gets a cluster of its own, with that policy and its options.
   */
  public Cluster get(String service, @Nullable Route route) {
    String key =
        route == null || route.policy() == null ? service : service + '\u0000' + routeKey(route);
    Cluster c = clusters.get(key);
    if (c == null) {
      if (clusters.size() >= maxServices) {
        makeRoom();
      }
      Cluster created = newCluster(key, service, route);
      c = clusters.putIfAbsent(key, created);
      if (c == null) {
        c = created;
        c.start();
      }
    }
    c.lastUsed = System.nanoTime();
    return c;
  }

  /**
   * The cluster of port {@code port} of {@code service} (issue #16): the service's endpoints that
   * have that port, each at that port (a port name, or a number that is one of the endpoint's
   * ports; never any other number), through {@link Discovery#watch(String, String,
   * Discovery.Listener)}. A null port is {@link #get(String, Route)}. Its load balancing, health,
   * ejection and pools are its own, as its endpoints' authorities are. When no endpoint has the
   * port, its snapshot is known and empty: {@link Cluster#port()} tells the transport to say so.
   *
   * <p>Allocation-free once the cluster exists (routes without a policy of their own): two map
   * lookups by the service and the port strings, no key built.
   */
  public Cluster get(String service, @Nullable Route route, @Nullable String port) {
    if (port == null) {
      return get(service, route);
    }
    String base =
        route == null || route.policy() == null ? service : service + '\u0000' + routeKey(route);
    ConcurrentHashMap<String, Cluster> byPort = portClusters.get(base);
    Cluster c = byPort == null ? null : byPort.get(port);
    if (c == null) {
      c = newPortCluster(base, service, route, port);
    }
    c.lastUsed = System.nanoTime();
    return c;
  }

  /** Per base key (the service, or service and route), the clusters of its ports, by port. */
  private final ConcurrentHashMap<String, ConcurrentHashMap<String, Cluster>> portClusters =
      new ConcurrentHashMap<>();

  private Cluster newPortCluster(String base, String service, @Nullable Route route, String port) {
    dev.whaleray.router.Endpoint.checkPortReference(port);
    // "\u0001" cannot appear in a service name, a route key or a port: no clash with other keys.
    String key = base + '\u0001' + port;
    Cluster c = clusters.get(key);
    if (c == null) {
      if (clusters.size() >= maxServices) {
        makeRoom();
      }
      Cluster created = newCluster(key, service, route, port);
      c = clusters.putIfAbsent(key, created);
      if (c == null) {
        c = created;
        c.start();
      }
    }
    portClusters.computeIfAbsent(base, b -> new ConcurrentHashMap<>()).put(port, c);
    return c;
  }

  private Cluster newCluster(String key, String service, @Nullable Route route) {
    return newCluster(key, service, route, null);
  }

  private Cluster newCluster(
      String key, String service, @Nullable Route route, @Nullable String port) {
    String policy = route == null ? null : route.policy();
    LoadBalancerProvider provider = policy == null ? lbProvider : provider(policy);
    LbContext context = context(service, route == null ? Map.of() : route.policyOptions());
    HealthCheck check = healthCheck(service);
    boolean tcp = check != null && check.mode() == HealthCheck.Mode.TCP;
    // Zone-aware routing and slow start for every policy, plugins included (idempotent: the
    // built-in providers decorate already).
    return new Cluster(
        key,
        service,
        port,
        discovery,
        publisher ->
            LoadBalancers.decorate(
                provider.newLoadBalancer(context.withPublisher(publisher)), context),
        outliers,
        control,
        retryBudgetPercent,
        guard(service),
        metrics == null ? null : () -> meters(service),
        check,
        tcp ? null : probes,
        tcp ? tcpProbes : null,
        tcp ? null : healthProbes.apply(service));
  }

  /** The active check of {@code service}: its own, else the router-wide one (null: none). */
  @Nullable HealthCheck healthCheck(String service) {
    Optional<HealthCheck> own = serviceHealthChecks.get(service);
    return own != null ? own.orElse(null) : healthCheck;
  }

  /** Every cluster of a service shares its rate limit and circuit: one per service. */
  private final ConcurrentHashMap<String, ServiceGuard> guards = new ConcurrentHashMap<>();

  private @Nullable ServiceGuard guard(String service) {
    RateLimit limit = serviceRateLimits.getOrDefault(service, rateLimit);
    if (limit == null && breaking == null) {
      return null;
    }
    return guards.computeIfAbsent(service, s -> new ServiceGuard(s, limit, breaking));
  }

  private final ConcurrentHashMap<String, ServiceMeters> meters = new ConcurrentHashMap<>();

  private ServiceMeters meters(String service) {
    RouterMetrics m = requireNonNull(metrics);
    return meters.computeIfAbsent(service, s -> new ServiceMeters(m.registry(), s, this));
  }

  /** The meters in use, when the manager has any (the transports time requests there). */
  public @Nullable RouterMetrics metrics() {
    return metrics;
  }

  /**
   * A cluster left the table: its service's guard and meters go too once no cluster of it is left
   * (a service seen once must not keep its meters forever).
   */
  private void removed(Cluster c) {
    c.close();
    String port = c.port();
    if (port != null) {
      // Drop emptied per-service maps too: random names with ports must not grow this forever.
      // (A cluster cached concurrently into a map dropped here is found again by its key.)
      for (Map.Entry<String, ConcurrentHashMap<String, Cluster>> e : portClusters.entrySet()) {
        ConcurrentHashMap<String, Cluster> byPort = e.getValue();
        if (byPort.remove(port, c) && byPort.isEmpty()) {
          portClusters.remove(e.getKey(), byPort);
        }
      }
    }
    if (!guards.isEmpty() || !meters.isEmpty()) {
      for (Cluster other : clusters.values()) {
        if (other.service().equals(c.service())) {
          return;
        }
      }
      guards.remove(c.service());
      ServiceMeters m = meters.remove(c.service());
      if (m != null) {
        m.remove();
      }
      RouterMetrics rm = metrics;
      if (rm != null) {
        rm.forget(c.service());
      }
    }
  }

  /** For the endpoint gauges: the service's endpoints in {@code state}. */
  int endpointCount(String service, String state) {
    Cluster c = clusters.get(service);
    return c == null ? 0 : c.endpointCount(state);
  }

  /** For the circuit gauges: the service's circuit state. */
  String circuitState(String service) {
    Cluster c = clusters.get(service);
    return c == null ? "closed" : c.circuitState();
  }

  private final ConcurrentHashMap<Route, RateLimiter> routeLimiters = new ConcurrentHashMap<>();

  /**
   * The route's own rate limit ({@link Route#withRateLimit}): null when the request may go on, else
   * the 429 answer. Lock-free; routes without a limit of their own cost one field read.
   */
  public @Nullable PickResult admit(@Nullable Route route) {
    return route == null || route.rateLimitPerSecond() == 0
        ? null
        : admit(route, System.nanoTime());
  }

  /** {@link #admit(Route)} at {@code nowNanos} ({@link System#nanoTime()}). */
  public @Nullable PickResult admit(@Nullable Route route, long nowNanos) {
    if (route == null || route.rateLimitPerSecond() == 0) {
      return null;
    }
    RateLimiter l = routeLimiters.get(route);
    if (l == null) {
      l =
          routeLimiters.computeIfAbsent(
              route,
              r -> new RateLimiter(RateLimit.of(r.rateLimitPerSecond(), r.rateLimitBurst())));
    }
    return l.admit(nowNanos);
  }

  /** How many clusters are held. */
  public int size() {
    return clusters.size();
  }

  /** The clusters held now (several per service when routes name their own policy); a copy. */
  public List<Cluster> clusters() {
    return List.copyOf(clusters.values());
  }

  /** The {@code host:port} of every endpoint of every service in use. */
  public Set<String> authoritiesInUse() {
    Set<String> result = new HashSet<>();
    for (Cluster c : clusters.values()) {
      EndpointSet set = c.endpoints();
      if (set != null) {
        for (Endpoint endpoint : set.endpoints()) {
          result.add(endpoint.authority());
        }
      }
    }
    return result;
  }

  /** Drops the clusters unused for the idle timeout (sooner for services that do not exist). */
  public void evictIdle() {
    long now = System.nanoTime();
    long negativeNanos = Math.min(idleNanos, NEGATIVE_TTL.toNanos());
    for (Cluster c : clusters.values()) {
      long idle = now - c.lastUsed;
      if ((idle > idleNanos || (c.isNegative() && idle > negativeNanos))
          && clusters.remove(c.key, c)) {
        removed(c);
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
      List<Cluster> all = new ArrayList<>(clusters.values());
      for (Cluster c : all) {
        if (clusters.size() <= target) {
          break;
        }
        if (c.isNegative() && clusters.remove(c.key, c)) {
          removed(c);
        }
      }
      if (clusters.size() > target) {
        // Sort a snapshot of the times: lastUsed keeps changing under a live sort.
        List<Aged> aged = new ArrayList<>(all.size());
        for (Cluster c : all) {
          aged.add(new Aged(c.lastUsed, c));
        }
        aged.sort(Comparator.comparingLong(Aged::lastUsed));
        for (Aged a : aged) {
          if (clusters.size() <= target) {
            break;
          }
          if (clusters.remove(a.cluster().key, a.cluster())) {
            removed(a.cluster());
          }
        }
      }
    } finally {
      makingRoom.set(false);
    }
  }

  private record Aged(long lastUsed, Cluster cluster) {}

  @Override
  public void close() {
    if (sweeper != null) {
      sweeper.cancel(false);
    }
    for (Cluster c : clusters.values()) {
      c.close();
    }
    clusters.clear();
    portClusters.clear();
    guards.clear();
    // A closed manager's meters leave the registry (an embedder may build a new handler on it).
    for (java.util.Map.Entry<String, ServiceMeters> e : meters.entrySet()) {
      e.getValue().remove();
      RouterMetrics rm = metrics;
      if (rm != null) {
        rm.forget(e.getKey());
      }
    }
    meters.clear();
    RouterMetrics all = metrics;
    if (all != null) {
      all.forgetAll();
    }
    if (ownControl) {
      control.shutdownNow();
    }
    if (probeThreads != null) {
      probeThreads.shutdownNow();
    }
    TcpProbes t = tcpProbes;
    if (t != null) {
      try {
        t.group().shutdownNow(); // closes the probes' sockets in flight
      } catch (java.io.IOException e) {
        // closing anyway
      }
    }
  }

  /** One thread of non-blocking connects for TCP health checks; names resolved on {@code pool}. */
  private static TcpProbes tcpProbes(java.util.concurrent.ExecutorService pool) {
    try {
      return new TcpProbes(
          java.nio.channels.AsynchronousChannelGroup.withFixedThreadPool(
              1,
              r -> {
                Thread t = new Thread(r, "whaleray-health-check-tcp");
                t.setDaemon(true);
                return t;
              }),
          pool);
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException("cannot start TCP health checks", e);
    }
  }

  private static ScheduledExecutorService newControlThread() {
    java.util.concurrent.ScheduledThreadPoolExecutor e =
        new java.util.concurrent.ScheduledThreadPoolExecutor(
            1,
            r -> {
              Thread t = new Thread(r, "whaleray-cluster-control");
              t.setDaemon(true);
              return t;
            });
    e.setRemoveOnCancelPolicy(true);
    return e;
  }

  private LbContext context(String service, Map<String, String> routeOptions) {
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

  private String routeKey(Route route) {
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

  /** Settings of a {@link ClusterManager}; not thread-safe. */
  public static final class Builder {
    private final Discovery discovery;
    private LoadBalancerProvider lbProvider = LoadBalancerProviders.get("round-robin");
    private LbContext lbTemplate = LbContext.of("template");
    private Map<String, LoadBalancerProvider> policies = Map.of();
    private int maxServices = 10_000;
    private Duration idleTimeout = Duration.ofMinutes(10);
    private @Nullable ScheduledExecutorService scheduler;
    private java.util.function.Function<String, @Nullable HealthProbe> healthProbes = s -> null;
    private OutlierDetection outliers = OutlierDetection.defaults();
    private int retryBudgetPercent = 20;
    private @Nullable RateLimit rateLimit;
    private Map<String, RateLimit> serviceRateLimits = Map.of();
    private @Nullable HealthCheck healthCheck;
    private final Map<String, Optional<HealthCheck>> serviceHealthChecks = new HashMap<>();
    private @Nullable CircuitBreaking breaking;
    private @Nullable RouterMetrics metrics;

    private Builder(Discovery discovery) {
      this.discovery = requireNonNull(discovery, "discovery");
    }

    /** The policy of services whose route names none. */
    public Builder loadBalancer(LoadBalancerProvider provider) {
      this.lbProvider = requireNonNull(provider, "provider");
      return this;
    }

    /** Zone, options and clock every service's load balancer starts from (service name aside). */
    public Builder lbTemplate(LbContext template) {
      this.lbTemplate = requireNonNull(template, "template");
      return this;
    }

    /** Providers by policy name, for routes that name one; others are found by ServiceLoader. */
    public Builder policies(Map<String, LoadBalancerProvider> policies) {
      this.policies = Map.copyOf(policies);
      return this;
    }

    /** The most services held at once (at least 1). */
    public Builder maxServices(int maxServices) {
      if (maxServices < 1) {
        throw new IllegalArgumentException("maxServices: " + maxServices + " (expected: >= 1)");
      }
      this.maxServices = maxServices;
      return this;
    }

    /** How long an unused service is kept. */
    public Builder idleTimeout(Duration idleTimeout) {
      this.idleTimeout = requirePositive("idleTimeout", idleTimeout);
      return this;
    }

    /** Runs the idle sweep; without one, idle services are dropped only when the table is full. */
    public Builder scheduler(@Nullable ScheduledExecutorService scheduler) {
      this.scheduler = scheduler;
      return this;
    }

    /**
     * The transport's own health probe per service (null: HTTP/1.1 over the JDK's client), for
     * services reached over TLS or HTTP/2; used in {@link HealthCheck.Mode#HTTP} mode.
     */
    public Builder healthProbes(java.util.function.Function<String, @Nullable HealthProbe> probes) {
      this.healthProbes = requireNonNull(probes, "probes");
      return this;
    }

    /** Passive outlier ejection; on by default ({@link OutlierDetection#defaults()}). */
    public Builder outlierDetection(OutlierDetection outliers) {
      this.outliers = requireNonNull(outliers, "outliers");
      return this;
    }

    /**
     * Retries a service may make, as a percentage of its requests over 10 s, plus a floor of 10 a
     * second; default 20. 100 or more: unbudgeted.
     */
    public Builder retryBudgetPercent(int percent) {
      if (percent < 0) {
        throw new IllegalArgumentException("retryBudgetPercent: " + percent + " (expected: >= 0)");
      }
      this.retryBudgetPercent = percent;
      return this;
    }

    /**
     * Active health checks of every endpoint of the services in use (null: none, the default);
     * unhealthy endpoints leave the picks until they pass again.
     */
    public Builder healthCheck(@Nullable HealthCheck check) {
      this.healthCheck = check;
      return this;
    }

    /**
     * The active check of one service, over {@link #healthCheck(HealthCheck)} (null: none for that
     * service): e.g. TCP connects for a database reached through a TCP listener while the HTTP
     * services get {@code GET /health}.
     */
    public Builder serviceHealthCheck(String service, @Nullable HealthCheck check) {
      serviceHealthChecks.put(requireNonNull(service, "service"), Optional.ofNullable(check));
      return this;
    }

    /** A circuit breaker per service (null: none, the default). */
    public Builder circuitBreaker(@Nullable CircuitBreaking breaking) {
      this.breaking = breaking;
      return this;
    }

    /** Records the services' meters there (null: none, the default; nothing is paid). */
    public Builder metrics(@Nullable RouterMetrics metrics) {
      this.metrics = metrics;
      return this;
    }

    /** Every service's rate limit per router task (null: none, the default). */
    public Builder rateLimit(@Nullable RateLimit limit) {
      this.rateLimit = limit;
      return this;
    }

    /** Rate limits of named services, over {@link #rateLimit}. */
    public Builder serviceRateLimits(Map<String, RateLimit> limits) {
      this.serviceRateLimits = Map.copyOf(limits);
      return this;
    }

    /** The manager; its sweep starts now. */
    public ClusterManager build() {
      return new ClusterManager(this);
    }
  }
}
