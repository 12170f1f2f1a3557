package dev.whaleray.router.core;

import dev.whaleray.router.Endpoint;
import dev.whaleray.router.EndpointSet;
import dev.whaleray.router.RequestView;
import dev.whaleray.router.discovery.Discovery;
import dev.whaleray.router.discovery.Watch;
import dev.whaleray.router.lb.LoadBalancer;
import dev.whaleray.router.lb.Outcome;
import dev.whaleray.router.lb.PickResult;
import dev.whaleray.router.lb.Picker;
import dev.whaleray.router.lb.Tried;
import dev.whaleray.router.lb.Upstream;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.jspecify.annotations.Nullable;

/**
 * One service in use: its discovery watch, its load balancer and the current {@link
 * ClusterSnapshot}. The request path ({@link #pick}, {@link #attemptStarted}, {@link
 * #attemptEnded}) reads one volatile field and never locks; updates (discovery, a published picker)
 * build a new snapshot and swap it in.
 */
public final class Cluster implements Discovery.Listener {
  private static final System.Logger LOG = System.getLogger(Cluster.class.getName());
  static final org.slf4j.Logger DECISIONS = org.slf4j.LoggerFactory.getLogger(Cluster.class);

  final String key;
  private final String service;
  private final @Nullable String port;
  private final Discovery discovery;
  private final LoadBalancer lb;
  private final CompletableFuture<EndpointSet> ready = new CompletableFuture<>();
  private volatile @Nullable Watch watch;
  private volatile @Nullable ClusterSnapshot snapshot;
  private volatile @Nullable Throwable lastError;
  volatile long lastUsed = System.nanoTime();

  private final OutlierDetection outliers;
  private final @Nullable ScheduledExecutorService control;
  private final ConcurrentHashMap<String, EndpointHealth> health = new ConcurrentHashMap<>();
  private boolean closed;

  Cluster(
      String key,
      String service,
      @Nullable String port,
      Discovery discovery,
      LoadBalancerFactory lbs,
      OutlierDetection outliers,
      @Nullable ScheduledExecutorService control,
      int retryBudgetPercent,
      @Nullable ServiceGuard guard,
      java.util.function.@Nullable Supplier<ServiceMeters> meterFactory,
      @Nullable HealthCheck healthCheck,
      java.net.http.@Nullable HttpClient probes,
      @Nullable TcpProbes tcpProbes,
      @Nullable HealthProbe healthProbe) {
    this.key = key;
    this.service = service;
    this.port = port;
    this.discovery = discovery;
    this.lb = lbs.create(this::publish);
    this.outliers = control == null ? OutlierDetection.off() : outliers;
    this.control = control;
    this.budget = retryBudgetPercent >= 100 ? null : new RetryBudget(retryBudgetPercent);
    this.guard = guard;
    this.meterFactory = meterFactory;
    this.checker =
        healthCheck == null || (probes == null && tcpProbes == null) || control == null
            ? null
            : new HealthChecker(
                healthCheck,
                control,
                probes,
                tcpProbes,
                tcpProbes == null ? healthProbe : null, // TCP mode: connects, whatever the protocol
                service,
                this::healthChanged,
                this::healthyAgain);
  }

  private final @Nullable HealthChecker checker; // null: no active checks

  private final @Nullable ServiceGuard guard; // null: no rate limit, no circuit breaker
  // Made once discovery knows the service: a name nobody runs never gets meters (bounded tags).
  private volatile @Nullable ServiceMeters meters; // null: no metrics, or not known (yet)
  private final java.util.function.@Nullable Supplier<ServiceMeters> meterFactory;
  private final long createdNanos = System.nanoTime();

  /**
   * A request's end, for the circuit breaker: failed when its answer was a 5xx (the backend's or
   * the router's). Once per request that passed {@link #pick} on its first attempt.
   */
  public void requestEnded(boolean failed) {
    ServiceGuard g = guard;
    if (g != null) {
      g.ended(failed);
    }
  }

