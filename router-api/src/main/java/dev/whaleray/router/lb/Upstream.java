package dev.whaleray.router.lb;

import dev.whaleray.router.Endpoint;

/**
 * One endpoint as a load balancer sees it, with the counters its policy needs. Built by the load
 * balancer in {@link LoadBalancer#update}, reused across requests and snapshots.
 *
 * <p>Thread-safe: {@link #onStart} and {@link #onEnd} are called from any IO thread, once each per
 * proxied attempt, and must be lock-free.
 */
public interface Upstream {
  /** The endpoint to connect to. */
  Endpoint endpoint();

  /** An attempt to this endpoint starts (before connecting). */
  void onStart();

  /**
   * The attempt started by {@link #onStart} ended.
   *
   * @param outcome how it ended
   * @param status the response's status code, or 0 when there was no response
   * @param latencyNanos from the attempt's start to its end (the response head for a response)
   */
  void onEnd(Outcome outcome, int status, long latencyNanos);

  /** The number of attempts started and not yet ended. */
  int inFlight();
}
