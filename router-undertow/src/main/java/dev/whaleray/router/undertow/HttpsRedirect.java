package dev.whaleray.router.undertow;

import io.undertow.server.HttpHandler;
import io.undertow.server.HttpServerExchange;
import io.undertow.util.Headers;
import java.util.function.IntSupplier;
import org.jspecify.annotations.Nullable;

/**
 * The plain port's handler when TLS's {@code redirectHttp} is on: 301 to the same path and query on
 * https (as an ALB redirect rule), except the exempt path (the health check), which goes on.
 */
final class HttpsRedirect implements HttpHandler {
  private final HttpHandler next;
  private final @Nullable String exemptPath;
  private final IntSupplier tlsPort;

  HttpsRedirect(HttpHandler next, @Nullable String exemptPath, IntSupplier tlsPort) {
    this.next = next;
    this.exemptPath = exemptPath;
    this.tlsPort = tlsPort;
  }

  @Override
  public void handleRequest(HttpServerExchange exchange) throws Exception {
    String target = exchange.getRequestURI();
    int scheme = target.indexOf("://");
    if (scheme > 0 && !target.startsWith("/")) {
      // absolute-form: keep the path only
      int slash = target.indexOf('/', scheme + 3);
      target = slash < 0 ? "/" : target.substring(slash);
    }
    if (exemptPath != null && exemptPath.equals(exchange.getRequestPath())) {
      next.handleRequest(exchange);
      return;
    }
    String host = exchange.getHostName();
    if (host == null || host.isEmpty() || !validHost(host)) {
      exchange.setStatusCode(400);
      exchange.getResponseHeaders().put(Headers.CONTENT_TYPE, "text/plain");
      exchange.getResponseSender().send("bad Host for the https redirect\n");
      return;
    }
    int port = tlsPort.getAsInt();
    StringBuilder location = new StringBuilder(64).append("https://").append(host);
    if (port != 443) {
      location.append(':').append(port);
    }
    location.append(target.isEmpty() ? "/" : target);
    String query = exchange.getQueryString();
    if (query != null && !query.isEmpty()) {
      location.append('?').append(query);
    }
    exchange.setStatusCode(301);
    exchange.getResponseHeaders().put(Headers.LOCATION, location.toString());
    exchange.getResponseHeaders().put(Headers.CONTENT_LENGTH, 0);
    exchange.endExchange();
  }

  private static boolean validHost(String host) {
    for (int i = 0; i < host.length(); i++) {
      char c = host.charAt(i);
      boolean ok =
          (c >= 'a' && c <= 'z')
              || (c >= 'A' && c <= 'Z')
              || (c >= '0' && c <= '9')
              || c == '.'
              || c == '-'
              || c == '_'
              || c == ':'
              || c == '['
              || c == ']';
      if (!ok) {
        return false;
      }
    }
    return true;
  }
}
