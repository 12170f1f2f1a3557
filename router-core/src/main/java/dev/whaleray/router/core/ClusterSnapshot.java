package dev.whaleray.router.core;

import static java.util.Objects.requireNonNull;

import dev.whaleray.router.EndpointSet;
import dev.whaleray.router.lb.Picker;

/**
 * One service's state at one moment: the endpoints discovery last reported and the picker that
 * chooses among them (rebuilt on each update, or published by the load balancer in between).
 * Immutable; swapped whole through one volatile reference, so a request sees a consistent pair.
 */
public final class ClusterSnapshot {
  private final EndpointSet endpoints;
  private final Picker picker;
  private final boolean panic;

  ClusterSnapshot(EndpointSet endpoints, Picker picker) {
    this(endpoints, picker, false);
  }

  ClusterSnapshot(EndpointSet endpoints, Picker picker, boolean panic) {
    this.endpoints = requireNonNull(endpoints, "endpoints");
    this.picker = requireNonNull(picker, "picker");
    this.panic = panic;
  }

  /**
   * True when every endpoint failed its health checks, so the picker spreads traffic over all of
   * them anyway (Envoy's panic mode): better a chance than a certain 503.
   */
  public boolean panic() {
    return panic;
  }

  /** The endpoints of discovery's latest snapshot. */
  public EndpointSet endpoints() {
    return endpoints;
  }

  /** The picker in use. */
  public Picker picker() {
    return picker;
  }

  @Override
  public String toString() {
    return "ClusterSnapshot{" + endpoints + ", " + picker + "}";
  }
}
