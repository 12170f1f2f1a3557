package dev.whaleray.reference;

import dev.whaleray.router.undertow.RouterHandler;
import dev.whaleray.router.undertow.RouterServer;
import dev.whaleray.router.undertow.TcpFrontend;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * The extra frontends of {@code listeners:}, on the router's handler (its clusters, pools and
 * policies): an HTTP listener per port bound to one service, a {@link TcpFrontend} per TCP one.
 * Thread-safe once started.
 */
final class Frontends implements AutoCloseable {
  private static final System.Logger LOG = System.getLogger(Frontends.class.getName());

  private final List<RouterServer> http = new ArrayList<>();
  private final List<TcpFrontend> tcp = new ArrayList<>();

  private Frontends() {}

  /** Starts every listener of {@code config}; on a failure, closes those started and rethrows. */
  static Frontends start(RouterConfig config, RouterHandler handler) {
    Frontends f = new Frontends();
    try {
      for (ListenerSettings.Listener l : config.listeners) {
        if (l.protocol().equals(ListenerSettings.TCP)) {
          f.tcp.add(
              TcpFrontend.builder(handler, l.service())
                  .servicePort(l.servicePort())
                  .host(config.host)
                  .port(l.port())
                  .name("whaleray-tcp-" + l.port())
                  .idleTimeout(config.limits.idle)
                  .connectTimeout(config.connectTimeout)
                  .maxConnections(l.maxConnections(config.limits.maxConnections))
                  .start());
        } else {
          f.http.add(
              RouterServer.builder(handler.forService(l.service(), l.servicePort()))
                  .host(config.host)
                  .port(l.port())
                  .name("whaleray-" + l.port())
                  .idleTimeout(config.limits.idle)
                  .clientHeaderTimeout(config.limits.clientHeader)
                  .maxConnections(l.maxConnections(config.limits.maxConnections))
                  .maxConnectionsPerClient(config.limits.maxConnectionsPerClient)
                  .maxRequests(config.limits.maxRequests)
                  .start());
        }
        LOG.log(
            System.Logger.Level.INFO,
            "listener "
                + l.protocol()
                + " :"
                + l.port()
                + " -> service "
                + l.service()
                + (l.servicePort() == null ? "" : " port " + l.servicePort()));
      }
    } catch (RuntimeException e) {
      f.close();
      throw e;
    }
    return f;
  }

  /** The bound ports, in the order of {@code listeners:} per protocol: HTTP ones, then TCP. */
  List<Integer> ports() {
    List<Integer> ports = new ArrayList<>();
    for (RouterServer s : http) {
      ports.add(s.port());
    }
    for (TcpFrontend t : tcp) {
      ports.add(t.port());
    }
    return ports;
  }

  /**
   * Closes the TCP listeners (their sessions end), drains the HTTP ones as the main listener is,
   * all at once; blocks until done. True when every HTTP request finished in time.
   */
  boolean shutdown(Duration drain, Duration grace) {
    for (TcpFrontend t : tcp) {
      t.close();
    }
    List<CompletableFuture<Boolean>> drains = new ArrayList<>();
    for (RouterServer s : http) {
      CompletableFuture<Boolean> done = new CompletableFuture<>();
      Thread t =
          new Thread(
              () -> {
                try {
                  done.complete(s.shutdown(drain, grace));
                } catch (RuntimeException e) {
                  done.completeExceptionally(e);
                }
              },
              "whaleray-drain-" + s.port());
      t.setDaemon(true);
      t.start();
      drains.add(done);
    }
    boolean drained = true;
    for (CompletableFuture<Boolean> d : drains) {
      drained &= d.join();
    }
    return drained;
  }

  @Override
  public void close() {
    for (TcpFrontend t : tcp) {
      t.close();
    }
    for (RouterServer s : http) {
      s.close();
    }
  }
}
