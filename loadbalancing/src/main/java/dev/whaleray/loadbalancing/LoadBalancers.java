package dev.whaleray.loadbalancing;

import dev.whaleray.router.lb.LbContext;
import dev.whaleray.router.lb.LoadBalancer;

/** Factories for the built-in policies, for embedders who wire them directly. Thread-safe. */
public final class LoadBalancers {
  private LoadBalancers() {}

  /** Round-robin over the endpoints with a weight above 0 (all of them when every weight is 0). */
  public static LoadBalancer roundRobin(LbContext context) {
    return new RoundRobinLoadBalancer(0);
  }
}
