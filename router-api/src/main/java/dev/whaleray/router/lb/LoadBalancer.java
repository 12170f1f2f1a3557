package dev.whaleray.router.lb;

import dev.whaleray.router.EndpointSet;

/**
 * The control plane of one service's load balancing: turns each endpoint snapshot into a {@link
 * Picker}.
 *
 * <p>{@link #update} is called serially (never concurrently) on the control thread whenever the
 * service's endpoints change; it may take its time (build arrays, weight tables) because the
 * request path keeps using the previous picker until the caller swaps in the new one through a
 * volatile field. Per-endpoint state (in-flight counts) is keyed by {@link
 * dev.whaleray.router.Endpoint} and survives updates for endpoints that stay.
 *
 * <p>Between updates a load balancer may replace its picker through {@link LbContext#publish} (slow
 * start ending, an endpoint ejected), and it sees every attempt's end through {@link
 * Upstream#onEnd}, with the status code and latency.
 */
public interface LoadBalancer extends AutoCloseable {

  /**
   * A picker over the given snapshot. An empty snapshot gives a picker that returns null.
   *
   * @param endpoints full state, never a delta
   */
  Picker update(EndpointSet endpoints);

  /** Releases timers; the last picker may still be used by requests in flight. */
  @Override
  default void close() {}
}
