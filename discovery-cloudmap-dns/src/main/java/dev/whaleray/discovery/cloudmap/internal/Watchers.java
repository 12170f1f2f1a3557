package dev.whaleray.discovery.cloudmap.internal;

import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;

/**
 * The per-service pollers of a discovery, one per watched service: started when the service is
 * watched, stopped when it is unwatched or the discovery closes. Both Cloud Map discoveries keep
 * their bookkeeping here; how a poller polls is theirs. Thread-safe.
 *
 * @param <W> the poller type
 */
public final class Watchers<W extends Watchers.Watcher> {

  /** One watched service's poller. */
  public interface Watcher {
    /** Starts the first poll. */
    void start();

    /** Stops polling; a poll in flight publishes nothing. */
    void stop();

    /** Polls again soon (the poller decides how soon). */
    void refreshSoon();
  }

  private final ConcurrentHashMap<String, W> watchers = new ConcurrentHashMap<>();
  private volatile boolean closed;

  /**
   * Starts a poller made by {@code factory} for {@code service}; none once closed.
   *
   * @throws IllegalArgumentException from the factory, for a service it cannot poll
   */
  public void watch(String service, Function<String, W> factory) {
    if (closed) {
      return;
    }
    W w = factory.apply(service);
    W previous = watchers.put(service, w);
    if (previous != null) {
      previous.stop(); // not expected: unwatch runs first
    }
    w.start();
  }

  /** Stops the service's poller. */
  public void unwatch(String service) {
    W w = watchers.remove(service);
    if (w != null) {
      w.stop();
    }
  }

  /** Asks the service's poller to poll again soon. */
  public void refresh(String service) {
    W w = watchers.get(service);
    if (w != null) {
      w.refreshSoon();
    }
  }

  /** Stops every poller; later watches start nothing. */
  public void close() {
    closed = true;
    for (W w : watchers.values()) {
      w.stop();
    }
    watchers.clear();
  }

  /** True once {@link #close} ran. */
  public boolean isClosed() {
    return closed;
  }

  /** The number of services being polled. */
  public int size() {
    return watchers.size();
  }
}
