package dev.whaleray.router.undertow;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.whaleray.router.Endpoint;
import dev.whaleray.router.undertow.testing.TestBackend;
import dev.whaleray.router.undertow.testing.TestDiscovery;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Metrics, access log and trace context with real backends: request timers count exactly the
 * requests made per service, route and status class; one JSON access-log line per request with the
 * trace id of its {@code traceparent}; a {@code traceparent} created for a request without one
 * reaches the backend.
 */
class ObservabilityIT {
  private static final ObjectMapper JSON = new ObjectMapper();

  @Test
  void metersAndAccessLogLinesMatchTheRequestsMade() throws Exception {
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    ByteArrayOutputStream logged = new ByteArrayOutputStream();
    Map<String, String> sentTraces = new HashMap<>(); // traceparent sent -> path
    List<String> createdSeenByBackend = new ArrayList<>();
    try (TestBackend a = TestBackend.start("a");
        TestBackend b = TestBackend.start("b")) {
      TestDiscovery discovery =
          new TestDiscovery()
              .set("s", List.of(Endpoint.parse(a.address()), Endpoint.parse(b.address())));
      RouterHandler handler =
          RouterHandler.builder()
              .discovery(discovery)
              .meterRegistry(registry)
              .accessLog(AccessLog.to(logged, 1.0))
              .createTraceparent(true)
              .build();
      int made = 0;
      try (RouterServer server =
          RouterServer.builder(handler).host("127.0.0.1").port(0).ioThreads(2).start()) {
        HttpClient client = HttpClient.newHttpClient();
        String base = "http://127.0.0.1:" + server.port();
        for (int i = 0; i < 30; i++) {
          String tp = String.format("00-%032x-%016x-01", 0xabc000L + i, 0x1000L + i);
          HttpResponse<String> r =
              client.send(
                  HttpRequest.newBuilder(URI.create(base + "/services/s/ok/" + i))
                      .header("traceparent", tp)
                      .build(),
                  HttpResponse.BodyHandlers.ofString());
          assertThat(r.statusCode()).isEqualTo(200);
          assertThat(r.body()).contains("traceparent: " + tp); // passed through untouched
          sentTraces.put(tp.substring(3, 35), "/services/s/ok/" + i);
          made++;
        }
        for (int i = 0; i < 10; i++) {
          HttpResponse<String> r =
              client.send(
                  HttpRequest.newBuilder(URI.create(base + "/services/s/echo")).build(),
                  HttpResponse.BodyHandlers.ofString());
          assertThat(r.statusCode()).isEqualTo(200);
          String line =
              r.body().lines().filter(l -> l.startsWith("traceparent: ")).findFirst().orElseThrow();
          createdSeenByBackend.add(line.substring("traceparent: ".length()));
          made++;
        }
        for (int i = 0; i < 8; i++) {
          assertThat(get(client, base + "/services/s/status/404")).isEqualTo(404);
          made++;
        }
        for (int i = 0; i < 4; i++) {
          assertThat(get(client, base + "/services/s/status/503")).isEqualTo(503);
          made++;
        }
        for (int i = 0; i < 6; i++) {
          assertThat(get(client, base + "/services/nosuch" + i + "/")).isEqualTo(502);
          made++;
        }
        // The last exchange completes on its IO thread just after its answer left: wait for it.
        long settle = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(5);
        while (registry.get("whaleray.requests.active").gauge().value() != 0
            && System.nanoTime() < settle) {
          Thread.sleep(5);
        }
        assertThat(registry.get("whaleray.requests.active").gauge().value()).isZero();
        assertThat(
                registry
                    .get("whaleray.endpoints")
                    .tags("service", "s", "state", "healthy")
                    .gauge()
                    .value())
            .isEqualTo(2);
        // (Read before the handler closes: a closed handler takes its meters away.)
        // Meters: exactly the requests made, by status class; unknown services share one tag.
        assertThat(count(registry, "s", "2xx")).isEqualTo(40);
        assertThat(count(registry, "s", "4xx")).isEqualTo(8);
        assertThat(count(registry, "s", "5xx")).isEqualTo(4);
        assertThat(count(registry, "unknown", "5xx")).isEqualTo(6);
        assertThat(registry.find("whaleray.requests").tag("service", "nosuch0").timers()).isEmpty();
        Counter retries = registry.find("whaleray.upstream.retries").tag("service", "s").counter();
        assertThat(retries).isNotNull();
        assertThat(retries.count()).isZero();
        assertThat(registry.get("whaleray.discovery.lookup").tag("service", "s").timer().count())
            .isEqualTo(1);
      } finally {
        handler.close(); // writes what the access log queued
        discovery.close();
      }

      // A closed handler leaves no meters of its services behind (it may be built again).
      assertThat(registry.find("whaleray.requests").timers()).isEmpty();
      assertThat(registry.find("whaleray.upstream.retries").counters()).isEmpty();

      // Access log: one JSON line per request, each trace id the one its request carried.
      String[] lines = logged.toString(StandardCharsets.UTF_8).split("\n");
      assertThat(lines).hasSize(made);
      int traced = 0;
      int created = 0;
      for (String line : lines) {
        JsonNode n = JSON.readTree(line);
        assertThat(n.get("method").asText()).isEqualTo("GET");
        assertThat(n.get("time").asText()).endsWith("Z");
        assertThat(n.get("client").asText()).isEqualTo("127.0.0.1");
        assertThat(n.get("totalMs").asDouble()).isGreaterThan(0);
        String path = n.get("path").asText();
        if (path.startsWith("/services/s/ok/")) {
          assertThat(sentTraces.get(n.get("traceId").asText())).isEqualTo(path);
          assertThat(n.get("status").asInt()).isEqualTo(200);
          assertThat(n.get("service").asText()).isEqualTo("s");
          assertThat(n.get("endpoint").asText()).isIn(a.address(), b.address());
          assertThat(n.get("bytesOut").asLong()).isGreaterThan(0);
          assertThat(n.get("retries").asInt()).isZero();
          traced++;
        } else if (path.equals("/services/s/echo")) {
          String id = n.get("traceId").asText();
          assertThat(createdSeenByBackend).anyMatch(tp -> tp.substring(3, 35).equals(id));
          created++;
        }
      }
      assertThat(traced).isEqualTo(30);
      assertThat(created).isEqualTo(10);
    }
  }

  private static long count(SimpleMeterRegistry registry, String service, String status) {
    long n = 0;
    for (Timer t :
        registry.find("whaleray.requests").tag("service", service).tag("status", status).timers()) {
      n += t.count();
    }
    return n;
  }

  private static int get(HttpClient client, String uri) throws Exception {
    return client
        .send(HttpRequest.newBuilder(URI.create(uri)).build(), HttpResponse.BodyHandlers.ofString())
        .statusCode();
  }
}
