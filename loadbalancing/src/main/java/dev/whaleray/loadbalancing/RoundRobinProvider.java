package dev.whaleray.loadbalancing;

import dev.whaleray.router.lb.LbContext;
import dev.whaleray.router.lb.LoadBalancer;
import dev.whaleray.router.lb.LoadBalancerProvider;

/** The {@code round-robin} policy. */
public final class RoundRobinProvider implements LoadBalancerProvider {
  /** The policy name. */
  public static final String NAME = "round-robin";

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public LoadBalancer newLoadBalancer(LbContext context) {
    return LoadBalancers.roundRobin(context);
  }
}
