package dev.whaleray.router.undertow;

import static java.nio.charset.StandardCharsets.US_ASCII;
import static org.assertj.core.api.Assertions.assertThat;

import dev.whaleray.router.Endpoint;
import dev.whaleray.router.lb.LbContext;
import dev.whaleray.router.undertow.testing.TestDiscovery;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * TCP frontends with real echo servers and real client sockets on loopback: balanced across two
 * endpoints, one endpoint refusing connections costs no client connection, half-close both ways,
 * the idle timeout, and a clean close when nothing is reachable.
 */
class TcpFrontendIT {

  @Test
  void echoIsBalancedAcrossTwoEndpoints() throws Exception {
    try (EchoServer a = new EchoServer();
        EchoServer b = new EchoServer();
        RouterHandler handler = handler(a.endpoint(), b.endpoint());
        TcpFrontend tcp = frontend(handler, Duration.ofSeconds(30))) {
      int n = 40;
      for (int i = 0; i < n; i++) {
        assertThat(echo(tcp.port(), "ping " + i + "\n")).isEqualTo("ping " + i + "\n");
      }
      System.out.printf(
          "tcp round-robin over 2 endpoints: %d connections -> a=%d b=%d%n",
          n, a.accepted.get(), b.accepted.get());
      assertThat(a.accepted.get() + b.accepted.get()).isEqualTo(n);
      assertThat(a.accepted.get()).isBetween(n / 2 - 2, n / 2 + 2);
      assertThat(b.accepted.get()).isBetween(n / 2 - 2, n / 2 + 2);
      assertThat(tcp.failedConnections()).isZero();
    }
  }

  @Test
  void oneEndpointDownCostsNoConnection() throws Exception {
    int refusing = freePort(); // bound and closed: connections to it are refused
    try (EchoServer a = new EchoServer();
        RouterHandler handler = handler(a.endpoint(), Endpoint.of("127.0.0.1", refusing));
        TcpFrontend tcp = frontend(handler, Duration.ofSeconds(30))) {
      int clients = 8;
      int perClient = 25;
      ExecutorService pool = Executors.newFixedThreadPool(clients);
      AtomicInteger ok = new AtomicInteger();
      AtomicInteger failed = new AtomicInteger();
      try {
        List<Future<?>> futures = new ArrayList<>();
        for (int c = 0; c < clients; c++) {
          int client = c;
          futures.add(
              pool.submit(
                  () -> {
                    for (int i = 0; i < perClient; i++) {
                      String line = "client " + client + " line " + i + "\n";
                      try {
                        if (echo(tcp.port(), line).equals(line)) {
                          ok.incrementAndGet();
                        } else {
                          failed.incrementAndGet();
                        }
                      } catch (IOException e) {
                        failed.incrementAndGet();
                      }
                    }
                  }));
        }
        for (Future<?> f : futures) {
          f.get(60, TimeUnit.SECONDS);
        }
      } finally {
        pool.shutdownNow();
      }
      System.out.printf(
          "tcp one of 2 endpoints refusing: %d ok, %d failed of %d connections; ejected: %s%n",
          ok.get(), failed.get(), clients * perClient, handler.clusters().get(0).ejected());
      assertThat(failed.get()).isZero();
      assertThat(ok.get()).isEqualTo(clients * perClient);
      assertThat(a.accepted.get()).isEqualTo(clients * perClient);
      assertThat(tcp.failedConnections()).isZero();
      // Outlier ejection saw the connect failures: the refusing endpoint left the picks.
      assertThat(handler.clusters().get(0).ejected()).containsExactly("127.0.0.1:" + refusing);
    }
  }

