package dev.whaleray.loadbalancing;

import dev.whaleray.router.lb.LbContext;
import dev.whaleray.router.lb.LoadBalancer;
import dev.whaleray.router.lb.LoadBalancerProvider;

/**
 * The {@code least-connections} policy: the fewest attempts in flight per unit of weight (exact
 * scan up to 8 endpoints, power of two choices above).
 *
 * <p>{@link #newLoadBalancer} returns {@link LoadBalancers#leastConnections} wrapped by {@link
 * LoadBalancers#decorate} (zone-aware routing and slow start, from the context's zone and options).
 * Stateless and thread-safe.
 */
public final class LeastConnectionsProvider implements LoadBalancerProvider {
  /** The policy name. */
  public static final String NAME = "least-connections";

  @Override
  public String name() {
    return NAME;
  }

  /**
   * A decorated {@code least-connections} load balancer.
   *
   * @throws IllegalArgumentException naming a bad option
   */
  @Override
  public LoadBalancer newLoadBalancer(LbContext context) {
    return LoadBalancers.decorate(LoadBalancers.leastConnections(context), context);
  }
}
