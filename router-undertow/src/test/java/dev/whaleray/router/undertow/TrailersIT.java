package dev.whaleray.router.undertow;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;

import dev.whaleray.router.Endpoint;
import dev.whaleray.router.undertow.testing.TestBackend;
import dev.whaleray.router.undertow.testing.TestDiscovery;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * A backend's chunked trailer fields (as gRPC's {@code grpc-status}) reach the client: in the
 * chunked trailer section over HTTP/1.1 and in a trailing HEADERS frame over HTTP/2. They were
 * dropped before.
 */
class TrailersIT {

  @Test
  void trailersPassOverHttp11AndHttp2() throws Exception {
    try (TestBackend backend = TestBackend.start("t")) {
      check(backend, UpstreamOptions.http1());
    }
  }

  /** The backend speaks HTTP/2 to the router: its trailers are HEADERS after the DATA frames. */
  @Test
  void trailersOfAnHttp2UpstreamPassOverHttp11AndHttp2() throws Exception {
    try (TestBackend backend = TestBackend.startHttp2("t")) {
      check(backend, UpstreamOptions.h2c());
    }
  }

  private void check(TestBackend backend, UpstreamOptions upstream) throws Exception {
    {
      TestDiscovery discovery =
          new TestDiscovery().set("g", List.of(Endpoint.parse(backend.address())));
      try (RouterHandler handler =
              RouterHandler.builder().discovery(discovery).upstream(upstream).build();
          RouterServer server =
              RouterServer.builder(handler).host("127.0.0.1").port(0).ioThreads(2).start()) {
        // HTTP/1.1, read raw: the body, the last chunk, then the trailer section.
        String raw;
        try (Socket s = new Socket("127.0.0.1", server.port())) {
          s.setSoTimeout(5000);
          OutputStream out = s.getOutputStream();
          out.write(
              ("GET /services/g/trailers HTTP/1.1\r\nHost: x\r\nTE: trailers\r\n\r\n")
                  .getBytes(StandardCharsets.US_ASCII));
          // Keep-alive, so the answer is chunked: read up to the end of its trailer section.
          InputStream in = s.getInputStream();
          ByteArrayOutputStream all = new ByteArrayOutputStream();
          String text = "";
          int last;
          while ((last = text.indexOf("\r\n0\r\n")) < 0 || text.indexOf("\r\n\r\n", last + 2) < 0) {
            int c = in.read();
            if (c < 0) {
              break;
            }
            all.write(c);
            text = all.toString(StandardCharsets.ISO_8859_1);
          }
          raw = text;
        }
        System.out.println("HTTP/1.1 with trailers:\n" + raw);
        assertThat(raw).startsWith("HTTP/1.1 200").contains("part1;").contains("part2");
        assertThat(raw.toLowerCase())
            .contains(
                "x-backend-protocol: "
                    + (upstream.protocol() == UpstreamOptions.Protocol.HTTP1
                        ? "http/1.1"
                        : "http/2.0"));
        String trailerSection = raw.substring(raw.lastIndexOf("\r\n0\r\n") + 5);
        assertThat(trailerSection.toLowerCase())
            .contains("grpc-status: 7\r\n")
            .contains("grpc-message: denied by t\r\n")
            .doesNotContain("content-length");

        // HTTP/2 (h2c prior knowledge): curl shows trailers after the headers in its dump.
        assumeThat(Files.isExecutable(Path.of("/usr/bin/curl"))).isTrue();
        Process p =
            new ProcessBuilder(
                    "curl",
                    "-s",
                    "--http2-prior-knowledge",
                    "-D",
                    "-",
                    "http://127.0.0.1:" + server.port() + "/services/g/trailers")
                .redirectErrorStream(true)
                .start();
        String h2 = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(20, TimeUnit.SECONDS)).isTrue();
        System.out.println("HTTP/2 with trailers:\n" + h2);
        assertThat(h2).startsWith("HTTP/2 200");
        String afterBody = h2.substring(h2.indexOf("part2"));
        assertThat(afterBody.toLowerCase())
            .contains("grpc-status: 7")
            .contains("grpc-message: denied by t");
      } finally {
        discovery.close();
      }
    }
  }
}
