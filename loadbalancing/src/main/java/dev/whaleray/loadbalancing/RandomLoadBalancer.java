package dev.whaleray.loadbalancing;

import dev.whaleray.router.EndpointSet;
import dev.whaleray.router.RequestView;
import dev.whaleray.router.lb.LoadBalancer;
import dev.whaleray.router.lb.PickResult;
import dev.whaleray.router.lb.Picker;
import dev.whaleray.router.lb.Tried;
import dev.whaleray.router.lb.Upstream;

/**
 * Random: each pick takes an active endpoint uniformly at random ({@link FastRandom}, over the
 * thread's own {@code ThreadLocalRandom}, so threads share no state). Weights only decide which
 * endpoints are active (above 0, or all when every weight is 0); use {@code weighted} for
 * proportional traffic.
 */
final class RandomLoadBalancer implements LoadBalancer {
  private final UpstreamTable table = new UpstreamTable();

  @Override
  public Picker update(EndpointSet endpoints) {
    CountingUpstream[] upstreams = table.update(endpoints);
    return upstreams.length == 0 ? EmptyPicker.INSTANCE : new RandomPicker(upstreams);
  }

  static final class RandomPicker implements Picker {
    private final Upstream[] upstreams;

    RandomPicker(Upstream[] upstreams) {
      this.upstreams = upstreams;
    }

    @Override
    public PickResult pick(RequestView request, Tried tried) {
      Upstream u = upstreams[FastRandom.index(upstreams.length)];
      return Choices.untried(u, tried, upstreams);
    }

    @Override
    public String toString() {
      return "RandomPicker{" + upstreams.length + " upstreams}";
    }
  }
}
