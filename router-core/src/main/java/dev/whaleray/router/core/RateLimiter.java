package dev.whaleray.router.core;

import dev.whaleray.router.lb.PickResult;
import java.util.concurrent.atomic.AtomicLong;
import org.jspecify.annotations.Nullable;

/**
 * A {@link RateLimit} in force: the generic cell rate algorithm (a token bucket kept as one
 * "theoretical arrival time"), so a decision is one read and one compare-and-set, lock-free and
 * allocation-free.
 */
final class RateLimiter {
  private final long intervalNanos; // one request's share of time
  private final long toleranceNanos; // how far ahead of time a burst may run
  private final AtomicLong theoreticalArrival = new AtomicLong(Long.MIN_VALUE);

  RateLimiter(RateLimit limit) {
    this.intervalNanos = Math.max(1, (long) (1e9 / limit.requestsPerSecond()));
    this.toleranceNanos = intervalNanos * (limit.burst() - 1L);
  }

  /**
   * Null when a request may go now (and it is counted), else the 429 answer, its {@code
   * Retry-After} the wait rounded up to whole seconds (at least 1). Allocates only to refuse.
   */
  @Nullable PickResult admit(long nowNanos) {
    long wait = acquire(nowNanos);
    return wait == 0
        ? null
        : PickResult.rateLimited("rate limited", (wait + 999_999_999L) / 1_000_000_000L);
  }

  /**
   * 0 when a request may go now (and it is counted), else the nanoseconds until one may (at least
   * 1).
   */
  long acquire(long nowNanos) {
    while (true) {
      long tat = theoreticalArrival.get();
      long start = tat == Long.MIN_VALUE || tat - nowNanos < 0 ? nowNanos : tat;
      long wait = start - nowNanos - toleranceNanos;
      if (wait > 0) {
        return wait;
      }
      if (theoreticalArrival.compareAndSet(tat, start + intervalNanos)) {
        return 0;
      }
    }
  }
}
