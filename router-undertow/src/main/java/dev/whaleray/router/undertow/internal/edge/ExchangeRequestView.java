package dev.whaleray.router.undertow.internal.edge;

import dev.whaleray.router.RequestView;
import io.undertow.server.HttpServerExchange;
import org.jspecify.annotations.Nullable;

/**
 * A {@link RequestView} over an Undertow exchange. The path is the raw (still encoded) request path
 * relative to where the handler is mounted, so that {@code %2e%2e} or {@code a%2Fb} reach the route
 * table as typed and are rejected, not decoded into something else.
 */
public final class ExchangeRequestView implements RequestView {
  private final HttpServerExchange exchange;
  private final String rawPath;
  private final String mountPrefix;

  public ExchangeRequestView(HttpServerExchange exchange) {
    this.exchange = exchange;
    String uri = exchange.getRequestURI();
    if (exchange.isHostIncludedInRequestURI()) {
      int scheme = uri.indexOf("//");
      int slash = scheme < 0 ? -1 : uri.indexOf('/', scheme + 2);
      uri = slash < 0 ? "/" : uri.substring(slash);
    }
    String resolved = exchange.getResolvedPath();
    if (!resolved.isEmpty() && uri.startsWith(resolved)) {
      mountPrefix = resolved;
      uri = uri.substring(resolved.length());
    } else {
      mountPrefix = "";
    }
    this.rawPath = uri;
  }

  private ExchangeRequestView(ExchangeRequestView base, String path) {
    this.exchange = base.exchange;
    this.mountPrefix = base.mountPrefix;
    this.rawPath = path;
  }

  /** The same request with its path in normal form (see {@link PathNormalizer}). */
  public ExchangeRequestView withPath(String path) {
    return new ExchangeRequestView(this, path);
  }

  /** The part of the raw URI before {@link #path()} (where the handler is mounted). */
  String mountPrefix() {
    return mountPrefix;
  }

  @Override
  public String method() {
    return exchange.getRequestMethod().toString();
  }

  @Override
  public String host() {
    String host = exchange.getHostName();
    return host == null ? "" : host;
  }

  @Override
  public String path() {
    return rawPath;
  }

  @Override
  public @Nullable String header(String name) {
    return exchange.getRequestHeaders().getFirst(name);
  }

  @Override
  public @Nullable String remoteAddress() {
    java.net.InetSocketAddress peer = exchange.getSourceAddress();
    if (peer == null) {
      return null;
    }
    java.net.InetAddress address = peer.getAddress();
    return address == null ? peer.getHostString() : address.getHostAddress();
  }

  @Override
  public String toString() {
    return method() + " " + host() + rawPath;
  }
}
