package dev.whaleray.loadbalancing;

import dev.whaleray.router.lb.LbContext;
import dev.whaleray.router.lb.LoadBalancer;
import dev.whaleray.router.lb.LoadBalancerProvider;

/**
 * The {@code round-robin} policy: each pick takes the next endpoint in snapshot order.
 *
 * <p>{@link #newLoadBalancer} returns {@link LoadBalancers#roundRobin} wrapped by {@link
 * LoadBalancers#decorate} (zone-aware routing and slow start, from the context's zone and options).
 * Stateless and thread-safe.
 */
public final class RoundRobinProvider implements LoadBalancerProvider {
  /** The policy name. */
  public static final String NAME = "round-robin";

  @Override
  public String name() {
    return NAME;
  }

  /**
   * A decorated {@code round-robin} load balancer.
   *
   * @throws IllegalArgumentException naming a bad option
   */
  @Override
  public LoadBalancer newLoadBalancer(LbContext context) {
    return LoadBalancers.decorate(LoadBalancers.roundRobin(context), context);
  }
}
