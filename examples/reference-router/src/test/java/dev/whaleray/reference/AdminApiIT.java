package dev.whaleray.reference;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.whaleray.discovery.cloudmap.api.testing.CloudMapStub;
import dev.whaleray.router.undertow.testing.TestBackend;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The admin API of the reference router's jar, run as a separate process: tokens, input checks,
 * registered endpoints routed and dropped (TTL, DELETE with requests in flight), and registrations
 * shared between two routers through Cloud Map ({@link CloudMapStub}, the real AWS SDK).
 */
class AdminApiIT {
  private static final String TOKEN = "s3cret-admin-token";
  private static final Duration WAIT = Duration.ofSeconds(10);
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final HttpClient CLIENT =
      HttpClient.newBuilder()
          .version(HttpClient.Version.HTTP_1_1)
          .connectTimeout(Duration.ofSeconds(2))
          .build();

  @TempDir Path dir;

  /** A router over static discovery ({@code app} = {@code app}), with an admin port. */
  private record Router(RouterProcess process, int port, int admin) implements AutoCloseable {
    @Override
    public void close() {
      process.close();
    }
  }

  private Router start(TestBackend app, Map<String, String> more) throws Exception {
    Path config = dir.resolve("router-" + System.nanoTime() + ".yaml");
    Files.writeString(
        config, "discovery:\n  type: static\n  static:\n    app: [ \"" + app.address() + "\" ]\n");
    Map<String, String> env = new HashMap<>(more);
    env.put("WHALERAY_CONFIG", config.toString());
    return start(env);
  }

  private static Router start(Map<String, String> more) throws Exception {
    int port = RouterProcess.freePort();
    int admin = RouterProcess.freePort();
    Map<String, String> env = new HashMap<>(more);
    env.put("WHALERAY_PORT", Integer.toString(port));
    env.put("WHALERAY_ADMIN_PORT", Integer.toString(admin));
    RouterProcess p = RouterProcess.start(env);
    p.awaitHealthy(port, Duration.ofSeconds(20));
    // The admin listener opens just after the traffic one.
    long deadline = System.nanoTime() + WAIT.toNanos();
    while (!RouterProcess.accepts(admin) && System.nanoTime() < deadline) {
      Thread.sleep(10);
    }
    return new Router(p, port, admin);
  }

  private static HttpResponse<String> send(HttpRequest.Builder b) throws Exception {
    return CLIENT.send(b.timeout(WAIT).build(), HttpResponse.BodyHandlers.ofString());
  }

