package dev.whaleray.jmh;

import dev.whaleray.router.RequestView;
import dev.whaleray.router.core.CircuitBreaking;
import dev.whaleray.router.core.Cluster;
import dev.whaleray.router.core.ClusterManager;
import dev.whaleray.router.core.OutlierDetection;
import dev.whaleray.router.core.RateLimit;
import dev.whaleray.router.lb.LoadBalancerProviders;
import dev.whaleray.router.lb.Outcome;
import dev.whaleray.router.lb.PickResult;
import dev.whaleray.router.lb.Tried;
import dev.whaleray.router.lb.Upstream;
import java.time.Duration;
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
 * What a request costs the cluster manager from pick to end, with the resilience features off
 * ({@code none}) and on ({@code all}: outlier counting, retry budget, a rate limit that never
 * bites, a circuit breaker): {@code pick}, {@code attemptStarted}, {@code attemptEnded} (a 200) and
 * {@code requestEnded}. Active health checks are left out: they change the picker at rebuild time,
 * never the pick path (and would probe the network).
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(1)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@State(Scope.Thread)
public class ClusterPickBenchmark {

  @Param({"none", "outliers", "budget", "limit", "breaker", "all"})
  String features;

  private ClusterManager manager;
  private ClusterLookupBenchmark.FixedDiscovery discovery;
  private Cluster cluster;
  private final RequestView request = RequestView.of("GET", "example.com", "/services/x/a");

  @Setup(Level.Trial)
  public void setUp() throws Exception {
    discovery = new ClusterLookupBenchmark.FixedDiscovery();
    ClusterManager.Builder b =
        ClusterManager.builder(discovery)
            .loadBalancer(LoadBalancerProviders.get("round-robin"))
            .idleTimeout(Duration.ofHours(1));
    boolean all = features.equals("all");
    b.outlierDetection(
        all || features.equals("outliers") ? OutlierDetection.defaults() : OutlierDetection.off());
    b.retryBudgetPercent(all || features.equals("budget") ? 20 : 100);
    if (all || features.equals("limit")) {
      b.rateLimit(RateLimit.of(1e9, 1_000_000));
    }
    if (all || features.equals("breaker")) {
      b.circuitBreaker(CircuitBreaking.defaults());
    }
    manager = b.build();
    cluster = manager.get("x", null);
    cluster.ready().get(10, TimeUnit.SECONDS);
  }

  @TearDown(Level.Trial)
  public void tearDown() {
    manager.close();
    discovery.close();
  }

  /** One request's worth of calls into the cluster. */
  @Benchmark
  public Upstream pickAndReport() {
    PickResult r = cluster.pick(request, Tried.NONE);
    Upstream u = r.upstream();
    cluster.attemptStarted(u);
    cluster.attemptEnded(u, Outcome.SUCCESS, 200, 1_000);
    cluster.requestEnded(false);
    return u;
  }
}
