package dev.whaleray.loadbalancing;

import java.util.concurrent.ThreadLocalRandom;

/**
 * Bounded random indexes for pickers, by multiply-and-shift (Lemire, "Fast Random Integer
 * Generation in an Interval", 2019) instead of {@link ThreadLocalRandom#nextInt(int)}'s division
 * and rejection loop: {@code (r * n) >>> 32} for 32 random bits {@code r}. Index {@code i} then has
 * probability {@code floor or ceil(2^32 / n) / 2^32}: a relative bias below {@code n / 2^32} (under
 * 3 parts per million at 10,000 endpoints), far below what any balancing can notice, for one
 * multiplication. Thread-safe: the bits come from the calling thread's {@link ThreadLocalRandom}.
 */
final class FastRandom {
  private FastRandom() {}

  /** A random index in {@code [0, n)}, {@code n >= 1}. */
  static int index(int n) {
    return scale(ThreadLocalRandom.current().nextInt(), n);
  }

  /** Maps 32 random bits (the low 32 of {@code bits}) to {@code [0, n)}. */
  static int scale(long bits, int n) {
    return (int) (((bits & 0xFFFFFFFFL) * n) >>> 32);
  }
}
