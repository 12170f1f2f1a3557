package dev.whaleray.router.undertow;

import static org.assertj.core.api.Assertions.assertThat;

import dev.whaleray.router.Endpoint;
import dev.whaleray.router.Route;
import dev.whaleray.router.Router;
import dev.whaleray.router.undertow.testing.CountingListener;
import dev.whaleray.router.undertow.testing.RawHttp;
import dev.whaleray.router.undertow.testing.TestBackend;
import dev.whaleray.router.undertow.testing.TestDiscovery;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Several ports per task (issue #16): two instances of {@code demo}, each an app, a metrics and a
 * gRPC-port backend on 127.0.0.1; every route reaches the right port of every instance, and a port
 * that no endpoint has is refused without a connection.
 */
class NamedPortsIT {
  static final List<TestBackend> backends = new ArrayList<>();
  static TestBackend app1, metrics1, grpc1, app2, metrics2, grpc2;
  static TestDiscovery discovery;
  static RouterHandler handler;
  static RouterServer server;
  static final HttpClient client = HttpClient.newHttpClient();

  @BeforeAll
  static void start() {
    app1 = start("app-1");
    metrics1 = start("metrics-1");
    grpc1 = start("grpc-1");
    app2 = start("app-2");
    metrics2 = start("metrics-2");
    grpc2 = start("grpc-2");
    discovery =
        new TestDiscovery()
            .set("demo", List.of(instance(app1, metrics1, grpc1), instance(app2, metrics2, grpc2)))
            .set("plain", List.of(Endpoint.parse(app1.address())));
    handler =
        RouterHandler.builder()
            .router(
                Router.builder()
                    .route(Route.host("metrics.example.com", "demo").withPort("metrics"))
                    .route(Route.host("{port}--{service}.apps.example.com"))
                    .route(Route.path("/services/{service}"))
                    .build())
            .discovery(discovery)
            .build();
    server = RouterServer.builder(handler).host("127.0.0.1").port(0).start();
  }

  private static TestBackend start(String name) {
    TestBackend b = TestBackend.start(name);
    backends.add(b);
    return b;
  }

  private static Endpoint instance(TestBackend app, TestBackend metrics, TestBackend grpc) {
    return Endpoint.builder("127.0.0.1", app.port())
        .port("metrics", metrics.port())
        .port("grpc", grpc.port())
        .build();
  }

  @AfterAll
  static void stop() {
    server.close();
    handler.close();
    discovery.close();
    backends.forEach(TestBackend::close);
  }

  private static HttpResponse<String> get(String path) throws Exception {
    return client.send(
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + path)).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private static List<String> backendsOf(String path, int n) throws Exception {
    List<String> seen = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      HttpResponse<String> r = get(path);
      assertThat(r.statusCode()).as(path + " " + r.body()).isEqualTo(200);
      seen.add(r.headers().firstValue("X-Backend").orElseThrow());
    }
    return seen;
  }

  @Test
  void eachPortRouteReachesThatPortOfEveryInstanceInTurn() throws Exception {
    assertThat(backendsOf("/services/demo:metrics/x", 4))
        .containsOnly("metrics-1", "metrics-2")
        .satisfies(l -> assertThat(l.get(0)).isNotEqualTo(l.get(1)))
        .satisfies(l -> assertThat(l.get(1)).isNotEqualTo(l.get(2)));
    assertThat(backendsOf("/services/demo:grpc/x", 4))
        .containsOnly("grpc-1", "grpc-2")
        .satisfies(l -> assertThat(l.get(0)).isNotEqualTo(l.get(1)));
    assertThat(backendsOf("/services/demo/x", 4))
        .containsOnly("app-1", "app-2")
        .satisfies(l -> assertThat(l.get(0)).isNotEqualTo(l.get(1)));
  }

  @Test
  void aNumberThatIsAnInstancesPortReachesOnlyThatInstance() throws Exception {
    assertThat(backendsOf("/services/demo:" + metrics2.port() + "/x", 3)).containsOnly("metrics-2");
  }

  private static List<String> backendsByHost(String host, int n) throws Exception {
    List<String> seen = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      RawHttp.Response r =
          RawHttp.exchange(
              server.port(), "GET /x HTTP/1.1\r\nHost: " + host + "\r\nConnection: close\r\n\r\n");
      assertThat(r.status).as(host + " " + r.body).isEqualTo(200);
      seen.add(r.header("X-Backend"));
    }
    return seen;
  }

  @Test
  void hostTemplateAndFixedPortRoutes() throws Exception {
    assertThat(backendsByHost("grpc--demo.apps.example.com", 4)).containsOnly("grpc-1", "grpc-2");
    assertThat(backendsByHost("metrics.example.com", 4)).containsOnly("metrics-1", "metrics-2");
  }

  @Test
  void aNumberNoEndpointHasIs502AndNoConnection() throws Exception {
    try (CountingListener bystander = CountingListener.start()) {
      int port = bystander.port();
      HttpResponse<String> r = get("/services/demo:" + port + "/x");

      assertThat(r.statusCode()).isEqualTo(502);
      assertThat(r.headers().firstValue("Content-Type")).hasValue("application/json");
      assertThat(r.body())
          .isEqualTo(
              "{\"error\":\"no endpoint of service 'demo' has port '"
                  + port
                  + "'\",\"service\":\"demo\",\"port\":\""
                  + port
                  + "\",\"status\":502}\n");
      assertThat(bystander.accepted()).isZero();
    }
  }

  @Test
  void sshPortAndUnknownNamesAre502NamingServiceAndPort() throws Exception {
    HttpResponse<String> ssh = get("/services/demo:22/");
    assertThat(ssh.statusCode()).isEqualTo(502);
    assertThat(ssh.body()).contains("no endpoint of service 'demo' has port '22'");

    HttpResponse<String> admin = get("/services/plain:metrics/");
    assertThat(admin.statusCode()).isEqualTo(502);
    assertThat(admin.body())
        .contains("\"error\":\"no endpoint of service 'plain' has port 'metrics'\"")
        .contains("\"service\":\"plain\"")
        .contains("\"port\":\"metrics\"");
  }

  @Test
  void aMalformedPortIs400() throws Exception {
    HttpResponse<String> r = get("/services/demo:bad_port/");
    assertThat(r.statusCode()).isEqualTo(400);
    assertThat(r.body()).contains("invalid port 'bad_port'").contains("\"service\":\"demo\"");
    assertThat(get("/services/demo:99999/").statusCode()).isEqualTo(400);
  }

  @Test
  void unknownServiceWithAPortIsStillUnknown() throws Exception {
    HttpResponse<String> r = get("/services/nope:metrics/");
    assertThat(r.statusCode()).isEqualTo(502);
    assertThat(r.body()).contains("unknown service");
  }
}
