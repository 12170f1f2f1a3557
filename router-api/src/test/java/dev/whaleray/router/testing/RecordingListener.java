package dev.whaleray.router.testing;

import dev.whaleray.router.EndpointSet;
import dev.whaleray.router.discovery.Discovery;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;
import org.jspecify.annotations.Nullable;

/**
 * A {@link Discovery.Listener} that records every update and error, notices overlapping calls
 * (which the serial contract forbids), and lets a test wait, with a deadline, for what it expects.
 * Thread-safe.
 */
public final class RecordingListener implements Discovery.Listener {

  /** One {@link Discovery.Listener#onError} call. */
  public record Failure(String service, Throwable error) {}

  private final List<EndpointSet> updates = new ArrayList<>();
  private final List<Failure> errors = new ArrayList<>();
  private final AtomicInteger active = new AtomicInteger();
  private final AtomicInteger maxActive = new AtomicInteger();

  @Override
  public void onUpdate(EndpointSet endpoints) {
    enter();
    try {
      synchronized (this) {
        updates.add(endpoints);
        notifyAll();
      }
    } finally {
      active.decrementAndGet();
    }
  }

  @Override
  public void onError(String service, Throwable error) {
    enter();
    try {
      synchronized (this) {
        errors.add(new Failure(service, error));
        notifyAll();
      }
    } finally {
      active.decrementAndGet();
    }
  }

  private void enter() {
    int now = active.incrementAndGet();
    maxActive.accumulateAndGet(now, Math::max);
    // Widen the window in which an overlapping call would be seen.
    Thread.yield();
  }

  /** Every update so far, in arrival order. */
  public synchronized List<EndpointSet> updates() {
    return List.copyOf(updates);
  }

  /** Every error so far, in arrival order. */
  public synchronized List<Failure> errors() {
    return List.copyOf(errors);
  }

  /** The last update, or null when none arrived. */
  public synchronized @Nullable EndpointSet last() {
    return updates.isEmpty() ? null : updates.get(updates.size() - 1);
  }

  /** The largest number of callbacks that ran at the same time; 1 when delivery was serial. */
  public int maxConcurrentCalls() {
    return maxActive.get();
  }

  /**
   * Waits until at least {@code count} updates arrived and returns them all.
   *
   * @throws AssertionError when the deadline passes first
   */
  public List<EndpointSet> awaitUpdates(int count, Duration timeout) {
    return awaitUpdates(u -> u.size() >= count, timeout, "at least " + count + " updates");
  }

  /**
   * Waits until the last update matches {@code condition} and returns it.
   *
   * @throws AssertionError when the deadline passes first
   */
  public EndpointSet awaitLast(Predicate<EndpointSet> condition, Duration timeout) {
    List<EndpointSet> u =
        awaitUpdates(
            list -> !list.isEmpty() && condition.test(list.get(list.size() - 1)),
            timeout,
            "a last update that matches");
    return u.get(u.size() - 1);
  }

  /**
   * Waits until at least {@code count} errors arrived and returns them all.
   *
   * @throws AssertionError when the deadline passes first
   */
  public synchronized List<Failure> awaitErrors(int count, Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (errors.size() < count) {
      waitUntil(deadline, "at least " + count + " errors, got " + errors);
    }
    return List.copyOf(errors);
  }

  private synchronized List<EndpointSet> awaitUpdates(
      Predicate<List<EndpointSet>> condition, Duration timeout, String what) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!condition.test(updates)) {
      waitUntil(deadline, what + ", got " + updates);
    }
    return List.copyOf(updates);
  }

  private void waitUntil(long deadline, String what) {
    long left = deadline - System.nanoTime();
    if (left <= 0) {
      throw new AssertionError("timed out waiting for " + what);
    }
    try {
      wait(Math.max(1, left / 1_000_000));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError("interrupted waiting for " + what, e);
    }
  }

  @Override
  public synchronized String toString() {
    return "RecordingListener{updates=" + updates + ", errors=" + errors + "}";
  }
}
