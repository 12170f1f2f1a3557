package dev.whaleray.router.lb;

/**
 * Creates {@link LoadBalancer}s by policy name; listed in {@code
 * META-INF/services/dev.whaleray.router.lb.LoadBalancerProvider}. The name is the config value
 * ({@code WHALERAY_LB}, {@code loadBalancing.policy}). Stateless and thread-safe.
 */
public interface LoadBalancerProvider {

  /** The policy name, e.g. {@code round-robin}. */
  String name();

  /** Among providers of one name the highest priority wins (then the first found). Default 5. */
  default int priority() {
    return 5;
  }

  /** False when this provider cannot work here; must not throw. */
  default boolean isAvailable() {
    return true;
  }

  /** A load balancer for one service; the caller closes it. */
  LoadBalancer newLoadBalancer(LbContext context);
}
