package dev.whaleray.jmh;

import dev.whaleray.router.RequestView;
import dev.whaleray.router.Route;
import dev.whaleray.router.RouteMatch;
import dev.whaleray.router.Router;
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
 * {@link Router#match} on the default table ({@code /services/{service}}): a hit, a miss and an
 * invalid service id; and on a ten-route table of host and path routes whose last route takes the
 * request, so every other route is tried and rejected first.
 *
 * <p>Each benchmark returns the {@link RouteMatch} so that JMH consumes it and the match cannot be
 * eliminated as dead code. A hit allocates the service-name substring and the {@code RouteMatch}; a
 * miss returns the shared {@link RouteMatch#NONE}.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(1)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@State(Scope.Benchmark)
public class RouteMatchBenchmark {

  private Router defaultRoutes;
  private Router tenRoutes;
  private RequestView hit;
  private RequestView hitNamedPort;
  private RequestView miss;
  private RequestView invalidId;
  private RequestView hostHit;
  private RequestView hostPortHit;
  private Router hostRoutes;

  @Setup
  public void setUp() {
    defaultRoutes = Router.defaultRoutes();
    tenRoutes =
        Router.builder()
            .route(Route.host("catalog.example.com", "catalog"))
            .route(Route.host("{service}.apps.example.com"))
            .route(Route.path("/api/{service}"))
            .route(Route.hostAndPath("admin.example.com", "/admin/{service}"))
            .route(Route.path("/static", "assets"))
            .route(Route.host("www.example.org", "website"))
            .route(Route.path("/v1/{service}/rpc"))
            .route(Route.host("{service}.internal.example.net"))
            .route(Route.path("/health/details", "health"))
            .route(Route.path("/services/{service}"))
            .build();
    hit = RequestView.of("GET", "example.com", "/services/catalog/items/42");
    miss = RequestView.of("GET", "example.com", "/other/path");
    hitNamedPort = RequestView.of("GET", "example.com", "/services/catalog:metrics/items/42");
    invalidId = RequestView.of("GET", "example.com", "/services/a.b/x");
    // Host templates, as behind an ALB: the service (and port) from the Host's first label.
    hostRoutes =
        Router.builder()
            .route(Route.host("{port}--{service}.ports.example.com"))
            .route(Route.host("{service}.apps.example.com"))
            .build();
    hostHit = RequestView.of("GET", "catalog.apps.example.com", "/items/42");
    hostPortHit = RequestView.of("GET", "metrics--catalog.ports.example.com", "/items/42");

    // Fail fast if a router change makes a benchmark measure something else than its name says.
    expect(defaultRoutes.match(hit), RouteMatch.Kind.MATCHED, "catalog");
    expect(defaultRoutes.match(miss), RouteMatch.Kind.NO_ROUTE, null);
    expect(defaultRoutes.match(hitNamedPort), RouteMatch.Kind.MATCHED, "catalog");
    if (!"metrics".equals(defaultRoutes.match(hitNamedPort).port())) {
      throw new IllegalStateException("expected port metrics");
    }
    expect(defaultRoutes.match(invalidId), RouteMatch.Kind.INVALID_SERVICE, null);
    expect(hostRoutes.match(hostHit), RouteMatch.Kind.MATCHED, "catalog");
    expect(hostRoutes.match(hostPortHit), RouteMatch.Kind.MATCHED, "catalog");
    if (!"metrics".equals(hostRoutes.match(hostPortHit).port())) {
      throw new IllegalStateException("expected port metrics from the host");
    }
    RouteMatch last = tenRoutes.match(hit);
    expect(last, RouteMatch.Kind.MATCHED, "catalog");
    if (!Route.path("/services/{service}").equals(last.route())) {
      throw new IllegalStateException("ten-route table: expected the last route, got " + last);
    }
  }

  private static void expect(RouteMatch match, RouteMatch.Kind kind, String service) {
    if (match.kind() != kind || (service != null && !service.equals(match.service()))) {
      throw new IllegalStateException(
          "expected " + kind + (service == null ? "" : " " + service) + ", got " + match);
    }
  }

  /** {@code GET example.com/services/catalog/items/42} on the default table. */
  @Benchmark
  public RouteMatch hit() {
    return defaultRoutes.match(hit);
  }

  /**
   * {@code GET example.com/services/catalog:metrics/items/42}: a hit naming a port (issue #16); the
   * cached match carries the service and the port.
   */
  @Benchmark
  public RouteMatch hitNamedPort() {
    return defaultRoutes.match(hitNamedPort);
  }

  /** {@code GET example.com/other/path}: no route, {@link RouteMatch#NONE}. */
  @Benchmark
  public RouteMatch miss() {
    return defaultRoutes.match(miss);
  }

  /** {@code GET example.com/services/a.b/x}: {@code a.b} is not a DNS label (400). */
  @Benchmark
  public RouteMatch invalidId() {
    return defaultRoutes.match(invalidId);
  }

  /** The hit request on a ten-route table where only the tenth route matches. */
  @Benchmark
  public RouteMatch tenRoutesLastHit() {
    return tenRoutes.match(hit);
  }

  /** {@code GET catalog.apps.example.com/items/42} on a {@code {service}.apps...} host route. */
  @Benchmark
  public RouteMatch hostTemplateHit() {
    return hostRoutes.match(hostHit);
  }

  /** {@code metrics--catalog.ports.example.com}: the service and the port from the host. */
  @Benchmark
  public RouteMatch hostTemplatePortHit() {
    return hostRoutes.match(hostPortHit);
  }
}
