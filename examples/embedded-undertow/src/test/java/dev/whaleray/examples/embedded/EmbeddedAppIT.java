package dev.whaleray.examples.embedded;

import static org.assertj.core.api.Assertions.assertThat;

import dev.whaleray.discovery.staticlist.StaticDiscovery;
import dev.whaleray.router.Endpoint;
import dev.whaleray.router.undertow.testing.TestBackend;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

class EmbeddedAppIT {
  static final HttpClient CLIENT = HttpClient.newHttpClient();

  static HttpResponse<String> get(int port, String path) throws Exception {
    return CLIENT.send(
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void keepsItsOwnHandlersAndProxiesUnderServices() throws Exception {
    try (TestBackend one = TestBackend.start("one");
        TestBackend two = TestBackend.start("two");
        StaticDiscovery discovery =
            StaticDiscovery.builder()
                .service("catalog", Endpoint.parse(one.address()), Endpoint.parse(two.address()))
                .build();
        EmbeddedApp app = new EmbeddedApp(0, discovery)) {
      assertThat(get(app.port(), "/").body()).isEqualTo("my app\n");
      assertThat(get(app.port(), "/api/time").statusCode()).isEqualTo(200);

      Set<String> backends = new HashSet<>();
      for (int i = 0; i < 4; i++) {
        HttpResponse<String> r = get(app.port(), "/services/catalog/items/7?full=1");
        assertThat(r.statusCode()).isEqualTo(200);
        // Both the mount point and the route prefix are stripped.
        assertThat(r.body()).matches("(?s)(one|two) GET /items/7\\?full=1\n.*");
        backends.add(r.headers().firstValue("X-Backend").orElseThrow());
      }
      assertThat(backends).containsExactlyInAnyOrder("one", "two");

      assertThat(get(app.port(), "/services/nosuch/x").statusCode()).isEqualTo(502);
      assertThat(get(app.port(), "/services/a.b/x").statusCode()).isEqualTo(400);
      assertThat(get(app.port(), "/elsewhere").statusCode()).isEqualTo(404);
    }
  }
}
