package dev.whaleray.router.undertow;

import static org.assertj.core.api.Assertions.assertThat;

import dev.whaleray.router.Endpoint;
import dev.whaleray.router.undertow.testing.TestBackend;
import dev.whaleray.router.undertow.testing.TestDiscovery;
import io.undertow.Undertow;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Passive outlier ejection, on by default: a backend that answers 500 to everything is taken out of
 * the picks after five 500s in a row, so after the first second under 1 % of the answers are 500
 * (before: a third). When every backend answers 500, the 500s reach the client: ejection hides
 * nothing, and at most half of a service is ejected.
 */
class OutlierIT {
  static final int CLIENTS = 32;

  static TestBackend a;
  static TestBackend b;
  static Undertow broken;
  static Undertow broken2;
  static final AtomicInteger brokenRequests = new AtomicInteger();

  @BeforeAll
  static void start() {
    a = TestBackend.start("a");
    b = TestBackend.start("b");
    broken = failing();
    broken2 = failing();
  }

  private static Undertow failing() {
    Undertow u =
        Undertow.builder()
            .addHttpListener(0, "127.0.0.1")
            .setIoThreads(1)
            .setHandler(
                exchange -> {
                  brokenRequests.incrementAndGet();
                  exchange.setStatusCode(500);
                  exchange.getResponseSender().send("broken");
                })
            .build();
    u.start();
    return u;
  }

  private static Endpoint endpoint(Undertow u) {
    return Endpoint.of(
        "127.0.0.1", ((InetSocketAddress) u.getListenerInfo().get(0).getAddress()).getPort());
  }

  @AfterAll
  static void stop() {
    a.close();
    b.close();
    broken.stop();
    broken2.stop();
  }

  @Test
  void aBackendAnswering500IsEjectedWithinTheFirstSecond() throws Exception {
    TestDiscovery discovery =
        new TestDiscovery()
            .set(
                "x",
                List.of(
                    Endpoint.parse(a.address()), Endpoint.parse(b.address()), endpoint(broken)));
    try (RouterHandler handler = RouterHandler.builder().discovery(discovery).build();
        RouterServer server =
            RouterServer.builder(handler).host("127.0.0.1").port(0).ioThreads(2).start()) {
      int[][] counts = load(server.port(), Duration.ofSeconds(4), Duration.ofSeconds(1));
      int firstOk = counts[0][0];
      int first500 = counts[0][1];
      int laterOk = counts[1][0];
      int later500 = counts[1][1];
      System.out.printf(
          "one backend answering 500: first second %d ok, %d x 500; then %d ok, %d x 500 (%.3f %%)%n",
          firstOk, first500, laterOk, later500, 100.0 * later500 / (laterOk + later500));
      assertThat(laterOk).isGreaterThan(1000);
      assertThat(later500 * 100.0 / (laterOk + later500)).isLessThan(1.0);
    } finally {
      discovery.close();
    }
  }

  @Test
  void whenEveryBackendAnswers500TheClientSeesThe500s() throws Exception {
    TestDiscovery discovery =
        new TestDiscovery().set("x", List.of(endpoint(broken), endpoint(broken2)));
    try (RouterHandler handler = RouterHandler.builder().discovery(discovery).build();
        RouterServer server =
            RouterServer.builder(handler).host("127.0.0.1").port(0).ioThreads(2).start()) {
      int before = brokenRequests.get();
      int[][] counts = load(server.port(), Duration.ofSeconds(2), Duration.ZERO);
      int ok = counts[1][0];
      int failed = counts[1][1];
      System.out.printf(
          "every backend answering 500: %d x 500, %d other; backends saw %d requests%n",
          failed, ok, brokenRequests.get() - before);
      assertThat(failed).isGreaterThan(100);
      assertThat(ok).isZero();
      // Nothing hidden and nothing doubled: 500s are answers, never retried.
      assertThat(brokenRequests.get() - before).isEqualTo(failed);
    } finally {
      discovery.close();
    }
  }

  /** [phase][ok, 500] for requests answered before and after {@code split}; other answers fail. */
  private static int[][] load(int port, Duration duration, Duration split) throws Exception {
    URI uri = URI.create("http://127.0.0.1:" + port + "/services/x/work");
    int[][] counts = new int[2][2];
    AtomicInteger[][] c = {
      {new AtomicInteger(), new AtomicInteger()}, {new AtomicInteger(), new AtomicInteger()}
    };
    AtomicInteger other = new AtomicInteger();
    long start = System.nanoTime();
    long deadline = start + duration.toNanos();
    long splitAt = start + split.toNanos();
    ExecutorService pool = Executors.newFixedThreadPool(CLIENTS);
    try {
      List<Future<?>> clients = new ArrayList<>();
      for (int i = 0; i < CLIENTS; i++) {
        clients.add(
            pool.submit(
                () -> {
                  HttpClient client =
                      HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
                  while (System.nanoTime() < deadline) {
                    HttpResponse<String> r =
                        client.send(
                            HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(10)).build(),
                            HttpResponse.BodyHandlers.ofString());
                    int phase = System.nanoTime() < splitAt ? 0 : 1;
                    if (r.statusCode() == 200) {
                      c[phase][0].incrementAndGet();
                    } else if (r.statusCode() == 500) {
                      c[phase][1].incrementAndGet();
                    } else {
                      other.incrementAndGet();
                    }
                  }
                  return null;
                }));
      }
      for (Future<?> f : clients) {
        f.get(duration.toMillis() + 30_000, TimeUnit.MILLISECONDS);
      }
    } finally {
      pool.shutdownNow();
    }
    assertThat(other.get()).as("answers other than 200 and 500").isZero();
    for (int p = 0; p < 2; p++) {
      counts[p][0] = c[p][0].get();
      counts[p][1] = c[p][1].get();
    }
    return counts;
  }
}
