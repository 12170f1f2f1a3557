package dev.whaleray.loadbalancing;

import dev.whaleray.router.lb.LbContext;
import dev.whaleray.router.lb.LoadBalancer;
import dev.whaleray.router.lb.LoadBalancerProvider;

/**
 * The {@code random} policy: each pick takes an endpoint uniformly at random.
 *
 * <p>{@link #newLoadBalancer} returns {@link LoadBalancers#random} wrapped by {@link
 * LoadBalancers#decorate} (zone-aware routing and slow start, from the context's zone and options).
 * Stateless and thread-safe.
 */
public final class RandomProvider implements LoadBalancerProvider {
  /** The policy name. */
  public static final String NAME = "random";

  @Override
  public String name() {
    return NAME;
  }

  /**
   * A decorated {@code random} load balancer.
   *
   * @throws IllegalArgumentException naming a bad option
   */
  @Override
  public LoadBalancer newLoadBalancer(LbContext context) {
    return LoadBalancers.decorate(LoadBalancers.random(context), context);
  }
}
