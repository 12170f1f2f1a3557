package dev.whaleray.reference;

import io.undertow.Undertow;
import io.undertow.server.HttpHandler;
import io.undertow.server.HttpServerExchange;
import io.undertow.server.handlers.PathHandler;
import io.undertow.util.Headers;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;

/**
 * The admin listener ({@code adminPort}, 9901; 0 turns it off): {@code GET /metrics} and the admin
 * API under {@code /admin/}, on a port of its own so that the traffic port never exposes them.
 * Handlers run on a worker thread (they may block briefly: a scrape, a Cloud Map call).
 */
final class AdminServer implements AutoCloseable {
  private final PathHandler paths = new PathHandler(AdminServer::notFound);
  private final Undertow server;

  AdminServer(String host, int port) {
    this.server =
        Undertow.builder()
            .addHttpListener(port, host)
            .setIoThreads(1)
            .setWorkerThreads(4)
            .setHandler(
                exchange -> {
                  if (exchange.isInIoThread()) {
                    exchange.dispatch(paths);
                  } else {
                    paths.handleRequest(exchange);
                  }
                })
            .build();
  }

  /** Serves {@code path} (exact) with {@code handler}; before {@link #start}. */
  AdminServer exact(String path, HttpHandler handler) {
    paths.addExactPath(path, handler);
    return this;
  }

  /** Serves every path under {@code prefix} with {@code handler}; before {@link #start}. */
  AdminServer prefix(String prefix, HttpHandler handler) {
    paths.addPrefixPath(prefix, handler);
    return this;
  }

  /**
   * As {@link #prefix}, with the handler made on the first request to it: what it loads (Jackson)
   * stays off the start-up path.
   */
  AdminServer prefixLazily(String prefix, java.util.function.Supplier<HttpHandler> factory) {
    return prefix(
        prefix,
        new HttpHandler() {
          private volatile @org.jspecify.annotations.Nullable HttpHandler made;

          @Override
          public void handleRequest(HttpServerExchange exchange) throws Exception {
            HttpHandler h = made;
            if (h == null) {
              synchronized (this) {
                h = made;
                if (h == null) {
                  h = factory.get();
                  made = h;
                }
              }
            }
            h.handleRequest(exchange);
          }
        });
  }

  AdminServer start() {
    server.start();
    return this;
  }

  /** The bound port (the configured one, or the one the system chose for 0 in tests). */
  int port() {
    return ((InetSocketAddress) server.getListenerInfo().get(0).getAddress()).getPort();
  }

  @Override
  public void close() {
    server.stop();
  }

  /** A JSON error body, as on the traffic port. */
  static void error(HttpServerExchange exchange, int status, String error) {
    exchange.setStatusCode(status);
    exchange.getResponseHeaders().put(Headers.CONTENT_TYPE, "application/json");
    StringBuilder sb = new StringBuilder("{\"error\":\"");
    for (int i = 0; i < error.length(); i++) {
      char c = error.charAt(i);
      if (c == '"' || c == '\\') {
        sb.append('\\').append(c);
      } else if (c < 0x20) {
        sb.append(String.format("\\u%04x", (int) c));
      } else {
        sb.append(c);
      }
    }
    exchange.getResponseSender().send(sb.append("\"}").toString(), StandardCharsets.UTF_8);
  }

  private static void notFound(HttpServerExchange exchange) {
    error(exchange, 404, "not found: " + exchange.getRequestPath());
  }
}
