package dev.whaleray.reference;

import dev.whaleray.router.Endpoint;
import io.undertow.Undertow;
import io.undertow.util.Headers;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;

/**
 * The two small backends of {@code --demo}: each answers every request with its own name and the
 * path it received, so a new user sees round-robin at once.
 */
final class DemoBackends implements AutoCloseable {
  private final List<Undertow> servers = new ArrayList<>();
  private final List<Endpoint> endpoints = new ArrayList<>();

  DemoBackends(int count) {
    for (int i = 1; i <= count; i++) {
      String name = "demo-backend-" + i;
      Undertow server =
          Undertow.builder()
              .addHttpListener(0, "127.0.0.1")
              .setIoThreads(1)
              .setWorkerThreads(1)
              .setHandler(
                  exchange -> {
                    exchange.getResponseHeaders().put(Headers.CONTENT_TYPE, "text/plain");
                    exchange.getResponseHeaders().put(Headers.CACHE_CONTROL, "no-store");
                    String query = exchange.getQueryString();
                    exchange
                        .getResponseSender()
                        .send(
                            "hello from "
                                + name
                                + " ("
                                + exchange.getDestinationAddress().getPort()
                                + "): "
                                + exchange.getRequestMethod()
                                + " "
                                + exchange.getRequestURI()
                                + (query.isEmpty() ? "" : "?" + query)
                                + "\n");
                  })
              .build();
      server.start();
      servers.add(server);
      int port = ((InetSocketAddress) server.getListenerInfo().get(0).getAddress()).getPort();
      endpoints.add(Endpoint.of("127.0.0.1", port));
    }
  }

  List<Endpoint> endpoints() {
    return List.copyOf(endpoints);
  }

  @Override
  public void close() {
    for (Undertow s : servers) {
      s.stop();
    }
  }
}
