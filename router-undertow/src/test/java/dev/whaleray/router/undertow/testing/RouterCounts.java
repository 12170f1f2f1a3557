package dev.whaleray.router.undertow.testing;

import io.undertow.server.HttpHandler;
import io.undertow.server.ServerConnection;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * What a router itself received: requests and client connections, counted by a wrapper around its
 * handler. Tells a request the client sent twice from one the router proxied twice.
 */
public final class RouterCounts {
  private final AtomicInteger requests = new AtomicInteger();
  private final Set<ServerConnection> connections =
      Collections.synchronizedSet(Collections.newSetFromMap(new IdentityHashMap<>()));

  /** {@code next}, counting each request and its client connection first. */
  public HttpHandler around(HttpHandler next) {
    return exchange -> {
      requests.incrementAndGet();
      connections.add(exchange.getConnection());
      next.handleRequest(exchange);
    };
  }

  /** Requests received so far. */
  public int requests() {
    return requests.get();
  }

  /** Distinct client connections the requests came over so far. */
  public int connections() {
    return connections.size();
  }
}
