package dev.whaleray.loadbalancing;

import dev.whaleray.router.lb.LbContext;
import dev.whaleray.router.lb.LoadBalancer;
import dev.whaleray.router.lb.LoadBalancerProvider;

/**
 * The {@code consistent-hash} policy: Maglev consistent hashing on option {@code hashKey} ({@code
 * header:NAME}, {@code cookie:NAME} or {@code client-ip}); slow start is off unless option {@code
 * slowStart} is set.
 *
 * <p>{@link #newLoadBalancer} returns {@link LoadBalancers#consistentHash} wrapped by {@link
 * LoadBalancers#decorate} (zone-aware routing and slow start, from the context's zone and options).
 * Stateless and thread-safe.
 */
public final class ConsistentHashProvider implements LoadBalancerProvider {
  /** The policy name. */
  public static final String NAME = "consistent-hash";

  @Override
  public String name() {
    return NAME;
  }

  /**
   * A decorated {@code consistent-hash} load balancer.
   *
   * @throws IllegalArgumentException naming a bad option
   */
  @Override
  public LoadBalancer newLoadBalancer(LbContext context) {
    return LoadBalancers.decorate(LoadBalancers.consistentHash(context), context);
  }
}