  @Test
  void halfClosePassesBothWays() throws Exception {
    try (EchoServer a = new EchoServer();
        RouterHandler handler = handler(a.endpoint());
        TcpFrontend tcp = frontend(handler, Duration.ofSeconds(30));
        Socket s = connect(tcp.port())) {
      OutputStream out = s.getOutputStream();
      byte[] big = new byte[256 * 1024]; // more than the tunnel's buffers: backpressure too
      for (int i = 0; i < big.length; i++) {
        big[i] = (byte) ('a' + i % 26);
      }
      out.write(big);
      out.flush();
      s.shutdownOutput(); // the server answers "bye" only once it has seen the end of stream
      byte[] got = s.getInputStream().readAllBytes();
      assertThat(got.length).isEqualTo(big.length + EchoServer.BYE.length);
      assertThat(new String(got, big.length, EchoServer.BYE.length, US_ASCII)).isEqualTo("bye\n");
      for (int i = 0; i < big.length; i += 4096) {
        assertThat(got[i]).isEqualTo(big[i]);
      }
    }
  }

  @Test
  void halfCloseFromTheBackendLeavesTheClientSending() throws Exception {
    try (GreetingServer g = new GreetingServer();
        RouterHandler handler = handler(g.endpoint());
        TcpFrontend tcp = frontend(handler, Duration.ofSeconds(30));
        Socket s = connect(tcp.port())) {
      InputStream in = s.getInputStream();
      // The backend said hello and shut its output down: the client sees the end of stream...
      assertThat(new String(in.readAllBytes(), US_ASCII)).isEqualTo("hello\n");
      // ...and may still send; the backend reads it to its end.
      s.getOutputStream().write("still here\n".getBytes(US_ASCII));
      s.shutdownOutput();
      assertThat(g.received.get(10, TimeUnit.SECONDS)).isEqualTo("still here\n");
    }
  }

  @Test
  void idleTunnelIsClosed() throws Exception {
    try (EchoServer a = new EchoServer();
        RouterHandler handler = handler(a.endpoint());
        TcpFrontend tcp = frontend(handler, Duration.ofMillis(500));
        Socket s = connect(tcp.port())) {
      s.getOutputStream().write("hi\n".getBytes(US_ASCII));
      InputStream in = s.getInputStream();
      assertThat(new String(in.readNBytes(3), US_ASCII)).isEqualTo("hi\n");
      long start = System.nanoTime();
      s.setSoTimeout(5_000);
      assertThat(in.read()).isEqualTo(-1); // closed by the router, not by the client or echo
      long waited = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
      System.out.printf("tcp idle timeout 500 ms: closed after %d ms%n", waited);
      assertThat(waited).isBetween(300L, 4_000L);
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
      while (a.open.get() != 0 && System.nanoTime() < deadline) {
        Thread.sleep(10);
      }
      assertThat(a.open.get()).isZero(); // the upstream side was closed too
    }
  }

  @Test
  void noReachableEndpointClosesTheClientConnection() throws Exception {
    try (RouterHandler handler =
            handler(Endpoint.of("127.0.0.1", freePort()), Endpoint.of("127.0.0.1", freePort()));
        TcpFrontend tcp = frontend(handler, Duration.ofSeconds(30));
        Socket s = connect(tcp.port())) {
      s.setSoTimeout(5_000);
      int r;
      try {
        r = s.getInputStream().read();
      } catch (SocketTimeoutException e) {
        throw new AssertionError("the client connection stayed open", e);
      } catch (IOException e) {
        r = -1; // a reset is a close too
      }
      assertThat(r).isEqualTo(-1);
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
      while (tcp.openConnections() != 0 && System.nanoTime() < deadline) {
        Thread.sleep(10);
      }
      assertThat(tcp.failedConnections()).isEqualTo(1);
      assertThat(tcp.openConnections()).isZero();
    }
  }

  @Test
  void badServiceNameIsRefusedNamingIt() {
    try (RouterHandler handler = handler(Endpoint.of("127.0.0.1", 1))) {
      org.assertj.core.api.Assertions.assertThatThrownBy(
              () -> TcpFrontend.builder(handler, "Not A Label"))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("service");
    }
  }

