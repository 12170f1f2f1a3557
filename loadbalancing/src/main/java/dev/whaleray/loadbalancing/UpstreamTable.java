package dev.whaleray.loadbalancing;

import dev.whaleray.router.Endpoint;
import dev.whaleray.router.EndpointSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Keeps one {@link CountingUpstream} per address ({@code host:port}) across snapshots, so in-flight
 * counts survive updates for endpoints that stay, even when their weight, zone or attributes change
 * (an SRV weight edit must not make a loaded endpoint look idle). Used only from {@code update()},
 * which is serial: not thread-safe.
 */
final class UpstreamTable {
  private Map<String, CountingUpstream> upstreams = Map.of();

  /** The upstreams of the snapshot's endpoints that can take traffic, in snapshot order. */
  CountingUpstream[] update(EndpointSet set) {
    List<Endpoint> endpoints = set.endpoints();
    Map<String, CountingUpstream> next = new HashMap<>(endpoints.size() * 2);
    boolean anyWeighted = false;
    for (Endpoint e : endpoints) {
      anyWeighted |= e.weight() > 0;
    }
    int n = 0;
    CountingUpstream[] active = new CountingUpstream[endpoints.size()];
    for (Endpoint e : endpoints) {
      String address = e.authority();
      CountingUpstream u = next.get(address);
      if (u != null) {
        // The same address twice in one snapshot (e.g. with two weights): its own upstream.
        u = new CountingUpstream(e);
      } else {
        u = upstreams.get(address);
        if (u == null) {
          u = new CountingUpstream(e);
        } else if (!u.endpoint().equals(e)) {
          u.endpoint(e);
        }
        next.put(address, u);
      }
      if (e.weight() > 0 || !anyWeighted) {
        active[n++] = u;
      }
    }
    upstreams = next;
    return n == active.length ? active : java.util.Arrays.copyOf(active, n);
  }

  /**
   * The weights the policies use for the upstreams {@link #update} returned: the endpoint's weight,
   * or 1 for a weight of 0 (such endpoints are only active when every weight is 0, and then they
   * share the traffic equally).
   */
  static int[] effectiveWeights(CountingUpstream[] upstreams) {
    int[] weights = new int[upstreams.length];
    for (int i = 0; i < upstreams.length; i++) {
      int w = upstreams[i].endpoint().weight();
      weights[i] = w == 0 ? 1 : w;
    }
    return weights;
  }
}
