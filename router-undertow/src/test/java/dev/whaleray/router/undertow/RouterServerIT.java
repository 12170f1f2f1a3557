package dev.whaleray.router.undertow;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.whaleray.router.Endpoint;
import dev.whaleray.router.undertow.testing.TestBackend;
import dev.whaleray.router.undertow.testing.TestDiscovery;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** Graceful shutdown of the listener with a slow request in flight. */
class RouterServerIT {

  @Test
  void drainsTheRequestInFlightAndRefusesNewConnections() throws Exception {
    try (TestBackend backend = TestBackend.start("slow");
        TestDiscovery discovery =
            new TestDiscovery().set("slow", List.of(Endpoint.parse(backend.address())));
        RouterHandler handler = RouterHandler.builder().discovery(discovery).build()) {
      RouterServer server = RouterServer.builder(handler).host("127.0.0.1").port(0).start();
      int port = server.port();
      HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
      CompletableFuture<HttpResponse<String>> inFlight =
          client.sendAsync(
              HttpRequest.newBuilder(
                      URI.create("http://127.0.0.1:" + port + "/services/slow/slow?ms=2000"))
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
      while (server.inFlight() == 0 && System.nanoTime() < deadline) {
        Thread.sleep(5);
      }
      assertThat(server.inFlight()).isEqualTo(1);

      CompletableFuture<Boolean> drained =
          CompletableFuture.supplyAsync(() -> server.shutdown(Duration.ofSeconds(10)));
      // The listening socket closes at once: new connections are refused.
      deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(2);
      boolean refused = false;
      while (!refused && System.nanoTime() < deadline) {
        try (Socket s = new Socket()) {
          s.connect(new InetSocketAddress("127.0.0.1", port), 500);
          Thread.sleep(5);
        } catch (java.net.SocketException e) {
          // Refused, or reset: a connect that raced into the backlog as the socket closed.
          refused = true;
        }
      }
      assertThat(refused).as("new connection refused while draining").isTrue();
      assertThat(inFlight.isDone()).as("slow request still in flight").isFalse();

      HttpResponse<String> slow = inFlight.get(10, TimeUnit.SECONDS);
      assertThat(slow.statusCode()).isEqualTo(200);
      assertThat(slow.body()).startsWith("slow GET /slow?ms=2000");
      assertThat(drained.get(10, TimeUnit.SECONDS)).isTrue();
      assertThatThrownBy(() -> new Socket().connect(new InetSocketAddress("127.0.0.1", port), 500))
          .isInstanceOf(ConnectException.class);
    }
  }
}
