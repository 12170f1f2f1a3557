package dev.whaleray.router.core.registry;

import static dev.whaleray.router.settings.Durations.requirePositive;
import static java.util.Objects.requireNonNull;

import dev.whaleray.router.Endpoint;
import dev.whaleray.router.discovery.Registration;
import dev.whaleray.router.discovery.Registry;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * A {@link Registry} in this process's memory: each registration is dropped when its TTL lapses
 * without a renewal (a timer on the given scheduler), so a registering client that dies is routed
 * to for at most one TTL. Shared by nothing else: each router task has its own (use {@code
 * CloudMapRegistry} to share registrations between tasks).
 *
 * <p>Thread-safe. Changes are made under one lock (they are rare, control-plane calls) and
 * listeners are called after it is released.
 */
public final class MemoryRegistry implements Registry {
  private static final System.Logger LOG = System.getLogger(MemoryRegistry.class.getName());
  private static final Comparator<Registration> ORDER =
      Comparator.comparing(Registration::service).thenComparing(Registration::endpoint);

  private final ScheduledExecutorService scheduler;
  private final Clock clock;
  // service -> host:port -> entry; guarded by this.
  private final Map<String, Map<String, Entry>> services = new HashMap<>();
  private final CopyOnWriteArrayList<Listener> listeners = new CopyOnWriteArrayList<>();
  private boolean closed;

  private MemoryRegistry(ScheduledExecutorService scheduler, Clock clock) {
    this.scheduler = requireNonNull(scheduler, "scheduler");
    this.clock = requireNonNull(clock, "clock");
  }

  /** A registry whose expiry timers run on {@code scheduler} (not shut down by {@link #close}). */
  public static MemoryRegistry create(ScheduledExecutorService scheduler) {
    return new MemoryRegistry(scheduler, Clock.systemUTC());
  }

  /** As {@link #create(ScheduledExecutorService)}, with the clock that stamps expiry times. */
  public static MemoryRegistry create(ScheduledExecutorService scheduler, Clock clock) {
    return new MemoryRegistry(scheduler, clock);
  }

  private static final class Entry {
    final Registration registration;
    final ScheduledFuture<?> expiry;

    Entry(Registration registration, ScheduledFuture<?> expiry) {
      this.registration = registration;
      this.expiry = expiry;
    }
  }

  @Override
  public Registration register(String service, Endpoint endpoint, Duration ttl) {
    requireNonNull(service, "service");
    requireNonNull(endpoint, "endpoint");
    requirePositive("ttl", ttl);
    Registration r = Registration.of(service, endpoint, ttl, clock.instant().plus(ttl));
    boolean changed;
    synchronized (this) {
      if (closed) {
        throw new IllegalStateException("registry closed");
      }
      Map<String, Entry> byAddress = services.computeIfAbsent(service, s -> new HashMap<>());
      Entry old = byAddress.get(endpoint.authority());
      if (old != null) {
        old.expiry.cancel(false);
      }
      ScheduledFuture<?> expiry;
      try {
        expiry = scheduler.schedule(() -> expire(r), ttl.toNanos(), TimeUnit.NANOSECONDS);
      } catch (RejectedExecutionException e) {
        throw new IllegalStateException("registry closed", e);
      }
      byAddress.put(endpoint.authority(), new Entry(r, expiry));
      // A heartbeat with the same values changes nothing a router sees.
      changed = old == null || !old.registration.endpoint().equals(endpoint);
    }
    if (changed) {
      notifyChanged(service);
    }
    return r;
  }

  @Override
  public boolean deregister(String service, Endpoint endpoint) {
    Entry removed;
    synchronized (this) {
      Map<String, Entry> byAddress = services.get(service);
      if (byAddress == null) {
        return false;
      }
      removed = byAddress.remove(endpoint.authority());
      if (removed == null) {
        return false;
      }
      removed.expiry.cancel(false);
      if (byAddress.isEmpty()) {
        services.remove(service);
      }
    }
    notifyChanged(service);
    return true;
  }

  /** Drops {@code r} unless it was renewed or removed since. */
  private void expire(Registration r) {
    synchronized (this) {
      Map<String, Entry> byAddress = services.get(r.service());
      if (byAddress == null) {
        return;
      }
      Entry e = byAddress.get(r.endpoint().authority());
      if (e == null || e.registration != r) {
        return;
      }
      byAddress.remove(r.endpoint().authority());
      if (byAddress.isEmpty()) {
        services.remove(r.service());
      }
    }
    LOG.log(System.Logger.Level.INFO, "registration lapsed: " + r);
    for (Listener l : listeners) {
      try {
        l.expired(r);
      } catch (RuntimeException ex) {
        LOG.log(System.Logger.Level.ERROR, "registry listener failed on " + r, ex);
      }
    }
    notifyChanged(r.service());
  }

  private void notifyChanged(String service) {
    for (Listener l : listeners) {
      try {
        l.changed(service);
      } catch (RuntimeException e) {
        LOG.log(System.Logger.Level.ERROR, "registry listener failed on " + service, e);
      }
    }
  }

  @Override
  public synchronized List<Registration> registrations() {
    List<Registration> all = new ArrayList<>();
    for (Map<String, Entry> byAddress : services.values()) {
      for (Entry e : byAddress.values()) {
        all.add(e.registration);
      }
    }
    all.sort(ORDER);
    return List.copyOf(all);
  }

  @Override
  public synchronized List<Endpoint> endpoints(String service) {
    Map<String, Entry> byAddress = services.get(service);
    if (byAddress == null) {
      return List.of();
    }
    TreeMap<Endpoint, Boolean> sorted = new TreeMap<>();
    for (Entry e : byAddress.values()) {
      sorted.put(e.registration.endpoint(), Boolean.TRUE);
    }
    return List.copyOf(sorted.keySet());
  }

  @Override
  public AutoCloseable subscribe(Listener listener) {
    requireNonNull(listener, "listener");
    listeners.add(listener);
    return () -> listeners.remove(listener);
  }

  /** Cancels every expiry timer and forgets every registration. */
  @Override
  public void close() {
    synchronized (this) {
      closed = true;
      for (Map<String, Entry> byAddress : services.values()) {
        for (Entry e : byAddress.values()) {
          e.expiry.cancel(false);
        }
      }
      services.clear();
    }
    listeners.clear();
  }
}
