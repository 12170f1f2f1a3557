package dev.whaleray.router.core;

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
import java.util.concurrent.CompletableFuture;
import org.jspecify.annotations.Nullable;

/**
 * One service in use: its discovery watch, its load balancer and the current {@link
 * ClusterSnapshot}. The request path ({@link #pick}, {@link #attemptStarted}, {@link
 * #attemptEnded}) reads one volatile field and never locks; updates (discovery, a published picker)
 * build a new snapshot and swap it in.
 */
public final class Cluster implements Discovery.Listener {
  private static final System.Logger LOG = System.getLogger(Cluster.class.getName());

  final String key;
  private final String service;
  private final Discovery discovery;
  private final LoadBalancer lb;
  private final CompletableFuture<EndpointSet> ready = new CompletableFuture<>();
  private volatile @Nullable Watch watch;
  private volatile @Nullable ClusterSnapshot snapshot;
  private volatile @Nullable Throwable lastError;
  volatile long lastUsed = System.nanoTime();

  Cluster(String key, String service, Discovery discovery, LoadBalancerFactory lbs) {
    this.key = key;
    this.service = service;
    this.discovery = discovery;
    this.lb = lbs.create(this::publish);
  }

  /** Builds the cluster's load balancer around the publisher the cluster gives it. */
  interface LoadBalancerFactory {
    LoadBalancer create(java.util.function.Consumer<Picker> publisher);
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

  /** The service's name. */
  public String service() {
    return service;
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
   * The pick for one attempt of a request: none before the first snapshot, and none on a retry when
   * the picker answers an upstream already tried (a plugin that ignores {@link Tried}): a retry
   * never goes back to an endpoint that just failed. Lock-free; allocates nothing with the built-in
   * policies.
   */
  public PickResult pick(RequestView request, Tried tried) {
    ClusterSnapshot s = snapshot;
    if (s == null) {
      return PickResult.none();
    }
    PickResult result = s.picker().pick(request, tried);
    if (tried.count() > 0) {
      Upstream u = result.upstream();
      if (u != null && tried.contains(u)) {
        return PickResult.none();
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
    Picker picker = lb.update(endpoints);
    synchronized (this) {
      snapshot = new ClusterSnapshot(endpoints, picker);
    }
    lastError = null;
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

  @Override
  public String toString() {
    return "Cluster{" + service + ", " + snapshot + "}";
  }
}
