package dev.whaleray.router.undertow.testing;

import dev.whaleray.router.Endpoint;
import dev.whaleray.router.lb.LbContext;
import dev.whaleray.router.lb.LoadBalancer;
import dev.whaleray.router.lb.LoadBalancerProvider;
import dev.whaleray.router.lb.Outcome;
import dev.whaleray.router.lb.PickResult;
import dev.whaleray.router.lb.Picker;
import dev.whaleray.router.lb.Upstream;

/**
 * A test policy, {@code first}: always the first endpoint of the snapshot (or the one whose port is
 * given by the {@code port} option), so a test can tell which policy served a route.
 */
public final class FirstEndpointProvider implements LoadBalancerProvider {
  @Override
  public String name() {
    return "first";
  }

  @Override
  public LoadBalancer newLoadBalancer(LbContext context) {
    String port = context.options().get("port");
    if (port != null && !port.matches("[0-9]+")) {
      throw new IllegalArgumentException("port: '" + port + "' (expected: a number)");
    }
    return endpoints -> {
      Endpoint chosen = endpoints.isEmpty() ? null : endpoints.endpoints().get(0);
      for (Endpoint e : endpoints.endpoints()) {
        if (port != null && e.port() == Integer.parseInt(port)) {
          chosen = e;
        }
      }
      if (chosen == null) {
        return (request, tried) -> PickResult.none();
      }
      Endpoint target = chosen;
      Upstream upstream =
          new Upstream() {
            @Override
            public Endpoint endpoint() {
              return target;
            }

            @Override
            public void onStart() {}

            @Override
            public void onEnd(Outcome outcome, int status, long latencyNanos) {}

            @Override
            public int inFlight() {
              return 0;
            }
          };
      PickResult result = PickResult.of(upstream);
      Picker picker = (request, tried) -> result;
      return picker;
    };
  }
}
