package dev.whaleray.router.lb;

/**
 * How one proxied attempt to an upstream ended; feeds load balancing, outlier detection and
 * metrics. With {@link Upstream#onEnd} it comes with the response's status code (or 0) and the
 * attempt's latency.
 */
public enum Outcome {
  /** The upstream answered; the status code says what. */
  SUCCESS,
  /** The connection could not be made (refused, unreachable, connect timeout). */
  CONNECT_FAILURE,
  /** The connection was reset or closed by the upstream before any response byte. */
  RESET,
  /** The upstream did not answer within the response timeout. */
  TIMEOUT,
  /** The client went away or failed first; not the upstream's fault. */
  CLIENT_ABORT,
  /** The connection broke while the response was in transit. */
  ERROR;

  /** True for the outcomes that count against the upstream (all but success and client abort). */
  public boolean isFailure() {
    return this != SUCCESS && this != CLIENT_ABORT;
  }
}
