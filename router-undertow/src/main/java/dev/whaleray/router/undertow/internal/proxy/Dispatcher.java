package dev.whaleray.router.undertow.internal.proxy;

import static java.util.Objects.requireNonNull;

import dev.whaleray.router.RouteMatch;
import dev.whaleray.router.Router;
import dev.whaleray.router.core.Cluster;
import dev.whaleray.router.core.ClusterManager;
import dev.whaleray.router.core.ClusterSnapshot;
import dev.whaleray.router.lb.PickResult;
import dev.whaleray.router.lb.Tried;
import dev.whaleray.router.lb.Upstream;
import dev.whaleray.router.undertow.internal.edge.ExchangeRequestView;
import dev.whaleray.router.undertow.internal.edge.JsonErrors;
import dev.whaleray.router.undertow.internal.edge.PathNormalizer;
import dev.whaleray.router.undertow.internal.edge.RequestPolicy;
import dev.whaleray.router.undertow.internal.pool.Upstreams;
import io.undertow.server.HttpHandler;
import io.undertow.server.HttpServerExchange;
import io.undertow.util.AttachmentKey;
import io.undertow.util.HeaderMap;
import io.undertow.util.Headers;
import io.undertow.util.Methods;
import io.undertow.util.SameThreadExecutor;
import io.undertow.util.StatusCodes;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;

/**
 * The request path of {@code RouterHandler}: checks the request, answers the health path, routes
 * it, picks an endpoint (waiting for a service's first lookup off the IO thread's stack) and starts
 * its {@link ProxyCall}. Kept apart so the public handler class holds only its API and wiring.
 *
 * <p>One per handler, shared by every IO thread: immutable, thread-safe.
 */
public final class Dispatcher implements HttpHandler {
  private static final System.Logger LOG = System.getLogger(Dispatcher.class.getName());
  private static final ByteBuffer OK = ByteBuffer.wrap("OK".getBytes(StandardCharsets.US_ASCII));

  /** The body limit of the {@code RouterServer} running the handler, when it set one. */
  public static final AttachmentKey<Long> SERVER_BODY_LIMIT = AttachmentKey.create(Long.class);

  private final Router router;
  private final ClusterManager services;
  private final Upstreams upstreams;
  private final RequestPolicy policy;
  private final @Nullable HttpHandler next;
  private final @Nullable String healthPath;

  private static final io.undertow.util.HttpString PANIC =
      new io.undertow.util.HttpString("X-WhaleRay-Panic");

  /**
   * Set by the {@code RouterServer} on every exchange while it drains: the health path says 503.
   */
  public static final io.undertow.util.AttachmentKey<Boolean> DRAINING =
      io.undertow.util.AttachmentKey.create(Boolean.class);

  private final long maxRequestBodySize;
  private final long discoveryTimeoutMillis;
  private final RequestRecord.@Nullable Sink sink; // null: no metrics, no access log
  private final boolean createTraceparent;
  private final @Nullable ClientPools clients; // null: every service is plain HTTP/1.1
  private final java.util.concurrent.ConcurrentHashMap<dev.whaleray.router.Route, String>
      routeTags = new java.util.concurrent.ConcurrentHashMap<>();

  public Dispatcher(
      Router router,
      ClusterManager services,
      Upstreams upstreams,
      RequestPolicy policy,
      @Nullable HttpHandler next,
      @Nullable String healthPath,
      long maxRequestBodySize,
      long discoveryTimeoutMillis,
      RequestRecord.@Nullable Sink sink,
      boolean createTraceparent,
      @Nullable ClientPools clients) {
    this.clients = clients;
    this.sink = sink;
    this.createTraceparent = createTraceparent;
    this.router = router;
    this.services = services;
    this.upstreams = upstreams;
    this.policy = policy;
    this.next = next;
    this.healthPath = healthPath;
    this.maxRequestBodySize = maxRequestBodySize;
    this.discoveryTimeoutMillis = discoveryTimeoutMillis;
  }

