package dev.whaleray.router.discovery;

import static java.util.Objects.requireNonNull;

import dev.whaleray.router.EndpointSet;
import dev.whaleray.router.internal.SerialExecutor;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicLong;
import org.jspecify.annotations.Nullable;

/**
 * The bookkeeping every discovery needs, so a source only resolves: watchers per service, the last
 * snapshot per service (last known good), change detection, revisions, ready futures, and serial
 * listener calls that contain exceptions.
 *
 * <p>A subclass implements {@link #doWatch} (start resolving a service, then call {@link #publish}
 * with full state whenever it knows it) and optionally {@link #doUnwatch} and {@link #doRefresh}.
 * Thread-safe.
 */
public abstract class AbstractDiscovery implements Discovery {
  private static final System.Logger LOG = System.getLogger(AbstractDiscovery.class.getName());

  private final Executor controlExecutor;
  private final ConcurrentHashMap<String, ServiceState> services = new ConcurrentHashMap<>();
  private final AtomicLong revisions = new AtomicLong();
  private final SerialExecutor lifecycle;
  private final java.util.concurrent.ConcurrentLinkedQueue<Runnable> pendingLifecycle =
      new java.util.concurrent.ConcurrentLinkedQueue<>();
  private volatile boolean closed;

  /**
   * @param controlExecutor runs listener callbacks (serially per service); must not be a
   *     caller-runs executor if {@link #publish} may be called with a lock held
   */
  protected AbstractDiscovery(Executor controlExecutor) {
    this.controlExecutor = requireNonNull(controlExecutor, "controlExecutor");
    this.lifecycle = new SerialExecutor(controlExecutor);
  }

  @Override
  public final Watch watch(String service, Listener listener) {
    requireNonNull(service, "service");
    requireNonNull(listener, "listener");
    if (closed) {
      throw new IllegalStateException("discovery closed");
    }
    boolean[] created = new boolean[1];
    ListenerWatch[] added = new ListenerWatch[1];
    // compute() rather than computeIfAbsent() and then add: unwatch() drops an emptied state in
    // computeIfPresent(), so a watch is never added to a state that is leaving the map.
    ServiceState state =
        services.compute(
            service,
            (s, existing) -> {
              ServiceState st = existing;
              if (st == null) {
                st = new ServiceState(s);
                created[0] = true;
                // Queued under the map's lock for this key, so doWatch and doUnwatch of one
                // service run in the order the map changed, never overlapping; run below.
                pendingLifecycle.add(() -> startWatching(s));
              }
              added[0] = new ListenerWatch(st, listener);
              st.watches.add(added[0]);
              return st;
            });
    ListenerWatch watch = added[0];
    // The current set is read when the task runs, not now: a publish queued before this task may
    // replace it, and delivering the older set after that would leave this listener stale.
    state.serial.execute(watch::deliverCurrent);
    if (created[0]) {
      lifecycle.execute(this::runLifecycle);
    }
    return watch;
  }

  private void runLifecycle() {
    Runnable task;
    while ((task = pendingLifecycle.poll()) != null) {
      task.run();
    }
  }

  private void startWatching(String service) {
    if (closed) {
      return;
    }
    try {
      doWatch(service);
    } catch (RuntimeException e) {
      publishError(service, e);
    }
  }

  /**
   * Starts resolving {@code service}; called once per watched period, on the control executor,
   * after the {@link #doUnwatch} of any earlier period of the same service. Should not block for
   * long: start a background lookup and {@link #publish} when it answers.
   */
  protected abstract void doWatch(String service);

  /** The last watch of {@code service} closed: stop refreshing it. Runs on the control executor. */
  protected void doUnwatch(String service) {}

  /** A watcher asked for a fresh lookup of {@code service}. */
  protected void doRefresh(String service) {}

  /**
   * Publishes the full state of a service. Ignored when the service is not watched or the content
   * equals the last snapshot; otherwise the snapshot gets the next revision and goes to every
   * listener. Never blocks; callable from any thread.
   */
  protected final void publish(EndpointSet endpoints) {
    requireNonNull(endpoints, "endpoints");
    ServiceState state = services.get(endpoints.service());
    if (state == null) {
      return;
    }
    state.serial.execute(
        () -> {
          EndpointSet last = state.current;
          if (last != null && last.sameContent(endpoints)) {
            return;
          }
          EndpointSet next = endpoints.withRevision(revisions.incrementAndGet());
          state.current = next;
          for (ListenerWatch w : state.watches) {
            w.deliver(next);
          }
        });
  }

