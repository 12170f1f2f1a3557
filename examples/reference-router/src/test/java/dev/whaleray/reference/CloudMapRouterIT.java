package dev.whaleray.reference;

import static org.assertj.core.api.Assertions.assertThat;

import dev.whaleray.discovery.cloudmap.api.testing.CloudMapStub;
import dev.whaleray.discovery.cloudmap.api.testing.CloudMapStub.Instance;
import dev.whaleray.discovery.cloudmap.testing.Dnsmasq;
import dev.whaleray.router.undertow.testing.TestBackend;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The reference router's jar run as ECS runs it, with each Cloud Map discovery configured by the
 * environment variables of the README's task definition: {@code cloudmap-dns} against a real
 * dnsmasq, {@code cloudmap-api} with the real AWS SDK against {@link CloudMapStub}, both proxying
 * to real backends on 127.0.0.1.
 */
class CloudMapRouterIT {
  private static final Duration WAIT = Duration.ofSeconds(10);
  private static final String NS = "whaleray.local";
  private static final HttpClient CLIENT =
      HttpClient.newBuilder()
          .version(HttpClient.Version.HTTP_1_1)
          .connectTimeout(Duration.ofSeconds(2))
          .build();

  @TempDir Path dir;

  private static HttpResponse<String> get(int port, String path) throws Exception {
    return CLIENT.send(
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).timeout(WAIT).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  /** The backends that answered {@code n} requests to {@code path}. */
  private static Set<String> backendsOf(int port, String path, int n) throws Exception {
    Set<String> names = new HashSet<>();
    for (int i = 0; i < n; i++) {
      HttpResponse<String> r = get(port, path);
      assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
      names.add(r.headers().firstValue("X-Backend").orElseThrow());
    }
    return names;
  }

  private static void awaitBackends(int port, String path, Set<String> expected) throws Exception {
    long deadline = System.nanoTime() + WAIT.toNanos();
    Set<String> seen = Set.of();
    while (System.nanoTime() < deadline) {
      seen = backendsOf(port, path, 6);
      if (seen.equals(expected)) {
        return;
      }
      Thread.sleep(100);
    }
    throw new AssertionError("expected backends " + expected + ", last saw " + seen);
  }

  @Test
  void cloudmapDnsRoutesToSrvPortsAndARecordsAndFollowsChanges() throws Exception {
    Dnsmasq.assumeInstalled();
    try (TestBackend task1 = TestBackend.start("orders-1");
        TestBackend task2 = TestBackend.start("orders-2");
        TestBackend catalog = TestBackend.start("catalog");
        Dnsmasq dns =
            Dnsmasq.start(
                dir,
                NS,
                srv("task-1", task1.port()) + srv("task-2", task2.port()),
                "127.0.0.1 catalog." + NS + "\n")) {
      int port = RouterProcess.freePort();
      Map<String, String> env = new HashMap<>();
      env.put("WHALERAY_PORT", Integer.toString(port));
      env.put("WHALERAY_ADMIN_PORT", "0");
      env.put("WHALERAY_DISCOVERY", "cloudmap-dns");
      env.put("WHALERAY_NAMESPACE", NS);
      env.put("WHALERAY_DNS_SERVERS", dns.address());
      env.put("WHALERAY_DNS_VALID", "1s");
      env.put("WHALERAY_BACKEND_PORT", Integer.toString(catalog.port()));
      try (RouterProcess router = RouterProcess.start(env)) {
        router.awaitHealthy(port, Duration.ofSeconds(20));

        // SRV: both tasks, each on its own dynamic port, in turn.
        assertThat(backendsOf(port, "/services/orders/items?x=1", 4))
            .containsExactlyInAnyOrder("orders-1", "orders-2");
        HttpResponse<String> echo = get(port, "/services/orders/items?x=1");
        assertThat(echo.body()).contains(" GET /items?x=1\n");
        // A records: WHALERAY_BACKEND_PORT.
        assertThat(backendsOf(port, "/services/catalog/", 2)).containsExactly("catalog");
        // NXDOMAIN: 502 with a JSON error naming the service.
        HttpResponse<String> missing = get(port, "/services/missing/");
        assertThat(missing.statusCode()).isEqualTo(502);
        assertThat(missing.body()).contains("\"service\":\"missing\"").contains("unknown service");

        // Task 2 stops and its SRV record goes: traffic follows within valid + refresh.
        dns.restart(srv("task-1", task1.port()));
        awaitBackends(port, "/services/orders/", Set.of("orders-1"));

        // The resolver dies: lookups fail (answers are valid 1 s), the last good endpoints stay.
        dns.stop();
        Thread.sleep(2500);
        assertThat(backendsOf(port, "/services/orders/", 3)).containsExactly("orders-1");
        assertThat(router.stdout()).contains("discovery of orders failed (keeping last endpoints)");

        assertThat(router.stderr()).doesNotContain("SLF4J");
        assertThat(router.stdout()).contains("discovery cloudmap-dns");
        router.sigterm();
        assertThat(router.awaitExit(Duration.ofSeconds(10))).isZero();
      }
      assertThat(dns.queries("SRV", "orders." + NS)).isGreaterThanOrEqualTo(2);
    }
  }

  private static String srv(String task, int port) {
    return "srv-host=orders."
        + NS
        + ","
        + task
        + ".orders."
        + NS
        + ","
        + port
        + ",1,1\nhost-record="
        + task
        + ".orders."
        + NS
        + ",127.0.0.1\n";
  }

  @Test
  void cloudmapApiRoutesToInstancePortsWithTheSdkDefaultChains() throws Exception {
    try (TestBackend task1 = TestBackend.start("orders-1");
        TestBackend task2 = TestBackend.start("orders-2");
        CloudMapStub stub = CloudMapStub.start()) {
      stub.service(
          NS,
          "orders",
          1,
          Instance.healthy("task-1", "127.0.0.1", task1.port(), "AVAILABILITY_ZONE", "us-east-1a"),
          Instance.healthy("task-2", "127.0.0.1", task2.port(), "AVAILABILITY_ZONE", "us-east-1b"),
          Instance.of("task-3", "UNHEALTHY", "127.0.0.1", 9)); // filtered out: HEALTHY_OR_ELSE_ALL
      int port = RouterProcess.freePort();
      Map<String, String> env = new HashMap<>();
      env.put("WHALERAY_PORT", Integer.toString(port));
      env.put("WHALERAY_ADMIN_PORT", "0");
      env.put("WHALERAY_DISCOVERY", "cloudmap-api");
      env.put("WHALERAY_NAMESPACE", NS);
      env.put("WHALERAY_CLOUDMAP_ENDPOINT", stub.endpoint().toString());
      env.put("WHALERAY_CLOUDMAP_REFRESH", "200ms");
      // The SDK's default chains, as an ECS task's environment feeds them.
      env.put("AWS_REGION", "us-east-1");
      env.put("AWS_ACCESS_KEY_ID", "AKIDROUTER");
      env.put("AWS_SECRET_ACCESS_KEY", "secret");
      env.put("AWS_EC2_METADATA_DISABLED", "true"); // never leave the loopback in tests
      try (RouterProcess router = RouterProcess.start(env)) {
        router.awaitHealthy(port, Duration.ofSeconds(20));

        assertThat(backendsOf(port, "/services/orders/", 4))
            .containsExactlyInAnyOrder("orders-1", "orders-2");
        HttpResponse<String> missing = get(port, "/services/missing/");
        assertThat(missing.statusCode()).isEqualTo(502);
        assertThat(missing.body()).contains("\"service\":\"missing\"");

        // Task 1 deregisters: the revision changes and traffic follows.
        stub.service(
            NS,
            "orders",
            2,
            Instance.healthy(
                "task-2", "127.0.0.1", task2.port(), "AVAILABILITY_ZONE", "us-east-1b"));
        awaitBackends(port, "/services/orders/", Set.of("orders-2"));

        assertThat(router.stderr()).doesNotContain("SLF4J");
        router.sigterm();
        assertThat(router.awaitExit(Duration.ofSeconds(10))).isZero();
      }
      assertThat(stub.problems()).isEmpty();
      assertThat(stub.revisionCalls()).isGreaterThan(0);
      for (CloudMapStub.Request r : stub.requests()) {
        assertThat(r.host()).isEqualTo("127.0.0.1:" + stub.port());
        assertThat(r.auth()).contains("AKIDROUTER/").contains("/us-east-1/servicediscovery/");
        if (r.operation().equals("DiscoverInstances")) {
          assertThat(r.body()).containsEntry("HealthStatus", "HEALTHY_OR_ELSE_ALL");
        }
      }
    }
  }
}
