package dev.whaleray.router.undertow;

import static org.assertj.core.api.Assertions.assertThat;

import dev.whaleray.router.Endpoint;
import dev.whaleray.router.core.RateLimit;
import dev.whaleray.router.undertow.testing.TestBackend;
import dev.whaleray.router.undertow.testing.TestDiscovery;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * A service limited to 100 requests a second (burst 10), offered 300 a second for 5 s: about 100 a
 * second get through, the rest are 429 with Retry-After and never reach the backend; another
 * service without a limit of its own is not touched.
 */
class RateLimitIT {
  @Test
  void aHundredASecondOfThreeHundredOffered() throws Exception {
    try (TestBackend backend = TestBackend.start("b")) {
      TestDiscovery discovery =
          new TestDiscovery()
              .set("limited", List.of(Endpoint.parse(backend.address())))
              .set("free", List.of(Endpoint.parse(backend.address())));
      try (RouterHandler handler =
              RouterHandler.builder()
                  .discovery(discovery)
                  .serviceRateLimits(Map.of("limited", RateLimit.of(100, 10)))
                  .build();
          RouterServer server =
              RouterServer.builder(handler).host("127.0.0.1").port(0).ioThreads(2).start()) {
        HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
        URI limited = URI.create("http://127.0.0.1:" + server.port() + "/services/limited/x");
        URI free = URI.create("http://127.0.0.1:" + server.port() + "/services/free/x");
        AtomicInteger ok = new AtomicInteger();
        AtomicInteger limitedAnswers = new AtomicInteger();
        AtomicInteger withRetryAfter = new AtomicInteger();
        AtomicInteger other = new AtomicInteger();
        AtomicInteger freeOk = new AtomicInteger();
        List<CompletableFuture<?>> all = new ArrayList<>();
        int seconds = 5;
        int offered = 300 * seconds;
        long start = System.nanoTime();
        for (int i = 0; i < offered; i++) {
          long due = start + i * (1_000_000_000L / 300);
          long sleep = due - System.nanoTime();
          if (sleep > 0) {
            TimeUnit.NANOSECONDS.sleep(sleep);
          }
          all.add(
              client
                  .sendAsync(
                      HttpRequest.newBuilder(limited).timeout(Duration.ofSeconds(10)).build(),
                      HttpResponse.BodyHandlers.ofString())
                  .thenAccept(
                      r -> {
                        if (r.statusCode() == 200) {
                          ok.incrementAndGet();
                        } else if (r.statusCode() == 429) {
                          limitedAnswers.incrementAndGet();
                          if (r.headers().firstValue("Retry-After").orElse("").matches("[1-9]\\d*")
                              && r.body().contains("\"error\":\"rate limited\"")) {
                            withRetryAfter.incrementAndGet();
                          }
                        } else {
                          other.incrementAndGet();
                        }
                      }));
          if (i % 10 == 0) {
            all.add(
                client
                    .sendAsync(
                        HttpRequest.newBuilder(free).build(), HttpResponse.BodyHandlers.ofString())
                    .thenAccept(
                        r -> {
                          if (r.statusCode() == 200) {
                            freeOk.incrementAndGet();
                          }
                        }));
          }
        }
        double elapsed = (System.nanoTime() - start) / 1e9;
        CompletableFuture.allOf(all.toArray(new CompletableFuture<?>[0])).get(60, TimeUnit.SECONDS);
        double rate = (ok.get() - 10) / elapsed; // less the burst
        System.out.printf(
            "rate limit 100/s burst 10, %d offered over %.2f s: %d ok (%.1f/s after the burst),"
                + " %d x 429 (%d with Retry-After), %d other; unlimited service %d ok%n",
            offered,
            elapsed,
            ok.get(),
            rate,
            limitedAnswers.get(),
            withRetryAfter.get(),
            other.get(),
            freeOk.get());
        assertThat(other.get()).isZero();
        assertThat(ok.get() + limitedAnswers.get()).isEqualTo(offered);
        // Never over the limit. Under it only when the offered load itself came in clumps (a
        // starved client: tokens past the burst of 10 are not kept), as on a loaded machine
        // (69.8/s seen once with two builds beside it).
        assertThat(rate).isBetween(60.0, 110.0);
        assertThat(withRetryAfter.get()).isEqualTo(limitedAnswers.get());
        assertThat(freeOk.get()).isEqualTo(offered / 10);
      } finally {
        discovery.close();
      }
    }
  }

  @Test
  void aRouteLimitsItsOwnRequestsOnly() throws Exception {
    try (TestBackend backend = TestBackend.start("b")) {
      TestDiscovery discovery =
          new TestDiscovery().set("cat", List.of(Endpoint.parse(backend.address())));
      dev.whaleray.router.Router router =
          dev.whaleray.router.Router.builder()
              .route(dev.whaleray.router.Route.path("/search", "cat").withRateLimit(1, 3))
              .route(dev.whaleray.router.Route.path("/services/{service}"))
              .build();
      try (RouterHandler handler =
              RouterHandler.builder().router(router).discovery(discovery).build();
          RouterServer server = RouterServer.builder(handler).host("127.0.0.1").port(0).start()) {
        HttpClient client = HttpClient.newHttpClient();
        int searchOk = 0;
        int search429 = 0;
        for (int i = 0; i < 10; i++) {
          HttpResponse<String> r =
              client.send(
                  HttpRequest.newBuilder(
                          URI.create("http://127.0.0.1:" + server.port() + "/search/q" + i))
                      .build(),
                  HttpResponse.BodyHandlers.ofString());
          if (r.statusCode() == 200) {
            searchOk++;
          } else if (r.statusCode() == 429) {
            search429++;
            assertThat(r.headers().firstValue("Retry-After")).hasValue("1");
          }
        }
        int otherOk = 0;
        for (int i = 0; i < 10; i++) {
          if (client
                  .send(
                      HttpRequest.newBuilder(
                              URI.create("http://127.0.0.1:" + server.port() + "/services/cat/x"))
                          .build(),
                      HttpResponse.BodyHandlers.ofString())
                  .statusCode()
              == 200) {
            otherOk++;
          }
        }
        System.out.printf(
            "route limit 1/s burst 3: /search %d ok, %d x 429; the same service by another route %d"
                + " ok%n",
            searchOk, search429, otherOk);
        assertThat(searchOk).isBetween(3, 4); // the burst (and at most one refill)
        assertThat(search429).isEqualTo(10 - searchOk);
        assertThat(otherOk).isEqualTo(10);
      } finally {
        discovery.close();
      }
    }
  }
}
