package dev.whaleray.router.lb;

import static java.util.Objects.requireNonNull;

import java.util.Map;
import java.util.function.Consumer;
import java.util.function.LongSupplier;
import org.jspecify.annotations.Nullable;

/**
 * What a {@link LoadBalancerProvider} gets to build a load balancer for one service: its name, the
 * router's zone, policy options and a clock. One object so that new fields need no new method.
 * Immutable and thread-safe.
 */
public final class LbContext {
  private final String service;
  private final @Nullable String zone;
  private final Map<String, String> options;
  private final LongSupplier nanoClock;
  private final Consumer<Picker> publisher;

  private static final Consumer<Picker> NO_PUBLISHER = picker -> {};

  private LbContext(
      String service,
      @Nullable String zone,
      Map<String, String> options,
      LongSupplier nanoClock,
      Consumer<Picker> publisher) {
    this.service = service;
    this.zone = zone;
    this.options = options;
    this.nanoClock = nanoClock;
    this.publisher = publisher;
  }

  /** A context for {@code service} with no zone, no options and {@link System#nanoTime}. */
  public static LbContext of(String service) {
    return new LbContext(
        requireNonNull(service, "service"), null, Map.of(), System::nanoTime, NO_PUBLISHER);
  }

  /** A copy with the router's own availability zone. */
  public LbContext withZone(@Nullable String zone) {
    return new LbContext(service, zone, options, nanoClock, publisher);
  }

  /** A copy with policy options (e.g. {@code slowStart=30s}). */
  public LbContext withOptions(Map<String, String> options) {
    return new LbContext(service, zone, Map.copyOf(options), nanoClock, publisher);
  }

  /** A copy with another clock, for tests. */
  public LbContext withNanoClock(LongSupplier nanoClock) {
    return new LbContext(service, zone, options, requireNonNull(nanoClock, "nanoClock"), publisher);
  }

  /**
   * A copy whose {@link #publish} hands pickers to {@code publisher}: the cluster manager that owns
   * the load balancer installs the picker it is given.
   */
  public LbContext withPublisher(Consumer<Picker> publisher) {
    return new LbContext(service, zone, options, nanoClock, requireNonNull(publisher, "publisher"));
  }

  /**
   * Replaces the service's picker between discovery updates (a ramp that ended, an endpoint ejected
   * or back); the next {@link LoadBalancer#update} replaces it again. Callable from any thread, not
   * on the request path. Without a publisher (a context built for a test) it does nothing.
   */
  public void publish(Picker picker) {
    publisher.accept(requireNonNull(picker, "picker"));
  }

  /** The service being balanced. */
  public String service() {
    return service;
  }

  /** The router's own zone, or null when unknown. */
  public @Nullable String zone() {
    return zone;
  }

  /** Policy options. */
  public Map<String, String> options() {
    return options;
  }

  /** The monotonic clock, in nanoseconds. */
  public LongSupplier nanoClock() {
    return nanoClock;
  }
}
