package dev.whaleray.router.core;

import java.util.Locale;

/**
 * A request rate limit (token bucket): {@link #requestsPerSecond} on average, up to {@link #burst}
 * at once; beyond it the router answers 429 with {@code Retry-After}. Per service and per router
 * task: N tasks behind a load balancer let N times through. Immutable.
 */
public final class RateLimit {
  private final double requestsPerSecond;
  private final int burst;

  private RateLimit(double requestsPerSecond, int burst) {
    this.requestsPerSecond = requestsPerSecond;
    this.burst = burst;
  }

  /**
   * {@code requestsPerSecond} above 0; {@code burst} at least 1 (requests let through at once after
   * a quiet spell).
   */
  public static RateLimit of(double requestsPerSecond, int burst) {
    if (!(requestsPerSecond > 0) || Double.isInfinite(requestsPerSecond)) {
      throw new IllegalArgumentException(
          "requestsPerSecond: " + requestsPerSecond + " (expected: a number above 0)");
    }
    if (burst < 1) {
      throw new IllegalArgumentException("burst: " + burst + " (expected: >= 1)");
    }
    return new RateLimit(requestsPerSecond, burst);
  }

  /**
   * Parses {@code 100/s} or {@code 100/s burst=50} (the {@code WHALERAY_RATE_LIMIT} form); without
   * a burst, the burst is one second's worth (at least 1).
   *
   * @throws IllegalArgumentException naming what is wrong
   */
  public static RateLimit parse(String text) {
    String t = text.trim().toLowerCase(Locale.ROOT);
    String expected = " (expected: e.g. 100/s or 100/s burst=50)";
    String[] parts = t.split("\\s+");
    if (parts.length < 1 || parts.length > 2 || !parts[0].endsWith("/s")) {
      throw new IllegalArgumentException("'" + text + "'" + expected);
    }
    double rate;
    try {
      rate = Double.parseDouble(parts[0].substring(0, parts[0].length() - 2));
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("'" + text + "'" + expected);
    }
    int burst = (int) Math.max(1, Math.min(Integer.MAX_VALUE, Math.ceil(rate)));
    if (parts.length == 2) {
      if (!parts[1].startsWith("burst=")) {
        throw new IllegalArgumentException("'" + text + "'" + expected);
      }
      try {
        burst = Integer.parseInt(parts[1].substring("burst=".length()));
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException("'" + text + "'" + expected);
      }
    }
    try {
      return of(rate, burst);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("'" + text + "': " + e.getMessage(), e);
    }
  }

  /** The average rate let through. */
  public double requestsPerSecond() {
    return requestsPerSecond;
  }

  /** The most requests let through at once. */
  public int burst() {
    return burst;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof RateLimit
        && ((RateLimit) o).requestsPerSecond == requestsPerSecond
        && ((RateLimit) o).burst == burst;
  }

  @Override
  public int hashCode() {
    return Double.hashCode(requestsPerSecond) * 31 + burst;
  }

  @Override
  public String toString() {
    return requestsPerSecond + "/s burst=" + burst;
  }
}
