package dev.whaleray.router.core;

import static dev.whaleray.router.settings.Durations.requirePositive;

import java.time.Duration;

/**
 * Passive outlier detection settings (Envoy's, HAProxy's {@code observe}): an endpoint with {@link
 * #consecutiveFailures} failed attempts in a row (connect failures, resets, timeouts, 5xx answers)
 * is taken out of the picks for {@link #baseEjection} times the number of its ejections (at most
 * {@link #MAX_EJECTION}), never more than {@link #maxEjectedPercent} of a service at once.
 * Immutable.
 */
public final class OutlierDetection {
  /** The longest an ejection lasts, however often the endpoint was ejected before. */
  public static final Duration MAX_EJECTION = Duration.ofMinutes(5);

  private static final OutlierDetection DEFAULTS =
      new OutlierDetection(true, 5, Duration.ofSeconds(30), 50);
  private static final OutlierDetection OFF =
      new OutlierDetection(false, 5, Duration.ofSeconds(30), 50);

  private final boolean enabled;
  private final int consecutiveFailures;
  private final Duration baseEjection;
  private final int maxEjectedPercent;

  private OutlierDetection(
      boolean enabled, int consecutiveFailures, Duration baseEjection, int maxEjectedPercent) {
    this.enabled = enabled;
    this.consecutiveFailures = consecutiveFailures;
    this.baseEjection = baseEjection;
    this.maxEjectedPercent = maxEjectedPercent;
  }

  /** On: 5 consecutive failures, 30 s base ejection, at most 50 % of a service ejected. */
  public static OutlierDetection defaults() {
    return DEFAULTS;
  }

  /** Off: no endpoint is ever ejected. */
  public static OutlierDetection off() {
    return OFF;
  }

  /** A copy ejecting after {@code n} (at least 1) failures in a row. */
  public OutlierDetection withConsecutiveFailures(int n) {
    if (n < 1) {
      throw new IllegalArgumentException("consecutiveFailures: " + n + " (expected: >= 1)");
    }
    return new OutlierDetection(enabled, n, baseEjection, maxEjectedPercent);
  }

  /** A copy with another base ejection time (above 0). */
  public OutlierDetection withBaseEjection(Duration d) {
    return new OutlierDetection(
        enabled, consecutiveFailures, requirePositive("baseEjection", d), maxEjectedPercent);
  }

  /** A copy with another cap on the share of a service ejected at once, 0-100. */
  public OutlierDetection withMaxEjectedPercent(int percent) {
    if (percent < 0 || percent > 100) {
      throw new IllegalArgumentException("maxEjectedPercent: " + percent + " (expected: 0 to 100)");
    }
    return new OutlierDetection(enabled, consecutiveFailures, baseEjection, percent);
  }

  /** Whether endpoints are ejected at all. */
  public boolean enabled() {
    return enabled;
  }

  /** Failed attempts in a row that eject an endpoint. */
  public int consecutiveFailures() {
    return consecutiveFailures;
  }

  /** The first ejection's length; the n-th lasts n times as long (up to {@link #MAX_EJECTION}). */
  public Duration baseEjection() {
    return baseEjection;
  }

  /** The largest share of a service's endpoints ejected at once, in percent. */
  public int maxEjectedPercent() {
    return maxEjectedPercent;
  }

  @Override
  public String toString() {
    return enabled
        ? "OutlierDetection{consecutiveFailures="
            + consecutiveFailures
            + ", baseEjection="
            + baseEjection
            + ", maxEjectedPercent="
            + maxEjectedPercent
            + "}"
        : "OutlierDetection{off}";
  }
}