  @Override
  public void handleRequest(HttpServerExchange exchange) throws Exception {
    RequestRecord.Sink k = sink;
    if (k != null) {
      RequestRecord record = new RequestRecord(k, System.nanoTime());
      exchange.putAttachment(RequestRecord.KEY, record);
      exchange.addExchangeCompleteListener(record);
      k.started();
    }
    if (!policy.admit(exchange)) {
      return;
    }
    ExchangeRequestView view = new ExchangeRequestView(exchange);
    // Routed and forwarded in normal form, so the route table and the backend see one resource.
    String normal;
    try {
      normal = PathNormalizer.normalize(view.path(), 0);
    } catch (PathNormalizer.RejectedPath e) {
      JsonErrors.send(exchange, StatusCodes.BAD_REQUEST, String.valueOf(e.getMessage()), null);
      return;
    }
    ExchangeRequestView raw = view;
    if (normal != null) {
      view = view.withPath(normal);
    }
    String path = view.path();
    if (healthPath != null && path.equals(healthPath)) {
      if (!exchange.getRequestMethod().equals(Methods.GET)
          && !exchange.getRequestMethod().equals(Methods.HEAD)) {
        exchange.getResponseHeaders().put(Headers.ALLOW, "GET, HEAD");
        JsonErrors.send(exchange, 405, "method not allowed on the health path", null);
        return;
      }
      if (exchange.getAttachment(DRAINING) != null) {
        // The server is shutting down: the load balancer's check fails, so it stops sending.
        JsonErrors.send(exchange, StatusCodes.SERVICE_UNAVAILABLE, "draining", null);
        return;
      }
      exchange.getResponseHeaders().put(Headers.CONTENT_TYPE, "text/plain");
      exchange.getResponseSender().send(OK.duplicate());
      return;
    }
    RouteMatch match = router.match(view);
    if (normal != null && match.kind() != RouteMatch.Kind.INVALID_SERVICE) {
      RouteMatch rawMatch = router.match(raw);
      if (rawMatch.kind() == RouteMatch.Kind.INVALID_SERVICE) {
        match = rawMatch; // "..", "%2e%2e" as the service: refused as typed, not resolved away
      }
    }
    if (normal != null
        && match.kind() == RouteMatch.Kind.MATCHED
        && PathNormalizer.climbsInto(raw.path(), segments(path, match.strippedPrefixLength()))) {
      JsonErrors.send(
          exchange,
          StatusCodes.BAD_REQUEST,
          "path climbs out of the route it matches (\"..\" into the prefix)",
          null);
      return;
    }
    switch (match.kind()) {
      case MATCHED:
        route(exchange, view, match);
        return;
      case INVALID_SERVICE:
        JsonErrors.send(
            exchange, StatusCodes.BAD_REQUEST, "invalid service id", match.invalidValue());
        return;
      case INVALID_PORT:
        JsonErrors.send(
            exchange,
            StatusCodes.BAD_REQUEST,
            "invalid port '"
                + match.invalidValue()
                + "' (expected: a port name of [a-z0-9-] starting with a letter, or 1-65535)",
            match.service(),
            match.invalidValue());
        return;
      default:
        if (next != null) {
          next.handleRequest(exchange);
        } else {
          JsonErrors.send(exchange, StatusCodes.NOT_FOUND, "no route", null);
        }
    }
  }

  /** Segments in {@code path.substring(0, end)}: the depth of a route's prefix. */
  private static int segments(String path, int end) {
    int n = 0;
    for (int i = 0; i < end; i++) {
      if (path.charAt(i) == '/') {
        n++;
      }
    }
    return n;
  }

