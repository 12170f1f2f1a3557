package dev.whaleray.router.core;

import static org.assertj.core.api.Assertions.assertThat;

import dev.whaleray.router.Endpoint;
import dev.whaleray.router.EndpointSet;
import dev.whaleray.router.RequestView;
import dev.whaleray.router.Route;
import dev.whaleray.router.lb.LbContext;
import dev.whaleray.router.lb.Tried;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Clusters per (service, port) (issue #16). */
class ClusterManagerPortsTest {
  static final RequestView REQUEST = RequestView.of("GET", "h", "/");
  static final Endpoint A =
      Endpoint.builder("10.0.0.1", 3000).port("metrics", 9100).port("grpc", 50051).build();
  static final Endpoint B = Endpoint.builder("10.0.0.2", 3001).port("metrics", 9101).build();
  static final Endpoint C = Endpoint.of("10.0.0.3", 3002);

  final ClusterManagerTest.ManualDiscovery discovery = new ClusterManagerTest.ManualDiscovery();
  final ClusterManager manager =
      ClusterManager.builder(discovery)
          .lbTemplate(LbContext.of("t").withOptions(Map.of("slowStart", "0s")))
          .build();

  @AfterEach
  void close() {
    manager.close();
    discovery.close();
  }

  private static EndpointSet ready(Cluster c) throws Exception {
    return c.ready().get(5, TimeUnit.SECONDS);
  }

  private static Set<String> picks(Cluster c, int n) {
    Set<String> seen = new HashSet<>();
    for (int i = 0; i < n; i++) {
      seen.add(c.pick(REQUEST, Tried.NONE).upstream().endpoint().authority());
    }
    return seen;
  }

  @Test
  void aNamedPortIsTheEndpointsThatHaveItAtThatPort() throws Exception {
    discovery.set("demo", List.of(A, B, C));
    Cluster metrics = manager.get("demo", null, "metrics");

    assertThat(ready(metrics).endpoints())
        .containsExactly(A.atPort(9100), B.atPort(9101)); // C has no metrics port: skipped
    assertThat(metrics.port()).isEqualTo("metrics");
    assertThat(picks(metrics, 4)).containsExactlyInAnyOrder("10.0.0.1:9100", "10.0.0.2:9101");
    assertThat(manager.get("demo", null, "metrics")).isSameAs(metrics);
    assertThat(manager.get("demo", null, null)).isNotSameAs(metrics);
    assertThat(manager.authoritiesInUse()).contains("10.0.0.1:9100", "10.0.0.2:9101");
  }

  @Test
  void aNumberMustBeOneOfTheEndpointsOwnPorts() throws Exception {
    discovery.set("demo", List.of(A, B, C));

    assertThat(ready(manager.get("demo", null, "9100")).endpoints())
        .containsExactly(A.atPort(9100));
    assertThat(ready(manager.get("demo", null, "3002")).endpoints()).containsExactly(C);
    EndpointSet ssh = ready(manager.get("demo", null, "22"));
    assertThat(ssh.isKnown()).isTrue();
    assertThat(ssh.isEmpty()).isTrue(); // never 10.0.0.x:22
  }

  @Test
  void aPortNoEndpointHasIsKnownAndEmptyAndUpdatesFollowTheService() throws Exception {
    discovery.set("demo", List.of(C));
    Cluster grpc = manager.get("demo", null, "grpc");
    assertThat(ready(grpc).isKnown()).isTrue();
    assertThat(grpc.endpoints().isEmpty()).isTrue();
    assertThat(grpc.pick(REQUEST, Tried.NONE).upstream()).isNull();

    discovery.set("demo", List.of(A, C));
    assertThat(grpc.endpoints().endpoints()).containsExactly(A.atPort(50051));
  }

  @Test
  void anUnknownServiceStaysUnknown() throws Exception {
    assertThat(ready(manager.get("nope", null, "metrics")).isKnown()).isFalse();
  }

  @Test
  void aRouteWithItsOwnPolicyGetsItsOwnPortCluster() throws Exception {
    discovery.set("demo", List.of(A, B));
    Route r = Route.path("/x/{service}").withLoadBalancing("random", Map.of());
    Cluster plain = manager.get("demo", null, "metrics");
    Cluster withPolicy = manager.get("demo", r, "metrics");
    assertThat(withPolicy).isNotSameAs(plain);
    assertThat(manager.get("demo", r, "metrics")).isSameAs(withPolicy);
    assertThat(ready(withPolicy).endpoints()).hasSize(2);
  }

  @Test
  void anEvictedPortClusterIsMadeAfresh() throws Exception {
    ClusterManager quick =
        ClusterManager.builder(discovery).idleTimeout(java.time.Duration.ofMillis(1)).build();
    try {
      discovery.set("demo", List.of(A));
      Cluster first = quick.get("demo", null, "metrics");
      ready(first);
      Thread.sleep(5); // past the 1 ms idle timeout: a bound, not a timing assertion
      quick.evictIdle();
      assertThat(quick.size()).isZero();
      for (int i = 0; i < 50; i++) {
        ready(quick.get("nope-" + i, null, "metrics")); // unknown services with a port
      }
      Thread.sleep(5);
      quick.evictIdle();
      assertThat(quick.size()).isZero();
      Cluster second = quick.get("demo", null, "metrics");
      assertThat(second).isNotSameAs(first);
      assertThat(ready(second).endpoints()).containsExactly(A.atPort(9100));
    } finally {
      quick.close();
    }
  }
}
