package dev.whaleray.reference;

import static java.nio.charset.StandardCharsets.US_ASCII;
import static org.assertj.core.api.Assertions.assertThat;

import dev.whaleray.router.undertow.testing.TestBackend;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The jar with a {@code listeners:} config: a TCP echo balanced across two endpoints while a third
 * refuses connections (no client connection fails), its meters on {@code /metrics}, an HTTP
 * listener bound to one service (path kept), and both ports closed after SIGTERM.
 */
class ListenersRouterIT {
  @TempDir Path dir;

  @Test
  void tcpAndHttpListenersFromTheConfigFile() throws Exception {
    try (Echo a = new Echo();
        Echo b = new Echo();
        TestBackend catalog = TestBackend.start("catalog")) {
      int refusing = RouterProcess.freePort();
      int port = RouterProcess.freePort();
      int tcpPort = RouterProcess.freePort();
      int httpPort = RouterProcess.freePort();
      int admin = RouterProcess.freePort();
      Path config = dir.resolve("router.yaml");
      Files.writeString(
          config,
          String.join(
              "\n",
              "discovery:",
              "  type: static",
              "  static:",
              "    echo: [ \"127.0.0.1:" + a.port() + "\", \"127.0.0.1:" + b.port() + "\",",
              "            \"127.0.0.1:" + refusing + "\" ]",
              "    catalog: [ \"" + catalog.address() + "\" ]",
              "loadBalancing: { policy: round-robin, slowStart: 0s }",
              "listeners:",
              "  - { port: " + tcpPort + ", service: echo, protocol: tcp, maxConnections: 500 }",
              "  - { port: " + httpPort + ", service: catalog }",
              ""));
      try (RouterProcess router =
          RouterProcess.start(
              Map.of(
                  "WHALERAY_PORT",
                  "" + port,
                  "WHALERAY_ADMIN_PORT",
                  "" + admin,
                  "WHALERAY_SHUTDOWN_DRAIN",
                  "0s"),
              "--config",
              config.toString())) {
        router.awaitHealthy(port, Duration.ofSeconds(20));
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (!RouterProcess.accepts(tcpPort) && System.nanoTime() < deadline) {
          Thread.sleep(10);
        }
        int n = 90;
        int ok = 0;
        long bytes = 0;
        for (int i = 0; i < n; i++) {
          String line = "line " + i + "\n";
          bytes += line.length();
          try (Socket s = new Socket(InetAddress.getLoopbackAddress(), tcpPort)) {
            s.setSoTimeout(10_000);
            s.getOutputStream().write(line.getBytes(US_ASCII));
            s.shutdownOutput();
            if (new String(s.getInputStream().readAllBytes(), US_ASCII).equals(line)) {
              ok++;
            }
          }
        }
        System.out.printf(
            "jar tcp listener, 2 echo endpoints + 1 refusing: %d/%d ok, a=%d b=%d%n",
            ok, n, a.accepted.get(), b.accepted.get());
        assertThat(ok).isEqualTo(n);
        // Plus one, maybe: the readiness probe's connection above is proxied too.
        assertThat(a.accepted.get() + b.accepted.get()).isBetween(n, n + 1);
        assertThat(a.accepted.get()).isGreaterThan(n / 4);
        assertThat(b.accepted.get()).isGreaterThan(n / 4);

        // The listener's meters, as Prometheus scrapes them.
        String metrics =
            HttpClient.newHttpClient()
                .send(
                    HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + admin + "/metrics"))
                        .timeout(Duration.ofSeconds(10))
                        .build(),
                    HttpResponse.BodyHandlers.ofString())
                .body();
        String tags = "port=\"" + tcpPort + "\",service=\"echo\"";
        assertThat(sample(metrics, "whaleray_tcp_connections_total{" + tags + "}"))
            .isBetween((double) n, n + 1.0);
        assertThat(sample(metrics, "whaleray_tcp_bytes_total{direction=\"in\"," + tags + "}"))
            .isEqualTo((double) bytes);
        assertThat(sample(metrics, "whaleray_tcp_bytes_total{direction=\"out\"," + tags + "}"))
            .isEqualTo((double) bytes);
        assertThat(
                sample(
                    metrics,
                    "whaleray_tcp_connections_refused_total{"
                        + "port=\""
                        + tcpPort
                        + "\",reason=\"limit\",service=\"echo\"}"))
            .isZero();
        assertThat(sample(metrics, "whaleray_tcp_connections_active{" + tags + "}")).isZero();
        assertThat(
                sample(
                    metrics, "whaleray_upstream_errors_total{kind=\"connect\",service=\"echo\"}"))
            .isGreaterThanOrEqualTo(1.0);

        HttpResponse<String> r =
            HttpClient.newHttpClient()
                .send(
                    HttpRequest.newBuilder(
                            URI.create("http://127.0.0.1:" + httpPort + "/items/7?q=1"))
                        .timeout(Duration.ofSeconds(10))
                        .build(),
                    HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.headers().firstValue("X-Backend")).hasValue("catalog");
        assertThat(r.body()).startsWith("catalog GET /items/7?q=1");

        router.sigterm();
        assertThat(router.awaitExit(Duration.ofSeconds(30))).isZero();
        assertThat(RouterProcess.accepts(tcpPort)).isFalse();
        assertThat(RouterProcess.accepts(httpPort)).isFalse();
      }
    }
  }

  /** The value of the Prometheus sample whose name and labels are {@code series}. */
  static double sample(String metrics, String series) {
    for (String line : metrics.split("\n")) {
      if (line.startsWith(series + " ")) {
        return Double.parseDouble(line.substring(series.length() + 1).trim().split(" ")[0]);
      }
    }
    throw new AssertionError("no sample " + series + " in:\n" + metrics);
  }

  /** A blocking echo server that closes after echoing everything up to the client's end. */
  static final class Echo implements AutoCloseable {
    final ServerSocket server;
    final AtomicInteger accepted = new AtomicInteger();
    final ExecutorService threads = Executors.newCachedThreadPool();

    Echo() throws IOException {
      server = new ServerSocket(0, 100, InetAddress.getLoopbackAddress());
      threads.execute(
          () -> {
            while (!server.isClosed()) {
              try {
                Socket s = server.accept();
                accepted.incrementAndGet();
                threads.execute(() -> serve(s));
              } catch (IOException e) {
                return;
              }
            }
          });
    }

    int port() {
      return server.getLocalPort();
    }

    private static void serve(Socket s) {
      try (s) {
        InputStream in = s.getInputStream();
        OutputStream out = s.getOutputStream();
        in.transferTo(out);
      } catch (IOException e) {
        // closed
      }
    }

    @Override
    public void close() throws IOException {
      server.close();
      threads.shutdownNow();
    }
  }
}