  /** Active checks pass again: an ejected endpoint comes back now, not when its time is up. */
  private synchronized void healthyAgain(String authority) {
    EndpointHealth h = health.get(authority);
    if (h != null && h.ejected) {
      h.cancelReturn();
      giveBack(authority, h);
    }
  }

  /** An endpoint turned healthy or unhealthy: a picker without the unhealthy ones. */
  private synchronized void healthChanged() {
    ClusterSnapshot s = snapshot;
    if (s != null && !closed) {
      rebuild(s.endpoints());
    }
  }

  private final @Nullable RetryBudget budget; // null: retries unbudgeted

  /** One endpoint's passive health: failures in a row, and its ejection. */
  private static final class EndpointHealth {
    final AtomicInteger failures = new AtomicInteger();
    volatile boolean ejected; // written under the cluster's lock
    int ejections;
    long returnedAt;
    @Nullable ScheduledFuture<?> returning;

    /** Drops the scheduled end of the ejection (it ends another way, or no longer matters). */
    void cancelReturn() {
      ScheduledFuture<?> f = returning;
      if (f != null) {
        f.cancel(false);
      }
    }
  }

  /** Builds the cluster's load balancer around the publisher the cluster gives it. */
  interface LoadBalancerFactory {
    LoadBalancer create(java.util.function.Consumer<Picker> publisher);
  }

  void start() {
    try {
      Watch w =
          port == null ? discovery.watch(service, this) : discovery.watch(service, port, this);
      watch = w;
      w.ready()
          .whenComplete(
              (set, error) -> {
                if (error != null) {
                  lastError = error;
                  ready.completeExceptionally(error);
                } else if (snapshot != null) {
                  ready.complete(set);
                }
                // else onUpdate completes it once the picker is built: a waiting request must
                // never find the lookup done and no picker (a 503 race seen in CI).
              });
    } catch (RuntimeException e) {
      lastError = e;
      ready.completeExceptionally(e);
    }
  }

  /**
   * An endpoint's state as the cluster sees it: {@code unhealthy} (failing its active checks),
   * {@code ejected} (outlier detection), else {@code healthy}. Read-only, for listings.
   */
  public String endpointState(String authority) {
    HealthChecker hc = checker;
    if (hc != null && hc.isUnhealthy(authority)) {
      return "unhealthy";
    }
    EndpointHealth h = health.get(authority);
    return h != null && h.ejected ? "ejected" : "healthy";
  }

  /** How many of the discovered endpoints are in {@code state}: healthy, unhealthy or ejected. */
  int endpointCount(String state) {
    ClusterSnapshot s = snapshot;
    if (s == null) {
      return 0;
    }
    int healthy = 0;
    int unhealthy = 0;
    int ejected = 0;
    HealthChecker hc = checker;
    for (Endpoint e : s.endpoints().endpoints()) {
      EndpointHealth h = health.get(e.authority());
      if (hc != null && hc.isUnhealthy(e.authority())) {
        unhealthy++;
      } else if (h != null && h.ejected) {
        ejected++;
      } else {
        healthy++;
      }
    }
    return switch (state) {
      case "healthy" -> healthy;
      case "unhealthy" -> unhealthy;
      default -> ejected;
    };
  }

  /** The circuit's state: closed (also without a breaker), open or half_open. */
  String circuitState() {
    ServiceGuard g = guard;
    return g == null ? "closed" : g.state();
  }

  /** The service's name. */
  public String service() {
    return service;
  }

  /**
   * The port of the service this cluster serves (a port name or number, as the route gave it), or
   * null for the endpoints' default port.
   */
  public @Nullable String port() {
    return port;
  }

  /** The current snapshot, or null before discovery's first answer. */
  public @Nullable ClusterSnapshot snapshot() {
    return snapshot;
  }

  /** The endpoints of the current snapshot, or null before discovery's first answer. */
  public @Nullable EndpointSet endpoints() {
    ClusterSnapshot s = snapshot;
    return s == null ? null : s.endpoints();
  }

