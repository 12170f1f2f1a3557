package dev.whaleray.router.undertow.testing;

import dev.whaleray.router.Endpoint;
import dev.whaleray.router.lb.LbContext;
import dev.whaleray.router.lb.LoadBalancer;
import dev.whaleray.router.lb.LoadBalancerProvider;
import dev.whaleray.router.lb.Outcome;
import dev.whaleray.router.lb.PickResult;
import dev.whaleray.router.lb.Upstream;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A test policy, {@code counting}: round-robin that records every {@code onStart}, {@code onEnd}
 * and outcome per endpoint, so tests can check the router's accounting is exact.
 */
public final class CountingProvider implements LoadBalancerProvider {
  /** Per endpoint: starts, ends, and the outcomes seen. */
  public static final class Counts {
    public final AtomicInteger starts = new AtomicInteger();
    public final AtomicInteger ends = new AtomicInteger();
    public final List<Outcome> outcomes = new CopyOnWriteArrayList<>();
    public final List<Integer> statuses = new CopyOnWriteArrayList<>();
  }

  public static final Map<Endpoint, Counts> COUNTS = new ConcurrentHashMap<>();

  @Override
  public String name() {
    return "counting";
  }

  @Override
  public LoadBalancer newLoadBalancer(LbContext context) {
    AtomicInteger sequence = new AtomicInteger();
    return endpoints -> {
      Upstream[] upstreams = new Upstream[endpoints.size()];
      for (int i = 0; i < upstreams.length; i++) {
        Endpoint e = endpoints.endpoints().get(i);
        Counts c = COUNTS.computeIfAbsent(e, k -> new Counts());
        upstreams[i] =
            new Upstream() {
              @Override
              public Endpoint endpoint() {
                return e;
              }

              @Override
              public void onStart() {
                c.starts.incrementAndGet();
              }

              @Override
              public void onEnd(Outcome outcome, int status, long latencyNanos) {
                c.ends.incrementAndGet();
                c.outcomes.add(outcome);
                c.statuses.add(status);
              }

              @Override
              public int inFlight() {
                return c.starts.get() - c.ends.get();
              }
            };
      }
      return (request, tried) ->
          upstreams.length == 0
              ? PickResult.none()
              : PickResult.of(
                  upstreams[(sequence.getAndIncrement() & Integer.MAX_VALUE) % upstreams.length]);
    };
  }
}
