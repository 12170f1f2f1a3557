package dev.whaleray.jmh;

import dev.whaleray.router.Endpoint;
import dev.whaleray.router.EndpointSet;
import dev.whaleray.router.core.Cluster;
import dev.whaleray.router.core.ClusterManager;
import dev.whaleray.router.discovery.AbstractDiscovery;
import dev.whaleray.router.lb.LoadBalancerProviders;
import dev.whaleray.router.lb.Picker;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The discovery cache hit on the request path: {@code ClusterManager.get(service, null)} for a
 * service that is already watched and resolved, then the volatile read of its snapshot's picker.
 * That is what every proxied request pays for discovery, whichever source ({@code static}, {@code
 * cloudmap-dns}, {@code cloudmap-api}) filled the table: sources publish snapshots in the
 * background, the request only reads. (Named {@code ServiceTableLookupBenchmark} before the cluster
 * manager moved to router-core.)
 *
 * <p>{@code services} is how many services are in the table; the benchmark cycles through all of
 * them (a power of two, so the index is a mask, not a division).
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(1)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@State(Scope.Thread)
public class ClusterLookupBenchmark {

  @Param({"1", "1024"})
  int services;

  private ClusterManager table;
  private FixedDiscovery discovery;
  private String[] names;
  private int next;

  @Setup(Level.Trial)
  public void setUp() throws Exception {
    discovery = new FixedDiscovery();
    table =
        ClusterManager.builder(discovery)
            .loadBalancer(LoadBalancerProviders.get("round-robin"))
            .idleTimeout(Duration.ofHours(1))
            .build();
    names = new String[services];
    for (int i = 0; i < services; i++) {
      // Not interned literals: a route match hands the table a new String per request. (These are
      // reused, so their hash is cached after the first call; a request pays it once, ~10 chars.)
      names[i] = new String(("service-" + i).toCharArray());
      Cluster e = table.get(names[i], null);
      e.ready().get(10, TimeUnit.SECONDS);
      if (e.snapshot() == null) {
        throw new IllegalStateException("no picker for " + names[i]);
      }
    }
  }

  @TearDown(Level.Trial)
  public void tearDown() {
    table.close();
    discovery.close();
  }

  /** One cache hit: the table lookup and the picker read. */
  @Benchmark
  public Picker cacheHit() {
    String name = names[next++ & (services - 1)];
    Cluster e = table.get(name, null);
    return e.snapshot().picker();
  }

  /**
   * Every service has the same three endpoints, published at once on the watching thread; each also
   * serves a named port {@code metrics} (for {@code RequestPathBenchmark}'s named-port path).
   */
  static final class FixedDiscovery extends AbstractDiscovery {
    private static final List<Endpoint> ENDPOINTS =
        List.of(
            Endpoint.builder("10.0.0.1", 31001).port("metrics", 39101).build(),
            Endpoint.builder("10.0.0.2", 31002).port("metrics", 39102).build(),
            Endpoint.builder("10.0.0.3", 31003).port("metrics", 39103).build());

    FixedDiscovery() {
      super(Runnable::run);
    }

    @Override
    protected void doWatch(String service) {
      publish(EndpointSet.of(service, 0, ENDPOINTS));
    }
  }
}
