package dev.whaleray.reference;

import static org.assertj.core.api.Assertions.assertThat;

import dev.whaleray.discovery.cloudmap.api.CloudMapApiDiscovery;
import dev.whaleray.discovery.cloudmap.api.testing.CloudMapStub;
import dev.whaleray.discovery.cloudmap.api.testing.CloudMapStub.Instance;
import dev.whaleray.router.Router;
import dev.whaleray.router.undertow.RouterHandler;
import dev.whaleray.router.undertow.RouterServer;
import dev.whaleray.router.undertow.testing.TestBackend;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.regions.Region;

/**
 * Named ports end to end (issue #16): the {@code cloudmap-api} discovery with the real AWS SDK
 * against {@link CloudMapStub}, three instances of {@code demo} each with {@code PORT_metrics} and
 * {@code PORT_grpc} attributes and a {@link TestBackend} per port, all on 127.0.0.1, behind the
 * router's default route.
 */
class NamedPortsCloudMapIT {
  private static final String NS = "whaleray.local";
  private static final HttpClient CLIENT =
      HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

  private static HttpResponse<String> get(int port, String path) throws Exception {
    return CLIENT.send(
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
            .timeout(Duration.ofSeconds(10))
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private static List<String> backendsOf(int port, String path, int n) throws Exception {
    List<String> seen = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      HttpResponse<String> r = get(port, path);
      assertThat(r.statusCode()).as(path + ": " + r.body()).isEqualTo(200);
      seen.add(r.headers().firstValue("X-Backend").orElseThrow());
    }
    return seen;
  }

  @Test
  void everyPortRouteReachesThatPortOfEveryInstanceInTurn() throws Exception {
    List<TestBackend> backends = new ArrayList<>();
    ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor();
    AtomicInteger bystanderAccepts = new AtomicInteger();
    try (CloudMapStub stub = CloudMapStub.start();
        ServerSocket bystander =
            new ServerSocket(0, 50, java.net.InetAddress.getLoopbackAddress())) {
      Thread acceptor =
          new Thread(
              () -> {
                while (true) {
                  try (java.net.Socket s = bystander.accept()) {
                    bystanderAccepts.incrementAndGet();
                  } catch (java.io.IOException e) {
                    return;
                  }
                }
              });
      acceptor.setDaemon(true);
      acceptor.start();
      Instance[] instances = new Instance[3];
      for (int i = 1; i <= 3; i++) {
        TestBackend app = TestBackend.start("app-" + i);
        TestBackend metrics = TestBackend.start("metrics-" + i);
        TestBackend grpc = TestBackend.start("grpc-" + i);
        backends.addAll(List.of(app, metrics, grpc));
        instances[i - 1] =
            Instance.healthy(
                "task-" + i,
                "127.0.0.1",
                app.port(),
                "PORT_metrics",
                Integer.toString(metrics.port()),
                "PORT_grpc",
                Integer.toString(grpc.port()));
      }
      stub.service(NS, "demo", 1, instances);
      CloudMapApiDiscovery discovery =
          CloudMapApiDiscovery.builder()
              .scheduler(scheduler)
              .namespace(NS)
              .endpoint(stub.endpoint())
              .region(Region.US_EAST_1)
              .credentialsProvider(
                  StaticCredentialsProvider.create(AwsBasicCredentials.create("AKIDTEST", "s")))
              .refresh(Duration.ofMillis(200))
              .build();
      try (RouterHandler handler =
              RouterHandler.builder().router(Router.defaultRoutes()).discovery(discovery).build();
          RouterServer server = RouterServer.builder(handler).host("127.0.0.1").port(0).start()) {
        int port = server.port();

        // Round-robin over the three instances, each route on its own port: every instance once
        // in any three requests in a row.
        List<String> metrics = backendsOf(port, "/services/demo:metrics/x", 6);
        assertThat(metrics.subList(0, 3))
            .containsExactlyInAnyOrder("metrics-1", "metrics-2", "metrics-3");
        assertThat(metrics.subList(3, 6)).isEqualTo(metrics.subList(0, 3));
        assertThat(backendsOf(port, "/services/demo:grpc/x", 3))
            .containsExactlyInAnyOrder("grpc-1", "grpc-2", "grpc-3");
        assertThat(backendsOf(port, "/services/demo/x", 3))
            .containsExactlyInAnyOrder("app-1", "app-2", "app-3");
        for (int i = 0; i < 9; i += 3) {
          TestBackend app = backends.get(i);
          TestBackend m = backends.get(i + 1);
          TestBackend g = backends.get(i + 2);
          assertThat(app.requests()).as(app.name()).isEqualTo(1);
          assertThat(m.requests()).as(m.name()).isEqualTo(2);
          assertThat(g.requests()).as(g.name()).isEqualTo(1);
        }

        // A number that is no instance's port: 502 naming service and port, no connection.
        HttpResponse<String> refused =
            get(port, "/services/demo:" + bystander.getLocalPort() + "/");
        assertThat(refused.statusCode()).isEqualTo(502);
        assertThat(refused.body())
            .contains("no endpoint of service 'demo' has port '" + bystander.getLocalPort() + "'")
            .contains("\"service\":\"demo\"");
        HttpResponse<String> ssh = get(port, "/services/demo:22/");
        assertThat(ssh.statusCode()).isEqualTo(502);
        assertThat(ssh.body()).contains("\"port\":\"22\"");
        assertThat(bystanderAccepts.get()).isZero();
      } finally {
        discovery.close();
      }
    } finally {
      backends.forEach(TestBackend::close);
      scheduler.shutdownNow();
    }
  }
}
