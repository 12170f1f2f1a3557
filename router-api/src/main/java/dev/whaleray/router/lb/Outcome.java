package dev.whaleray.router.lb;

/** How one proxied attempt to an upstream ended; feeds load balancing and outlier detection. */
public enum Outcome {
  /** The upstream answered (whatever its status code). */
  SUCCESS,
  /** The connection could not be made (refused, unreachable, connect timeout). */
  CONNECT_FAILURE,
  /** The upstream did not answer within the response timeout. */
  TIMEOUT,
  /** The connection broke while the request or the response was in transit. */
  ERROR
}
