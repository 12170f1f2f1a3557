package dev.whaleray.discovery.cloudmap.internal;

import static java.util.Objects.requireNonNull;

import java.time.Duration;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.DoubleSupplier;

/**
 * Delays with jitter: exponential backoff after failures, and refresh delays a little before an
 * answer expires, so that many services resolved at the same moment do not refresh in lockstep.
 * Immutable and thread-safe when its random source is.
 */
public final class Backoff {
  private final long initialNanos;
  private final long maxNanos;
  private final DoubleSupplier random;

  /**
   * @param initial the delay after the first failure
   * @param max the longest delay
   * @param random uniform doubles in [0, 1)
   */
  public Backoff(Duration initial, Duration max, DoubleSupplier random) {
    this.initialNanos = requireNonNull(initial, "initial").toNanos();
    this.maxNanos = Math.max(initialNanos, requireNonNull(max, "max").toNanos());
    this.random = requireNonNull(random, "random");
    if (initialNanos <= 0) {
      throw new IllegalArgumentException("initial: " + initial + " (expected: > 0)");
    }
  }

  /** A backoff with {@link ThreadLocalRandom}. */
  public Backoff(Duration initial, Duration max) {
    this(initial, max, () -> ThreadLocalRandom.current().nextDouble());
  }

  /**
   * The delay after {@code failures} failures in a row (1 for the first): {@code initial * 2^(n-1)}
   * capped at {@code max}, times a random factor from 0.8 to 1.2. With 1 s and 30 s: about 1, 2, 4,
   * 8, 16, 30, 30 ... seconds.
   */
  public long failureDelayNanos(int failures) {
    int shift = Math.max(0, Math.min(failures - 1, 30));
    long base = initialNanos;
    for (int i = 0; i < shift && base < maxNanos; i++) {
      base *= 2;
    }
    base = Math.min(base, maxNanos);
    return (long) (base * (0.8 + 0.4 * random.getAsDouble()));
  }

  /**
   * The delay before refreshing an answer valid for {@code validNanos}: 80 % to 95 % of it, so the
   * refresh lands before it expires.
   */
  public long refreshDelayNanos(long validNanos) {
    return (long) (validNanos * (0.80 + 0.15 * random.getAsDouble()));
  }

  /** The longest interval between checks of a name that keeps not existing. */
  public static final long MAX_NEGATIVE_DELAY_NANOS =
      java.util.concurrent.TimeUnit.SECONDS.toNanos(60);

  /**
   * The delay before checking again a name that was not found {@code consecutive} times in a row (1
   * = the first time): the negative TTL, doubled each time, at most one minute (but never less than
   * the TTL itself).
   */
  public static long negativeDelayNanos(long negativeTtlNanos, int consecutive) {
    if (consecutive <= 1) {
      return negativeTtlNanos;
    }
    int shift = Math.min(consecutive - 1, 16);
    long delay = negativeTtlNanos << shift;
    if (delay <= 0 || delay > MAX_NEGATIVE_DELAY_NANOS) {
      delay = Math.max(MAX_NEGATIVE_DELAY_NANOS, negativeTtlNanos);
    }
    return delay;
  }
}
