package dev.whaleray.router.undertow;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;

import dev.whaleray.router.Endpoint;
import dev.whaleray.router.undertow.testing.TestBackend;
import dev.whaleray.router.undertow.testing.TestDiscovery;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * HTTP/2 on the router's plain port with real clients: curl by prior knowledge and by {@code
 * Upgrade: h2c} (the protocol asserted on both sides: HTTP/2 to the client, HTTP/1.1 to the
 * backend), h2load with 100 concurrent streams on one connection, the JDK's client multiplexing,
 * and bodies both ways over HTTP/2.
 */
class Http2IT {
  static TestBackend a;
  static TestBackend b;
  static TestDiscovery discovery;
  static RouterHandler handler;
  static RouterServer server;
  static String base;

  @TempDir Path dir;

  @BeforeAll
  static void start() throws IOException {
    a = TestBackend.start("a");
    b = TestBackend.start("b");
    discovery =
        new TestDiscovery()
            .set("s", List.of(Endpoint.parse(a.address()), Endpoint.parse(b.address())));
    handler = RouterHandler.builder().discovery(discovery).build();
    server = RouterServer.builder(handler).host("127.0.0.1").port(0).ioThreads(2).start();
    base = "http://127.0.0.1:" + server.port();
  }

  @AfterAll
  static void stop() {
    server.close();
    handler.close();
    discovery.close();
    a.close();
    b.close();
  }

  /** Runs a command, returns its stdout (stderr folded in when {@code withErr}). */
  private static String run(boolean withErr, String... command) throws Exception {
    ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(withErr);
    Process p = pb.start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).as(String.join(" ", command)).isTrue();
    assertThat(p.exitValue()).as(out).isZero();
    return out;
  }

  private static boolean has(String tool) {
    return Files.isExecutable(Path.of("/usr/bin", tool));
  }

  @Test
  void curlByPriorKnowledgeAndByUpgradeGetsHttp2AndTheBackendHttp11() throws Exception {
    assumeThat(has("curl")).as("curl").isTrue();
    for (String mode : List.of("--http2-prior-knowledge", "--http2")) {
      String out =
          run(
              false,
              "curl",
              "-s",
              "-D",
              "-",
              mode,
              "-w",
              "\nversion=%{http_version}\n",
              base + "/services/s/hello?x=1");
      System.out.println("h2c " + mode + ":\n" + out);
      assertThat(out).contains("version=2");
      assertThat(out).containsPattern("(?m)^HTTP/2 200");
      assertThat(out.toLowerCase()).contains("x-backend-protocol: http/1.1");
      assertThat(out).contains(" GET /hello?x=1");
      if (mode.equals("--http2")) {
        assertThat(out).contains("HTTP/1.1 101"); // the router upgrades, then HTTP/2
      }
      // The upgrade is the router's own: the backend never sees it (its echo lists the headers).
      String echo = out.substring(out.indexOf(" GET /hello")).toLowerCase();
      assertThat(echo).doesNotContain("upgrade:").doesNotContain("http2-settings");
    }
  }

  @Test
  void h2loadWith100ConcurrentStreamsOnOneConnectionIsAllAnswered() throws Exception {
    assumeThat(has("h2load")).as("h2load (nghttp2-client; .ci/run installs it)").isTrue();
    String out =
        run(true, "h2load", "-n", "2000", "-c", "1", "-m", "100", base + "/services/s/h2load");
    System.out.println(
        "h2load: "
            + out.lines()
                .filter(
                    l ->
                        l.contains("requests:")
                            || l.contains("status codes:")
                            || l.contains("finished in"))
                .toList());
    assertThat(out).contains("2000 succeeded, 0 failed, 0 errored");
    assertThat(out).contains("status codes: 2000 2xx");
  }

  @Test
  void anHttp2ConnectionOutlivesTheClientHeaderTimeout() throws Exception {
    // The connection guard's head timer (408 when a client is slow to send a request head) must
    // not cut an HTTP/2 connection that keeps sending requests for longer than the timeout.
    assumeThat(has("h2load")).as("h2load").isTrue();
    try (RouterServer shortHeads =
        RouterServer.builder(handler)
            .host("127.0.0.1")
            .port(0)
            .ioThreads(2)
            .clientHeaderTimeout(Duration.ofSeconds(1))
            .start()) {
      String out =
          run(
              true,
              "h2load",
              "-D",
              "4",
              "-c",
              "1",
              "-m",
              "10",
              "http://127.0.0.1:" + shortHeads.port() + "/services/s/long");
      System.out.println(
          "h2 for 4 s with a 1 s head timeout: "
              + out.lines()
                  .filter(l -> l.contains("requests:") || l.contains("status codes:"))
                  .toList());
      assertThat(out).containsPattern("(\\d+) done, \\1 succeeded, 0 failed, 0 errored");
      assertThat(out).containsPattern("status codes: [1-9]\\d* 2xx, 0 3xx, 0 4xx, 0 5xx");
    }
  }

  @Test
  void theJdkClientMultiplexesAndBodiesGoBothWays() throws Exception {
    HttpClient client =
        HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_2)
            .connectTimeout(Duration.ofSeconds(5))
            .build();
    // The first request upgrades the connection; then 100 at once on it.
    HttpResponse<String> first =
        client.send(
            HttpRequest.newBuilder(URI.create(base + "/services/s/first")).build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(first.version()).isEqualTo(HttpClient.Version.HTTP_2);
    List<CompletableFuture<HttpResponse<String>>> all = new ArrayList<>();
    for (int i = 0; i < 100; i++) {
      all.add(
          client.sendAsync(
              HttpRequest.newBuilder(URI.create(base + "/services/s/n/" + i)).build(),
              HttpResponse.BodyHandlers.ofString()));
    }
    for (int i = 0; i < 100; i++) {
      HttpResponse<String> r = all.get(i).get(20, TimeUnit.SECONDS);
      assertThat(r.statusCode()).isEqualTo(200);
      assertThat(r.version()).isEqualTo(HttpClient.Version.HTTP_2);
      assertThat(r.body()).contains(" GET /n/" + i + "\n");
    }
    // A 1 MB upload and a 4 MB download over HTTP/2, bytes checked.
    byte[] upload = new byte[1 << 20];
    for (int i = 0; i < upload.length; i++) {
      upload[i] = (byte) (i * 31);
    }
    java.util.zip.CRC32 crc = new java.util.zip.CRC32();
    crc.update(upload);
    HttpResponse<String> up =
        client.send(
            HttpRequest.newBuilder(URI.create(base + "/services/s/upload"))
                .POST(HttpRequest.BodyPublishers.ofByteArray(upload))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(up.version()).isEqualTo(HttpClient.Version.HTTP_2);
    assertThat(up.body()).isEqualTo("bytes=" + upload.length + " crc=" + crc.getValue());
    HttpResponse<byte[]> down =
        client.send(
            HttpRequest.newBuilder(URI.create(base + "/services/s/download?bytes=4194304")).build(),
            HttpResponse.BodyHandlers.ofByteArray());
    assertThat(down.statusCode()).isEqualTo(200);
    assertThat(down.body()).hasSize(4 << 20);
    for (int i = 0; i < down.body().length; i += 4099) {
      assertThat(down.body()[i]).isEqualTo(TestBackend.patternByte(i));
    }
  }
}