  /**
   * Reports a failed lookup: the last snapshot stays in force. If there is none yet, the ready
   * futures fail, so first requests get an answer instead of waiting.
   */
  protected final void publishError(String service, Throwable error) {
    ServiceState state = services.get(service);
    if (state == null) {
      return;
    }
    state.serial.execute(
        () -> {
          for (ListenerWatch w : state.watches) {
            w.error(error, state.current == null);
          }
        });
  }

  /** The services watched now. */
  protected final Set<String> watchedServices() {
    return Set.copyOf(services.keySet());
  }

  /** The last snapshot of a watched service, or null. */
  protected final @Nullable EndpointSet current(String service) {
    ServiceState state = services.get(service);
    return state == null ? null : state.current;
  }

  /** Closes every watch; subclasses release their resources in {@link #doClose()}. */
  @Override
  public final void close() {
    if (closed) {
      return;
    }
    closed = true;
    services.clear();
    try {
      doClose();
    } catch (RuntimeException e) {
      LOG.log(System.Logger.Level.WARNING, "closing " + getClass().getSimpleName(), e);
    }
  }

  /** Releases the source's threads and sockets; called once by {@link #close()}. */
  protected void doClose() {}

  private void unwatch(ServiceState state, ListenerWatch watch) {
    boolean[] last = new boolean[1];
    services.computeIfPresent(
        state.service,
        (s, st) -> {
          if (st != state) {
            return st;
          }
          st.watches.remove(watch);
          last[0] = st.watches.isEmpty();
          if (last[0]) {
            pendingLifecycle.add(() -> stopWatching(s));
          }
          return last[0] ? null : st;
        });
    state.watches.remove(watch); // the state may have left the map already (close)
    if (last[0]) {
      lifecycle.execute(this::runLifecycle);
    }
  }

  private void stopWatching(String service) {
    try {
      doUnwatch(service);
    } catch (RuntimeException e) {
      LOG.log(System.Logger.Level.WARNING, "unwatching " + service, e);
    }
  }

  private final class ServiceState {
    final String service;
    final SerialExecutor serial = new SerialExecutor(controlExecutor);
    final CopyOnWriteArrayList<ListenerWatch> watches = new CopyOnWriteArrayList<>();
    volatile @Nullable EndpointSet current;

    ServiceState(String service) {
      this.service = service;
    }
  }

  private final class ListenerWatch implements Watch {
    private final ServiceState state;
    private final Listener listener;
    private final CompletableFuture<EndpointSet> ready = new CompletableFuture<>();
    private volatile boolean closed;
    // The last set given to the listener; only touched by tasks of state.serial.
    private @Nullable EndpointSet delivered;

    ListenerWatch(ServiceState state, Listener listener) {
      this.state = state;
      this.listener = listener;
    }

    void deliverCurrent() {
      EndpointSet current = state.current;
      if (current != null) {
        deliver(current);
      }
    }

    void deliver(EndpointSet set) {
      if (closed || set == delivered) {
        return;
      }
      delivered = set;
      try {
        listener.onUpdate(set);
      } catch (RuntimeException e) {
        LOG.log(System.Logger.Level.ERROR, "listener failed on " + set, e);
      }
      // After the listener has the set, so a ready callback sees the listener's new state.
      ready.complete(set);
    }

    void error(Throwable error, boolean noSnapshotYet) {
      if (closed) {
        return;
      }
      if (noSnapshotYet) {
        ready.completeExceptionally(error);
      }
      try {
        listener.onError(state.service, error);
      } catch (RuntimeException e) {
        LOG.log(System.Logger.Level.ERROR, "listener failed on an error of " + state.service, e);
      }
    }

    @Override
    public CompletionStage<EndpointSet> ready() {
      return ready.minimalCompletionStage();
    }

    @Override
    public void refresh() {
      if (!closed) {
        doRefresh(state.service);
      }
    }

    @Override
    public void close() {
      if (!closed) {
        closed = true;
        unwatch(state, this);
      }
    }
  }

  /**
   * A listener that hands {@code delegate} the snapshots of another key (a port's own records, e.g.
   * a per-port SRV name) under {@code service}'s name, so the port's watcher sees its service.
   */
  protected static Listener relabeled(String service, Listener delegate) {
    requireNonNull(service, "service");
    requireNonNull(delegate, "delegate");
    return new Listener() {
      @Override
      public void onUpdate(EndpointSet endpoints) {
        delegate.onUpdate(endpoints.withService(service));
      }

      @Override
      public void onError(String key, Throwable error) {
        delegate.onError(service, error);
      }
    };
  }
}
