package dev.whaleray.router.undertow;

import static dev.whaleray.router.settings.Durations.requirePositive;
import static java.util.Objects.requireNonNull;

import dev.whaleray.router.RequestView;
import dev.whaleray.router.Router;
import dev.whaleray.router.core.ClusterManager;
import dev.whaleray.router.core.RouterMetrics;
import dev.whaleray.router.discovery.Discovery;
import dev.whaleray.router.lb.LbContext;
import dev.whaleray.router.lb.LoadBalancerProvider;
import dev.whaleray.router.lb.LoadBalancerProviders;
import dev.whaleray.router.undertow.internal.edge.ExchangeRequestView;
import dev.whaleray.router.undertow.internal.edge.RequestPolicy;
import dev.whaleray.router.undertow.internal.pool.Upstreams;
import dev.whaleray.router.undertow.internal.proxy.ClientPools;
import dev.whaleray.router.undertow.internal.proxy.Dispatcher;
import io.undertow.server.HttpHandler;
import io.undertow.server.HttpServerExchange;
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

  private final ClusterManager services;
  private final Upstreams upstreams;
  private final Dispatcher dispatcher;
  private final java.util.concurrent.@Nullable ScheduledFuture<?> poolSweeper;

  private final @Nullable RequestObserver observer; // null: no metrics, no access log
  private final @Nullable AccessLog accessLog;
  private final RequestPolicy policy;
  private final long maxRequestBodySize;
  private final long discoveryTimeoutMillis;
  private final boolean createTraceparent;
  private final int retries;
  private final @Nullable ClientPools clients; // null: every service is plain HTTP/1.1

  private RouterHandler(Builder b) {
    RouterMetrics metrics = b.meterRegistry == null ? null : RouterMetrics.of(b.meterRegistry);
    this.accessLog = b.accessLog;
    this.clients =
        ClientPools.allPlain(b.upstream, b.serviceUpstreams)
            ? null
            : new ClientPools(
                b.upstream,
                b.serviceUpstreams,
                b.connectTimeout.toMillis(),
                b.upstreamIdleTimeout.toMillis(),
                b.responseTimeout.toMillis(),
                b.retries,
                b.preserveHost,
                b.trustForwardedHeaders,
                b.maxConnectionsPerThread,
                b.maxQueueSize);
    ClusterManager.Builder manager =
        ClusterManager.builder(requireNonNull(b.discovery, "discovery"))
            .loadBalancer(b.loadBalancer)
            .lbTemplate(b.lbContext)
            .policies(checkRoutePolicies(b.router, b.lbContext))
            .maxServices(b.maxServices)
            .idleTimeout(b.serviceIdleTimeout)
            .scheduler(b.scheduler)
            .outlierDetection(b.outliers)
            .retryBudgetPercent(b.retryBudgetPercent)
            .rateLimit(b.rateLimit)
            .serviceRateLimits(b.serviceRateLimits)
            .healthCheck(b.healthCheck)
            .circuitBreaker(b.breaking)
            .metrics(metrics)
            .healthProbes(clients == null ? service -> null : clients::healthProbe);
    b.serviceHealthChecks.forEach(
        (service, check) -> manager.serviceHealthCheck(service, check.orElse(null)));
    this.services = manager.build();
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
    this.observer =
        metrics == null && b.accessLog == null
            ? null
            : new RequestObserver(metrics, b.accessLog, this); // reads upstreams, set above
    this.policy = new RequestPolicy(b.maxRequestTargetLength, b.maxHeaderBytes);
    this.maxRequestBodySize = b.maxRequestBodySize;
    this.discoveryTimeoutMillis = b.discoveryTimeout.toMillis();
    this.createTraceparent = b.createTraceparent;
    this.retries = b.retries;
    this.dispatcher =
        new Dispatcher(
            b.router,
            services,
            upstreams,
            policy,
            b.next,
            b.healthPath,
            b.maxRequestBodySize,
            b.discoveryTimeout.toMillis(),
            observer,
            b.createTraceparent,
            clients);
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
      ClientPools c = clients;
      if (c != null) {
        c.retainOnly(inUse);
      }
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
    dispatcher.handleRequest(exchange);
  }

  /**
   * A handler that sends every request to {@code service}, path kept as is, with this handler's
   * clusters, pools and policies: for an extra listener port bound to one service. No health path
   * and no route table on it.
   */
  public HttpHandler forService(String service) {
    return forService(service, null);
  }

  /**
   * As {@link #forService(String)}, to port {@code port} of the service's endpoints (a port name,
   * or a number that is one of each endpoint's ports; null: their default port), issue #16.
   *
   * @throws IllegalArgumentException when the service or the port is not valid
   */
  public HttpHandler forService(String service, @Nullable String port) {
    dev.whaleray.router.Route route = dev.whaleray.router.Route.path("/", service).withPort(port);
    return new Dispatcher(
        Router.builder().route(route).build(),
        services,
        upstreams,
        policy,
        null,
        null,
        maxRequestBodySize,
        discoveryTimeoutMillis,
        observer,
        createTraceparent,
        clients);
  }

  /** The cluster manager, shared with the TCP frontends of this handler. */
  ClusterManager clusterManager() {
    return services;
  }

  /** Tries after the first on a connect failure. */
  int retries() {
    return retries;
  }

  /** How long a first connection waits for a service's first lookup. */
  long discoveryTimeoutMillis() {
    return discoveryTimeoutMillis;
  }

  /** The number of services being watched now. */
  public int servicesInUse() {
    return services.size();
  }

  /**
   * The clusters of the services in use, for read-only listings (the admin API); a copy. Their
   * picks and attempt reports belong to the handler.
   */
  public java.util.List<dev.whaleray.router.core.Cluster> clusters() {
    return services.clusters();
  }

  /** The number of upstream connections open now, over every endpoint. */
  public int openUpstreamConnections() {
    ClientPools c = clients;
    return upstreams.openConnections() + (c == null ? 0 : c.openConnections());
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
    ClientPools c = clients;
    if (c != null) {
      c.close();
    }
    RequestObserver o = observer;
    if (o != null) {
      o.close();
    }
    AccessLog log = accessLog;
    if (log != null) {
      log.close(); // what is queued is written
    }
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
    private dev.whaleray.router.core.OutlierDetection outliers =
        dev.whaleray.router.core.OutlierDetection.defaults();
    private int retryBudgetPercent = 20;
    private dev.whaleray.router.core.@Nullable RateLimit rateLimit;
    private dev.whaleray.router.core.@Nullable HealthCheck healthCheck;
    private final java.util.Map<String, java.util.Optional<dev.whaleray.router.core.HealthCheck>>
        serviceHealthChecks = new java.util.HashMap<>();
    private dev.whaleray.router.core.@Nullable CircuitBreaking breaking;
    private java.util.Map<String, dev.whaleray.router.core.RateLimit> serviceRateLimits =
        java.util.Map.of();
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
    private io.micrometer.core.instrument.@Nullable MeterRegistry meterRegistry;
    private @Nullable AccessLog accessLog;
    private boolean createTraceparent;
    private UpstreamOptions upstream = UpstreamOptions.http1();
    private java.util.Map<String, UpstreamOptions> serviceUpstreams = java.util.Map.of();

    private Builder() {}

    /**
     * How every service's endpoints are reached unless {@link #serviceUpstreams} says otherwise:
     * default {@link UpstreamOptions#http1()} (the router's own pooled HTTP/1.1 path). A trust
     * store that cannot be read fails {@link #build()}.
     */
    public Builder upstream(UpstreamOptions options) {
      this.upstream = requireNonNull(options, "options");
      return this;
    }

    /**
     * Per-service upstream protocol and TLS, by service name (e.g. {@code h2c} for a gRPC service,
     * {@code https} for one that only listens on TLS).
     */
    public Builder serviceUpstreams(java.util.Map<String, UpstreamOptions> options) {
      this.serviceUpstreams = java.util.Map.copyOf(options);
      return this;
    }

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
      this.connectTimeout = requirePositive("connectTimeout", timeout);
      return this;
    }

    /** How long to wait for the upstream's response head (then 504); default 60 s. */
    public Builder responseTimeout(Duration timeout) {
      this.responseTimeout = requirePositive("responseTimeout", timeout);
      return this;
    }

    /** How long a first request waits for a service's first lookup (then 503); default 10 s. */
    public Builder discoveryTimeout(Duration timeout) {
      this.discoveryTimeout = requirePositive("discoveryTimeout", timeout);
      return this;
    }

    /** Idle upstream keep-alive connections close after this; default 30 s. */
    public Builder upstreamIdleTimeout(Duration timeout) {
      this.upstreamIdleTimeout = requirePositive("upstreamIdleTimeout", timeout);
      return this;
    }

    /**
     * An upgraded connection (a WebSocket) with no byte either way for this long is closed, both
     * sides; default 60 s. Applications that keep quiet sockets open send pings within it.
     */
    public Builder tunnelIdleTimeout(Duration timeout) {
      this.tunnelIdleTimeout = requirePositive("tunnelIdleTimeout", timeout);
      return this;
    }

    /** A service unused this long is no longer watched; default 10 min. */
    public Builder serviceIdleTimeout(Duration timeout) {
      this.serviceIdleTimeout = requirePositive("serviceIdleTimeout", timeout);
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
     * Passive outlier ejection: an endpoint failing {@code consecutiveFailures} attempts in a row
     * (connect failures, resets, timeouts, 5xx) leaves the picks for a while; default on.
     */
    public Builder outlierDetection(dev.whaleray.router.core.OutlierDetection outliers) {
      this.outliers = java.util.Objects.requireNonNull(outliers, "outliers");
      return this;
    }

    /**
     * Tries after the first, each on an endpoint the request has not tried yet: after a connect
     * failure, or a reset before any response byte of an idempotent request whose body was read
     * whole; default 1.
     */
    public Builder retries(int retries) {
      this.retries = atLeast(retries, 0, "retries");
      return this;
    }

    /**
     * Retries a service may make, as a percentage of its requests over the last 10 s plus a floor
     * of 10 a second, so a failing service cannot double its load; default 20; 100: unbudgeted.
     */
    public Builder retryBudgetPercent(int percent) {
      this.retryBudgetPercent = atLeast(percent, 0, "retryBudgetPercent");
      return this;
    }

    /**
     * Every service's request rate limit, per router task: beyond it, 429 with {@code Retry-After};
     * default none.
     */
    public Builder rateLimit(dev.whaleray.router.core.@Nullable RateLimit limit) {
      this.rateLimit = limit;
      return this;
    }

    /**
     * Active health checks of every endpoint of the services in use; default none. An unhealthy
     * endpoint takes no traffic until it passes again; when all are, all take it (panic). {@link
     * dev.whaleray.router.core.HealthCheck#tcp()} checks by TCP connect, for services (behind a
     * {@link TcpFrontend}) that speak no HTTP.
     */
    public Builder healthCheck(dev.whaleray.router.core.@Nullable HealthCheck check) {
      this.healthCheck = check;
      return this;
    }

    /**
     * The active check of one service, over {@link #healthCheck} (null: none for that service):
     * e.g. {@link dev.whaleray.router.core.HealthCheck#tcp()} for a database behind a {@link
     * TcpFrontend} while the HTTP services get {@code GET /health}.
     */
    public Builder serviceHealthCheck(
        String service, dev.whaleray.router.core.@Nullable HealthCheck check) {
      serviceHealthChecks.put(
          java.util.Objects.requireNonNull(service, "service"),
          java.util.Optional.ofNullable(check));
      return this;
    }

    /**
     * A circuit breaker per service: a service failing as a whole is answered 503 {@code circuit
     * open} at once for a while; default none.
     */
    public Builder circuitBreaker(dev.whaleray.router.core.@Nullable CircuitBreaking breaking) {
      this.breaking = breaking;
      return this;
    }

    /** Rate limits of named services, over {@link #rateLimit}. */
    public Builder serviceRateLimits(
        java.util.Map<String, dev.whaleray.router.core.RateLimit> limits) {
      this.serviceRateLimits = java.util.Map.copyOf(limits);
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
      this.clientBodyTimeout = requirePositive("clientBodyTimeout", timeout);
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
      this.minUploadGrace = requirePositive("minUploadRate grace", grace);
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

    /**
     * Records the router's meters there ({@code whaleray.requests} by service, route and status
     * class, upstream errors, retries, ejections, circuits, endpoints, discovery, connections;
     * names in the README). Without one, the default, nothing is recorded and nothing is paid.
     */
    public Builder meterRegistry(io.micrometer.core.instrument.@Nullable MeterRegistry registry) {
      this.meterRegistry = registry;
      return this;
    }

    /**
     * Writes one JSON line per request there (off by default); the handler closes it, writing what
     * is queued, when it closes.
     */
    public Builder accessLog(@Nullable AccessLog log) {
      this.accessLog = log;
      return this;
    }

    /**
     * Creates a W3C {@code traceparent} for a request that has none, so the backend and the access
     * log share a trace id (off by default; {@code traceparent}, {@code tracestate} and {@code
     * X-Amzn-Trace-Id} always pass through).
     */
    public Builder createTraceparent(boolean create) {
      this.createTraceparent = create;
      return this;
    }

    /** The handler. */
    public RouterHandler build() {
      if (discovery == null) {
        throw new IllegalStateException("discovery: not set (expected: a Discovery)");
      }
      return new RouterHandler(this);
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
