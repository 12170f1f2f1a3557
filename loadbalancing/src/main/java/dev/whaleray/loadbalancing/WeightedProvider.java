package dev.whaleray.loadbalancing;

import dev.whaleray.router.lb.LbContext;
import dev.whaleray.router.lb.LoadBalancer;
import dev.whaleray.router.lb.LoadBalancerProvider;

/**
 * The {@code weighted} policy: smooth weighted round-robin, exact over every window of
 * sum-of-weights picks.
 *
 * <p>{@link #newLoadBalancer} returns {@link LoadBalancers#weighted} wrapped by {@link
 * LoadBalancers#decorate} (zone-aware routing and slow start, from the context's zone and options).
 * Stateless and thread-safe.
 */
public final class WeightedProvider implements LoadBalancerProvider {
  /** The policy name. */
  public static final String NAME = "weighted";

  @Override
  public String name() {
    return NAME;
  }

  /**
   * A decorated {@code weighted} load balancer.
   *
   * @throws IllegalArgumentException naming a bad option
   */
  @Override
  public LoadBalancer newLoadBalancer(LbContext context) {
    return LoadBalancers.decorate(LoadBalancers.weighted(context), context);
  }
}
