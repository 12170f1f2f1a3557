package dev.whaleray.reference;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.whaleray.router.undertow.testing.TestBackend;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The reference router's jar as operators run it: {@code GET /metrics} on the admin port parsed by
 * the Prometheus project's own text-format parser (python3-prometheus-client) reads exactly the
 * requests made per status class and a p99 that matches a backend sleeping 50 ms; the access log on
 * stdout has one JSON line per request with the trace id its request carried.
 */
class ObservabilityRouterIT {
  private static final Path PYTHON = Path.of("/usr/bin/python3");
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final HttpClient CLIENT =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

  @TempDir Path dir;

  record Sample(String name, Map<String, String> labels, double value) {}

  @Test
  void metricsReadTheRequestsMadeAndTheAccessLogHasALinePerRequest() throws Exception {
    assumeThat(parserAvailable()).as("python3-prometheus-client (.ci/run installs it)").isTrue();
    try (TestBackend app = TestBackend.start("app")) {
      int port = RouterProcess.freePort();
      int admin = RouterProcess.freePort();
      Path config = dir.resolve("router.yaml");
      String backend = "[ \"" + app.address() + "\" ]";
      Files.writeString(
          config, "discovery:\n  static:\n    app: " + backend + "\n    slow: " + backend + "\n");
      try (RouterProcess router =
          RouterProcess.start(
              Map.of("WHALERAY_PORT", "" + port, "WHALERAY_ADMIN_PORT", "" + admin),
              "--config",
              config.toString())) {
        router.awaitHealthy(port, Duration.ofSeconds(20));
        Set<String> traces = new HashSet<>();
        for (int i = 0; i < 40; i++) {
          String tp = String.format("00-%032x-%016x-01", 0x5eed0000L + i, 0x77L + i);
          traces.add(tp.substring(3, 35));
          assertThat(get(port, "/services/app/ok/" + i, tp)).isEqualTo(200);
        }
        for (int i = 0; i < 10; i++) {
          assertThat(get(port, "/services/app/status/404", null)).isEqualTo(404);
        }
        for (int i = 0; i < 20; i++) {
          assertThat(get(port, "/services/app/slow?ms=50", null)).isEqualTo(200);
        }
        for (int i = 0; i < 100; i++) { // a service of its own whose backend sleeps 50 ms
          assertThat(get(port, "/services/slow/slow?ms=50", null)).isEqualTo(200);
        }
        for (int i = 0; i < 3; i++) {
          assertThat(get(port, "/services/nope/", null)).isEqualTo(502);
        }
        List<Sample> samples = scrape(admin);

        assertThat(requests(samples, "app", "2xx")).isEqualTo(60);
        assertThat(requests(samples, "app", "4xx")).isEqualTo(10);
        assertThat(requests(samples, "unknown", "5xx")).isEqualTo(3);
        assertThat(samples).noneMatch(s -> "nope".equals(s.labels().get("service")));
        assertThat(requests(samples, "slow", "2xx")).isEqualTo(100);
        double p99 = p99(samples, "slow", "2xx");
        System.out.printf("metrics: p99 of a backend sleeping 50 ms = %.1f ms%n", p99 * 1e3);
        assertThat(p99).isBetween(0.050, 0.080);
        // Every series the README's PromQL and the Grafana dashboard read is there.
        Set<String> names = new HashSet<>();
        samples.forEach(x -> names.add(x.name()));
        java.util.regex.Matcher used =
            java.util.regex.Pattern.compile("whaleray_[a-z_]+")
                .matcher(Files.readString(Path.of("grafana-dashboard.json")));
        int dashboardSeries = 0;
        while (used.find()) {
          assertThat(names).as("dashboard series").contains(used.group());
          dashboardSeries++;
        }
        assertThat(dashboardSeries).isGreaterThan(8);
        assertThat(samples).anyMatch(s -> s.name().equals("jvm_memory_used_bytes"));
        assertThat(samples).anyMatch(s -> s.name().equals("process_cpu_usage"));
        assertThat(samples) // read from the collectors' counters (GcMeters), there from the start
            .anyMatch(
                s -> s.name().equals("jvm_gc_pause_seconds_count") && s.labels().containsKey("gc"));
        assertThat(samples)
            .anyMatch(
                s ->
                    s.name().equals("whaleray_endpoints")
                        && "app".equals(s.labels().get("service"))
                        && "healthy".equals(s.labels().get("state"))
                        && s.value() == 1);

        // The access log: one JSON line per request on stdout, beside the application's lines.
        List<JsonNode> lines = new ArrayList<>();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (System.nanoTime() < deadline) {
          lines = accessLines(router.stdout());
          if (lines.size() >= 173) {
            break;
          }
          Thread.sleep(50);
        }
        assertThat(lines).hasSize(173);
        int traced = 0;
        for (JsonNode n : lines) {
          if (n.get("path").asText().startsWith("/services/app/ok/")) {
            assertThat(traces).contains(n.get("traceId").asText());
            assertThat(n.get("endpoint").asText()).isEqualTo(app.address());
            traced++;
          } else if (n.get("path").asText().startsWith("/services/nope")) {
            assertThat(n.get("status").asInt()).isEqualTo(502); // never proxied: no trace
          } else {
            assertThat(n.get("traceId").asText()).hasSize(32); // created: traceparent on
          }
        }
        assertThat(traced).isEqualTo(40);
      }
    }
  }