  /** Discovery's last error, cleared by the next good snapshot; null when there is none. */
  public @Nullable Throwable lastError() {
    return lastError;
  }

  /** Completes once the first snapshot has a picker, or the first lookup failed. */
  public CompletableFuture<EndpointSet> ready() {
    return ready;
  }

  /** True when discovery says the service does not exist, or its first lookup failed. */
  public boolean isNegative() {
    ClusterSnapshot s = snapshot;
    return s == null ? ready.isCompletedExceptionally() : !s.endpoints().isKnown();
  }

  /**
   * The pick for one attempt of a request: none before the first snapshot, none on a retry over the
   * service's retry budget, and none on a retry when the picker answers an upstream already tried
   * (a plugin that ignores {@link Tried}): a retry never goes back to an endpoint that just failed.
   * Lock-free; allocates nothing with the built-in policies.
   */
  public PickResult pick(RequestView request, Tried tried) {
    ServiceGuard g = guard;
    boolean clock = budget != null || (g != null && g.limits()); // else no clock read
    return pick(request, tried, clock ? System.nanoTime() : 0);
  }

  /**
   * {@link #pick(RequestView, Tried)} at {@code nowNanos} ({@link System#nanoTime()}), for a
   * transport that reads the clock for the request anyway: the rate limit and the retry budget read
   * no clock of their own.
   */
  public PickResult pick(RequestView request, Tried tried, long nowNanos) {
    ClusterSnapshot s = snapshot;
    if (s == null) {
      return PickResult.none();
    }
    ServiceGuard g = guard;
    if (g != null && tried.count() == 0) {
      PickResult refused = g.admit(nowNanos); // 429 rate limited, 503 circuit open
      if (refused != null) {
        ServiceMeters m = meters;
        if (m != null) {
          (refused.isRateLimited() ? m.rateLimited : m.circuitOpen).increment();
        }
        return refused;
      }
    }
    RetryBudget b = budget;
    if (b != null) {
      long second = nowNanos / 1_000_000_000L; // whole seconds are all the budget needs
      if (tried.count() == 0) {
        b.onRequest(second);
      } else if (tried.lastAttemptReachedABackend() && !b.tryRetry(second)) {
        // Over the retry budget: the last failure is the answer. A retry after a connect failure
        // is free: the request never reached a backend, so it adds no load.
        return PickResult.none();
      }
    }
    PickResult result = s.picker().pick(request, tried);
    if (g != null && tried.count() == 0 && result.upstream() == null) {
      g.ended(true); // no request will end to return the permit: nothing to pick is a 503
    }
    if (tried.count() > 0) {
      Upstream u = result.upstream();
      if (u != null && tried.contains(u)) {
        return PickResult.none();
      }
      ServiceMeters m = meters;
      if (m != null && u != null) {
        m.retries.increment();
      }
    }
    return result;
  }

  /** An attempt to {@code upstream} starts; pair with {@link #attemptEnded}. */
  public void attemptStarted(Upstream upstream) {
    upstream.onStart();
  }

  /**
   * The attempt to {@code upstream} ended: the policy sees the outcome, status (0 for none) and
   * latency. Called once per {@link #attemptStarted}, from any thread.
   */
  public void attemptEnded(Upstream upstream, Outcome outcome, int status, long latencyNanos) {
    upstream.onEnd(outcome, status, latencyNanos);
    ServiceMeters m = meters;
    if (m != null && outcome.isFailure()) {
      m.attemptFailed(outcome);
    }
    if (outliers.enabled()) {
      record(upstream.endpoint(), outcome.isFailure() || status >= 500);
    }
  }

