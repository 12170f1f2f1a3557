package dev.whaleray.router.undertow;

import static org.assertj.core.api.Assertions.assertThat;

import dev.whaleray.router.Endpoint;
import dev.whaleray.router.undertow.testing.TestBackend;
import dev.whaleray.router.undertow.testing.TestDiscovery;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * An extra HTTP listener bound to one service: every request on it goes to that service with its
 * path as is, through the same clusters as the main listener, while the main listener still routes.
 */
class ServiceListenerIT {

  @Test
  void everyRequestOnTheServicePortGoesToItsServicePathKept() throws Exception {
    try (TestBackend catalog = TestBackend.start("catalog");
        TestBackend other = TestBackend.start("other")) {
      TestDiscovery discovery =
          new TestDiscovery()
              .set("catalog", List.of(Endpoint.parse(catalog.address())))
              .set("other", List.of(Endpoint.parse(other.address())));
      try (RouterHandler handler = RouterHandler.builder().discovery(discovery).build();
          RouterServer main =
              RouterServer.builder(handler).host("127.0.0.1").port(0).ioThreads(1).start();
          RouterServer perService =
              RouterServer.builder(handler.forService("catalog"))
                  .host("127.0.0.1")
                  .port(0)
                  .ioThreads(1)
                  .start()) {
        HttpClient client = HttpClient.newHttpClient();
        for (String path : List.of("/items/42?x=1", "/services/other/ping", "/health", "/")) {
          HttpResponse<String> r = get(client, perService.port(), path);
          assertThat(r.headers().firstValue("X-Backend")).as(path).hasValue("catalog");
          assertThat(r.body()).as(path).startsWith("catalog GET " + path);
        }
        // The main listener still routes by path; both share one cluster per service.
        HttpResponse<String> routed = get(client, main.port(), "/services/other/ping");
        assertThat(routed.headers().firstValue("X-Backend")).hasValue("other");
        assertThat(handler.servicesInUse()).isEqualTo(2);
      }
    }
  }

  @Test
  void badServiceNameIsRefusedNamingTheField() {
    try (RouterHandler handler = RouterHandler.builder().discovery(new TestDiscovery()).build()) {
      org.assertj.core.api.Assertions.assertThatThrownBy(() -> handler.forService("no_such!"))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("service");
    }
  }

  private static HttpResponse<String> get(HttpClient client, int port, String path)
      throws Exception {
    return client.send(
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).build(),
        HttpResponse.BodyHandlers.ofString());
  }
}
