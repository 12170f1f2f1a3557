package dev.whaleray.router.core;

import java.util.concurrent.atomic.AtomicLongArray;

/**
 * A closed circuit's request counts over a sliding window, lock-free: a ring of buckets, each one
 * packed {@code long} of failures (high half) and successes (low half) and the epoch it counts for,
 * in 100 ms ticks of {@link System#nanoTime()}. Failsafe's own statistics take two monitors and a
 * clock read per result; this takes the clock read and one add. Counts are statistics: a result
 * that races with a bucket's reset may be lost.
 */
final class FailureWindow {
  private static final long FAILURE = 1L << 32;
  private static final long SUCCESSES = FAILURE - 1;

  private final int buckets;
  private final long ticksPerBucket;
  private final AtomicLongArray counts;
  private final AtomicLongArray epochs;

  /** A window of {@code windowTicks} clock ticks (at least 1), in up to 10 buckets. */
  FailureWindow(long windowTicks) {
    long ticks = Math.max(1, windowTicks);
    this.buckets = (int) Math.min(10, ticks);
    this.ticksPerBucket = (ticks + buckets - 1) / buckets;
    this.counts = new AtomicLongArray(buckets);
    this.epochs = new AtomicLongArray(buckets);
    for (int i = 0; i < buckets; i++) {
      epochs.set(i, Long.MIN_VALUE);
    }
  }

  /** Counts one result at clock tick {@code tick}. */
  void record(long tick, boolean failure) {
    long epoch = tick / ticksPerBucket;
    int i = (int) Math.floorMod(epoch, (long) buckets);
    long e = epochs.get(i);
    if (e < epoch && epochs.compareAndSet(i, e, epoch)) {
      counts.set(i, 0); // a bucket from an older turn of the ring: start it again
    }
    counts.getAndAdd(i, failure ? FAILURE : 1);
  }

  /**
   * Whether at least {@code minimum} results fell in the window ending at {@code tick} and at least
   * {@code percent} of them failed.
   */
  boolean tripped(long tick, int minimum, int percent) {
    long epoch = tick / ticksPerBucket;
    long failures = 0;
    long total = 0;
    for (int i = 0; i < buckets; i++) {
      long e = epochs.get(i);
      if (e <= epoch && e > epoch - buckets) {
        long c = counts.get(i);
        long f = c >>> 32;
        failures += f;
        total += f + (c & SUCCESSES);
      }
    }
    return total >= minimum && failures * 100 >= (long) percent * total;
  }

  /** Forgets every count: the circuit closed again and starts from nothing. */
  void clear() {
    for (int i = 0; i < buckets; i++) {
      epochs.set(i, Long.MIN_VALUE);
      counts.set(i, 0);
    }
  }
}
