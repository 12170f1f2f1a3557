package dev.whaleray.router.undertow;

import static org.assertj.core.api.Assertions.assertThat;

import dev.whaleray.router.Endpoint;
import dev.whaleray.router.undertow.testing.TestBackend;
import dev.whaleray.router.undertow.testing.TestDiscovery;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** Endpoint churn does not grow the upstream pools forever. */
class PoolSweepIT {

  @Test
  void closesThePoolOfAnEndpointThatLeft() throws Exception {
    try (TestBackend old = TestBackend.start("old");
        TestBackend fresh = TestBackend.start("new");
        TestDiscovery discovery =
            new TestDiscovery().set("churn", List.of(Endpoint.parse(old.address())));
        RouterHandler handler =
            RouterHandler.builder()
                .discovery(discovery)
                .upstreamIdleTimeout(Duration.ofMillis(200))
                .build();
        RouterServer server = RouterServer.builder(handler).host("127.0.0.1").port(0).start()) {
      HttpClient client = HttpClient.newHttpClient();
      URI uri = URI.create("http://127.0.0.1:" + server.port() + "/services/churn/");
      assertThat(
              client
                  .send(HttpRequest.newBuilder(uri).build(), HttpResponse.BodyHandlers.ofString())
                  .body())
          .startsWith("old ");
      assertThat(handler.upstreamPools()).isEqualTo(1);

      discovery.set("churn", List.of(Endpoint.parse(fresh.address())));
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
      String body = "";
      while (!body.startsWith("new ") && System.nanoTime() < deadline) {
        body =
            client
                .send(HttpRequest.newBuilder(uri).build(), HttpResponse.BodyHandlers.ofString())
                .body();
      }
      assertThat(body).startsWith("new ");
      assertThat(handler.upstreamPools()).isEqualTo(2);

      // The old endpoint's idle connection closes after 200 ms; then the sweep drops its pool.
      deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
      while (handler.upstreamPools() > 1 && System.nanoTime() < deadline) {
        handler.sweepPools();
        Thread.sleep(50);
      }
      assertThat(handler.upstreamPools()).isEqualTo(1);
      assertThat(
              client
                  .send(HttpRequest.newBuilder(uri).build(), HttpResponse.BodyHandlers.ofString())
                  .body())
          .startsWith("new ");
    }
  }
}
