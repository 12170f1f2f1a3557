package dev.whaleray.jmh;

import dev.whaleray.router.RequestView;
import dev.whaleray.router.RouteMatch;
import dev.whaleray.router.Router;
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
 * The router's own request path without IO, as {@code RouterHandler} runs it for a {@code
 * /services/{id}/...} hit: route match, service table lookup (discovery cache hit), picker read and
 * pick. Everything but Undertow's parsing and proxying. Target: at most 150 ns and 0 B/op.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(1)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@State(Scope.Thread)
public class RequestPathBenchmark {

  @Param({"round-robin", "least-connections"})
  String policy;

  /**
   * The cluster's resilience features: {@code off} (the path before they existed), {@code defaults}
   * (outlier counting and retry budget) or {@code all} (also a rate limit that never bites and a
   * circuit breaker).
   */
  @Param({"off", "defaults", "all"})
  String resilience;

  private final Router router = Router.defaultRoutes();
  private ClusterManager table;
  private ClusterLookupBenchmark.FixedDiscovery discovery;
  private RequestView[] requests;
  private RequestView[] portRequests; // "/services/catalog-i:metrics/items/42"
  private int next;

  @Setup(Level.Trial)
  public void setUp() throws Exception {
    discovery = new ClusterLookupBenchmark.FixedDiscovery();
    ClusterManager.Builder b =
        ClusterManager.builder(discovery)
            .loadBalancer(LoadBalancerProviders.get(policy))
            .idleTimeout(Duration.ofHours(1));
    if (resilience.equals("off")) {
      b.outlierDetection(OutlierDetection.off()).retryBudgetPercent(100);
    } else if (resilience.equals("all")) {
      b.rateLimit(RateLimit.of(1e9, 1_000_000)).circuitBreaker(CircuitBreaking.defaults());
    }
    table = b.build();
    // 16 services, each path built anew (as the server parses a new string per request).
    requests = new RequestView[16];
    for (int i = 0; i < requests.length; i++) {
      String path = new String(("/services/catalog-" + i + "/items/42").toCharArray());
      requests[i] = RequestView.of("GET", "example.com", path);
      RouteMatch m = router.match(requests[i]);
      Cluster e = table.get(m.service(), m.route());
      e.ready().get(10, TimeUnit.SECONDS);
      if (e.pick(requests[i], Tried.NONE).upstream() == null) {
        throw new IllegalStateException("no picker for " + m.service());
      }
    }
    portRequests = new RequestView[16];
    for (int i = 0; i < portRequests.length; i++) {
      String path = new String(("/services/catalog-" + i + ":metrics/items/42").toCharArray());
      portRequests[i] = RequestView.of("GET", "example.com", path);
      RouteMatch m = router.match(portRequests[i]);
      Cluster e = table.get(m.service(), m.route(), m.port());
      e.ready().get(10, TimeUnit.SECONDS);
      Upstream u = e.pick(portRequests[i], Tried.NONE).upstream();
      if (!"metrics".equals(m.port()) || u == null || u.endpoint().port() < 39101) {
        throw new IllegalStateException("no metrics-port picker for " + m);
      }
    }
  }

  @TearDown(Level.Trial)
  public void tearDown() {
    table.close();
    discovery.close();
  }

  /** Route, look up, pick: what a proxied request costs the router before Undertow proxies. */
  @Benchmark
  public PickResult routeLookupPick() {
    RequestView request = requests[next++ & 15];
    RouteMatch match = router.match(request);
    Cluster entry = table.get(match.service(), match.route());
    return entry.pick(request, Tried.NONE);
  }

  /**
   * As {@link #routeLookupPick} for a named port of the service ({@code
   * /services/catalog-i:metrics/...}, issue #16): the route cache hit carries the port, the
   * (service, port) cluster is found by two map lookups without building a key, its picker holds
   * the endpoints at their metrics port.
   */
  @Benchmark
  public PickResult routeLookupPickNamedPort() {
    RequestView request = portRequests[next++ & 15];
    RouteMatch match = router.match(request);
    Cluster entry = table.get(match.service(), match.route(), match.port());
    return entry.pick(request, Tried.NONE);
  }

  /**
   * As {@link #routeLookupPick}, with the clock reads and reports of a proxied request as the
   * router makes them: the clock read once before the pick (the rate limits and the attempt's start
   * share it) and once at the response head, the attempt's start and end (a 200) and the request's
   * end. What the resilience features cost shows here in full.
   */
  @Benchmark
  public Upstream routeLookupPickReport() {
    RequestView request = requests[next++ & 15];
    RouteMatch match = router.match(request);
    Cluster entry = table.get(match.service(), match.route());
    long start = System.nanoTime();
    Upstream u = entry.pick(request, Tried.NONE, start).upstream();
    entry.attemptStarted(u);
    entry.attemptEnded(u, Outcome.SUCCESS, 200, System.nanoTime() - start);
    entry.requestEnded(false);
    return u;
  }
}
