package dev.whaleray.router.core;

import dev.whaleray.router.lb.PickResult;
import org.jspecify.annotations.Nullable;

/**
 * A service's rate limit and circuit breaker, shared by every cluster of the service (a route with
 * a policy of its own gets a cluster of its own, not a second limit or circuit). Lock-free on the
 * request path: the limiter is one compare-and-set; while the circuit is closed, results are
 * counted in a {@link FailureWindow} and the circuit is opened through Failsafe when a failure
 * takes the rate over the threshold; once it is not closed, results go to Failsafe, which runs the
 * open delay and the half-open probes.
 */
final class ServiceGuard {
  /** The failure window's bucket, ms. */
  static final long TICK_MS = 100;

  private static final PickResult CIRCUIT_OPEN = PickResult.drop("circuit open");

  private final String service;
  private final @Nullable RateLimiter limiter;
  private final @Nullable CircuitBreaking breaking;
  private final @Nullable FailureWindow closedCounts;
  private final dev.failsafe.@Nullable CircuitBreaker<Object> breaker;

  ServiceGuard(String service, @Nullable RateLimit rateLimit, @Nullable CircuitBreaking breaking) {
    this.service = service;
    this.limiter = rateLimit == null ? null : new RateLimiter(rateLimit);
    this.breaking = breaking;
    this.closedCounts =
        breaking == null ? null : new FailureWindow(breaking.window().toMillis() / TICK_MS);
    this.breaker = breaking == null ? null : breaker(breaking);
  }

  /** Whether the service has a rate limit: then its picks need the clock. */
  boolean limits() {
    return limiter != null;
  }

  /**
   * A request's first attempt may go (null), or its answer: 429 over the rate limit, 503 {@code
   * circuit open}. A request let through holds a breaker permit until {@link #ended}.
   */
  @Nullable PickResult admit(long nowNanos) {
    RateLimiter l = limiter;
    if (l != null) {
      PickResult limited = l.admit(nowNanos);
      if (limited != null) {
        return limited;
      }
    }
    dev.failsafe.CircuitBreaker<Object> cb = breaker;
    if (cb != null && !cb.tryAcquirePermit()) {
      return CIRCUIT_OPEN; // the service fails as a whole: answer at once
    }
    return null;
  }

  /** The circuit's state: closed (also without a breaker), open or half_open. */
  String state() {
    dev.failsafe.CircuitBreaker<Object> cb = breaker;
    if (cb == null || cb.isClosed()) {
      return "closed";
    }
    return cb.isOpen() ? "open" : "half_open";
  }

  /** A request let through by {@link #admit} ended, failed when its answer was a 5xx. */
  void ended(boolean failed) {
    dev.failsafe.CircuitBreaker<Object> cb = breaker;
    if (cb == null) {
      return;
    }
    FailureWindow w = closedCounts;
    CircuitBreaking b = breaking;
    if (w != null && b != null && cb.isClosed()) {
      long tick = System.nanoTime() / (TICK_MS * 1_000_000L); // once a request: no ticker thread
      w.record(tick, failed);
      // Only a failure can raise the rate: the threshold is looked at as failures arrive.
      if (failed && w.tripped(tick, b.minimumRequests(), b.failureRatePercent())) {
        cb.open(); // a no-op when another request opened it first
      }
    } else if (failed) {
      cb.recordFailure();
    } else {
      cb.recordSuccess();
    }
  }

  private dev.failsafe.CircuitBreaker<Object> breaker(CircuitBreaking b) {
    return dev.failsafe.CircuitBreaker.builder()
        .withFailureRateThreshold(b.failureRatePercent(), b.minimumRequests(), b.window())
        .withDelay(b.openFor())
        .onOpen(
            e ->
                Decisions.log(
                    Cluster.DECISIONS,
                    org.slf4j.event.Level.WARN,
                    "circuit_open",
                    service,
                    null,
                    () ->
                        "circuit of "
                            + service
                            + " open: "
                            + b.failureRatePercent()
                            + " % or more of its requests failed; 503 for "
                            + b.openFor().toMillis()
                            + " ms"))
        .onHalfOpen(
            e ->
                Decisions.log(
                    Cluster.DECISIONS,
                    org.slf4j.event.Level.INFO,
                    "circuit_half_open",
                    service,
                    null,
                    () -> "circuit of " + service + " half-open"))
        .onClose(
            e -> {
              FailureWindow w = closedCounts;
              if (w != null) {
                w.clear(); // the failures that opened it are history
              }
              Decisions.log(
                  Cluster.DECISIONS,
                  org.slf4j.event.Level.INFO,
                  "circuit_closed",
                  service,
                  null,
                  () -> "circuit of " + service + " closed");
            })
        .build();
  }
}
