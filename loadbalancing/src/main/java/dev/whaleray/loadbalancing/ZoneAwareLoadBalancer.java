package dev.whaleray.loadbalancing;

import dev.whaleray.router.Endpoint;
import dev.whaleray.router.EndpointSet;
import dev.whaleray.router.RequestView;
import dev.whaleray.router.lb.LoadBalancer;
import dev.whaleray.router.lb.PickResult;
import dev.whaleray.router.lb.Picker;
import dev.whaleray.router.lb.Tried;
import dev.whaleray.router.lb.Upstream;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import org.jspecify.annotations.Nullable;

/**
 * Zone-aware routing over any policy: while the router's own zone has enough endpoints, the inner
 * policy balances over those only (cross-zone traffic costs money and latency); otherwise over all.
 *
 * <p>The rule, applied to the active endpoints (weight above 0, or all when every weight is 0):
 * with {@code L} of them in the local zone, {@code N} in all and {@code Z} distinct zones among
 * them (endpoints without a zone count as one more zone), the local zone is used when {@code L >=
 * 1} and {@code L >= zoneMinFraction * N / Z}, i.e. while it holds at least {@code zoneMinFraction}
 * (default 0.5) of an average zone's endpoints. With three zones of four endpoints and the default,
 * the local zone is used while it keeps 2 of its 4 (2 &gt;= 0.5 * 10 / 3 = 1.67) and spills over at
 * 1 of 4 (1 &lt; 0.5 * 9 / 3 = 1.5). Relative to the average rather than to {@code N}, the rule
 * behaves the same with two zones or six. In the worst case the local endpoints then carry {@code 1
 * / zoneMinFraction} times an average endpoint's load (2x with the default); raise the fraction to
 * spill earlier, 0 to stay local while one endpoint is left.
 *
 * <p>The choice is made in {@code update()}: the inner policy gets an {@link EndpointSet} of the
 * local endpoints or the full snapshot, so zone-awareness costs a first pick nothing but a check of
 * the tried set. A retry that finds every local endpoint tried goes to the other zones' endpoints
 * in turn, those not tried yet: a retry must not fail while other zones can answer (two local tasks
 * refusing connections would otherwise cost the request its retry). Per-endpoint counters of
 * endpoints outside the chosen subset are dropped by the inner policy and restart at 0 when they
 * are used again (in-flight counts of requests that started before such a switch are not carried
 * over). Control-plane state only: the class is used from the serial {@code update()} thread and is
 * not thread-safe otherwise.
 */
final class ZoneAwareLoadBalancer implements LoadBalancer, LoadBalancers.Decorated {
  private final LoadBalancer inner;
  private final String zone;
  private final double minFraction;
  private final UpstreamTable others = new UpstreamTable();
  private boolean local;

  ZoneAwareLoadBalancer(LoadBalancer inner, String zone, double minFraction) {
    this.inner = inner;
    this.zone = zone;
    this.minFraction = minFraction;
  }

  @Override
  public Picker update(EndpointSet endpoints) {
    List<Endpoint> all = endpoints.endpoints();
    boolean anyWeighted = false;
    for (Endpoint e : all) {
      anyWeighted |= e.weight() > 0;
    }
    int active = 0;
    Set<@Nullable String> zones = new HashSet<>();
    List<Endpoint> localEndpoints = new ArrayList<>();
    for (Endpoint e : all) {
      if (anyWeighted && e.weight() == 0) {
        continue;
      }
      active++;
      zones.add(e.zone()); // null, "no zone", counts as one zone
      if (zone.equals(e.zone())) {
        localEndpoints.add(e);
      }
    }
    local = useLocal(localEndpoints.size(), active, zones.size(), minFraction);
    if (!local || localEndpoints.size() == all.size()) {
      others.update(EndpointSet.of(endpoints.service(), endpoints.revision(), List.of()));
      return inner.update(endpoints);
    }
    List<Endpoint> elsewhere = new ArrayList<>(active - localEndpoints.size());
    for (Endpoint e : all) {
      if (!(anyWeighted && e.weight() == 0) && !zone.equals(e.zone())) {
        elsewhere.add(e);
      }
    }
    Picker localPicker =
        inner.update(EndpointSet.of(endpoints.service(), endpoints.revision(), localEndpoints));
    CountingUpstream[] spill =
        others.update(EndpointSet.of(endpoints.service(), endpoints.revision(), elsewhere));
    return spill.length == 0 ? localPicker : new SpillOnRetry(localPicker, spill);
  }

  /**
   * The local zone's picker, and the other zones' endpoints for a retry that has tried every local
   * one; those are taken in turn (a shared cursor, weights aside: a retry's rare spill is not worth
   * a weighted schedule), skipping the ones this request tried. Lists the local picker's upstreams
   * as its own, so slow start, which decorates this, finds the warm ones to fall back on as it did
   * on the local picker itself.
   */
  private static final class SpillOnRetry implements UpstreamsPicker {
    private static final Upstream[] NONE = new Upstream[0];
    private final Picker local;
    private final CountingUpstream[] elsewhere;
    private final AtomicInteger cursor = new AtomicInteger();

    SpillOnRetry(Picker local, CountingUpstream[] elsewhere) {
      this.local = local;
      this.elsewhere = elsewhere;
    }

    @Override
    public PickResult pick(RequestView request, Tried tried) {
      PickResult r = local.pick(request, tried);
      if (tried.count() == 0 || r.isDrop()) {
        return r; // first attempts stay local; a drop is the policy's answer
      }
      Upstream u = r.upstream();
      if (u != null && !tried.contains(u)) {
        return r;
      }
      int n = elsewhere.length;
      int start = Math.floorMod(cursor.getAndIncrement(), n);
      for (int k = 0; k < n; k++) {
        CountingUpstream o = elsewhere[(start + k) % n];
        if (!tried.contains(o)) {
          return o.result;
        }
      }
      return r;
    }

    @Override
    public Upstream[] upstreams() {
      return local instanceof UpstreamsPicker ? ((UpstreamsPicker) local).upstreams() : NONE;
    }

    @Override
    public String toString() {
      return "SpillOnRetry{" + local + ", " + elsewhere.length + " elsewhere}";
    }
  }

  /** The spill-over rule: see the class comment. */
  static boolean useLocal(int local, int active, int zones, double minFraction) {
    return local >= 1 && (double) local * zones >= minFraction * active;
  }

  /** Whether the last update chose the local zone; for tests and diagnostics. */
  boolean usingLocalZone() {
    return local;
  }

  @Override
  public void close() {
    inner.close();
  }

  @Override
  public String toString() {
    return "ZoneAware{" + zone + ", min " + minFraction + ", " + inner + "}";
  }
}
