package dev.whaleray.router.undertow;

import static java.nio.charset.StandardCharsets.US_ASCII;
import static org.assertj.core.api.Assertions.assertThat;

import dev.whaleray.router.Endpoint;
import dev.whaleray.router.core.HealthCheck;
import dev.whaleray.router.lb.LbContext;
import dev.whaleray.router.undertow.testing.TestDiscovery;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
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
 * the idle timeout, a clean close when nothing is reachable, the listener's meters, its connection
 * limit, and TCP-connect health checks.
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
  void metersCountConnectionsBytesAndConnectFailures() throws Exception {
    int refusing = freePort();
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    try (EchoServer a = new EchoServer();
        RouterHandler handler =
            builder(a.endpoint(), Endpoint.of("127.0.0.1", refusing))
                .meterRegistry(registry)
                .build();
        TcpFrontend tcp = frontend(handler, Duration.ofSeconds(30))) {
      int n = 6;
      long sent = 0;
      for (int i = 0; i < n; i++) {
        String line = "line number " + i + "\n";
        sent += line.length();
        assertThat(echo(tcp.port(), line)).isEqualTo(line);
      }
      String port = Integer.toString(tcp.port());
      // The echoes above end when the client has read "bye"; the router closes its side a moment
      // later (CI once saw the last one still counted): wait for them before counting one held.
      awaitZero(tcp);
      try (Socket held = connect(tcp.port())) {
        held.getOutputStream().write("held\n".getBytes(US_ASCII));
        assertThat(new String(held.getInputStream().readNBytes(5), US_ASCII)).isEqualTo("held\n");
        sent += 5;
        assertThat(gauge(registry, "whaleray.tcp.connections.active", port)).isEqualTo(1.0);
        held.shutdownOutput();
        assertThat(new String(held.getInputStream().readAllBytes(), US_ASCII)).isEqualTo("bye\n");
      }
      awaitZero(tcp);
      double connectErrors =
          registry
              .get("whaleray.upstream.errors")
              .tags("service", "echo", "kind", "connect")
              .counter()
              .count();
      System.out.printf(
          "tcp meters after %d connections: accepted=%s in=%s out=%s connect errors=%s%n",
          n + 1,
          counter(registry, "whaleray.tcp.connections", port),
          bytes(registry, port, "in"),
          bytes(registry, port, "out"),
          connectErrors);
      assertThat(counter(registry, "whaleray.tcp.connections", port)).isEqualTo(n + 1.0);
      assertThat(bytes(registry, port, "in")).isEqualTo((double) sent);
      // Everything echoed, plus the "bye\n" of each connection.
      assertThat(bytes(registry, port, "out")).isEqualTo((double) sent + 4L * (n + 1));
      assertThat(gauge(registry, "whaleray.tcp.connections.active", port)).isZero();
      // Round robin over two: the refusing endpoint was picked first some of the times.
      assertThat(connectErrors).isGreaterThanOrEqualTo(1.0);
      assertThat(
              registry
                  .get("whaleray.tcp.connections.refused")
                  .tags("port", port, "reason", "limit")
                  .counter()
                  .count())
          .isZero();
    }
    // A closed frontend's meters leave the registry.
    assertThat(registry.find("whaleray.tcp.connections").meters()).isEmpty();
  }

  @Test
  void connectionsOverTheLimitAreClosedAndEarlierOnesKeepWorking() throws Exception {
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    try (EchoServer a = new EchoServer();
        RouterHandler handler = builder(a.endpoint()).meterRegistry(registry).build();
        TcpFrontend tcp =
            TcpFrontend.builder(handler, "echo")
                .host("127.0.0.1")
                .port(0)
                .ioThreads(1)
                .maxConnections(2)
                .start();
        Socket first = connect(tcp.port());
        Socket second = connect(tcp.port())) {
      assertThat(roundTrip(first, "one\n")).isEqualTo("one\n");
      assertThat(roundTrip(second, "two\n")).isEqualTo("two\n");
      try (Socket third = connect(tcp.port())) {
        third.setSoTimeout(5_000);
        assertThat(readOrReset(third)).isEqualTo(-1); // closed by the router, nothing echoed
      }
      assertThat(roundTrip(first, "one again\n")).isEqualTo("one again\n");
      assertThat(roundTrip(second, "two again\n")).isEqualTo("two again\n");
      assertThat(tcp.refusedConnections()).isEqualTo(1);
      assertThat(a.accepted.get()).isEqualTo(2); // the third never reached an endpoint
      String port = Integer.toString(tcp.port());
      assertThat(
              registry
                  .get("whaleray.tcp.connections.refused")
                  .tags("port", port, "reason", "limit")
                  .counter()
                  .count())
          .isEqualTo(1.0);
      assertThat(counter(registry, "whaleray.tcp.connections", port)).isEqualTo(2.0);
      // The limit is on connections open at once: once one closes, a new one is taken.
      first.close();
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
      while (tcp.openConnections() > 1 && System.nanoTime() < deadline) {
        Thread.sleep(10);
      }
      try (Socket fourth = connect(tcp.port())) {
        assertThat(roundTrip(fourth, "four\n")).isEqualTo("four\n");
      }
      assertThat(tcp.refusedConnections()).isEqualTo(1);
    }
  }

  @Test
  void maxConnectionsOutOfRangeIsRefusedNamingIt() {
    try (RouterHandler handler = handler(Endpoint.of("127.0.0.1", 1))) {
      org.assertj.core.api.Assertions.assertThatThrownBy(
              () -> TcpFrontend.builder(handler, "echo").maxConnections(0))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("maxConnections: 0");
    }
  }

  @Test
  void tcpHealthCheckKeepsTrafficOffARefusingEndpoint() throws Exception {
    int refusing = freePort();
    String down = "127.0.0.1:" + refusing;
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    try (EchoServer a = new EchoServer();
        RouterHandler handler =
            builder(a.endpoint(), Endpoint.of("127.0.0.1", refusing))
                .meterRegistry(registry)
                // Only the health check may take the refusing endpoint out, not outlier ejection.
                .outlierDetection(dev.whaleray.router.core.OutlierDetection.off())
                .healthCheck(
                    HealthCheck.tcp()
                        .withInterval(Duration.ofMillis(100))
                        .withTimeout(Duration.ofMillis(500))
                        .withThresholds(1, 1)
                        // Both start unhealthy: the echo server (which speaks no HTTP) must pass
                        // a TCP check to take traffic.
                        .withNewEndpointsWaitingForACheck(true))
                .build();
        TcpFrontend tcp = frontend(handler, Duration.ofSeconds(30))) {
      dev.whaleray.router.core.Cluster cluster = handler.clusterManager().get("echo", null);
      String up = a.endpoint().authority();
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
      while ((!cluster.endpointState(up).equals("healthy")
              || !cluster.endpointState(down).equals("unhealthy"))
          && System.nanoTime() < deadline) {
        Thread.sleep(20);
      }
      System.out.printf(
          "tcp health check: %s %s, %s %s%n",
          up, cluster.endpointState(up), down, cluster.endpointState(down));
      assertThat(cluster.endpointState(up)).isEqualTo("healthy");
      assertThat(cluster.endpointState(down)).isEqualTo("unhealthy");
      int n = 10;
      for (int i = 0; i < n; i++) {
        assertThat(echo(tcp.port(), "x" + i + "\n")).isEqualTo("x" + i + "\n");
      }
      assertThat(a.served.get()).isEqualTo(n); // the checks' connections carry no byte
      // No connection was even tried on the refusing endpoint.
      assertThat(
              registry
                  .get("whaleray.upstream.errors")
                  .tags("service", "echo", "kind", "connect")
                  .counter()
                  .count())
          .isZero();
      assertThat(cluster.endpointState(up)).isEqualTo("healthy");
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
    return builder(endpoints).build();
  }

  static RouterHandler.Builder builder(Endpoint... endpoints) {
    return RouterHandler.builder()
        .discovery(new TestDiscovery().set("echo", List.of(endpoints)))
        .loadBalancerContext(LbContext.of("x").withOptions(Map.of("slowStart", "0s")))
        .connectTimeout(Duration.ofSeconds(2));
  }

  static double counter(SimpleMeterRegistry r, String name, String port) {
    return r.get(name).tags("service", "echo", "port", port).counter().count();
  }

  static double gauge(SimpleMeterRegistry r, String name, String port) {
    return r.get(name).tags("service", "echo", "port", port).gauge().value();
  }

  static double bytes(SimpleMeterRegistry r, String port, String direction) {
    return r.get("whaleray.tcp.bytes")
        .tags("service", "echo", "port", port, "direction", direction)
        .counter()
        .count();
  }

  static void awaitZero(TcpFrontend tcp) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
    while (tcp.openConnections() != 0 && System.nanoTime() < deadline) {
      Thread.sleep(10);
    }
  }

  /** Writes {@code line} on an open connection and reads as many bytes back. */
  static String roundTrip(Socket s, String line) throws IOException {
    s.getOutputStream().write(line.getBytes(US_ASCII));
    return new String(s.getInputStream().readNBytes(line.length()), US_ASCII);
  }

  /** A read that sees the router's close: -1, a reset counting as -1; a timeout fails. */
  static int readOrReset(Socket s) {
    try {
      return s.getInputStream().read();
    } catch (SocketTimeoutException e) {
      throw new AssertionError("the connection stayed open", e);
    } catch (IOException e) {
      return -1;
    }
  }

  /** A frontend on a port no test took as a "refusing" one (see {@code Ports.listen}). */
  static TcpFrontend frontend(RouterHandler handler, Duration idle) {
    while (true) {
      TcpFrontend tcp =
          TcpFrontend.builder(handler, "echo")
              .host("127.0.0.1")
              .port(0)
              .ioThreads(2)
              .idleTimeout(idle)
              .start();
      if (!dev.whaleray.router.undertow.testing.Ports.handedOut(tcp.port())) {
        return tcp;
      }
      tcp.close();
    }
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
    return dev.whaleray.router.undertow.testing.Ports.free();
  }

  /** Writes {@code hello\n}, shuts its output down, then reads the client's bytes to their end. */
  static final class GreetingServer implements AutoCloseable {
    final ServerSocket server;
    final java.util.concurrent.CompletableFuture<String> received =
        new java.util.concurrent.CompletableFuture<>();
    final Thread thread;

    GreetingServer() throws IOException {
      server = dev.whaleray.router.undertow.testing.Ports.listen(10);
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
    final AtomicInteger served = new AtomicInteger(); // connections that sent a byte
    final ExecutorService threads = Executors.newCachedThreadPool();

    EchoServer() throws IOException {
      server = dev.whaleray.router.undertow.testing.Ports.listen(100);
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
        boolean first = true;
        while ((n = in.read(b)) != -1) {
          if (first && n > 0) {
            first = false;
            served.incrementAndGet();
          }
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
