package dev.whaleray.router.undertow;

import static org.assertj.core.api.Assertions.assertThat;

import dev.whaleray.router.Endpoint;
import dev.whaleray.router.core.CircuitBreaking;
import dev.whaleray.router.undertow.testing.TestDiscovery;
import io.undertow.Undertow;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * A service failing as a whole: its circuit opens after 50 % of at least 20 requests failed, the
 * router then answers 503 {@code circuit open} at once without a backend request; after the open
 * time one request probes it, and once the backend is well again a success closes the circuit.
 */
class CircuitBreakerIT {
  @Test
  void opensOnAFailingServiceAndClosesOnceItRecovers() throws Exception {
    AtomicBoolean failing = new AtomicBoolean(true);
    AtomicInteger seen = new AtomicInteger();
    Undertow backend =
        Undertow.builder()
            .addHttpListener(0, "127.0.0.1")
            .setHandler(
                exchange -> {
                  seen.incrementAndGet();
                  exchange.setStatusCode(failing.get() ? 500 : 200);
                  exchange.getResponseSender().send(failing.get() ? "down" : "up");
                })
            .build();
    backend.start();
    int port = ((InetSocketAddress) backend.getListenerInfo().get(0).getAddress()).getPort();
    TestDiscovery discovery =
        new TestDiscovery().set("svc", List.of(Endpoint.of("127.0.0.1", port)));
    try (RouterHandler handler =
            RouterHandler.builder()
                .discovery(discovery)
                .circuitBreaker(
                    CircuitBreaking.defaults()
                        .withFailureRate(50, 20)
                        .withWindow(Duration.ofSeconds(10))
                        .withOpenFor(Duration.ofMillis(500)))
                .build();
        RouterServer server = RouterServer.builder(handler).host("127.0.0.1").port(0).start()) {
      HttpClient client = HttpClient.newHttpClient();
      URI uri = URI.create("http://127.0.0.1:" + server.port() + "/services/svc/x");
      int fivehundreds = 0;
      int open = 0;
      for (int i = 0; i < 100; i++) {
        HttpResponse<String> r =
            client.send(HttpRequest.newBuilder(uri).build(), HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() == 500) {
          fivehundreds++;
        } else if (r.statusCode() == 503 && r.body().contains("\"error\":\"circuit open\"")) {
          open++;
        }
      }
      int backendRequests = seen.get();
      System.out.printf(
          "circuit: 100 requests to a failing service: %d x 500 from it, %d x 503 circuit open;"
              + " the backend saw %d%n",
          fivehundreds, open, backendRequests);
      assertThat(fivehundreds).isBetween(20, 25); // opened after the minimum of 20
      assertThat(open).isEqualTo(100 - fivehundreds);
      assertThat(backendRequests).isEqualTo(fivehundreds);

      failing.set(false);
      Thread.sleep(700); // past the open time: half-open
      HttpResponse<String> probe =
          client.send(HttpRequest.newBuilder(uri).build(), HttpResponse.BodyHandlers.ofString());
      assertThat(probe.statusCode()).isEqualTo(200);
      for (int i = 0; i < 20; i++) {
        assertThat(
                client
                    .send(HttpRequest.newBuilder(uri).build(), HttpResponse.BodyHandlers.ofString())
                    .statusCode())
            .isEqualTo(200);
      }
    } finally {
      discovery.close();
      backend.stop();
    }
  }
}
