package dev.whaleray.examples.embedded;

import dev.whaleray.discovery.staticlist.StaticDiscovery;
import dev.whaleray.router.Endpoint;
import dev.whaleray.router.Route;
import dev.whaleray.router.Router;
import dev.whaleray.router.discovery.Discovery;
import dev.whaleray.router.undertow.RouterHandler;
import io.undertow.Handlers;
import io.undertow.Undertow;
import io.undertow.server.handlers.GracefulShutdownHandler;
import io.undertow.server.handlers.PathHandler;
import io.undertow.util.Headers;
import java.time.Duration;
import java.time.Instant;

/**
 * An existing Undertow application with handlers of its own that mounts the router under {@code
 * /services}: {@code /services/{id}/...} is proxied to service {@code id}, everything else stays
 * with the application.
 */
public final class EmbeddedApp implements AutoCloseable {
  private final Undertow server;
  private final RouterHandler router;
  private final GracefulShutdownHandler shutdown;

  /** Starts the application on {@code port} (0: ephemeral), proxying through {@code discovery}. */
  public EmbeddedApp(int port, Discovery discovery) {
    // The router, mounted under /services: its routes see the path below the mount point.
    router =
        RouterHandler.builder()
            .router(Router.builder().route(Route.path("/{service}")).build())
            .discovery(discovery)
            .healthPath(null) // the application answers its own health checks
            .responseTimeout(Duration.ofSeconds(30))
            // The router sets each proxied exchange's body limit itself: this one (413 beyond),
            // not the server's MAX_ENTITY_SIZE (Undertow's default, 2 MiB, would cut uploads).
            .maxRequestBodySize(100L * 1024 * 1024)
            .tunnelIdleTimeout(Duration.ofSeconds(60)) // a WebSocket quiet this long is closed
            .build();

    // The application's own handlers, as before.
    PathHandler routes =
        Handlers.path()
            .addExactPath("/", exchange -> exchange.getResponseSender().send("my app\n"))
            .addExactPath(
                "/api/time",
                exchange -> {
                  exchange.getResponseHeaders().put(Headers.CONTENT_TYPE, "text/plain");
                  exchange.getResponseSender().send(Instant.now().toString());
                })
            .addPrefixPath("/services", router);

    // Requests in flight finish on shutdown (close() below) before the listener goes.
    shutdown = Handlers.gracefulShutdown(routes);
    server = Undertow.builder().addHttpListener(port, "127.0.0.1").setHandler(shutdown).build();
    server.start();
  }

  /** Stops taking requests, lets those in flight finish (up to 20 s), then stops everything. */
  @Override
  public void close() {
    shutdown.shutdown();
    try {
      shutdown.awaitShutdown(20_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    server.stop();
    router.close(); // upstream pools and service watches; the caller closes its discovery
  }

  /** The bound port. */
  public int port() {
    return ((java.net.InetSocketAddress) server.getListenerInfo().get(0).getAddress()).getPort();
  }

  /** {@code java -cp ... EmbeddedApp 8080 catalog=127.0.0.1:8081,127.0.0.1:8082}. */
  public static void main(String[] args) {
    int port = args.length > 0 ? Integer.parseInt(args[0]) : 8080;
    StaticDiscovery.Builder discovery = StaticDiscovery.builder();
    for (int i = 1; i < args.length; i++) {
      String[] service = args[i].split("=", 2);
      for (String address : service[1].split(",")) {
        discovery.service(service[0], Endpoint.parse(address));
      }
    }
    EmbeddedApp app = new EmbeddedApp(port, discovery.build());
    System.out.println("listening on 127.0.0.1:" + app.port());
  }
}