  private void route(HttpServerExchange exchange, ExchangeRequestView view, RouteMatch match)
      throws Exception {
    String service = requireNonNull(match.service()); // a matched route names its service
    RequestRecord record = sink == null ? null : exchange.getAttachment(RequestRecord.KEY);
    if (record != null) {
      record.route = routeTag(match.route());
      record.requestedService = service;
    }
    Cluster cluster;
    try {
      cluster = services.get(service, match.route(), match.port());
    } catch (IllegalArgumentException e) {
      // An unknown policy name or a bad option on the route (embedders: validate at start-up).
      LOG.log(System.Logger.Level.ERROR, "route " + match.route() + ": " + e.getMessage());
      JsonErrors.send(exchange, 500, "route misconfigured: " + e.getMessage(), service);
      return;
    }
    ClusterSnapshot snapshot = cluster.snapshot();
    if (snapshot == null) {
      awaitDiscovery(exchange, view, match, cluster);
      return;
    }
    if (!snapshot.endpoints().isKnown()) {
      JsonErrors.send(exchange, StatusCodes.BAD_GATEWAY, "unknown service", service);
      return;
    }
    String port = match.port();
    if (port != null && snapshot.endpoints().isEmpty()) {
      // No endpoint has that port (or the number is none of their ports): no connection at all.
      noEndpointHasPort(exchange, service, port);
      return;
    }
    if (record != null) {
      record.service = service; // discovery knows it: a bounded tag
    }
    Traceparent created =
        createTraceparent || record != null
            ? Traceparent.ensure(exchange.getRequestHeaders(), createTraceparent, record)
            : null;
    // The route's own rate limit, once per request (here, not before a wait for discovery, which
    // routes the request again).
    // One clock read for the request: both rate limits, the retry budget's count of requests and
    // the first attempt's latency use it.
    long now = System.nanoTime();
    PickResult limited = services.admit(match.route(), now);
    if (limited != null) {
      refuse(exchange, limited, service);
      return;
    }
    PickResult pick = cluster.pick(view, Tried.NONE, now); // counted for the retry budget
    Upstream upstream = pick.upstream();
    if (upstream == null) {
      refuse(exchange, pick, service);
      return;
    }
    if (snapshot.panic()) {
      // Every endpoint failed its health checks: say so, as the answer may well be an error.
      exchange.getResponseHeaders().put(PANIC, "all endpoints unhealthy");
    }
    proxy(exchange, view, match, cluster, upstream, now, record, created);
  }

  static void noEndpointHasPort(HttpServerExchange exchange, String service, String port) {
    JsonErrors.send(
        exchange,
        StatusCodes.BAD_GATEWAY,
        "no endpoint of service '" + service + "' has port '" + port + "'",
        service,
        port);
  }

  /** The route's tag for metrics: its patterns (a handful per router), never a request's path. */
  private String routeTag(dev.whaleray.router.@Nullable Route route) {
    if (route == null) {
      return "default";
    }
    String tag = routeTags.get(route);
    if (tag == null) {
      String host = route.hostPattern();
      String path = route.pathPattern();
      String t = host == null ? (path == null ? "*" : path) : (path == null ? host : host + path);
      tag = routeTags.computeIfAbsent(route, r -> t);
    }
    return tag;
  }

  /** No upstream for the request: 429 when rate limited, else 503 with the picker's reason. */
  private static void refuse(HttpServerExchange exchange, PickResult pick, String service) {
    String reason = pick.dropReason();
    if (pick.isRateLimited()) {
      exchange
          .getResponseHeaders()
          .put(Headers.RETRY_AFTER, Long.toString(pick.retryAfterSeconds()));
      JsonErrors.send(exchange, 429, reason == null ? "rate limited" : reason, service);
    } else {
      JsonErrors.send(
          exchange,
          StatusCodes.SERVICE_UNAVAILABLE,
          reason == null ? "no healthy endpoint" : reason,
          service);
    }
  }

  private void awaitDiscovery(
      HttpServerExchange exchange, ExchangeRequestView view, RouteMatch match, Cluster cluster)
      throws Exception {
    FirstLookup first = FirstLookup.of(null, cluster); // the caller read no snapshot
    if (first == FirstLookup.PROCEED) {
      route(exchange, view, match); // discovery answered since that read
      return;
    }
    if (first == FirstLookup.FAILED) {
      // The first lookup failed and nothing is known yet.
      Throwable error = cluster.lastError();
      JsonErrors.send(
          exchange,
          StatusCodes.SERVICE_UNAVAILABLE,
          "discovery unavailable" + (error == null ? "" : ": " + error.getMessage()),
          match.service());
      return;
    }
    exchange.dispatch(
        SameThreadExecutor.INSTANCE,
        () ->
            cluster
                .ready()
                .copy() // orTimeout completes the future it is called on: never the shared one
                .orTimeout(discoveryTimeoutMillis, TimeUnit.MILLISECONDS)
                .whenComplete(
                    (set, error) ->
                        exchange.dispatch(
                            exchange.getIoThread(),
                            ex -> {
                              if (ex.isComplete() || ex.isResponseStarted()) {
                                return; // the client went away while we waited
                              }
                              if (cluster.snapshot() != null) {
                                route(ex, view, match);
                              } else {
                                JsonErrors.send(
                                    ex,
                                    StatusCodes.SERVICE_UNAVAILABLE,
                                    error instanceof java.util.concurrent.TimeoutException
                                        ? "discovery timed out"
                                        : "discovery unavailable",
                                    match.service());
                              }
                            })));
  }

