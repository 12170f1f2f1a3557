package dev.whaleray.router.testing;

import static java.util.Objects.requireNonNull;

import dev.whaleray.router.Endpoint;
import dev.whaleray.router.EndpointSet;
import dev.whaleray.router.discovery.AbstractDiscovery;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executor;
import org.jspecify.annotations.Nullable;

/**
 * A discovery whose snapshots the test sets by hand, recording every template-hook call.
 *
 * <p>{@link #set} stores a service's state and publishes it when the service is watched; a service
 * watched before any {@code set} stays pending (its lookup "has not answered yet") until {@code
 * set} or {@link #fail}. By default callbacks run on the calling thread; pass a {@link
 * ManualExecutor} or a pool to test asynchronous delivery. Thread-safe.
 */
public final class FakeDiscovery extends AbstractDiscovery {
  private final Map<String, EndpointSet> known = new ConcurrentHashMap<>();
  private final List<String> watchCalls = new CopyOnWriteArrayList<>();
  private final List<String> unwatchCalls = new CopyOnWriteArrayList<>();
  private final List<String> refreshCalls = new CopyOnWriteArrayList<>();
  private volatile int closeCalls;
  private volatile @Nullable RuntimeException watchFailure;

  /** A fake whose callbacks run on the thread that calls {@link #set} or {@code watch}. */
  public FakeDiscovery() {
    this(Runnable::run);
  }

  /** A fake whose callbacks run on {@code controlExecutor}. */
  public FakeDiscovery(Executor controlExecutor) {
    super(controlExecutor);
  }

  /** Stores the state of {@code set.service()} and publishes it if the service is watched. */
  public FakeDiscovery set(EndpointSet set) {
    known.put(set.service(), set);
    publish(set);
    return this;
  }

  /** Sets a known service with these endpoints (none: known and empty). */
  public FakeDiscovery set(String service, Endpoint... endpoints) {
    return set(EndpointSet.of(service, 0, List.of(endpoints)));
  }

  /** Sets a service the source says does not exist. */
  public FakeDiscovery setUnknown(String service) {
    return set(EndpointSet.unknown(service, 0));
  }

  /** Reports a failed lookup of {@code service}; the last published set stays in force. */
  public FakeDiscovery fail(String service, Throwable error) {
    publishError(service, error);
    return this;
  }

  /** Makes the next {@code doWatch} throw {@code failure} (once). */
  public FakeDiscovery failNextWatch(RuntimeException failure) {
    this.watchFailure = requireNonNull(failure, "failure");
    return this;
  }

  /** The services passed to {@code doWatch}, in call order. */
  public List<String> watchCalls() {
    return List.copyOf(watchCalls);
  }

  /** The services passed to {@code doUnwatch}, in call order. */
  public List<String> unwatchCalls() {
    return List.copyOf(unwatchCalls);
  }

  /** The services passed to {@code doRefresh}, in call order. */
  public List<String> refreshCalls() {
    return List.copyOf(refreshCalls);
  }

  /** How often {@code doClose} ran. */
  public int closeCalls() {
    return closeCalls;
  }

  /** The services watched now. */
  public Set<String> watched() {
    return watchedServices();
  }

  /** The last snapshot published for a watched service (with its revision), or null. */
  public @Nullable EndpointSet published(String service) {
    return current(service);
  }

  @Override
  protected void doWatch(String service) {
    watchCalls.add(service);
    RuntimeException failure = watchFailure;
    if (failure != null) {
      watchFailure = null;
      throw failure;
    }
    EndpointSet set = known.get(service);
    if (set != null) {
      publish(set);
    }
  }

  @Override
  protected void doUnwatch(String service) {
    unwatchCalls.add(service);
  }

  @Override
  protected void doRefresh(String service) {
    refreshCalls.add(service);
  }

  @Override
  protected void doClose() {
    closeCalls++;
  }

  @Override
  public String toString() {
    return "FakeDiscovery" + known.values();
  }
}