  /**
   * Counts an attempt towards outlier ejection: lock-free; the ejection itself runs on the control
   * executor. A success resets the count (read first: no write per success on a healthy endpoint).
   */
  private void record(Endpoint endpoint, boolean failure) {
    String authority = endpoint.authority();
    EndpointHealth h = health.get(authority);
    if (h == null) {
      if (!failure) {
        return;
      }
      h = health.computeIfAbsent(authority, a -> new EndpointHealth());
    }
    if (!failure) {
      if (h.failures.get() != 0) {
        h.failures.set(0);
      }
      return;
    }
    ScheduledExecutorService c = control;
    if (h.failures.incrementAndGet() == outliers.consecutiveFailures() && c != null) {
      EndpointHealth target = h;
      c.execute(() -> eject(authority, target));
    }
  }

  /** Takes an endpoint out of the picks, unless the service's ejection cap is reached. */
  private synchronized void eject(String authority, EndpointHealth h) {
    ClusterSnapshot s = snapshot;
    if (closed || h.ejected || s == null || health.get(authority) != h) {
      return;
    }
    List<Endpoint> all = s.endpoints().endpoints();
    int ejectedNow = 0;
    boolean present = false;
    for (Endpoint e : all) {
      EndpointHealth other = health.get(e.authority());
      if (other != null && other.ejected) {
        ejectedNow++;
      }
      present |= e.authority().equals(authority);
    }
    if (!present) {
      return;
    }
    if ((ejectedNow + 1) * 100L > (long) outliers.maxEjectedPercent() * all.size()) {
      h.failures.set(0);
      Decisions.log(
          DECISIONS,
          org.slf4j.event.Level.WARN,
          "not_ejected",
          service,
          authority,
          () ->
              "endpoint "
                  + authority
                  + " of "
                  + service
                  + " not ejected after "
                  + outliers.consecutiveFailures()
                  + " failures in a row: "
                  + outliers.maxEjectedPercent()
                  + " % of the service is ejected already");
      return;
    }
    long now = System.nanoTime();
    long base = outliers.baseEjection().toNanos();
    if (h.returnedAt != 0 && now - h.returnedAt > base * Math.max(1, h.ejections) * 2) {
      h.ejections = 0; // healthy long enough since it came back: start from the base again
    }
    h.ejections++;
    long nanos = Math.min(base * h.ejections, OutlierDetection.MAX_EJECTION.toNanos());
    h.ejected = true;
    rebuild(s.endpoints());
    ServiceMeters m = meters;
    if (m != null) {
      m.ejections.increment();
    }
    int ejections = h.ejections;
    Decisions.log(
        DECISIONS,
        org.slf4j.event.Level.WARN,
        "ejected",
        service,
        authority,
        () ->
            "endpoint "
                + authority
                + " of "
                + service
                + " ejected for "
                + nanos / 1_000_000
                + " ms after "
                + outliers.consecutiveFailures()
                + " failures in a row (ejection "
                + ejections
                + ")");
    ScheduledExecutorService c = control;
    if (c != null) {
      h.returning = c.schedule(() -> giveBack(authority, h), nanos, TimeUnit.NANOSECONDS);
    }
  }

  /** The ejection is over: the endpoint takes traffic again, its count starting from zero. */
  private synchronized void giveBack(String authority, EndpointHealth h) {
    if (closed || !h.ejected) {
      return;
    }
    h.ejected = false;
    h.failures.set(0);
    h.returnedAt = System.nanoTime();
    ClusterSnapshot s = snapshot;
    if (s != null) {
      rebuild(s.endpoints());
    }
    Decisions.log(
        DECISIONS,
        org.slf4j.event.Level.INFO,
        "returned",
        service,
        authority,
        () -> "endpoint " + authority + " of " + service + " back after its ejection");
  }