  private static boolean parserAvailable() throws Exception {
    if (!Files.isExecutable(PYTHON)) {
      return false;
    }
    Process p =
        new ProcessBuilder(PYTHON.toString(), "-c", "import prometheus_client.parser")
            .redirectErrorStream(true)
            .start();
    p.getInputStream().readAllBytes();
    return p.waitFor(10, TimeUnit.SECONDS) && p.exitValue() == 0;
  }

  /** The access-log lines among stdout's JSON lines (the application's have a "level"). */
  private static List<JsonNode> accessLines(String stdout) throws Exception {
    List<JsonNode> result = new ArrayList<>();
    for (String line : stdout.split("\n")) {
      if (line.startsWith("{")) {
        JsonNode n = JSON.readTree(line);
        if (n.has("method") && n.get("path").asText().startsWith("/services/")) {
          result.add(n);
        }
      }
    }
    return result;
  }

  private List<Sample> scrape(int admin) throws Exception {
    HttpResponse<String> r =
        CLIENT.send(
            HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + admin + "/metrics")).build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.headers().firstValue("Content-Type").orElse("")).startsWith("text/plain");
    Path script = dir.resolve("prometheus-parse.py");
    try (InputStream in = getClass().getResourceAsStream("/prometheus-parse.py")) {
      Files.write(script, in.readAllBytes());
    }
    Process p = new ProcessBuilder(PYTHON.toString(), script.toString()).start();
    p.getOutputStream().write(r.body().getBytes(StandardCharsets.UTF_8));
    p.getOutputStream().close();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(20, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).as(err).isZero();
    List<Sample> samples = new ArrayList<>();
    for (String line : out.split("\n")) {
      if (!line.isBlank()) {
        JsonNode n = JSON.readTree(line);
        Map<String, String> labels = new TreeMap<>();
        n.get("labels")
            .fields()
            .forEachRemaining(e -> labels.put(e.getKey(), e.getValue().asText()));
        samples.add(new Sample(n.get("name").asText(), labels, n.get("value").asDouble()));
      }
    }
    return samples;
  }

  private static long requests(List<Sample> samples, String service, String status) {
    double n = 0;
    for (Sample s : samples) {
      if (s.name().equals("whaleray_requests_seconds_count")
          && service.equals(s.labels().get("service"))
          && status.equals(s.labels().get("status"))) {
        n += s.value();
      }
    }
    return Math.round(n);
  }

  /** PromQL's histogram_quantile(0.99, ...) over the service's buckets for the status class. */
  private static double p99(List<Sample> samples, String service, String status) {
    TreeMap<Double, Double> cumulative = new TreeMap<>();
    for (Sample s : samples) {
      if (s.name().equals("whaleray_requests_seconds_bucket")
          && service.equals(s.labels().get("service"))
          && status.equals(s.labels().get("status"))) {
        String le = s.labels().get("le");
        double bound = le.equals("+Inf") ? Double.POSITIVE_INFINITY : Double.parseDouble(le);
        cumulative.merge(bound, s.value(), Double::sum);
      }
    }
    double total = cumulative.lastEntry().getValue();
    double rank = 0.99 * total;
    double lower = 0;
    double below = 0;
    for (Map.Entry<Double, Double> e : cumulative.entrySet()) {
      if (e.getValue() >= rank) {
        if (e.getKey().isInfinite()) {
          return lower;
        }
        double inBucket = e.getValue() - below;
        return lower + (e.getKey() - lower) * ((rank - below) / inBucket);
      }
      lower = e.getKey();
      below = e.getValue();
    }
    return Double.NaN;
  }

  private static int get(int port, String path, String traceparent) throws Exception {
    HttpRequest.Builder b =
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
            .timeout(Duration.ofSeconds(10));
    if (traceparent != null) {
      b.header("traceparent", traceparent);
    }
    HttpResponse<String> r = CLIENT.send(b.build(), HttpResponse.BodyHandlers.ofString());
    if (r.statusCode() >= 500 && !path.startsWith("/services/nope")) {
      System.out.println("unexpected: " + path + " -> " + r.statusCode() + " " + r.body());
    }
    return r.statusCode();
  }
}
