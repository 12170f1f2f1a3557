package dev.whaleray.router.undertow;

import static java.util.Objects.requireNonNull;

import dev.whaleray.router.RequestView;
import dev.whaleray.router.RouteMatch;
import dev.whaleray.router.Router;
import dev.whaleray.router.core.Cluster;
import dev.whaleray.router.core.ClusterManager;
import dev.whaleray.router.core.ClusterSnapshot;
import dev.whaleray.router.discovery.Discovery;
import dev.whaleray.router.lb.LbContext;
import dev.whaleray.router.lb.LoadBalancerProvider;
import dev.whaleray.router.lb.LoadBalancerProviders;
import dev.whaleray.router.lb.PickResult;
import dev.whaleray.router.lb.Tried;
import dev.whaleray.router.lb.Upstream;
import dev.whaleray.router.undertow.internal.edge.ExchangeRequestView;
import dev.whaleray.router.undertow.internal.edge.JsonErrors;
import dev.whaleray.router.undertow.internal.edge.PathNormalizer;
import dev.whaleray.router.undertow.internal.edge.RequestPolicy;
import dev.whaleray.router.undertow.internal.pool.Upstreams;
import dev.whaleray.router.undertow.internal.proxy.ProxyCall;
import io.undertow.server.HttpHandler;
import io.undertow.server.HttpServerExchange;
import io.undertow.util.HeaderMap;
import io.undertow.util.Headers;
import io.undertow.util.Methods;
import io.undertow.util.SameThreadExecutor;
import io.undertow.util.StatusCodes;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;

/**
 * The Undertow handler that routes a request to a service, picks one of its endpoints and proxies
 * the request there, streaming bodies both ways over pooled keep-alive connections.
 *
 * <p>Answers of its own (JSON bodies {@code {"error": ..., "service": ..., "status": ...}}):
 *
 * <table>
 *   <caption>status codes</caption>
 *   <tr><td>200</td><td>{@code GET /health} (the health path, when set): body {@code OK}</td></tr>
 *   <tr><td>400</td><td>the {@code {service}} value is not a DNS label</td></tr>
 *   <tr><td>404</td><td>no route (unless a next handler is set)</td></tr>
 *   <tr><td>414 / 431</td><td>request target / headers over the limits</td></tr>
 *   <tr><td>502</td><td>unknown service; upstream refused or broke the connection</td></tr>
 *   <tr><td>413</td><td>body over the route's or the handler's {@code maxRequestBodySize}</td></tr>
 *   <tr><td>429</td><td>the policy rate-limited the request ({@code Retry-After} set)</td></tr>
 *   <tr><td>503</td><td>no endpoint, every endpoint tried, or the policy dropped the request;
 *       discovery unavailable; wait queue full</td></tr>
 *   <tr><td>504</td><td>connect or response timeout</td></tr>
 * </table>
 *
 * <p>What it sets on each exchange, so that an embedding server's options do not break proxying:
 * the request body limit (the route's, else the handler's {@code maxRequestBodySize}, else none,
 * whatever the server's {@code MAX_ENTITY_SIZE}; a {@link RouterServer}'s own limit is kept when
 * smaller), and for a WebSocket handshake the upgrade to a byte tunnel after the backend's 101.
 * {@code Expect: 100-continue} is answered by the handler itself.
 *
 * <p>Built once and shared by every IO thread: thread-safe. The request path reads immutable
 * snapshots through volatile fields and never blocks; the first request for a service waits for
 * discovery asynchronously, off the IO thread's stack.
 */
public final class RouterHandler implements HttpHandler, AutoCloseable {
  private static final System.Logger LOG = System.getLogger(RouterHandler.class.getName());
  private static final ByteBuffer OK = ByteBuffer.wrap("OK".getBytes(StandardCharsets.US_ASCII));

  private final Router router;
  private final ClusterManager services;
  private final Upstreams upstreams;
  private final @Nullable HttpHandler next;
  private final @Nullable String healthPath;
  private final RequestPolicy policy;
  private final long maxRequestBodySize;

