package dev.whaleray.examples.filelines;

import static org.assertj.core.api.Assertions.assertThat;

import dev.whaleray.router.undertow.testing.TestBackend;
import java.io.File;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The README's command: the reference router's jar and this plugin's jar on one class path, {@code
 * WHALERAY_DISCOVERY=file-lines}, proxying to a real backend.
 */
class FileLinesPluginIT {
  private static final Path ROUTER_JAR =
      Path.of(System.getProperty("whaleray.jar", "../reference-router/target/whaleray-router.jar"));
  private static final Path PLUGIN_JAR =
      Path.of(System.getProperty("plugin.jar", "target/custom-discovery-0.1.0-SNAPSHOT.jar"));
  private static final HttpClient CLIENT =
      HttpClient.newBuilder()
          .version(HttpClient.Version.HTTP_1_1)
          .connectTimeout(Duration.ofSeconds(2))
          .build();

  @TempDir Path dir;

  @Test
  void theRouterLoadsThePluginFromTheClassPathAndRoutesWithIt() throws Exception {
    assertThat(ROUTER_JAR).as("build examples/reference-router first").exists();
    assertThat(PLUGIN_JAR).exists();
    try (TestBackend backend = TestBackend.start("orders-1")) {
      Files.writeString(dir.resolve("orders"), backend.address() + " zone=us-east-1a\n");
      int port;
      try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
        port = s.getLocalPort();
      }
      ProcessBuilder pb =
          new ProcessBuilder(
              Path.of(System.getProperty("java.home"), "bin", "java").toString(),
              "-Xmx128m",
              "-cp",
              ROUTER_JAR.toAbsolutePath() + File.pathSeparator + PLUGIN_JAR.toAbsolutePath(),
              "dev.whaleray.reference.Main");
      pb.environment().keySet().removeIf(k -> k.startsWith("WHALERAY_"));
      pb.environment().put("WHALERAY_DISCOVERY", "file-lines");
      pb.environment().put("WHALERAY_FILE_LINES_DIR", dir.toString());
      pb.environment().put("WHALERAY_PORT", Integer.toString(port));
      pb.environment().put("WHALERAY_ADMIN_PORT", "0");
      pb.redirectErrorStream(true);
      Path log = dir.resolve("router.log");
      pb.redirectOutput(log.toFile());
      Process router = pb.start();
      try {
        HttpResponse<String> r = awaitAnswer(router, port, "/services/orders/hello", log);
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        assertThat(r.body()).startsWith("orders-1 GET /hello");
        HttpResponse<String> missing = get(port, "/services/nosuch/");
        assertThat(missing.statusCode()).isEqualTo(502);
        assertThat(Files.readString(log)).contains("discovery file-lines");
      } finally {
        router.destroy();
        router.waitFor(10, TimeUnit.SECONDS);
        router.destroyForcibly();
      }
    }
  }

  @Test
  void aMisspeltOrBadSettingOfThePluginStopsTheRouterAtStartUp() throws Exception {
    Path config = dir.resolve("router.yaml");
    Files.writeString(
        config,
        "discovery:\n"
            + "  type: file-lines\n"
            + "  settings:\n"
            + "    fileLinesDir: "
            + dir
            + "\n"
            + "    fileLinesRefesh: 2s\n");
    assertThat(runToExit(config))
        .isEqualTo(
            "whaleray: "
                + config
                + " line 5: discovery.settings.fileLinesRefesh: unknown setting of discovery"
                + " file-lines (expected one of: fileLinesDir, fileLinesRefresh)");

    Files.writeString(
        config,
        "discovery:\n"
            + "  type: file-lines\n"
            + "  settings: { fileLinesDir: '"
            + dir
            + "', fileLinesRefresh: 5 parsecs }\n");
    assertThat(runToExit(config))
        .isEqualTo(
            "whaleray: "
                + config
                + " line 3: discovery.settings.fileLinesRefresh: '5 parsecs' (expected: a"
                + " duration such as 500ms, 10s, 2m or 1h)");
  }

  /**
   * Runs the router with the plugin and {@code config}; expects exit status 2 and returns the last
   * line on stderr (a JVM may warn before it).
   */
  private String runToExit(Path config) throws Exception {
    ProcessBuilder pb =
        new ProcessBuilder(
            Path.of(System.getProperty("java.home"), "bin", "java").toString(),
            "-Xmx128m",
            "-cp",
            ROUTER_JAR.toAbsolutePath() + File.pathSeparator + PLUGIN_JAR.toAbsolutePath(),
            "dev.whaleray.reference.Main",
            "--config",
            config.toString());
    pb.environment().keySet().removeIf(k -> k.startsWith("WHALERAY_"));
    pb.environment().put("WHALERAY_HOST", "127.0.0.1");
    pb.environment().put("WHALERAY_PORT", "0");
    pb.environment().put("WHALERAY_ADMIN_PORT", "0");
    Path err = dir.resolve("router.err");
    pb.redirectOutput(ProcessBuilder.Redirect.DISCARD);
    pb.redirectError(err.toFile());
    Process router = pb.start();
    try {
      assertThat(router.waitFor(20, TimeUnit.SECONDS)).as("exited").isTrue();
      assertThat(router.exitValue()).as(Files.readString(err)).isEqualTo(2);
      String[] lines = Files.readString(err).strip().split("\n");
      return lines[lines.length - 1];
    } finally {
      router.destroyForcibly();
    }
  }

  private static HttpResponse<String> get(int port, String path) throws Exception {
    return CLIENT.send(
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
            .timeout(Duration.ofSeconds(10))
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private static HttpResponse<String> awaitAnswer(Process router, int port, String path, Path log)
      throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    while (System.nanoTime() < deadline) {
      if (!router.isAlive()) {
        throw new AssertionError(
            "router exited with " + router.exitValue() + ": " + Files.readString(log));
      }
      try {
        return get(port, path);
      } catch (IOException e) {
        Thread.sleep(20); // not listening yet
      }
    }
    throw new AssertionError("router did not answer within 20 s: " + Files.readString(log));
  }
}