  /**
   * A new picker over {@code endpoints} minus the ejected ones (all of them when every endpoint is
   * ejected: panic, as Envoy), published with the full list. Under the cluster's lock.
   */
  private void rebuild(EndpointSet endpoints) {
    EndpointSet usable = endpoints;
    boolean panic = false;
    HealthChecker hc = checker;
    if (!health.isEmpty() || hc != null) {
      List<Endpoint> kept = new ArrayList<>(endpoints.endpoints().size());
      List<Endpoint> healthy = new ArrayList<>(endpoints.endpoints().size());
      for (Endpoint e : endpoints.endpoints()) {
        if (hc != null && hc.isUnhealthy(e.authority())) {
          continue;
        }
        healthy.add(e);
        EndpointHealth h = health.get(e.authority());
        if (h == null || !h.ejected) {
          kept.add(e);
        }
      }
      if (healthy.isEmpty() && !endpoints.endpoints().isEmpty()) {
        panic = true; // every endpoint failed its checks: all of them, rather than none
      } else if (kept.isEmpty()) {
        kept = healthy; // ejection never takes the last healthy endpoints
      }
      if (!panic && kept.size() != endpoints.endpoints().size()) {
        usable = EndpointSet.of(endpoints.service(), endpoints.revision(), kept);
      }
    }
    snapshot = new ClusterSnapshot(endpoints, lb.update(usable), panic);
  }

  /** The addresses ejected now; for diagnostics and tests. */
  public synchronized java.util.Set<String> ejected() {
    // Under the cluster's lock, as ejections are: an endpoint shows as ejected only once the
    // picker without it is published (a test saw the flag before the swap, and picked it).
    java.util.Set<String> result = new java.util.TreeSet<>();
    health.forEach(
        (authority, h) -> {
          if (h.ejected) {
            result.add(authority);
          }
        });
    return result;
  }

  /** Asks discovery for a fresh lookup (after connect failures on every endpoint tried). */
  public void refresh() {
    Watch w = watch;
    if (w != null) {
      w.refresh();
    }
  }

  @Override
  public void onUpdate(EndpointSet endpoints) {
    // Serial per service (discovery contract); build the picker, then publish both at once.
    // Under the lock: ejections rebuild the picker too, and the balancer's updates are serial.
    synchronized (this) {
      if (!health.isEmpty()) {
        // An endpoint that left forgets its failures and ejection (a new task on that port
        // starts clean).
        java.util.Set<String> present = new java.util.HashSet<>();
        for (Endpoint e : endpoints.endpoints()) {
          present.add(e.authority());
        }
        health
            .entrySet()
            .removeIf(
                entry -> {
                  if (present.contains(entry.getKey())) {
                    return false;
                  }
                  entry.getValue().cancelReturn();
                  return true;
                });
      }
      rebuild(endpoints);
    }
    HealthChecker hc = checker;
    if (hc != null) {
      hc.update(endpoints.endpoints());
    }
    lastError = null;
    ServiceMeters m = meters;
    if (m == null && meterFactory != null && endpoints.isKnown()) {
      m = meterFactory.get();
      meters = m;
    }
    if (m != null) {
      m.discoveryUpdates.increment();
      if (!ready.isDone()) {
        m.discoveryLookup.record(System.nanoTime() - createdNanos, TimeUnit.NANOSECONDS);
      }
    }
    ready.complete(endpoints); // no-op after the first
    LOG.log(System.Logger.Level.DEBUG, () -> "endpoints of " + service + ": " + endpoints);
  }

  /** The load balancer's picker between updates; ignored before the first snapshot. */
  private void publish(Picker picker) {
    synchronized (this) {
      ClusterSnapshot s = snapshot;
      if (s != null) {
        snapshot = new ClusterSnapshot(s.endpoints(), picker);
      }
    }
  }

  @Override
  public void onError(String service, Throwable error) {
    lastError = error;
    ServiceMeters m = meters;
    if (m != null) {
      m.discoveryErrors.increment();
    }
    LOG.log(
        System.Logger.Level.WARNING,
        () -> "discovery of " + service + " failed (keeping last endpoints): " + error);
  }

  void close() {
    synchronized (this) {
      closed = true;
      for (EndpointHealth h : health.values()) {
        h.cancelReturn();
      }
    }
    HealthChecker hc = checker;
    if (hc != null) {
      hc.close();
    }
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

  @Override
  public String toString() {
    return "Cluster{" + service + (port == null ? "" : ":" + port) + ", " + snapshot + "}";
  }
}
