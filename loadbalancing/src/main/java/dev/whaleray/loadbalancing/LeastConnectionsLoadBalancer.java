package dev.whaleray.loadbalancing;

import dev.whaleray.router.EndpointSet;
import dev.whaleray.router.RequestView;
import dev.whaleray.router.lb.LoadBalancer;
import dev.whaleray.router.lb.PickResult;
import dev.whaleray.router.lb.Picker;
import dev.whaleray.router.lb.Tried;
import dev.whaleray.router.lb.Upstream;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Least connections: prefers the endpoint with the fewest attempts in flight per unit of weight.
 *
 * <p>Up to {@link #EXACT_SCAN_MAX} active endpoints every pick scans them all for the least {@code
 * inFlight / weight}, starting at a random endpoint and keeping the first minimum it meets, so ties
 * do not always go to the first endpoint. Above that it uses the power of two choices: two distinct
 * endpoints drawn with {@link ThreadLocalRandom}, the less loaded one wins (the first drawn on a
 * tie, itself random). Two choices keep the maximum load within {@code O(log log n)} of the mean
 * without reading every counter, and, unlike an exact minimum, do not send a burst of simultaneous
 * picks all to the same momentarily idle endpoint.
 *
 * <p>Loads are compared without division: {@code a} is less loaded than {@code b} when {@code
 * a.inFlight * b.weight < b.inFlight * a.weight}, in {@code long}. The counters live in {@link
 * CountingUpstream}s that survive updates for endpoints that stay, so a snapshot change does not
 * forget what is in flight. No per-pick allocation and no shared writes: a pick only reads
 * counters.
 */
final class LeastConnectionsLoadBalancer implements LoadBalancer {
  /** Sets up to this size are scanned in full on every pick. */
  static final int EXACT_SCAN_MAX = 8;

  private final UpstreamTable table = new UpstreamTable();

  @Override
  public Picker update(EndpointSet endpoints) {
    CountingUpstream[] upstreams = table.update(endpoints);
    if (upstreams.length == 0) {
      return EmptyPicker.INSTANCE;
    }
    int[] weights = UpstreamTable.effectiveWeights(upstreams);
    return upstreams.length <= EXACT_SCAN_MAX
        ? new ExactPicker(upstreams, weights)
        : new TwoChoicesPicker(upstreams, weights);
  }

  /** The least loaded of all endpoints, scanning from a random start. */
  static final class ExactPicker implements UpstreamsPicker {
    private final CountingUpstream[] upstreams;
    private final int[] weights;

    ExactPicker(CountingUpstream[] upstreams, int[] weights) {
      this.upstreams = upstreams;
      this.weights = weights;
    }

    @Override
    public Upstream[] upstreams() {
      return upstreams;
    }

    @Override
    public PickResult pick(RequestView request, Tried tried) {
      CountingUpstream[] u = upstreams;
      int n = u.length;
      int best = FastRandom.index(n);
      long bestLoad = u[best].inFlight();
      long bestWeight = weights[best];
      int i = best;
      for (int k = 1; k < n; k++) {
        if (++i == n) {
          i = 0;
        }
        long load = u[i].inFlight();
        long weight = weights[i];
        if (load * bestWeight < bestLoad * weight) {
          best = i;
          bestLoad = load;
          bestWeight = weight;
        }
      }
      return Choices.untried(u[best], tried, u);
    }

    @Override
    public String toString() {
      return "LeastConnections.ExactPicker" + java.util.Arrays.toString(upstreams);
    }
  }

  /** The less loaded of two distinct random endpoints. */
  static final class TwoChoicesPicker implements UpstreamsPicker {
    private final CountingUpstream[] upstreams;
    private final int[] weights;

    TwoChoicesPicker(CountingUpstream[] upstreams, int[] weights) {
      this.upstreams = upstreams;
      this.weights = weights;
    }

    @Override
    public Upstream[] upstreams() {
      return upstreams;
    }

    @Override
    public PickResult pick(RequestView request, Tried tried) {
      int n = upstreams.length;
      long bits = ThreadLocalRandom.current().nextLong(); // 32 random bits for each draw
      int a = FastRandom.scale(bits >>> 32, n);
      int b = FastRandom.scale(bits, n - 1);
      if (b >= a) {
        b++; // b uniform over the other n - 1 endpoints
      }
      long loadA = upstreams[a].inFlight();
      long loadB = upstreams[b].inFlight();
      CountingUpstream u = loadA * weights[b] <= loadB * weights[a] ? upstreams[a] : upstreams[b];
      return Choices.untried(u, tried, upstreams);
    }

    @Override
    public String toString() {
      return "LeastConnections.TwoChoicesPicker{" + upstreams.length + " upstreams}";
    }
  }
}
