package dev.whaleray.reference;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.net.httpserver.HttpServer;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The zone comes from the ECS task metadata endpoint unless WHALERAY_ZONE says otherwise. */
class EcsMetadataTest {

  @Test
  void readsTheTaskZoneFromTheMetadataEndpoint() throws Exception {
    HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    server.createContext(
        "/v4/abc/task",
        exchange -> {
          byte[] body =
              ("{\"Cluster\":\"c\",\"TaskARN\":\"arn\",\"AvailabilityZone\": \"us-east-1b\","
                      + "\"LaunchType\":\"EC2\"}")
                  .getBytes(StandardCharsets.UTF_8);
          exchange.sendResponseHeaders(200, body.length);
          exchange.getResponseBody().write(body);
          exchange.close();
        });
    server.start();
    try {
      String uri = "http://127.0.0.1:" + server.getAddress().getPort() + "/v4/abc";
      Map<String, String> env = Map.of("ECS_CONTAINER_METADATA_URI_V4", uri);
      assertThat(EcsMetadata.zone(env, Duration.ofSeconds(2))).isEqualTo("us-east-1b");
      assertThat(RouterConfig.parse("", env).zone).isEqualTo("us-east-1b");
      assertThat(
              RouterConfig.parse(
                      "",
                      Map.of("ECS_CONTAINER_METADATA_URI_V4", uri, "WHALERAY_ZONE", "eu-west-1a"))
                  .zone)
          .isEqualTo("eu-west-1a");
    } finally {
      server.stop(0);
    }
  }

  @Test
  void noMetadataMeansNoZone() throws Exception {
    assertThat(RouterConfig.parse("", Map.of()).zone).isNull();
    int closed;
    try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      closed = s.getLocalPort();
    }
    long t0 = System.nanoTime();
    assertThat(
            EcsMetadata.zone(
                Map.of("ECS_CONTAINER_METADATA_URI_V4", "http://127.0.0.1:" + closed + "/v4/x"),
                Duration.ofSeconds(1)))
        .isNull();
    assertThat((System.nanoTime() - t0) / 1_000_000).isLessThan(3000);
  }

  @Test
  void discoveryErrorsNameTheVariable() {
    RouterConfig config =
        RouterConfig.parse(
                "", Map.of("WHALERAY_DISCOVERY", "cloudmap-dns", "WHALERAY_DNS_SERVERS", "x:y"))
            .withHost("127.0.0.1")
            .withPort(0)
            .withAdminPort(0);
    assertThatThrownBy(() -> ReferenceRouter.start(config).close())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("discovery cloudmap-dns: WHALERAY_DNS_SERVERS / dnsServers: 'x:y'");
  }
}