  /** The body limit of the {@link RouterServer} running the handler, when it set one. */
  static final io.undertow.util.AttachmentKey<Long> SERVER_BODY_LIMIT =
      io.undertow.util.AttachmentKey.create(Long.class);

  private final long discoveryTimeoutMillis;
  private final java.util.concurrent.@Nullable ScheduledFuture<?> poolSweeper;

  private RouterHandler(Builder b) {
    this.router = b.router;
    this.services =
        ClusterManager.builder(b.discovery)
            .loadBalancer(b.loadBalancer)
            .lbTemplate(b.lbContext)
            .policies(checkRoutePolicies(b.router, b.lbContext))
            .maxServices(b.maxServices)
            .idleTimeout(b.serviceIdleTimeout)
            .scheduler(b.scheduler)
            .build();
    this.upstreams =
        new Upstreams(
            b.maxConnectionsPerThread,
            b.maxQueueSize,
            b.upstreamIdleTimeout.toMillis(),
            b.connectTimeout.toMillis(),
            b.responseTimeout.toMillis(),
            b.preserveHost,
            b.trustForwardedHeaders,
            b.retries,
            b.requestBufferSize,
            b.clientBodyTimeout.toMillis(),
            b.minUploadRate,
            b.minUploadGrace.toNanos(),
            b.tunnelIdleTimeout.toMillis());
    this.next = b.next;
    this.healthPath = b.healthPath;
    this.policy = new RequestPolicy(b.maxRequestTargetLength, b.maxHeaderBytes);
    this.maxRequestBodySize = b.maxRequestBodySize;
    this.discoveryTimeoutMillis = b.discoveryTimeout.toMillis();
    this.poolSweeper =
        b.scheduler == null
            ? null
            : b.scheduler.scheduleWithFixedDelay(this::sweepPools, 30, 30, TimeUnit.SECONDS);
  }

  /**
   * Resolves the policy of every route that names one and builds a throwaway load balancer with its
   * options, so an unknown policy or a bad option fails here, at start-up, naming the route.
   */
  private static java.util.Map<String, LoadBalancerProvider> checkRoutePolicies(
      Router router, LbContext template) {
    java.util.Map<String, LoadBalancerProvider> providers = new java.util.HashMap<>();
    for (dev.whaleray.router.Route route : router.routes()) {
      String policy = route.policy();
      if (policy == null) {
        continue;
      }
      try {
        LoadBalancerProvider p = providers.computeIfAbsent(policy, LoadBalancerProviders::get);
        java.util.Map<String, String> options = new java.util.HashMap<>(template.options());
        options.putAll(route.policyOptions());
        p.newLoadBalancer(LbContext.of("check").withZone(template.zone()).withOptions(options))
            .close();
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("route " + route + ": " + e.getMessage(), e);
      }
    }
    return providers;
  }

  /** Closes the connection pools of endpoints that left every service. */
  void sweepPools() {
    try {
      java.util.Set<String> inUse = services.authoritiesInUse();
      upstreams.retainOnly(inUse);
    } catch (RuntimeException e) {
      LOG.log(System.Logger.Level.WARNING, "sweeping upstream pools", e);
    }
  }

  /** A builder; {@link Builder#discovery} is required. */
  public static Builder builder() {
    return new Builder();
  }

