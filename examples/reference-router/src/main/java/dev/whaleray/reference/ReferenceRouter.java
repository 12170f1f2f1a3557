package dev.whaleray.reference;

import static java.util.Objects.requireNonNull;

import dev.whaleray.router.Router;
import dev.whaleray.router.core.registry.RegistryDiscovery;
import dev.whaleray.router.discovery.Discovery;
import dev.whaleray.router.discovery.DiscoveryContext;
import dev.whaleray.router.discovery.DiscoveryProvider;
import dev.whaleray.router.discovery.DiscoveryProviders;
import dev.whaleray.router.discovery.Registry;
import dev.whaleray.router.lb.LbContext;
import dev.whaleray.router.lb.LoadBalancerProvider;
import dev.whaleray.router.lb.LoadBalancerProviders;
import dev.whaleray.router.undertow.AccessLog;
import dev.whaleray.router.undertow.RouterHandler;
import dev.whaleray.router.undertow.RouterServer;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.FileDescriptorMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.undertow.server.HttpServerExchange;
import io.undertow.util.Headers;
import io.undertow.util.Methods;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import org.jspecify.annotations.Nullable;

/**
 * A running reference router: discovery, load balancing, the route table and the listener, built
 * from a {@link RouterConfig}. Thread-safe; {@link #shutdown} drains it gracefully.
 */
public final class ReferenceRouter implements AutoCloseable {
  private static final System.Logger LOG = System.getLogger(ReferenceRouter.class.getName());

  private final RouterConfig config;
  private final ScheduledExecutorService scheduler;
  private final Discovery discovery;
  private final RouterHandler handler;
  private final RouterServer server;
  private final @Nullable AdminServer admin; // null: adminPort 0
  private final PrometheusMeterRegistry metrics;
  private final @Nullable Registry registry; // null: adminPort 0
  private final Frontends frontends; // listeners: ports bound to one service

