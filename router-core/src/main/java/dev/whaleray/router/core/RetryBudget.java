package dev.whaleray.router.core;

import java.util.concurrent.atomic.AtomicLongArray;

/**
 * Caps one service's retries at a share of its requests over the last {@value #WINDOW_SECONDS}
 * seconds, plus a small floor ({@value #FLOOR_PER_SECOND} a second) so a quiet service can still
 * retry (Finagle's and Linkerd's retry budgets): a failing service cannot double its own load.
 *
 * <p>Lock-free: one-second buckets in a ring, reset by the first writer of a new second; a count
 * lost at a bucket's turn is harmless.
 */
final class RetryBudget {
  static final int WINDOW_SECONDS = 10;
  static final int FLOOR_PER_SECOND = 10;

  private final int percent;
  private final AtomicLongArray seconds = new AtomicLongArray(WINDOW_SECONDS);
  private final AtomicLongArray requests = new AtomicLongArray(WINDOW_SECONDS);
  private final AtomicLongArray retries = new AtomicLongArray(WINDOW_SECONDS);

  RetryBudget(int percent) {
    this.percent = percent;
    for (int i = 0; i < WINDOW_SECONDS; i++) {
      seconds.set(i, Long.MIN_VALUE);
    }
  }

  /** A request's first attempt, in {@code second} (of a monotonic clock). */
  void onRequest(long second) {
    requests.incrementAndGet(bucket(second));
  }

  /** Whether one more retry fits the budget in {@code second}; counts it when it does. */
  boolean tryRetry(long second) {
    int current = bucket(second);
    long req = 0;
    long ret = 0;
    for (int i = 0; i < WINDOW_SECONDS; i++) {
      if (second - seconds.get(i) < WINDOW_SECONDS) {
        req += requests.get(i);
        ret += retries.get(i);
      }
    }
    if (ret >= req * percent / 100 + (long) FLOOR_PER_SECOND * WINDOW_SECONDS) {
      return false;
    }
    retries.incrementAndGet(current);
    return true;
  }

  private int bucket(long second) {
    int i = (int) Math.floorMod(second, (long) WINDOW_SECONDS);
    long s = seconds.get(i);
    if (s != second && seconds.compareAndSet(i, s, second)) {
      requests.set(i, 0);
      retries.set(i, 0);
    }
    return i;
  }
}
