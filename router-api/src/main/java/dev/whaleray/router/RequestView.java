package dev.whaleray.router;

import org.jspecify.annotations.Nullable;

/**
 * The parts of an HTTP request that routing and load balancing may read.
 *
 * <p>An adapter over the server's own request object (Undertow's exchange, a test double); it is
 * read on the request's thread only and must not be kept after the request.
 */
public interface RequestView {

  /** The request method, e.g. {@code GET}. */
  String method();

  /** The host name the client asked for (Host header or absolute URI), without port; may be "". */
  String host();

  /**
   * The request path as sent on the wire (still percent-encoded), without the query string,
   * relative to where the router is mounted.
   */
  String path();

  /** The first value of a request header, or null when absent. */
  @Nullable String header(String name);

  /**
   * The IP address of the peer that sent the request (the load balancer, when there is one), or
   * null when unknown. May allocate: for policies that need it, not for every request.
   */
  default @Nullable String remoteAddress() {
    return null;
  }

  /** A request view for tests and benchmarks. */
  static RequestView of(String method, String host, String path) {
    return new SimpleRequestView(method, host, path);
  }
}
