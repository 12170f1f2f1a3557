package dev.whaleray.router.undertow;

import static org.assertj.core.api.Assertions.assertThat;

import dev.whaleray.router.Endpoint;
import dev.whaleray.router.EndpointSet;
import dev.whaleray.router.undertow.testing.TestBackend;
import dev.whaleray.router.undertow.testing.TestDiscovery;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * An endpoint that discovery drops (a task scaled in, a deployment's old task) finishes the
 * requests it is serving: new requests go elsewhere at once, requests in flight on it are not cut.
 */
class EndpointRemovalIT {

  @Test
  void anEndpointDroppedByDiscoveryFinishesItsRequestsInFlight() throws Exception {
    try (TestBackend a = TestBackend.start("a");
        TestBackend b = TestBackend.start("b")) {
      TestDiscovery discovery =
          new TestDiscovery()
              .set("s", List.of(Endpoint.parse(a.address()), Endpoint.parse(b.address())));
      try (RouterHandler handler = RouterHandler.builder().discovery(discovery).build();
          RouterServer server =
              RouterServer.builder(handler).host("127.0.0.1").port(0).ioThreads(2).start()) {
        HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
        String base = "http://127.0.0.1:" + server.port() + "/services/s";
        // 16 requests that each take 1.5 s on the backend, spread over both endpoints.
        List<CompletableFuture<HttpResponse<String>>> slow = new ArrayList<>();
        for (int i = 0; i < 16; i++) {
          slow.add(
              client.sendAsync(
                  HttpRequest.newBuilder(URI.create(base + "/slow?ms=1500"))
                      .timeout(Duration.ofSeconds(10))
                      .build(),
                  HttpResponse.BodyHandlers.ofString()));
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (a.requests() + b.requests() < 16 && System.nanoTime() < deadline) {
          Thread.sleep(10);
        }
        assertThat(a.requests()).as("requests in flight on a").isGreaterThan(0);
        int onA = a.requests();

        discovery.set("s", List.of(Endpoint.parse(b.address()))); // a leaves, its requests running
        // Discovery hands updates to listeners on its own executor: wait until the router has
        // taken this one (CI once sent the next request before it had).
        deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (!onlyB(handler, b.address()) && System.nanoTime() < deadline) {
          Thread.sleep(5);
        }
        assertThat(onlyB(handler, b.address())).as("the router took the update").isTrue();

        for (int i = 0; i < 20; i++) {
          HttpResponse<String> r =
              client.send(
                  HttpRequest.newBuilder(URI.create(base + "/x")).build(),
                  HttpResponse.BodyHandlers.ofString());
          assertThat(r.statusCode()).isEqualTo(200);
          assertThat(r.headers().firstValue("X-Backend")).as("after the removal").hasValue("b");
        }
        int fromA = 0;
        for (CompletableFuture<HttpResponse<String>> f : slow) {
          HttpResponse<String> r = f.get(10, TimeUnit.SECONDS);
          assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
          if (r.headers().firstValue("X-Backend").orElse("").equals("a")) {
            fromA++;
          }
        }
        System.out.printf(
            "removal: %d of 16 slow requests were on the removed endpoint, all answered 200%n",
            fromA);
        assertThat(fromA).isEqualTo(onA);
        assertThat(a.requests()).as("nothing new on a").isEqualTo(onA);
      } finally {
        discovery.close();
      }
    }
  }

  private static boolean onlyB(RouterHandler handler, String b) {
    for (dev.whaleray.router.core.Cluster c : handler.clusters()) {
      EndpointSet set = c.endpoints();
      if (c.service().equals("s") && set != null) {
        return set.endpoints().size() == 1
            && set.endpoints().get(0).authority().equals(Endpoint.parse(b).authority());
      }
    }
    return false;
  }
}
