package dev.whaleray.loadbalancing;

import dev.whaleray.router.EndpointSet;
import dev.whaleray.router.RequestView;
import dev.whaleray.router.lb.LoadBalancer;
import dev.whaleray.router.lb.PickResult;
import dev.whaleray.router.lb.Picker;
import dev.whaleray.router.lb.Tried;
import dev.whaleray.router.lb.Upstream;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Round-robin: each pick takes the next endpoint in snapshot order. The sequence survives updates
 * so a snapshot change does not send the next request back to the first endpoint.
 */
final class RoundRobinLoadBalancer implements LoadBalancer {
  private final UpstreamTable table = new UpstreamTable();
  private final AtomicInteger sequence;

  RoundRobinLoadBalancer(int initialSequence) {
    this.sequence = new AtomicInteger(initialSequence);
  }

  @Override
  public Picker update(EndpointSet endpoints) {
    CountingUpstream[] upstreams = table.update(endpoints);
    return upstreams.length == 0 ? EmptyPicker.INSTANCE : new RoundRobinPicker(upstreams, sequence);
  }

  static final class RoundRobinPicker implements Picker {
    private final Upstream[] upstreams;
    private final AtomicInteger sequence;

    RoundRobinPicker(Upstream[] upstreams, AtomicInteger sequence) {
      this.upstreams = upstreams;
      this.sequence = sequence;
    }

    @Override
    public PickResult pick(RequestView request, Tried tried) {
      // The mask keeps the index non-negative when the counter wraps past Integer.MAX_VALUE
      // (a plain `x % n` goes negative after 2^31 picks).
      Upstream u = upstreams[(sequence.getAndIncrement() & Integer.MAX_VALUE) % upstreams.length];
      return Choices.untried(u, tried, upstreams);
    }

    @Override
    public String toString() {
      return "RoundRobinPicker" + java.util.Arrays.toString(upstreams);
    }
  }
}
