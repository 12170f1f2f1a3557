package dev.whaleray.router.undertow;

import static org.assertj.core.api.Assertions.assertThat;

import dev.whaleray.router.Endpoint;
import dev.whaleray.router.core.Cluster;
import dev.whaleray.router.core.HealthCheck;
import dev.whaleray.router.core.OutlierDetection;
import dev.whaleray.router.undertow.testing.TestBackend;
import dev.whaleray.router.undertow.testing.TestDiscovery;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;

/**
 * Health checks per service: one router with HTTP services and a service that speaks no HTTP (a
 * database behind a TCP listener) checks each its own way. With only a router-wide HTTP check, the
 * TCP service's endpoints fail every check (they answer no {@code GET}) and the service runs in
 * panic mode.
 */
class ServiceHealthChecksIT {
  static final HealthCheck HTTP =
      HealthCheck.of("/health")
          .withInterval(Duration.ofMillis(100))
          .withTimeout(Duration.ofMillis(300))
          .withThresholds(1, 1);

  static void await(BooleanSupplier condition, String what) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("not within 10 s: " + what);
      }
      Thread.sleep(20);
    }
  }

  @Test
  void eachServiceIsCheckedItsOwnWay() throws Exception {
    try (TestBackend web = TestBackend.start("web");
        TcpFrontendIT.EchoServer db = new TcpFrontendIT.EchoServer();
        TcpFrontendIT.EchoServer legacy = new TcpFrontendIT.EchoServer();
        TestDiscovery discovery =
            new TestDiscovery()
                .set("web", List.of(Endpoint.parse(web.address())))
                .set("db", List.of(db.endpoint()))
                .set("legacy", List.of(legacy.endpoint()));
        RouterHandler handler =
            RouterHandler.builder()
                .discovery(discovery)
                .outlierDetection(OutlierDetection.off())
                .healthCheck(HTTP)
                .serviceHealthCheck("db", HTTP.withMode(HealthCheck.Mode.TCP))
                .serviceHealthCheck("legacy", null)
                .build()) {
      Cluster webCluster = handler.clusterManager().get("web", null);
      Cluster dbCluster = handler.clusterManager().get("db", null);
      Cluster legacyCluster = handler.clusterManager().get("legacy", null);
      await(() -> web.requests() >= 3, "three HTTP checks of web");
      await(() -> db.accepted.get() >= 3, "three TCP checks of db");
      Thread.sleep(500); // five more intervals: a failing check would have turned one unhealthy
      String dbEndpoint = db.endpoint().authority();
      System.out.printf(
          "per-service checks: web %d GETs (%s), db %d connects of which %d sent bytes (%s),"
              + " legacy %d connections (%s)%n",
          web.requests(),
          webCluster.endpointState(Endpoint.parse(web.address()).authority()),
          db.accepted.get(),
          db.served.get(),
          dbCluster.endpointState(dbEndpoint),
          legacy.accepted.get(),
          legacyCluster.endpointState(legacy.endpoint().authority()));
      assertThat(webCluster.endpointState(Endpoint.parse(web.address()).authority()))
          .isEqualTo("healthy");
      assertThat(dbCluster.endpointState(dbEndpoint)).isEqualTo("healthy");
      assertThat(db.served.get()).as("db checks are connects that send nothing").isZero();
      assertThat(legacy.accepted.get()).as("no check of legacy").isZero();
    }
  }

  @Test
  void withOnlyTheRouterWideHttpCheckAServiceThatSpeaksNoHttpTurnsUnhealthy() throws Exception {
    try (TcpFrontendIT.EchoServer db = new TcpFrontendIT.EchoServer();
        TestDiscovery discovery = new TestDiscovery().set("db", List.of(db.endpoint()));
        RouterHandler handler =
            RouterHandler.builder()
                .discovery(discovery)
                .outlierDetection(OutlierDetection.off())
                .healthCheck(HTTP)
                .build()) {
      Cluster cluster = handler.clusterManager().get("db", null);
      String endpoint = db.endpoint().authority();
      await(() -> cluster.endpointState(endpoint).equals("unhealthy"), "db unhealthy");
      assertThat(db.served.get()).as("HTTP checks send a GET").isPositive();
    }
  }
}