  static RouterHandler handler(Endpoint... endpoints) {
    return RouterHandler.builder()
        .discovery(new TestDiscovery().set("echo", List.of(endpoints)))
        .loadBalancerContext(LbContext.of("x").withOptions(Map.of("slowStart", "0s")))
        .connectTimeout(Duration.ofSeconds(2))
        .build();
  }

  static TcpFrontend frontend(RouterHandler handler, Duration idle) {
    return TcpFrontend.builder(handler, "echo")
        .host("127.0.0.1")
        .port(0)
        .ioThreads(2)
        .idleTimeout(idle)
        .start();
  }

  static Socket connect(int port) throws IOException {
    Socket s = new Socket(InetAddress.getLoopbackAddress(), port);
    s.setSoTimeout(10_000);
    return s;
  }

  /** One connection: sends {@code line}, half-closes, reads everything up to the end. */
  static String echo(int port, String line) throws IOException {
    try (Socket s = connect(port)) {
      s.getOutputStream().write(line.getBytes(US_ASCII));
      s.shutdownOutput();
      String got = new String(s.getInputStream().readAllBytes(), US_ASCII);
      if (!got.endsWith("bye\n")) {
        return got;
      }
      return got.substring(0, got.length() - 4);
    }
  }

  static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }

  /** Writes {@code hello\n}, shuts its output down, then reads the client's bytes to their end. */
  static final class GreetingServer implements AutoCloseable {
    final ServerSocket server;
    final java.util.concurrent.CompletableFuture<String> received =
        new java.util.concurrent.CompletableFuture<>();
    final Thread thread;

    GreetingServer() throws IOException {
      server = new ServerSocket(0, 10, InetAddress.getLoopbackAddress());
      thread =
          new Thread(
              () -> {
                try (Socket s = server.accept()) {
                  s.getOutputStream().write("hello\n".getBytes(US_ASCII));
                  s.shutdownOutput();
                  received.complete(new String(s.getInputStream().readAllBytes(), US_ASCII));
                } catch (IOException e) {
                  received.completeExceptionally(e);
                }
              });
      thread.setDaemon(true);
      thread.start();
    }

    Endpoint endpoint() {
      return Endpoint.of("127.0.0.1", server.getLocalPort());
    }

    @Override
    public void close() throws IOException {
      server.close();
    }
  }

  /**
   * A blocking echo server: echoes what it reads; at the end of its input it writes {@code bye\n}
   * and closes. Counts accepted and open connections.
   */
  static final class EchoServer implements AutoCloseable {
    static final byte[] BYE = "bye\n".getBytes(US_ASCII);
    final ServerSocket server;
    final AtomicInteger accepted = new AtomicInteger();
    final AtomicInteger open = new AtomicInteger();
    final ExecutorService threads = Executors.newCachedThreadPool();

    EchoServer() throws IOException {
      server = new ServerSocket(0, 100, InetAddress.getLoopbackAddress());
      threads.execute(this::acceptLoop);
    }

    Endpoint endpoint() {
      return Endpoint.of("127.0.0.1", server.getLocalPort());
    }

    private void acceptLoop() {
      while (!server.isClosed()) {
        Socket s;
        try {
          s = server.accept();
        } catch (IOException e) {
          return;
        }
        accepted.incrementAndGet();
        open.incrementAndGet();
        threads.execute(() -> serve(s));
      }
    }

    private void serve(Socket s) {
      try (s) {
        InputStream in = s.getInputStream();
        OutputStream out = s.getOutputStream();
        byte[] b = new byte[8192];
        int n;
        while ((n = in.read(b)) != -1) {
          out.write(b, 0, n);
        }
        out.write(BYE);
        out.flush();
      } catch (IOException e) {
        // the router closed it
      } finally {
        open.decrementAndGet();
      }
    }

    @Override
    public void close() throws IOException {
      server.close();
      threads.shutdownNow();
    }
  }
}
