package dev.whaleray.reference;

import static org.assertj.core.api.Assertions.assertThat;

import dev.whaleray.discovery.cloudmap.testing.Dnsmasq;
import dev.whaleray.router.Router;
import dev.whaleray.router.core.registry.MemoryRegistry;
import dev.whaleray.router.core.registry.RegistryDiscovery;
import dev.whaleray.router.discovery.Discovery;
import dev.whaleray.router.discovery.DiscoveryContext;
import dev.whaleray.router.discovery.DiscoveryProviders;
import dev.whaleray.router.undertow.RouterHandler;
import dev.whaleray.router.undertow.RouterServer;
import dev.whaleray.router.undertow.testing.TestBackend;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Named ports through DNS end to end (issue #16), composed as the reference router composes it (the
 * {@code cloudmap-dns} discovery behind the admin registry): a real dnsmasq serves {@code demo}'s
 * SRV records and {@code _metrics._tcp.demo}'s, each task's ports are {@link TestBackend}s on
 * 127.0.0.1.
 */
class NamedPortsDnsIT {
  private static final String NS = "whaleray.local";
  private static final HttpClient CLIENT =
      HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

  @TempDir Path dir;

  private static String srv(String name, String target, int port) {
    return "srv-host="
        + name
        + "."
        + NS
        + ","
        + target
        + "."
        + NS
        + ","
        + port
        + ",1,1\n"
        + "host-record="
        + target
        + "."
        + NS
        + ",127.0.0.1\n";
  }

  private static List<String> backendsOf(int port, String path, int n) throws Exception {
    List<String> seen = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      HttpResponse<String> r =
          CLIENT.send(
              HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                  .timeout(Duration.ofSeconds(10))
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      assertThat(r.statusCode()).as(path + ": " + r.body()).isEqualTo(200);
      seen.add(r.headers().firstValue("X-Backend").orElseThrow());
    }
    return seen;
  }

  @Test
  void portRoutesFollowThePerPortSrvNames() throws Exception {
    Dnsmasq.assumeInstalled();
    ScheduledExecutorService scheduler = Executors.newScheduledThreadPool(2);
    try (TestBackend app1 = TestBackend.start("app-1");
        TestBackend app2 = TestBackend.start("app-2");
        TestBackend metrics1 = TestBackend.start("metrics-1");
        TestBackend metrics2 = TestBackend.start("metrics-2");
        Dnsmasq dns =
            Dnsmasq.start(
                dir,
                NS,
                srv("demo", "task-1.demo", app1.port())
                    + srv("demo", "task-2.demo", app2.port())
                    + srv("_metrics._tcp.demo", "task-1.demo", metrics1.port())
                    + srv("_metrics._tcp.demo", "task-2.demo", metrics2.port()),
                "");
        MemoryRegistry registry = MemoryRegistry.create(scheduler)) {
      Discovery dnsDiscovery =
          DiscoveryProviders.get("cloudmap-dns")
              .newDiscovery(
                  DiscoveryContext.builder()
                      .settings(Map.of("namespace", NS, "dnsServers", dns.address()))
                      .scheduler(scheduler)
                      .build());
      try (RouterHandler handler =
              RouterHandler.builder()
                  .router(Router.defaultRoutes())
                  .discovery(RegistryDiscovery.of(dnsDiscovery, registry, scheduler))
                  .build();
          RouterServer server = RouterServer.builder(handler).host("127.0.0.1").port(0).start()) {
        int port = server.port();
        assertThat(dns.queries("SRV", "_metrics._tcp.demo." + NS)).isZero();

        List<String> metrics = backendsOf(port, "/services/demo:metrics/x", 4);
        assertThat(metrics).containsOnly("metrics-1", "metrics-2");
        assertThat(metrics.get(0)).isNotEqualTo(metrics.get(1));
        assertThat(backendsOf(port, "/services/demo/x", 2))
            .containsExactlyInAnyOrder("app-1", "app-2");
        assertThat(dns.queries("SRV", "_metrics._tcp.demo." + NS)).isPositive();
        assertThat(dns.queries("SRV", "_grpc._tcp.demo." + NS)).isZero();

        HttpResponse<String> grpc =
            CLIENT.send(
                HttpRequest.newBuilder(
                        URI.create("http://127.0.0.1:" + port + "/services/demo:grpc/"))
                    .build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(grpc.statusCode()).isEqualTo(502);
        assertThat(grpc.body())
            .contains("no endpoint of service 'demo' has port 'grpc'")
            .contains("\"port\":\"grpc\"");
      }
    } finally {
      scheduler.shutdownNow();
    }
  }
}
