package dev.whaleray.router.core;

import static dev.whaleray.router.settings.Durations.requirePositive;

import java.time.Duration;

/**
 * Circuit breaker settings per service (Failsafe's {@code CircuitBreaker}): when at least {@link
 * #failureRatePercent} of the requests of the last {@link #window} failed (a 5xx answer, the
 * router's own 502/503/504), and there were at least {@link #minimumRequests}, the circuit opens:
 * requests are answered 503 {@code circuit open} at once, without a backend, for {@link #openFor};
 * then up to {@link #minimumRequests} requests probe it (half-open), and it closes when more than
 * {@code 100 - failureRatePercent} % of them succeed. The rate is looked at as each failure
 * arrives, over counts kept lock-free while the circuit is closed; Failsafe runs the states.
 * Immutable.
 */
public final class CircuitBreaking {
  private final int failureRatePercent;
  private final int minimumRequests;
  private final Duration window;
  private final Duration openFor;

  private CircuitBreaking(
      int failureRatePercent, int minimumRequests, Duration window, Duration openFor) {
    this.failureRatePercent = failureRatePercent;
    this.minimumRequests = minimumRequests;
    this.window = window;
    this.openFor = openFor;
  }

  /** 50 % of at least 20 requests in 10 s open the circuit for 10 s (the DESIGN defaults). */
  public static CircuitBreaking defaults() {
    return new CircuitBreaking(50, 20, Duration.ofSeconds(10), Duration.ofSeconds(10));
  }

  /** A copy with another threshold (1-100 %) and minimum (at least 1). */
  public CircuitBreaking withFailureRate(int percent, int minimumRequests) {
    if (percent < 1 || percent > 100) {
      throw new IllegalArgumentException(
          "failureRatePercent: " + percent + " (expected: 1 to 100)");
    }
    if (minimumRequests < 1) {
      throw new IllegalArgumentException(
          "minimumRequests: " + minimumRequests + " (expected: >= 1)");
    }
    return new CircuitBreaking(percent, minimumRequests, window, openFor);
  }

  /** A copy counting requests over {@code window} (above 0). */
  public CircuitBreaking withWindow(Duration window) {
    return new CircuitBreaking(
        failureRatePercent, minimumRequests, requirePositive("window", window), openFor);
  }

  /** A copy staying open for {@code openFor} (above 0) before probing. */
  public CircuitBreaking withOpenFor(Duration openFor) {
    return new CircuitBreaking(
        failureRatePercent, minimumRequests, window, requirePositive("openFor", openFor));
  }

  /** The share of failed requests that opens the circuit. */
  public int failureRatePercent() {
    return failureRatePercent;
  }

  /** The fewest requests in the window before the rate counts. */
  public int minimumRequests() {
    return minimumRequests;
  }

  /** The period the failure rate is taken over. */
  public Duration window() {
    return window;
  }

  /** How long an open circuit answers 503 before probing. */
  public Duration openFor() {
    return openFor;
  }

  @Override
  public String toString() {
    return "CircuitBreaking{"
        + failureRatePercent
        + "% of >= "
        + minimumRequests
        + " in "
        + window
        + ", open for "
        + openFor
        + "}";
  }
}
