package dev.whaleray.jmh;

import dev.whaleray.router.Endpoint;
import dev.whaleray.router.EndpointSet;
import dev.whaleray.router.RequestView;
import dev.whaleray.router.lb.LbContext;
import dev.whaleray.router.lb.LoadBalancerProviders;
import dev.whaleray.router.lb.PickResult;
import dev.whaleray.router.lb.Picker;
import dev.whaleray.router.lb.Tried;
import dev.whaleray.router.lb.Upstream;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Zone-aware round-robin over six endpoints in three zones (two local): a first pick, which stays
 * in the local zone, against the same policy over the two local endpoints without zone-awareness
 * (what the decorator's retry check costs a first pick), and a retry pick once both local endpoints
 * were tried, which goes to another zone.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(1)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@State(Scope.Benchmark)
public class ZoneAwarePickBenchmark {
  private static final String LOCAL = "us-east-1a";
  private static final RequestView REQUEST =
      RequestView.of("GET", "example.com", "/services/svc/items/42");

  private Picker zoneAware;
  private Picker localOnly;
  private Tried bothLocalTried;

  @Setup
  public void setUp() {
    List<Endpoint> all = new ArrayList<>();
    List<Endpoint> local = new ArrayList<>();
    for (char z = 'a'; z <= 'c'; z++) {
      for (int i = 1; i <= 2; i++) {
        Endpoint e =
            Endpoint.builder("10.0." + (z - 'a') + "." + i, 3000).zone("us-east-1" + z).build();
        all.add(e);
        if (z == 'a') {
          local.add(e);
        }
      }
    }
    Map<String, String> noSlowStart = Map.of("slowStart", "0s");
    zoneAware =
        LoadBalancerProviders.get("round-robin")
            .newLoadBalancer(LbContext.of("svc").withZone(LOCAL).withOptions(noSlowStart))
            .update(EndpointSet.of("svc", 1, all));
    localOnly =
        LoadBalancerProviders.get("round-robin")
            .newLoadBalancer(LbContext.of("svc").withOptions(noSlowStart))
            .update(EndpointSet.of("svc", 1, local));
    bothLocalTried =
        new Tried() {
          @Override
          public int count() {
            return 2;
          }

          @Override
          public boolean contains(Upstream upstream) {
            return LOCAL.equals(upstream.endpoint().zone());
          }
        };
    // Fail fast if the setup measures something else than the names say.
    for (int i = 0; i < 4; i++) {
      if (!LOCAL.equals(zoneAware.pick(REQUEST, Tried.NONE).upstream().endpoint().zone())) {
        throw new IllegalStateException("a first pick left the local zone");
      }
      Upstream spilled = zoneAware.pick(REQUEST, bothLocalTried).upstream();
      if (spilled == null || LOCAL.equals(spilled.endpoint().zone())) {
        throw new IllegalStateException("a retry after both local endpoints stayed: " + spilled);
      }
    }
  }

  /** A first attempt through the zone-aware picker (local zone). */
  @Benchmark
  public PickResult firstPickZoneAware() {
    return zoneAware.pick(REQUEST, Tried.NONE);
  }

  /** The same policy over the two local endpoints, no zone-awareness: the baseline. */
  @Benchmark
  public PickResult firstPickLocalOnly() {
    return localOnly.pick(REQUEST, Tried.NONE);
  }

  /** A retry once both local endpoints were tried: to another zone. */
  @Benchmark
  public PickResult retryPickSpills() {
    return zoneAware.pick(REQUEST, bothLocalTried);
  }
}
