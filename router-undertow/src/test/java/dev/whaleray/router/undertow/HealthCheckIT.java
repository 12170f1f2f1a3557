package dev.whaleray.router.undertow;

import static org.assertj.core.api.Assertions.assertThat;

import dev.whaleray.router.Endpoint;
import dev.whaleray.router.core.HealthCheck;
import dev.whaleray.router.undertow.testing.BackendProcess;
import dev.whaleray.router.undertow.testing.TestBackend;
import dev.whaleray.router.undertow.testing.TestDiscovery;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Active health checks (GET /health every 200 ms, timeout 300 ms, healthy after 2 passes, unhealthy
 * after 2 failures) with real backends: a backend that accepts connections and never answers is
 * taken out of the picks and no request waits on it; a backend killed and restarted on the same
 * port takes traffic again within its healthy threshold, ejection or not, and no client sees an
 * error meanwhile.
 */
class HealthCheckIT {
  static final HealthCheck CHECK =
      HealthCheck.of("/health")
          .withInterval(Duration.ofMillis(200))
          .withTimeout(Duration.ofMillis(300))
          .withThresholds(2, 2);

  static TestBackend a;
  static TestBackend b;

  @BeforeAll
  static void start() {
    a = TestBackend.start("a");
    b = TestBackend.start("b");
  }

  @AfterAll
  static void stop() {
    a.close();
    b.close();
  }

  /** Accepts connections and holds them, answering nothing. */
  static final class Hung implements AutoCloseable {
    final ServerSocket server;
    final List<Socket> held = new CopyOnWriteArrayList<>();

    Hung() throws Exception {
      server = new ServerSocket(0, 1000, InetAddress.getLoopbackAddress());
      Thread t =
          new Thread(
              () -> {
                while (!server.isClosed()) {
                  try {
                    held.add(server.accept());
                  } catch (Exception e) {
                    // closed
                  }
                }
              });
      t.setDaemon(true);
      t.start();
    }

    @Override
    public void close() throws Exception {
      server.close();
      for (Socket s : held) {
        s.close();
      }
    }
  }