  private static HttpRequest.Builder admin(Router r, String path) {
    return HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + r.admin() + "/admin" + path));
  }

  private static HttpResponse<String> put(Router r, String path, String body, String token)
      throws Exception {
    HttpRequest.Builder b =
        admin(r, path)
            .header("Content-Type", "application/json")
            .PUT(HttpRequest.BodyPublishers.ofString(body));
    if (token != null) {
      b.header("Authorization", "Bearer " + token);
    }
    return send(b);
  }

  private static HttpResponse<String> delete(Router r, String path, String token) throws Exception {
    HttpRequest.Builder b = admin(r, path).DELETE();
    if (token != null) {
      b.header("Authorization", "Bearer " + token);
    }
    return send(b);
  }

  private static HttpResponse<String> get(Router r, String path) throws Exception {
    return send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + r.port() + path)));
  }

  private static String backendOf(HttpResponse<String> r) {
    return r.headers().firstValue("X-Backend").orElse("status " + r.statusCode());
  }

  /** Milliseconds until {@code path} is answered by {@code backend}; fails after {@code max}. */
  private static long awaitRoutedTo(Router r, String path, String backend, Duration max)
      throws Exception {
    long start = System.nanoTime();
    long deadline = start + max.toNanos();
    String last = "";
    while (System.nanoTime() < deadline) {
      HttpResponse<String> answer = get(r, path);
      last = answer.statusCode() + " " + backendOf(answer);
      if (answer.statusCode() == 200 && backendOf(answer).equals(backend)) {
        return (System.nanoTime() - start) / 1_000_000;
      }
      Thread.sleep(20);
    }
    throw new AssertionError(path + " not routed to " + backend + " within " + max + "; " + last);
  }

  /** Milliseconds until {@code path} is answered {@code status}; fails after {@code max}. */
  private static long awaitStatus(Router r, String path, int status, Duration max)
      throws Exception {
    long start = System.nanoTime();
    long deadline = start + max.toNanos();
    int last = 0;
    while (System.nanoTime() < deadline) {
      last = get(r, path).statusCode();
      if (last == status) {
        return (System.nanoTime() - start) / 1_000_000;
      }
      Thread.sleep(20);
    }
    throw new AssertionError(path + " not answered " + status + " within " + max + "; " + last);
  }

  private static void assertError(HttpResponse<String> r, int status, String field)
      throws Exception {
    assertThat(r.statusCode()).as(r.body()).isEqualTo(status);
    assertThat(r.headers().firstValue("Content-Type")).hasValue("application/json");
    JsonNode body = JSON.readTree(r.body());
    assertThat(body.path("error").asText()).isNotEmpty();
    if (field != null) {
      assertThat(body.path("field").asText()).as(r.body()).isEqualTo(field);
      assertThat(body.path("error").asText()).startsWith(field + ":");
    }
  }

  @Test
  void writesNeedTheTokenAndNameTheBadField() throws Exception {
    try (TestBackend app = TestBackend.start("app");
        Router r = start(app, Map.of("WHALERAY_ADMIN_TOKEN", TOKEN))) {
      String path = "/services/shop/endpoints/" + app.address();
      HttpResponse<String> none = put(r, path, "{\"ttl\":\"30s\"}", null);
      assertError(none, 401, null);
      assertThat(none.headers().firstValue("WWW-Authenticate")).hasValue("Bearer");
      assertError(put(r, path, "{\"ttl\":\"30s\"}", TOKEN + "x"), 401, null);
      assertError(put(r, path, "{\"ttl\":\"30s\"}", TOKEN.substring(1)), 401, null);
      assertError(delete(r, path, "wrong"), 401, null);
      // Not routed: a refused write changed nothing.
      assertThat(get(r, "/services/shop/").statusCode()).isEqualTo(502);

      assertError(put(r, path, "{\"ttl\":\"soon\"}", TOKEN), 400, "ttl");
      assertError(put(r, path, "{\"ttl\":\"0s\"}", TOKEN), 400, "ttl");
      assertError(put(r, path, "{\"ttl\":\"30s\",\"weight\":-1}", TOKEN), 400, "weight");
      assertError(put(r, path, "{\"weight\":1.5}", TOKEN), 400, "weight");
      assertError(put(r, path, "{\"weight\":\"2\"}", TOKEN), 400, "weight");
      assertError(put(r, path, "{\"zone\":\"us east\"}", TOKEN), 400, "zone");
      assertError(put(r, path, "{\"colour\":\"red\"}", TOKEN), 400, "colour");
      assertError(put(r, path, "[1]", TOKEN), 400, "body");
      assertError(put(r, path, "{", TOKEN), 400, "body");
      assertError(put(r, "/services/shop/endpoints/bad_host:80", "{}", TOKEN), 400, "host");
      assertError(put(r, "/services/shop/endpoints/127.0.0.1:70000", "{}", TOKEN), 400, "port");
      assertError(put(r, "/services/shop/endpoints/127.0.0.1:x", "{}", TOKEN), 400, "port");
      assertError(put(r, "/services/shop/endpoints/127.0.0.1", "{}", TOKEN), 400, "address");
      assertError(
          put(r, "/services/-shop/endpoints/" + app.address(), "{}", TOKEN), 400, "service");
      assertError(
          put(r, "/services/" + "a".repeat(64) + "/endpoints/" + app.address(), "{}", TOKEN),
          400,
          "service");
      assertError(delete(r, "/services/shop/endpoints/" + app.address(), TOKEN), 404, null);

      HttpResponse<String> ok =
          put(r, path, "{\"ttl\":\"30s\",\"weight\":3,\"zone\":\"us-east-1a\"}", TOKEN);
      assertThat(ok.statusCode()).as(ok.body()).isEqualTo(200);
      JsonNode registered = JSON.readTree(ok.body());
      assertThat(registered.path("weight").asInt()).isEqualTo(3);
      assertThat(registered.path("zone").asText()).isEqualTo("us-east-1a");
      assertThat(registered.path("ttl").asText()).isEqualTo("30s");
      awaitRoutedTo(r, "/services/shop/", "app", Duration.ofSeconds(1));
      assertThat(get(r, "/services/app/").statusCode()).isEqualTo(200);

      HttpResponse<String> list = send(admin(r, "/services"));
      assertThat(list.statusCode()).isEqualTo(200);
      JsonNode services = JSON.readTree(list.body()).path("services");
      Map<String, JsonNode> byName = new HashMap<>();
      services.forEach(s -> byName.put(s.path("service").asText(), s));
      assertThat(byName).containsKeys("app", "shop");
      JsonNode shop = byName.get("shop").path("endpoints").get(0);
      assertThat(shop.path("address").asText()).isEqualTo(app.address());
      assertThat(shop.path("weight").asInt()).isEqualTo(3);
      assertThat(shop.path("zone").asText()).isEqualTo("us-east-1a");
      assertThat(shop.path("health").asText()).isEqualTo("healthy");
      assertThat(shop.path("inFlight").asInt()).isZero();
      assertThat(shop.path("source").asText()).isEqualTo("registry");
      assertThat(shop.path("expiresAt").asText()).isNotEmpty();
      JsonNode appEndpoint = byName.get("app").path("endpoints").get(0);
      assertThat(appEndpoint.path("source").asText()).isEqualTo("static");
      assertThat(appEndpoint.path("zone").isNull()).isTrue();
      // The listing is for everyone on the admin port; writes only for the token.
      assertThat(send(admin(r, "/services").POST(HttpRequest.BodyPublishers.noBody())).statusCode())
          .isEqualTo(405);
      assertThat(send(admin(r, "/nothing")).statusCode()).isEqualTo(404);
    }
  }

  @Test
  void aRegistrationsNamedPortsAreRoutedAndListed() throws Exception {
    try (TestBackend app = TestBackend.start("app");
        TestBackend metrics = TestBackend.start("metrics");
        Router r = start(app, Map.of("WHALERAY_ADMIN_TOKEN", TOKEN))) {
      String path = "/services/shop/endpoints/" + app.address();
      assertError(put(r, path, "{\"ports\":{\"Bad_Name\":1}}", TOKEN), 400, "ports");
      assertError(put(r, path, "{\"ports\":{\"metrics\":0}}", TOKEN), 400, "ports.metrics");
      HttpResponse<String> ok =
          put(r, path, "{\"ttl\":\"30s\",\"ports\":{\"metrics\":" + metrics.port() + "}}", TOKEN);
      assertThat(ok.statusCode()).as(ok.body()).isEqualTo(200);
      assertThat(JSON.readTree(ok.body()).path("ports").path("metrics").asInt())
          .isEqualTo(metrics.port());

      awaitRoutedTo(r, "/services/shop:metrics/", "metrics", Duration.ofSeconds(1));
      awaitRoutedTo(r, "/services/shop/", "app", Duration.ofSeconds(1));
      HttpResponse<String> grpc = get(r, "/services/shop:grpc/");
      assertThat(grpc.statusCode()).isEqualTo(502);
      assertThat(grpc.body()).contains("no endpoint of service 'shop' has port 'grpc'");

      JsonNode services = JSON.readTree(send(admin(r, "/services")).body()).path("services");
      JsonNode shop = null;
      for (JsonNode s : services) {
        if (s.path("service").asText().equals("shop")) {
          shop = s;
        }
      }
      assertThat(shop).isNotNull();
      assertThat(shop.path("endpoints").get(0).path("address").asText()).isEqualTo(app.address());
      assertThat(shop.path("endpoints").get(0).path("ports").path("metrics").asInt())
          .isEqualTo(metrics.port());
      assertThat(shop.path("portsInUse").toString()).contains("metrics");
    }
  }

  @Test
  void withoutATokenWritesAreForbidden() throws Exception {
    try (TestBackend app = TestBackend.start("app");
        Router r = start(app, Map.of())) {
      String path = "/services/shop/endpoints/" + app.address();
      assertError(put(r, path, "{\"ttl\":\"30s\"}", null), 403, null);
      assertError(put(r, path, "{\"ttl\":\"30s\"}", "anything"), 403, null);
      assertError(delete(r, path, "anything"), 403, null);
      assertThat(send(admin(r, "/services")).statusCode()).isEqualTo(200);
      assertThat(get(r, "/services/shop/").statusCode()).isEqualTo(502);
    }
  }

  @Test
  void aRegisteredEndpointIsRoutedWithinASecondAndDroppedWhenItsTtlLapses() throws Exception {
    try (TestBackend app = TestBackend.start("app");
        TestBackend session = TestBackend.start("session");
        Router r = start(app, Map.of("WHALERAY_ADMIN_TOKEN", TOKEN))) {
      // A new service, and one more endpoint of a configured one.
      assertThat(get(r, "/services/notebook/").statusCode()).isEqualTo(502); // negatively cached
      String nb = "/services/notebook/endpoints/" + session.address();
      assertThat(put(r, nb, "{\"ttl\":\"2s\"}", TOKEN).statusCode()).isEqualTo(200);
      long newService = awaitRoutedTo(r, "/services/notebook/", "session", Duration.ofSeconds(1));
      String extra = "/services/app/endpoints/" + session.address();
      assertThat(put(r, extra, "{\"ttl\":\"2s\"}", TOKEN).statusCode()).isEqualTo(200);
      long known = awaitRoutedTo(r, "/services/app/", "session", Duration.ofSeconds(1));
      Set<String> both = new HashSet<>();
      for (int i = 0; i < 6; i++) {
        both.add(backendOf(get(r, "/services/app/")));
      }
      assertThat(both).containsExactlyInAnyOrder("app", "session");

      // Heartbeats every 500 ms keep it routed for 4 s, twice its TTL.
      long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(4);
      int answered = 0;
      long lastSent = 0; // before the last heartbeat: the router received it after this
      long lastBeat = 0; // after its answer: the router received it before this
      while (System.nanoTime() < until) {
        if (System.nanoTime() - lastBeat > TimeUnit.MILLISECONDS.toNanos(500)) {
          lastSent = System.nanoTime();
          assertThat(put(r, nb, "{\"ttl\":\"2s\"}", TOKEN).statusCode()).isEqualTo(200);
          lastBeat = System.nanoTime();
        }
        HttpResponse<String> a = get(r, "/services/notebook/");
        assertThat(a.statusCode()).as(a.body()).isEqualTo(200);
        answered++;
        Thread.sleep(50);
      }
      // No more heartbeats: gone within the TTL plus a second.
      awaitStatus(r, "/services/notebook/", 502, Duration.ofSeconds(4));
      long gone = System.nanoTime();
      // Never before the TTL from when the router can have received the last heartbeat (counted
      // from after its answer, a poll just after the expiry could read under 2 s), and within a
      // second and a half of it.
      long lapsed = (gone - lastBeat) / 1_000_000;
      assertThat((gone - lastSent) / 1_000_000).isGreaterThanOrEqualTo(2000L);
      assertThat(lapsed).isLessThanOrEqualTo(3500L);
      Set<String> after = new HashSet<>();
      for (int i = 0; i < 6; i++) {
        after.add(backendOf(get(r, "/services/app/")));
      }
      assertThat(after).containsExactly("app");
      System.out.printf(
          "AdminApiIT: new service routed after %d ms, new endpoint of a known one after %d ms;"
              + " %d requests during heartbeats all 200; unrouted %d ms after the last PUT (ttl"
              + " 2s)%n",
          newService, known, answered, lapsed);
    }
  }

  @Test
  void requestsInFlightToADeletedEndpointComplete() throws Exception {
    try (TestBackend app = TestBackend.start("app");
        TestBackend session = TestBackend.start("session");
        Router r = start(app, Map.of("WHALERAY_ADMIN_TOKEN", TOKEN))) {
      String nb = "/services/notebook/endpoints/" + session.address();
      assertThat(put(r, nb, "{\"ttl\":\"60s\"}", TOKEN).statusCode()).isEqualTo(200);
      awaitRoutedTo(r, "/services/notebook/", "session", Duration.ofSeconds(1));
      int before = session.requests();
      List<CompletableFuture<HttpResponse<String>>> slow = new ArrayList<>();
      for (int i = 0; i < 4; i++) {
        slow.add(
            CLIENT.sendAsync(
                HttpRequest.newBuilder(
                        URI.create(
                            "http://127.0.0.1:" + r.port() + "/services/notebook/slow?ms=2000"))
                    .timeout(WAIT)
                    .build(),
                HttpResponse.BodyHandlers.ofString()));
      }
      long deadline = System.nanoTime() + WAIT.toNanos();
      while (session.requests() < before + 4 && System.nanoTime() < deadline) {
        Thread.sleep(10);
      }
      assertThat(session.requests()).isEqualTo(before + 4);
      JsonNode listed = JSON.readTree(send(admin(r, "/services")).body()).path("services");
      int inFlight = -1;
      for (JsonNode s : listed) {
        if (s.path("service").asText().equals("notebook")) {
          inFlight = s.path("endpoints").get(0).path("inFlight").asInt();
        }
      }
      assertThat(inFlight).isEqualTo(4);

      HttpResponse<String> deleted = delete(r, nb, TOKEN);
      assertThat(deleted.statusCode()).isEqualTo(204);
      assertThat(deleted.body()).isEmpty();
      long gone = awaitStatus(r, "/services/notebook/", 502, Duration.ofSeconds(1));
      for (CompletableFuture<HttpResponse<String>> f : slow) {
        HttpResponse<String> a = f.get(WAIT.toSeconds(), TimeUnit.SECONDS);
        assertThat(a.statusCode()).as(a.body()).isEqualTo(200);
        assertThat(backendOf(a)).isEqualTo("session");
      }
      System.out.printf(
          "AdminApiIT: 4 requests in flight through DELETE all 200; unrouted %d ms after it%n",
          gone);
    }
  }

  @Test
  void aRegistrationThroughRouterAIsRoutedByRouterBThroughCloudMap() throws Exception {
    try (TestBackend session = TestBackend.start("session");
        CloudMapStub stub = CloudMapStub.start()) {
      stub.service("whaleray.local", "notebook", 1);
      Map<String, String> env = new HashMap<>();
      env.put("WHALERAY_DISCOVERY", "cloudmap-api");
      env.put("WHALERAY_NAMESPACE", "whaleray.local");
      env.put("WHALERAY_CLOUDMAP_ENDPOINT", stub.endpoint().toString());
      env.put("WHALERAY_CLOUDMAP_REFRESH", "200ms");
      env.put("WHALERAY_REGISTRY", "cloudmap");
      env.put("WHALERAY_ADMIN_TOKEN", TOKEN);
      env.put("AWS_REGION", "us-east-1");
      env.put("AWS_ACCESS_KEY_ID", "AKIDROUTER");
      env.put("AWS_SECRET_ACCESS_KEY", "secret");
      env.put("AWS_EC2_METADATA_DISABLED", "true");
      try (Router a = start(env);
          Router b = start(env)) {
        assertThat(get(b, "/services/notebook/").statusCode()).isEqualTo(503); // known, empty
        String nb = "/services/notebook/endpoints/" + session.address();
        HttpResponse<String> registered =
            put(a, nb, "{\"ttl\":\"30s\",\"weight\":2,\"zone\":\"us-east-1b\"}", TOKEN);
        assertThat(registered.statusCode()).as(registered.body()).isEqualTo(200);
        long onB = awaitRoutedTo(b, "/services/notebook/", "session", Duration.ofSeconds(2));
        long onA = awaitRoutedTo(a, "/services/notebook/", "session", Duration.ofSeconds(2));

        List<CloudMapStub.Instance> instances = stub.instances("whaleray.local", "notebook");
        assertThat(instances).hasSize(1);
        Map<String, String> attrs = instances.get(0).attributes();
        assertThat(attrs)
            .containsEntry("AWS_INSTANCE_IPV4", "127.0.0.1")
            .containsEntry("AWS_INSTANCE_PORT", Integer.toString(session.port()))
            .containsEntry("WHALERAY_WEIGHT", "2")
            .containsEntry("AVAILABILITY_ZONE", "us-east-1b")
            .containsKey("WHALERAY_EXPIRES_AT");
        JsonNode listed = JSON.readTree(send(admin(b, "/services")).body()).path("services");
        JsonNode ep = null;
        for (JsonNode s : listed) {
          if (s.path("service").asText().equals("notebook")) {
            ep = s.path("endpoints").get(0);
          }
        }
        assertThat(ep).isNotNull();
        assertThat(ep.path("weight").asInt()).isEqualTo(2);
        assertThat(ep.path("zone").asText()).isEqualTo("us-east-1b");
        assertThat(ep.path("source").asText()).isEqualTo("registry");

        // Removed through B: A stops routing it too.
        assertThat(delete(b, nb, TOKEN).statusCode()).isEqualTo(204);
        assertThat(stub.instances("whaleray.local", "notebook")).isEmpty();
        long goneOnA = awaitStatus(a, "/services/notebook/", 503, Duration.ofSeconds(2));

        // A service Cloud Map does not have: 400 naming the service.
        assertError(
            put(a, "/services/other/endpoints/" + session.address(), "{}", TOKEN), 400, "service");
        assertThat(stub.problems()).isEmpty();
        Set<String> operations = new HashSet<>();
        stub.requests().forEach(q -> operations.add(q.operation()));
        assertThat(operations)
            .contains("RegisterInstance", "DeregisterInstance", "ListNamespaces", "ListServices");
        System.out.printf(
            "AdminApiIT: registered through A, routed by B after %d ms and by A after %d ms more;"
                + " deleted through B, unrouted by A after %d ms (refresh 200ms)%n",
            onB, onA, goneOnA);
      }
    }
  }
}