  private void proxy(
      HttpServerExchange exchange,
      ExchangeRequestView view,
      RouteMatch match,
      Cluster cluster,
      Upstream upstream,
      long now,
      @Nullable RequestRecord record,
      @Nullable Traceparent created)
      throws Exception {
    int strip = match.strippedPrefixLength();
    HeaderMap requestHeaders = exchange.getRequestHeaders();
    dev.whaleray.router.Route route = match.route();
    long routeLimit = route == null ? -1 : route.maxBodySize();
    long maxBody = routeLimit >= 0 ? routeLimit : maxRequestBodySize;
    Long serverLimit = exchange.getAttachment(SERVER_BODY_LIMIT);
    if (serverLimit != null && (maxBody <= 0 || serverLimit < maxBody)) {
      maxBody = serverLimit; // RouterServer.maxRequestBodySize, when it is the smaller one
    }
    if (!exchange.isRequestComplete()) {
      if (maxBody > 0 && exchange.getRequestContentLength() > maxBody) {
        // Said up front: answer at once, without reading (or forwarding) a byte of it.
        exchange.setPersistent(false);
        JsonErrors.send(
            exchange,
            413,
            "request body too large: Content-Length "
                + exchange.getRequestContentLength()
                + " over the limit of "
                + maxBody
                + " bytes",
            match.service());
        return;
      }
      // The router's limit (0: none), never the server's: an embedder's Undertow keeps its default
      // MAX_ENTITY_SIZE of 2 MiB, which would answer 413 to a larger upload. A chunked body is
      // counted as it arrives.
      exchange.setMaxEntitySize(maxBody > 0 ? maxBody : 0);
    }
    String upgrade = requestHeaders.getFirst(Headers.UPGRADE);
    boolean websocket = upgrade != null && upgrade.equalsIgnoreCase("websocket");
    if (websocket && !exchange.isRequestComplete()) {
      exchange.setPersistent(false);
      JsonErrors.send(
          exchange, StatusCodes.BAD_REQUEST, "WebSocket handshake with a body", match.service());
      return;
    }
    ClientPools c = clients;
    ClientPools.Target target = c == null ? null : c.targetFor(requireNonNull(match.service()));
    if (target != null) {
      if (websocket) {
        JsonErrors.send(
            exchange,
            StatusCodes.NOT_IMPLEMENTED,
            "WebSocket to an HTTP/2 or TLS upstream is not supported",
            match.service());
        return;
      }
      exchange.dispatch(
          exchange.isInIoThread() ? SameThreadExecutor.INSTANCE : exchange.getIoThread(),
          new ClientCall(
              requireNonNull(c), // a target comes from it
              target,
              upstreams,
              exchange,
              cluster,
              view,
              upstream,
              view.path(),
              strip,
              now,
              record,
              created));
      return;
    }
    // The router's own HTTP/1.1 client for everything else: it leaves hop-by-hop headers out as it
    // writes the request head, answers Expect: 100-continue itself, and tunnels a WebSocket
    // upgrade after the backend's 101. On the IO thread: the call uses that thread's pools and
    // buffers, unlocked.
    exchange.dispatch(
        exchange.isInIoThread() ? SameThreadExecutor.INSTANCE : exchange.getIoThread(),
        new ProxyCall(
            upstreams,
            exchange,
            cluster,
            view,
            upstream,
            view.path(),
            strip,
            now,
            record,
            created));
  }
}
