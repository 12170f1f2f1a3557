package dev.whaleray.loadbalancing;

import static java.util.Objects.requireNonNull;

import dev.whaleray.router.lb.LbContext;
import dev.whaleray.router.lb.LoadBalancer;
import java.time.Duration;
import java.util.Map;

/**
 * Factories for the built-in policies and their decorators, for embedders who wire them directly.
 * Thread-safe.
 *
 * <p>The policy factories ({@link #roundRobin}, {@link #random}, {@link #weighted}, {@link
 * #leastConnections}, {@link #consistentHash}) return the bare policy. The providers registered
 * under the policy names ({@code round-robin}, ...) return {@link #decorate decorated} ones, so a
 * router that only knows a policy name gets zone-aware routing and slow start from the options.
 * Options are read from {@link LbContext#options()}; a bad value throws {@link
 * IllegalArgumentException} naming the option, when the load balancer is created.
 */
public final class LoadBalancers {
  /** The default {@code slowStart} window. */
  public static final Duration DEFAULT_SLOW_START = Duration.ofSeconds(30);

  /** The default {@code zoneMinFraction}. */
  public static final double DEFAULT_ZONE_MIN_FRACTION = 0.5;

  private LoadBalancers() {}

  /** Round-robin over the endpoints with a weight above 0 (all of them when every weight is 0). */
  public static LoadBalancer roundRobin(LbContext context) {
    requireNonNull(context, "context");
    return new RoundRobinLoadBalancer(0);
  }

  /** Uniformly random ({@code ThreadLocalRandom}) over the endpoints with a weight above 0. */
  public static LoadBalancer random(LbContext context) {
    requireNonNull(context, "context");
    return new RandomLoadBalancer();
  }

  /**
   * Smooth weighted round-robin (nginx's), exact over every window of sum-of-weights picks; a
   * stride over the cumulative weights when the reduced sum of weights exceeds 65,536.
   */
  public static LoadBalancer weighted(LbContext context) {
    requireNonNull(context, "context");
    return new WeightedRoundRobinLoadBalancer(0);
  }

  /**
   * Least in-flight attempts per unit of weight: an exact scan up to 8 endpoints, the power of two
   * choices above.
   */
  public static LoadBalancer leastConnections(LbContext context) {
    requireNonNull(context, "context");
    return new LeastConnectionsLoadBalancer();
  }

  /**
   * Consistent hashing (Maglev) on the key named by option {@code hashKey}: {@code header:NAME},
   * {@code cookie:NAME} or {@code client-ip} (default; the first {@code X-Forwarded-For} entry).
   * Requests without the key are balanced round-robin.
   *
   * @throws IllegalArgumentException when {@code hashKey} is malformed
   */
  public static LoadBalancer consistentHash(LbContext context) {
    requireNonNull(context, "context");
    return new ConsistentHashLoadBalancer(HashKey.parse(context.options().get(LbOptions.HASH_KEY)));
  }

  /**
   * Wraps any policy, built-in or plugin, with the decorators its context asks for:
   *
   * <ol>
   *   <li>zone-aware routing, when {@link LbContext#zone()} is set and option {@code zoneAware} is
   *       not {@code false}: the policy sees only the router's zone while that zone keeps at least
   *       {@code zoneMinFraction} (default 0.5) of an average zone's endpoints;
   *   <li>slow start, outermost, unless option {@code slowStart} is {@code 0s}: new endpoints ramp
   *       up over that window (default 30 s; 0 s for {@code consistent-hash}, whose point is that a
   *       key stays on its endpoint).
   * </ol>
   *
   * Idempotent: a load balancer this method already wrapped is returned as is, and one it had
   * nothing to wrap with gets nothing again, so a router may decorate every policy, including the
   * built-in providers' (which are decorated already). Every option is validated, even those that
   * do not apply (a {@code zoneMinFraction} without a zone), so a bad value fails at start-up.
   *
   * @throws IllegalArgumentException naming the first bad option
   */
  public static LoadBalancer decorate(LoadBalancer inner, LbContext context) {
    requireNonNull(inner, "inner");
    requireNonNull(context, "context");
    Map<String, String> options = context.options();
    boolean zoneAware = LbOptions.bool(options, LbOptions.ZONE_AWARE, true);
    double minFraction =
        LbOptions.fraction(options, LbOptions.ZONE_MIN_FRACTION, DEFAULT_ZONE_MIN_FRACTION);
    Duration slowStart =
        LbOptions.duration(
            options,
            LbOptions.SLOW_START,
            inner instanceof ConsistentHashLoadBalancer ? Duration.ZERO : DEFAULT_SLOW_START);
    if (inner instanceof Decorated) {
      return inner;
    }
    LoadBalancer lb = inner;
    String zone = context.zone();
    if (zoneAware && zone != null && !zone.isEmpty()) {
      lb = new ZoneAwareLoadBalancer(lb, zone, minFraction);
    }
    if (!slowStart.isZero()) {
      lb = new SlowStartLoadBalancer(lb, saturatedNanos(slowStart), context.nanoClock());
    }
    return lb;
  }

  private static long saturatedNanos(Duration d) {
    try {
      return d.toNanos();
    } catch (ArithmeticException e) {
      return Long.MAX_VALUE / 4; // ~73 years: "forever", with room for clock arithmetic
    }
  }

  /** Marks the decorators {@link #decorate} returns, so that it never wraps twice. */
  interface Decorated {}
}
