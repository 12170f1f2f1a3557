package dev.whaleray.router.undertow;

import static org.assertj.core.api.Assertions.assertThat;

import dev.whaleray.router.Endpoint;
import dev.whaleray.router.core.OutlierDetection;
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
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * A service failing as a whole cannot double its load through retries: two backends that read each
 * request's head and reset the connection (before any response: a GET is retried), ejection off so
 * every request reaches them; the retries counted at the backends stay within 20 % of the requests
 * plus the floor of 10 a second over 10 s. Without the budget, every request would be tried twice.
 */
class RetryBudgetIT {
  static final int REQUESTS = 2_000;
  static final int CLIENTS = 16;

  /** Accepts connections, reads a request head and resets each; counts them. */
  static final class Slammer implements AutoCloseable {
    final ServerSocket server;
    final AtomicInteger accepted = new AtomicInteger();
    final Thread thread;

    Slammer() throws Exception {
      server = new ServerSocket(0, 1000, InetAddress.getLoopbackAddress());
      thread =
          new Thread(
              () -> {
                while (!server.isClosed()) {
                  try (Socket s = server.accept()) {
                    accepted.incrementAndGet();
                    // Read the request head, then reset: the request reached a backend and failed
                    // (a retry after a mere connect failure is free of the budget).
                    s.setSoTimeout(5000);
                    java.io.InputStream in = s.getInputStream();
                    int matched = 0;
                    for (int ch; matched < 4 && (ch = in.read()) != -1; ) {
                      matched =
                          ch == "\r\n\r\n".charAt(matched) ? matched + 1 : (ch == '\r' ? 1 : 0);
                    }
                    s.setSoLinger(true, 0);
                  } catch (Exception e) {
                    // closed
                  }
                }
              });
      thread.setDaemon(true);
      thread.start();
    }

    Endpoint endpoint() {
      return Endpoint.of("127.0.0.1", server.getLocalPort());
    }

    @Override
    public void close() throws Exception {
      server.close();
    }
  }

  @Test
  void retriesStayWithinTheBudget() throws Exception {
    try (Slammer one = new Slammer();
        Slammer two = new Slammer()) {
      TestDiscovery discovery =
          new TestDiscovery().set("x", List.of(one.endpoint(), two.endpoint()));
      try (RouterHandler handler =
              RouterHandler.builder()
                  .discovery(discovery)
                  .retries(1)
                  .outlierDetection(OutlierDetection.off())
                  .build();
          RouterServer server =
              RouterServer.builder(handler).host("127.0.0.1").port(0).ioThreads(2).start()) {
        URI uri = URI.create("http://127.0.0.1:" + server.port() + "/services/x/get");
        AtomicInteger sent = new AtomicInteger();
        AtomicInteger badGateway = new AtomicInteger();
        AtomicInteger other = new AtomicInteger();
        long start = System.nanoTime();
        ExecutorService pool = Executors.newFixedThreadPool(CLIENTS);
        try {
          List<Future<?>> clients = new ArrayList<>();
          for (int c = 0; c < CLIENTS; c++) {
            clients.add(
                pool.submit(
                    () -> {
                      HttpClient client = HttpClient.newHttpClient();
                      while (sent.incrementAndGet() <= REQUESTS) {
                        HttpResponse<Void> r =
                            client.send(
                                HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(10)).build(),
                                HttpResponse.BodyHandlers.discarding());
                        (r.statusCode() == 502 ? badGateway : other).incrementAndGet();
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
        long seconds = Math.max(1, (System.nanoTime() - start) / 1_000_000_000L);
        int attempts = one.accepted.get() + two.accepted.get();
        int retries = attempts - REQUESTS;
        System.out.printf(
            "retry budget: %d requests in %d s, %d attempts at the backends, %d retries (%.1f %%)%n",
            REQUESTS, seconds, attempts, retries, 100.0 * retries / REQUESTS);
        assertThat(badGateway.get()).isEqualTo(REQUESTS);
        assertThat(other.get()).isZero();
        // 20 % of the requests, plus 10 a second for as long as the run took (window of 10 s).
        assertThat(retries)
            .isLessThanOrEqualTo(REQUESTS / 5 + 10 * (int) Math.min(seconds + 10, 100));
        assertThat(retries).isGreaterThan(0);
      } finally {
        discovery.close();
      }
    }
  }
}