  @Test
  void aBackendThatNeverAnswersIsLeftOutAndNoRequestWaitsOnIt() throws Exception {
    try (Hung hung = new Hung()) {
      TestDiscovery discovery =
          new TestDiscovery()
              .set(
                  "x",
                  List.of(
                      Endpoint.parse(a.address()),
                      Endpoint.parse(b.address()),
                      Endpoint.of("127.0.0.1", hung.server.getLocalPort())));
      try (RouterHandler handler =
              RouterHandler.builder().discovery(discovery).healthCheck(CHECK).build();
          RouterServer server =
              RouterServer.builder(handler).host("127.0.0.1").port(0).ioThreads(2).start()) {
        HttpClient client = HttpClient.newHttpClient();
        URI uri = URI.create("http://127.0.0.1:" + server.port() + "/services/x/work");
        // The first request watches the service and starts the checks (it may land on the hung
        // backend, before any check ran: then it times out, as it would have before).
        try {
          client.send(
              HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(1)).build(),
              HttpResponse.BodyHandlers.discarding());
        } catch (java.net.http.HttpTimeoutException e) {
          // the hung one
        }
        // Unhealthy within interval x threshold plus a timeout: well within 1.5 s.
        Thread.sleep(1500);
        long slowest = 0;
        int ok = 0;
        for (int i = 0; i < 300; i++) {
          long t0 = System.nanoTime();
          HttpResponse<String> r =
              client.send(
                  HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(2)).build(),
                  HttpResponse.BodyHandlers.ofString());
          slowest = Math.max(slowest, System.nanoTime() - t0);
          if (r.statusCode() == 200) {
            ok++;
          }
        }
        System.out.printf(
            "hung backend: 300 requests after 1.5 s, %d ok, slowest %d ms%n",
            ok, slowest / 1_000_000);
        assertThat(ok).isEqualTo(300);
        assertThat(slowest).isLessThan(TimeUnit.SECONDS.toNanos(1));
      } finally {
        discovery.close();
      }
    }
  }

  @Test
  void aKilledBackendTakesTrafficAgainWithinItsHealthyThresholdOfARestart() throws Exception {
    BackendProcess c = BackendProcess.start("c", 0);
    int port = c.port();
    TestDiscovery discovery =
        new TestDiscovery()
            .set(
                "x",
                List.of(
                    Endpoint.parse(a.address()),
                    Endpoint.parse(b.address()),
                    Endpoint.of("127.0.0.1", port)));
    BackendProcess[] restarted = new BackendProcess[1];
    try (RouterHandler handler =
            RouterHandler.builder()
                .discovery(discovery)
                // A cold JVM's first answers can take longer than 300 ms on a loaded machine.
                .healthCheck(CHECK.withTimeout(Duration.ofSeconds(1)))
                .build();
        RouterServer server =
            RouterServer.builder(handler).host("127.0.0.1").port(0).ioThreads(2).start()) {
      URI uri = URI.create("http://127.0.0.1:" + server.port() + "/services/x/work");
      AtomicInteger ok = new AtomicInteger();
      List<String> errors = new CopyOnWriteArrayList<>();
      Map<String, AtomicInteger> byBackend = new ConcurrentHashMap<>();
      AtomicLong upAt = new AtomicLong();
      AtomicLong firstAfterRestart = new AtomicLong();
      long start = System.nanoTime();
      // 20 s, and at least 5 s after the restarted JVM is up (it starts slowly beside 32 clients).
      java.util.function.LongSupplier end =
          () ->
              upAt.get() == 0
                  ? start + TimeUnit.SECONDS.toNanos(40)
                  : Math.max(start + TimeUnit.SECONDS.toNanos(20), upAt.get() + 5_000_000_000L);
      ExecutorService pool = Executors.newFixedThreadPool(33);
      try {
        pool.submit(
            () -> {
              Thread.sleep(10_000);
              c.kill(); // SIGKILL at 10 s
              Thread.sleep(5_000);
              restarted[0] = BackendProcess.start("c", port); // back at 15 s
              upAt.set(System.nanoTime());
              return null;
            });
        List<Future<?>> clients = new ArrayList<>();
        for (int i = 0; i < 32; i++) {
          clients.add(
              pool.submit(
                  () -> {
                    HttpClient client = HttpClient.newHttpClient();
                    while (System.nanoTime() < end.getAsLong()) {
                      try {
                        HttpResponse<String> r =
                            client.send(
                                HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(5)).build(),
                                HttpResponse.BodyHandlers.ofString());
                        if (r.statusCode() != 200) {
                          errors.add("status " + r.statusCode());
                          continue;
                        }
                        ok.incrementAndGet();
                        String backend = r.headers().firstValue("X-Backend").orElse("?");
                        byBackend
                            .computeIfAbsent(backend, k -> new AtomicInteger())
                            .incrementAndGet();
                        if (backend.equals("c") && upAt.get() != 0) {
                          firstAfterRestart.compareAndSet(0, System.nanoTime());
                        }
                      } catch (java.io.IOException e) {
                        errors.add(e.toString());
                      }
                    }
                    return null;
                  }));
        }
        for (Future<?> f : clients) {
          f.get(60, TimeUnit.SECONDS);
        }
      } finally {
        pool.shutdownNow();
      }
      long backMs =
          firstAfterRestart.get() == 0 ? -1 : (firstAfterRestart.get() - upAt.get()) / 1_000_000;
      System.out.printf(
          "32 clients, killed at 10 s, back at 15 s, with health checks: %d ok, %d errors %s; by backend %s;"
              + " traffic back %d ms after the restart%n",
          ok.get(),
          errors.size(),
          errors.isEmpty() ? "" : errors.subList(0, Math.min(5, errors.size())),
          byBackend,
          backMs);
      assertThat(errors).isEmpty();
      assertThat(upAt.get()).as("restarted").isNotZero();
      // Two passing checks 200 ms apart, plus a cold JVM's first answers (about 1 s seen here on a
      // loaded 2-core machine): within 3 s, where ejection alone would have kept it out for 30 s.
      assertThat(backMs).isBetween(0L, 3000L);
    } finally {
      discovery.close();
      c.close();
      if (restarted[0] != null) {
        restarted[0].close();
      }
    }
  }

  @Test
  void aBackendThatMovesToAnotherPortGetsNothingMoreOnTheOldOne() throws Exception {
    try (TestBackend old = TestBackend.start("old");
        TestBackend moved = TestBackend.start("moved")) {
      TestDiscovery discovery =
          new TestDiscovery().set("m", List.of(Endpoint.parse(old.address())));
      try (RouterHandler handler =
              RouterHandler.builder().discovery(discovery).healthCheck(CHECK).build();
          RouterServer server =
              RouterServer.builder(handler).host("127.0.0.1").port(0).ioThreads(2).start()) {
        HttpClient client = HttpClient.newHttpClient();
        URI uri = URI.create("http://127.0.0.1:" + server.port() + "/services/m/x");
        assertThat(
                client
                    .send(HttpRequest.newBuilder(uri).build(), HttpResponse.BodyHandlers.ofString())
                    .headers()
                    .firstValue("X-Backend"))
            .hasValue("old");
        Thread.sleep(600); // some checks of the old port
        int checksBefore = old.requests();
        discovery.set("m", List.of(Endpoint.parse(moved.address())));
        Thread.sleep(400); // a check already sent may still land
        int atMove = old.requests();
        for (int i = 0; i < 50; i++) {
          HttpResponse<String> r =
              client.send(
                  HttpRequest.newBuilder(uri).build(), HttpResponse.BodyHandlers.ofString());
          assertThat(r.headers().firstValue("X-Backend")).hasValue("moved");
        }
        Thread.sleep(1000); // five check intervals
        System.out.printf(
            "moved: old port saw %d requests (checks included) before the move, %d after it%n",
            atMove, old.requests() - atMove);
        assertThat(checksBefore).isGreaterThan(1);
        assertThat(old.requests()).isEqualTo(atMove);
        assertThat(moved.requests()).isGreaterThanOrEqualTo(50);
      } finally {
        discovery.close();
      }
    }
  }

  @Test
  void whenEveryEndpointFailsItsChecksTrafficGoesToAllAndTheAnswerSaysSo() throws Exception {
    TestDiscovery discovery =
        new TestDiscovery()
            .set("p", List.of(Endpoint.parse(a.address()), Endpoint.parse(b.address())));
    try (RouterHandler handler =
            RouterHandler.builder()
                .discovery(discovery)
                // Both backends answer 503 on this path: every check fails.
                .healthCheck(HealthCheck.of("/status/503").withInterval(Duration.ofMillis(100)))
                // Without slow start: an endpoint back from unhealthy ramps up over 30 s, which
                // would skew the round-robin this test counts on (seen in CI: 20 of 20 on one).
                .loadBalancerContext(
                    dev.whaleray.router.lb.LbContext.of("t").withOptions(Map.of("slowStart", "0s")))
                .build();
        RouterServer server =
            RouterServer.builder(handler).host("127.0.0.1").port(0).ioThreads(2).start()) {
      HttpClient client = HttpClient.newHttpClient();
      URI uri = URI.create("http://127.0.0.1:" + server.port() + "/services/p/work");
      HttpResponse<String> first =
          client.send(HttpRequest.newBuilder(uri).build(), HttpResponse.BodyHandlers.ofString());
      assertThat(first.headers().firstValue("X-WhaleRay-Panic")).isEmpty();
      Thread.sleep(1500); // three failed checks each, well past the threshold
      Map<String, Integer> answered = new java.util.TreeMap<>();
      for (int i = 0; i < 20; i++) {
        HttpResponse<String> r =
            client.send(HttpRequest.newBuilder(uri).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.headers().firstValue("X-WhaleRay-Panic")).hasValue("all endpoints unhealthy");
        answered.merge(r.headers().firstValue("X-Backend").orElse("?"), 1, Integer::sum);
      }
      System.out.printf("panic: every endpoint unhealthy, 20 answers from %s%n", answered);
      assertThat(answered.keySet()).containsExactly("a", "b");
    } finally {
      discovery.close();
    }
  }
}