  private ReferenceRouter(RouterConfig config, @Nullable Discovery given, boolean warmup) {
    this.config = config;
    this.metrics = warmup ? newRegistry() : takeRegistry(); // the early one is the real router's
    this.scheduler =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "whaleray-control");
              t.setDaemon(true);
              return t;
            });
    Discovery d = null;
    RouterHandler h = null;
    RouterServer srv = null;
    AdminServer adm = null;
    Registry reg = null;
    Frontends fe = null;
    try {
      LoadBalancerProvider lb = LoadBalancerProviders.get(config.lbPolicy);
      d = given != null ? given : newDiscovery(config, scheduler);
      if (config.adminPort != 0 && !warmup) {
        // Registered endpoints are one more discovery source, merged with the configured one.
        reg = AdminRegistries.newRegistry(config, scheduler);
        d = RegistryDiscovery.of(d, reg, scheduler);
      }
      RouterHandler.Builder hb =
          RouterHandler.builder()
              .router(Router.builder().routes(config.routes).build())
              .discovery(d)
              .loadBalancer(lb)
              .loadBalancerContext(
                  LbContext.of("template").withZone(config.zone).withOptions(config.lbOptions))
              .connectTimeout(config.connectTimeout)
              .responseTimeout(config.responseTimeout)
              .preserveHost(config.preserveHost)
              .retries(config.retries)
              .outlierDetection(config.outliers)
              .retryBudgetPercent(config.retryBudgetPercent)
              .rateLimit(config.rateLimit)
              .healthCheck(config.healthCheck)
              .circuitBreaker(config.circuitBreaker)
              .serviceRateLimits(config.serviceRateLimits)
              .serviceUpstreams(config.serviceUpstreams)
              .clientBodyTimeout(config.limits.clientBody)
              .minUploadRate(config.limits.minUploadRate)
              .requestBufferSize(config.limits.requestBuffer)
              .maxRequestBodySize(config.limits.maxBodySize)
              .tunnelIdleTimeout(config.limits.idle) // a WebSocket idles out as a keep-alive does
              .scheduler(scheduler)
              .meterRegistry(config.adminPort == 0 ? null : metrics) // no one could scrape
              .accessLog(
                  !config.accessLog
                      ? null
                      : warmup // the same code, compiled as the real router will run it
                          ? AccessLog.to(
                              java.io.OutputStream.nullOutputStream(), config.accessLogSample)
                          : AccessLog.toStdout(config.accessLogSample))
              .createTraceparent(config.createTraceparent);
      serviceHealthChecks(config).forEach(hb::serviceHealthCheck);
      h = hb.build();
      srv =
          RouterServer.builder(h)
              .host(config.host)
              .port(config.port)
              .name("whaleray")
              .http2(config.http2)
              .idleTimeout(config.limits.idle)
              .clientHeaderTimeout(config.limits.clientHeader)
              .maxConnections(config.limits.maxConnections)
              .maxConnectionsPerClient(config.limits.maxConnectionsPerClient)
              .maxRequests(config.limits.maxRequests)
              .tls(config.tls.options("/health", config.http2)) // TLS (issue 13): null when off
              .start();
      fe = Frontends.start(config, h);
      if (config.adminPort != 0 && !warmup) {
        adm = new AdminServer(config.host, config.adminPort);
        adm.exact("/metrics", this::scrape);
        RouterHandler handlerForAdmin = h;
        Registry registryForAdmin = reg;
        adm.prefixLazily(
            "/admin",
            () ->
                new AdminApi(
                    handlerForAdmin,
                    java.util.Objects.requireNonNull(registryForAdmin), // made with the admin port
                    config.admin.token,
                    config.discovery));
        adm.start();
      }
    } catch (RuntimeException e) {
      if (fe != null) {
        fe.close();
      }
      if (srv != null) {
        srv.close();
      }
      if (h != null) {
        h.close();
      }
      if (d != null) {
        d.close();
      }
      if (reg != null) {
        reg.close();
      }
      scheduler.shutdownNow();
      throw e;
    }
    this.discovery = d;
    this.handler = h;
    this.server = srv;
    this.admin = adm;
    this.registry = reg;
    this.frontends = fe;
    if (!warmup) {
      scheduler.execute(this::bindJvmMeters);
    }
  }

  /**
   * The Prometheus registry with the JVM's and the process's meters beside the router's. Shared by
   * no one else: each router has its own.
   */
  private static PrometheusMeterRegistry newRegistry() {
    return new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
  }

  private static volatile java.util.concurrent.@Nullable CompletableFuture<PrometheusMeterRegistry>
      early;

  /**
   * Starts making the meter registry on another thread (Micrometer and the Prometheus client load
   * some 250 classes): on a 2-core task the listener then answers its first health check sooner.
   */
  static void prepare() {
    java.util.concurrent.CompletableFuture<PrometheusMeterRegistry> f =
        new java.util.concurrent.CompletableFuture<>();
    Thread t =
        new Thread(
            () -> {
              try {
                f.complete(newRegistry());
              } catch (RuntimeException | Error e) {
                f.completeExceptionally(e);
              }
            },
            "whaleray-metrics-init");
    t.setDaemon(true);
    t.start();
    early = f;
  }

  /** The registry {@link #prepare} made (once), else a new one. */
  private static PrometheusMeterRegistry takeRegistry() {
    java.util.concurrent.CompletableFuture<PrometheusMeterRegistry> f = early;
    early = null;
    return f == null ? newRegistry() : f.join();
  }

  /**
   * The JVM's and the process's meters, bound off the start-up path (they load JMX: a new task
   * answers its first health check sooner); a scrape has them a moment after start.
   */
  private void bindJvmMeters() {
    PrometheusMeterRegistry r = metrics;
    new ClassLoaderMetrics().bindTo(r);
    new JvmMemoryMetrics().bindTo(r);
    new GcMeters().bindTo(r); // not JvmGcMetrics: no work after each collection (GcMeters)
    new JvmThreadMetrics().bindTo(r);
    new ProcessorMetrics().bindTo(r);
    new UptimeMetrics().bindTo(r);
    new FileDescriptorMetrics().bindTo(r);
  }

  /** {@code GET /metrics}: every meter in Prometheus text format. */
  private void scrape(HttpServerExchange exchange) {
    if (!exchange.getRequestMethod().equals(Methods.GET)
        && !exchange.getRequestMethod().equals(Methods.HEAD)) {
      exchange.getResponseHeaders().put(Headers.ALLOW, "GET, HEAD");
      AdminServer.error(exchange, 405, "method not allowed: GET /metrics");
      return;
    }
    exchange
        .getResponseHeaders()
        .put(Headers.CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8");
    exchange.getResponseSender().send(metrics.scrape(), StandardCharsets.UTF_8);
  }

  /**
   * The configured discovery, after its provider checked its settings: a misspelt or bad setting of
   * any provider, a plugin's too, stops the router here, before it listens.
   */

  /**
   * The services' own health checks: {@code services.<name>.healthCheck} as given, and for a TCP
   * listener's service without one the router-wide check by TCP connect (a database or SSH endpoint
   * answers no {@code GET}: HTTP checks would find all of them unhealthy).
   */
  static java.util.Map<
          String, dev.whaleray.router.core.@org.jspecify.annotations.Nullable HealthCheck>
      serviceHealthChecks(RouterConfig config) {
    java.util.Map<String, dev.whaleray.router.core.@org.jspecify.annotations.Nullable HealthCheck>
        checks = new java.util.TreeMap<>();
    dev.whaleray.router.core.HealthCheck all = config.healthCheck;
    if (all != null && all.mode() == dev.whaleray.router.core.HealthCheck.Mode.HTTP) {
      for (ListenerSettings.Listener l : config.listeners) {
        if (l.protocol().equals(ListenerSettings.TCP)) {
          checks.put(l.service(), all.withMode(dev.whaleray.router.core.HealthCheck.Mode.TCP));
        }
      }
    }
    config.serviceHealthChecks.forEach((service, check) -> checks.put(service, check.orElse(null)));
    return checks;
  }

  /**
   * What {@link #start(RouterConfig)} would stop at, checked before a warm-up: the discovery
   * provider and its settings, and whether the traffic port can be bound. Without it an operator
   * would see a misspelt setting or a port in use only after the warm-up.
   *
   * @throws ConfigException for the discovery
   * @throws java.io.UncheckedIOException when the port cannot be bound now
   */
  static void preflight(RouterConfig config) {
    DiscoverySettings.checked(config, discoveryProvider(config));
    if (config.port != 0) {
      try (java.net.ServerSocket s = new java.net.ServerSocket()) {
        s.setReuseAddress(true); // as the listener binds: a port in TIME_WAIT is free
        s.bind(new java.net.InetSocketAddress(config.host, config.port));
      } catch (java.io.IOException e) {
        throw new java.io.UncheckedIOException(
            "cannot listen on " + config.host + ":" + config.port + ": " + e.getMessage(), e);
      }
    }
  }

  /** The configured discovery provider; not found, an error naming the bundled ones. */
  private static DiscoveryProvider discoveryProvider(RouterConfig config) {
    try {
      return DiscoveryProviders.get(config.discovery);
    } catch (IllegalArgumentException e) {
      throw BundledProviders.discoveryNotFound(
          config.discovery, e, ReferenceRouter.class.getClassLoader());
    }
  }

  private static Discovery newDiscovery(RouterConfig config, ScheduledExecutorService scheduler) {
    DiscoveryProvider provider = discoveryProvider(config);
    Map<String, String> settings = DiscoverySettings.checked(config, provider);
    try {
      return provider.newDiscovery(
          DiscoveryContext.builder()
              .settings(settings)
              .configFile(config.configFile)
              .scheduler(scheduler)
              .build());
    } catch (IllegalArgumentException e) {
      throw DiscoverySettings.error(config, config.discovery, e);
    }
  }

  /**
   * Starts a router.
   *
   * @throws IllegalArgumentException for a bad setting (unknown policy or discovery, bad file)
   * @throws java.io.UncheckedIOException when the port cannot be bound
   */
  public static ReferenceRouter start(RouterConfig config) {
    return new ReferenceRouter(requireNonNull(config, "config"), null, false);
  }

  /**
   * A throw-away router for the warm-up ({@link RouterConfig#warmup()}): the config's handler
   * settings (meters and access log on or off as in it, so that the JIT compiles the branches the
   * real router takes) on a loopback port over {@code demo}, without the admin listener, the {@code
   * listeners:}, TLS or a line of access log.
   */
  static ReferenceRouter startWarmup(RouterConfig config, Discovery demo) {
    return new ReferenceRouter(config.forWarmup(), requireNonNull(demo, "demo"), true);
  }

  /** Starts a router over a discovery built by the caller (the demo, tests). */
  public static ReferenceRouter start(RouterConfig config, Discovery discovery) {
    return new ReferenceRouter(
        requireNonNull(config, "config"), requireNonNull(discovery, "discovery"), false);
  }

  /** The bound traffic port. */
  public int port() {
    return server.port();
  }

  /** The bound TLS port, or -1 without a TLS listener. */
  public int tlsPort() {
    return server.tlsPort();
  }

  /** The bound admin port, or 0 when the admin listener is off. */
  public int adminPort() {
    AdminServer a = admin;
    return a == null ? 0 : a.port();
  }

  /** The bound ports of the {@code listeners:} (HTTP ones first, then TCP ones). */
  java.util.List<Integer> listenerPorts() {
    return frontends.ports();
  }

  /** The config it runs with. */
  public RouterConfig config() {
    return config;
  }

  /**
   * Stops accepting connections, lets requests in flight finish within the grace period, then
   * releases everything. Blocks.
   *
   * @return true when every request finished in time
   */
  public boolean shutdown(Duration drain, Duration grace) {
    LOG.log(
        System.Logger.Level.INFO,
        "draining: grace " + grace + ", " + server.inFlight() + " request(s) in flight");
    // The listeners: ports drain beside the main one, on threads of their own.
    CompletableFuture<Boolean> extra = new CompletableFuture<>();
    Thread t =
        new Thread(
            () -> {
              try {
                extra.complete(frontends.shutdown(drain, grace));
              } catch (RuntimeException e) {
                extra.completeExceptionally(e);
              }
            },
            "whaleray-frontends-drain");
    t.setDaemon(true);
    t.start();
    boolean drained = server.shutdown(drain, grace);
    drained &= extra.join();
    release();
    LOG.log(System.Logger.Level.INFO, drained ? "drained, stopped" : "grace period over, stopped");
    return drained;
  }

  @Override
  public void close() {
    frontends.close();
    server.close();
    release();
  }

  private void release() {
    if (admin != null) {
      admin.close();
    }
    handler.close();
    discovery.close();
    if (registry != null) {
      registry.close();
    }
    scheduler.shutdownNow();
  }
}
