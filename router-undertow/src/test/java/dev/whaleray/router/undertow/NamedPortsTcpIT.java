package dev.whaleray.router.undertow;

import static org.assertj.core.api.Assertions.assertThat;

import dev.whaleray.router.Endpoint;
import dev.whaleray.router.undertow.TcpFrontendIT.EchoServer;
import dev.whaleray.router.undertow.testing.CountingListener;
import java.net.Socket;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import java.util.logging.SimpleFormatter;
import org.junit.jupiter.api.Test;

/** A TCP listener bound to a named port of a service (issue #16). */
class NamedPortsTcpIT {

  private static TcpFrontend frontend(RouterHandler handler, String servicePort) {
    return TcpFrontend.builder(handler, "echo")
        .servicePort(servicePort)
        .host("127.0.0.1")
        .port(0)
        .ioThreads(1)
        .start();
  }

  @Test
  void connectionsGoToTheNamedPortOfEachEndpointAndNeverElsewhere() throws Exception {
    try (CountingListener app1 = CountingListener.start();
        CountingListener app2 = CountingListener.start();
        EchoServer grpc1 = new EchoServer();
        EchoServer grpc2 = new EchoServer();
        RouterHandler handler =
            TcpFrontendIT.handler(
                Endpoint.builder("127.0.0.1", app1.port())
                    .port("grpc", grpc1.server.getLocalPort())
                    .build(),
                Endpoint.builder("127.0.0.1", app2.port())
                    .port("grpc", grpc2.server.getLocalPort())
                    .build());
        TcpFrontend grpc = frontend(handler, "grpc");
        TcpFrontend none = frontend(handler, "metrics");
        RouterLog log = new RouterLog()) {
      for (int i = 0; i < 10; i++) {
        String got;
        long start = System.nanoTime();
        try {
          got = TcpFrontendIT.echo(grpc.port(), "ping " + i + "\n");
        } catch (java.net.SocketException e) {
          // Once in a loaded CI run the router closed connection 0 (a reset): discovery answered
          // between its two looks at the new cluster and it took the answer for a failure (fixed,
          // see FirstLookup). Should another reset come, say what each side saw and why the router
          // closed it (its DEBUG lines).
          throw new AssertionError(
              "connection "
                  + i
                  + ": "
                  + e
                  + " after "
                  + TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start)
                  + " ms; router closed "
                  + grpc.failedConnections()
                  + " client(s); grpc backends accepted "
                  + grpc1.accepted.get()
                  + " + "
                  + grpc2.accepted.get()
                  + "; the router's TCP log: "
                  + log.lines,
              e);
        }
        assertThat(got).isEqualTo("ping " + i + "\n");
      }
      assertThat(grpc1.accepted.get()).isEqualTo(5);
      assertThat(grpc2.accepted.get()).isEqualTo(5);

      // No endpoint has a metrics port: the client is closed, nothing is connected.
      try (Socket s = TcpFrontendIT.connect(none.port())) {
        int read;
        try {
          read = s.getInputStream().read();
        } catch (java.net.SocketException reset) {
          read = -1; // closed with unread bytes in flight: a reset is a close too
        }
        assertThat(read).isEqualTo(-1);
      }
      assertThat(none.failedConnections()).isEqualTo(1);
      assertThat(app1.accepted()).isZero();
      assertThat(app2.accepted()).isZero();
    }
  }

  /**
   * The DEBUG lines of the router's TCP path while open (a closed client's reason, a failed
   * connect, a tunnel's error), through java.util.logging, where the router's System.Logger goes.
   */
  static final class RouterLog extends Handler implements AutoCloseable {
    private static final String[] NAMES = {
      "dev.whaleray.router.undertow.internal.proxy.TcpProxy",
      "dev.whaleray.router.undertow.internal.proxy.UpgradeTunnel"
    };
    final Queue<String> lines = new ConcurrentLinkedQueue<>();
    private final Logger[] loggers = new Logger[NAMES.length]; // held: JUL keeps loggers weakly
    private final Level[] levels = new Level[NAMES.length];
    private final SimpleFormatter formatter = new SimpleFormatter();

    RouterLog() {
      setLevel(Level.ALL);
      for (int i = 0; i < NAMES.length; i++) {
        loggers[i] = Logger.getLogger(NAMES[i]);
        levels[i] = loggers[i].getLevel();
        loggers[i].setLevel(Level.FINE); // System.Logger's DEBUG
        loggers[i].addHandler(this);
      }
    }

    @Override
    public void publish(LogRecord r) {
      String name = r.getLoggerName();
      lines.add(name.substring(name.lastIndexOf('.') + 1) + ": " + formatter.formatMessage(r));
    }

    @Override
    public void flush() {}

    @Override
    public void close() {
      for (int i = 0; i < NAMES.length; i++) {
        loggers[i].removeHandler(this);
        loggers[i].setLevel(levels[i]);
      }
    }
  }
}