  @Override
  public void handleRequest(HttpServerExchange exchange) throws Exception {
    if (!policy.admit(exchange)) {
      return;
    }
    ExchangeRequestView view = new ExchangeRequestView(exchange);
    // Routed and forwarded in normal form, so the route table and the backend see one resource.
    String normal;
    try {
      normal = PathNormalizer.normalize(view.path(), 0);
    } catch (PathNormalizer.RejectedPath e) {
      JsonErrors.send(exchange, StatusCodes.BAD_REQUEST, e.getMessage(), null);
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
    String service = match.service();
    Cluster cluster;
    try {
      cluster = services.get(service, match.route());
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
    PickResult pick = snapshot.picker().pick(view, Tried.NONE);
    Upstream upstream = pick.upstream();
    if (upstream == null) {
      refuse(exchange, pick, service);
      return;
    }
    proxy(exchange, view, match, cluster, upstream);
  }

  /** No upstream for the request: 429 when rate limited, else 503 with the picker's reason. */
  private static void refuse(HttpServerExchange exchange, PickResult pick, String service) {
    String reason = pick.dropReason();
    if (pick.isRateLimited()) {
      exchange
          .getResponseHeaders()
          .put(Headers.RETRY_AFTER, Long.toString(pick.retryAfterSeconds()));
      JsonErrors.send(exchange, 429, reason, service);
    } else {
      JsonErrors.send(
          exchange,
          StatusCodes.SERVICE_UNAVAILABLE,
          reason == null ? "no healthy endpoint" : reason,
          service);
    }
  }

  private void awaitDiscovery(
      HttpServerExchange exchange, ExchangeRequestView view, RouteMatch match, Cluster cluster) {
    if (cluster.ready().isDone()) {
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
      Upstream upstream)
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
    // The router's own HTTP/1.1 client for everything: it leaves hop-by-hop headers out as it
    // writes the request head, answers Expect: 100-continue itself, and tunnels a WebSocket
    // upgrade after the backend's 101. On the IO thread: the call uses that thread's pools and
    // buffers, unlocked.
    exchange.dispatch(
        exchange.isInIoThread() ? SameThreadExecutor.INSTANCE : exchange.getIoThread(),
        new ProxyCall(upstreams, exchange, cluster, view, upstream, view.path(), strip));
  }

  /** The number of services being watched now. */
  public int servicesInUse() {
    return services.size();
  }

  /** The number of upstream connections open now, over every endpoint. */
  public int openUpstreamConnections() {
    return upstreams.openConnections();
  }

  /** The number of per-endpoint upstream connection pools. */
  int upstreamPools() {
    return upstreams.pools();
  }

  /** Stops watching services and closes upstream connection pools. */
  @Override
  public void close() {
    if (poolSweeper != null) {
      poolSweeper.cancel(false);
    }
    services.close();
    upstreams.close();
  }

  /**
   * Builds a {@link RouterHandler}. Not thread-safe; {@link #build()} copies what it needs, so a
   * reused builder never changes a handler it built.
   */
  public static final class Builder {
    private Router router = Router.defaultRoutes();
    private @Nullable Discovery discovery;
    private LoadBalancerProvider loadBalancer = LoadBalancerProviders.get("round-robin");
    private LbContext lbContext = LbContext.of("template");
    private @Nullable HttpHandler next;
    private @Nullable String healthPath = "/health";
    private Duration connectTimeout = Duration.ofSeconds(5);
    private Duration responseTimeout = Duration.ofSeconds(60);
    private Duration discoveryTimeout = Duration.ofSeconds(10);
    private Duration upstreamIdleTimeout = Duration.ofSeconds(30);
    private Duration tunnelIdleTimeout = Duration.ofSeconds(60);
    private Duration serviceIdleTimeout = Duration.ofMinutes(10);
    private boolean preserveHost;
    private boolean trustForwardedHeaders = true;
    private int retries = 1;
    private int maxConnectionsPerThread = 256;
    private int maxQueueSize = 4096;
    private int maxServices = 10_000;
    private int maxRequestTargetLength = 8192;
    private int maxHeaderBytes = 32 * 1024;
    private int requestBufferSize = 64 * 1024;
    private Duration clientBodyTimeout = Duration.ofSeconds(60);
    private long minUploadRate = 500;
    private Duration minUploadGrace = Duration.ofSeconds(20);
    private long maxRequestBodySize;
    private @Nullable ScheduledExecutorService scheduler;

    private Builder() {}

    /** The route table; default {@link Router#defaultRoutes()} ({@code /services/{service}}). */
    public Builder router(Router router) {
      this.router = requireNonNull(router, "router");
      return this;
    }

    /** Where endpoints come from. Required. The handler closes its watches, not the discovery. */
    public Builder discovery(Discovery discovery) {
      this.discovery = requireNonNull(discovery, "discovery");
      return this;
    }

    /** The load-balancing policy; default {@code round-robin}. */
    public Builder loadBalancer(LoadBalancerProvider provider) {
      this.loadBalancer = requireNonNull(provider, "provider");
      return this;
    }

    /** Zone, options and clock handed to every service's load balancer. */
    public Builder loadBalancerContext(LbContext context) {
      this.lbContext = requireNonNull(context, "context");
      return this;
    }

    /** Where requests that match no route go; default a JSON 404. */
    public Builder next(@Nullable HttpHandler next) {
      this.next = next;
      return this;
    }

    /** The path answered {@code 200 OK} by the router itself; null turns it off. */
    public Builder healthPath(@Nullable String healthPath) {
      this.healthPath = healthPath;
      return this;
    }

    /** How long to wait for a TCP connection to an upstream (then 504); default 5 s. */
    public Builder connectTimeout(Duration timeout) {
      this.connectTimeout = positive(timeout, "connectTimeout");
      return this;
    }

    /** How long to wait for the upstream's response head (then 504); default 60 s. */
    public Builder responseTimeout(Duration timeout) {
      this.responseTimeout = positive(timeout, "responseTimeout");
      return this;
    }

    /** How long a first request waits for a service's first lookup (then 503); default 10 s. */
    public Builder discoveryTimeout(Duration timeout) {
      this.discoveryTimeout = positive(timeout, "discoveryTimeout");
      return this;
    }

    /** Idle upstream keep-alive connections close after this; default 30 s. */
    public Builder upstreamIdleTimeout(Duration timeout) {
      this.upstreamIdleTimeout = positive(timeout, "upstreamIdleTimeout");
      return this;
    }

    /**
     * An upgraded connection (a WebSocket) with no byte either way for this long is closed, both
     * sides; default 60 s. Applications that keep quiet sockets open send pings within it.
     */
    public Builder tunnelIdleTimeout(Duration timeout) {
      this.tunnelIdleTimeout = positive(timeout, "tunnelIdleTimeout");
      return this;
    }

    /** A service unused this long is no longer watched; default 10 min. */
    public Builder serviceIdleTimeout(Duration timeout) {
      this.serviceIdleTimeout = positive(timeout, "serviceIdleTimeout");
      return this;
    }

    /** Runs the idle-service sweep; without one, services are dropped only when the table fills. */
    public Builder scheduler(@Nullable ScheduledExecutorService scheduler) {
      this.scheduler = scheduler;
      return this;
    }

    /** Keep the client's Host header instead of the upstream's address; default false. */
    public Builder preserveHost(boolean preserveHost) {
      this.preserveHost = preserveHost;
      return this;
    }

    /**
     * Trust the {@code X-Forwarded-*} headers a request arrives with (true, the default: right
     * behind a load balancer such as an ALB, which sets them): the client address is appended to an
     * incoming {@code X-Forwarded-For}, and incoming {@code X-Forwarded-Proto}, {@code -Port} and
     * {@code -Server} are kept. False when clients connect directly: the router then writes those
     * headers from the connection and drops what the client sent.
     */
    public Builder trustForwardedHeaders(boolean trust) {
      this.trustForwardedHeaders = trust;
      return this;
    }

    /**
     * Extra attempts on another endpoint when connecting fails (idempotent requests); default 1.
     */
    public Builder retries(int retries) {
      this.retries = atLeast(retries, 0, "retries");
      return this;
    }

    /** Upstream connections per endpoint and IO thread; default 256. */
    public Builder maxConnectionsPerThread(int max) {
      this.maxConnectionsPerThread = atLeast(max, 1, "maxConnectionsPerThread");
      return this;
    }

    /** Requests that may wait for a connection per endpoint and IO thread; default 4096. */
    public Builder maxQueueSize(int max) {
      this.maxQueueSize = atLeast(max, 0, "maxQueueSize");
      return this;
    }

    /** Services watched at once; default 10,000. */
    public Builder maxServices(int max) {
      this.maxServices = atLeast(max, 1, "maxServices");
      return this;
    }

    /** Longest request target (path and query) in bytes, else 414; default 8192. */
    public Builder maxRequestTargetLength(int max) {
      this.maxRequestTargetLength = atLeast(max, 16, "maxRequestTargetLength");
      return this;
    }

    /** Largest total of request header bytes, else 431; default 32 KiB. */
    public Builder maxHeaderBytes(int max) {
      this.maxHeaderBytes = atLeast(max, 256, "maxHeaderBytes");
      return this;
    }

    /**
     * Request body bytes read before an upstream connection is taken; default 64 KiB. A body that
     * fits is sent whole with a {@code Content-Length} (a chunked one too), so a slow upload holds
     * a buffer, not a backend connection; a larger body streams on after this much. 0 streams at
     * once.
     */
    public Builder requestBufferSize(int bytes) {
      this.requestBufferSize = atLeast(bytes, 0, "requestBufferSize");
      return this;
    }

    /**
     * How long a request body may send nothing (then 408, or a cut connection if the answer has
     * started); default 60 s ({@code timeouts.clientBody}).
     */
    public Builder clientBodyTimeout(Duration timeout) {
      this.clientBodyTimeout = positive(timeout, "clientBodyTimeout");
      return this;
    }

    /**
     * The slowest upload accepted, as Apache's {@code mod_reqtimeout body=20,MinRate=500}: a body
     * may take 20 s of waiting for the client plus one second per {@code bytesPerSecond} bytes it
     * has sent, else 408. Default 500; 0 turns it off.
     */
    public Builder minUploadRate(long bytesPerSecond) {
      return minUploadRate(bytesPerSecond, Duration.ofSeconds(20));
    }

    /** {@link #minUploadRate(long)} with another grace than 20 s. */
    public Builder minUploadRate(long bytesPerSecond, Duration grace) {
      if (bytesPerSecond < 0) {
        throw new IllegalArgumentException(
            "minUploadRate: " + bytesPerSecond + " (expected: >= 0)");
      }
      this.minUploadRate = bytesPerSecond;
      this.minUploadGrace = positive(grace, "minUploadRate grace");
      return this;
    }

    /**
     * The largest request body proxied, in bytes: a {@code Content-Length} over it is answered 413
     * at once, a chunked body that grows past it 413 (or a cut) when it does. Default 0: no limit.
     */
    public Builder maxRequestBodySize(long bytes) {
      if (bytes < 0) {
        throw new IllegalArgumentException("maxRequestBodySize: " + bytes + " (expected: >= 0)");
      }
      this.maxRequestBodySize = bytes;
      return this;
    }

    /** The handler. */
    public RouterHandler build() {
      if (discovery == null) {
        throw new IllegalStateException("discovery: not set (expected: a Discovery)");
      }
      return new RouterHandler(this);
    }

    private static Duration positive(Duration d, String name) {
      requireNonNull(d, name);
      if (d.isNegative() || d.isZero()) {
        throw new IllegalArgumentException(name + ": " + d + " (expected: > 0)");
      }
      return d;
    }

    private static int atLeast(int value, int min, String name) {
      if (value < min) {
        throw new IllegalArgumentException(name + ": " + value + " (expected: >= " + min + ")");
      }
      return value;
    }
  }

  /** For tests: the request view the handler would route. */
  static RequestView viewOf(HttpServerExchange exchange) {
    return new ExchangeRequestView(exchange);
  }
}
