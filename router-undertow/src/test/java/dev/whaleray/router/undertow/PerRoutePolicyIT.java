package dev.whaleray.router.undertow;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.whaleray.router.Endpoint;
import dev.whaleray.router.Route;
import dev.whaleray.router.Router;
import dev.whaleray.router.undertow.testing.TestBackend;
import dev.whaleray.router.undertow.testing.TestDiscovery;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** A route may name its own load-balancing policy and options; the others use the default. */
class PerRoutePolicyIT {

  @Test
  void eachServiceUsesThePolicyOfItsRoute() throws Exception {
    try (TestBackend a = TestBackend.start("A");
        TestBackend b = TestBackend.start("B");
        TestDiscovery discovery =
            new TestDiscovery()
                .set("shared", List.of(Endpoint.parse(a.address()), Endpoint.parse(b.address())));
        RouterHandler handler =
            RouterHandler.builder()
                .router(
                    Router.builder()
                        .route(
                            Route.path("/pinned/{service}")
                                .withLoadBalancing("first", Map.of("port", "" + b.port())))
                        .route(Route.path("/services/{service}"))
                        .build())
                .discovery(discovery)
                .build();
        RouterServer server = RouterServer.builder(handler).host("127.0.0.1").port(0).start()) {
      HttpClient client = HttpClient.newHttpClient();
      List<String> pinned = new ArrayList<>();
      List<String> roundRobin = new ArrayList<>();
      // One service, two routes: each route keeps its own policy, whatever came first.
      for (int i = 0; i < 6; i++) {
        roundRobin.add(backend(client, server.port(), "/services/shared/x"));
        pinned.add(backend(client, server.port(), "/pinned/shared/x"));
      }
      assertThat(pinned).containsOnly("B");
      // Round-robin in snapshot order (sorted by port, which is random here): it alternates.
      String first = roundRobin.get(0);
      String second = first.equals("A") ? "B" : "A";
      assertThat(roundRobin).containsExactly(first, second, first, second, first, second);
    }
  }

  @Test
  void aBadPolicyOrOptionFailsAtBuildNamingTheRoute() {
    try (TestDiscovery discovery = new TestDiscovery()) {
      assertThatThrownBy(
              () ->
                  RouterHandler.builder()
                      .router(
                          Router.builder()
                              .route(
                                  Route.path("/broken/{service}")
                                      .withLoadBalancing("first", Map.of("port", "x")))
                              .build())
                      .discovery(discovery)
                      .build())
          .hasMessage(
              "route Route{path=/broken/{service} lb=first{port=x}}: port: 'x' (expected: a"
                  + " number)");
      assertThatThrownBy(
              () ->
                  RouterHandler.builder()
                      .router(
                          Router.builder()
                              .route(Route.path("/x/{service}").withLoadBalancing("nope", Map.of()))
                              .build())
                      .discovery(discovery)
                      .build())
          .hasMessageStartingWith(
              "route Route{path=/x/{service} lb=nope}: loadBalancing.policy: 'nope' is not"
                  + " available");
    }
  }

  private static String backend(HttpClient client, int port, String path) throws Exception {
    return client
        .send(
            HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).build(),
            HttpResponse.BodyHandlers.ofString())
        .headers()
        .firstValue("X-Backend")
        .orElseThrow();
  }
}
