package dev.whaleray.reference;

import dev.whaleray.router.Route;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * The reference router's settings: defaults, then the YAML file, then {@code WHALERAY_*}
 * environment variables (which win). Immutable; every error names the file and line or the
 * variable, and the field.
 */
public final class RouterConfig {
  static final Set<String> TOP_KEYS =
      new LinkedHashSet<>(
          List.of(
              "host",
              "port",
              "adminPort",
              "routes",
              "discovery",
              "loadBalancing",
              "proxy",
              "healthCheck",
              "zone",
              "shutdownGrace",
              "shutdownDrain",
              "warmup",
              "timeouts",
              "limits",
              "outlierDetection",
              "retries",
              "rateLimit",
              "services",
              "circuitBreaker",
              "accessLog",
              "tracing",
              "http2",
              "admin",
              "listeners",
              "tls"));

  final @Nullable Path configFile;
  final String host;
  final int port;
  final int adminPort;
  final List<Route> routes;
  final String discovery;
  final Map<String, String> discoverySettings;

  /** The file's node of each discovery setting the file gave and no variable overrode. */
  final Map<String, YamlFile.Value> discoveryNodes;

  /** Settings given under {@code discovery.settings}: for the selected provider by name. */
  final Set<String> namedDiscoverySettings;

  /** Settings given under {@code discovery.cloudmap}: for the Cloud Map providers. */
  final Set<String> cloudmapSettings;

  final String lbPolicy;
  final Map<String, String> lbOptions;
  final @Nullable String zone;
  final Duration shutdownGrace;
  final Duration shutdownDrain;
  final Duration warmup;
  final Duration connectTimeout;
  final Duration responseTimeout;
  final boolean preserveHost;
  final int retries;
  final int retryBudgetPercent;
  final dev.whaleray.router.core.@Nullable RateLimit rateLimit;
  final dev.whaleray.router.core.@Nullable CircuitBreaking circuitBreaker;

  /** One JSON line per request on stdout (on by default), for this share of requests. */
  final boolean accessLog;

  final double accessLogSample;

  /** A W3C traceparent for requests without one (on by default). */
  final boolean createTraceparent;

  /** HTTP/2 beside HTTP/1.1 on the plain port: h2c by prior knowledge and upgrade (on). */
  final boolean http2;

  final Map<String, dev.whaleray.router.core.RateLimit> serviceRateLimits;

  /** {@code services.<name>.upstream}: protocol and TLS towards a service's endpoints. */
  final Map<String, dev.whaleray.router.undertow.UpstreamOptions> serviceUpstreams;

  final dev.whaleray.router.core.OutlierDetection outliers;
  final boolean healthCheckConfigured;

  /** Active health checks, or null when off (the default). */
  final dev.whaleray.router.core.@Nullable HealthCheck healthCheck;

  /**
   * {@code services.<name>.healthCheck}: a service's own check over {@link #healthCheck} (empty:
   * none for that service). A TCP listener's service without one is checked by TCP connect.
   */
  final Map<String, java.util.Optional<dev.whaleray.router.core.HealthCheck>> serviceHealthChecks;

  final Limits limits;

  /** The admin API's token and registry ({@code admin:}). */
  final AdminSettings admin;

  /** Extra frontends ({@code listeners:}): ports bound to one service, HTTP or TCP. */
  final List<ListenerSettings.Listener> listeners;

  /** The TLS listener ({@code tls:}, {@code WHALERAY_TLS_*}); off without a certificate. */
  final TlsSettings tls;

  /** Edge limits and client timeouts ({@code timeouts:} and {@code limits:} in the file). */
  static final class Limits {
    Duration idle = Duration.ofSeconds(75);
    Duration clientHeader = Duration.ofSeconds(30);
    Duration clientBody = Duration.ofSeconds(60);
    int maxConnections = 10_000;
    int maxConnectionsPerClient;
    int maxRequests;
    long maxBodySize;
    int requestBuffer = 64 * 1024;
    long minUploadRate = 500;

    Limits copy() {
      Limits l = new Limits();
      l.idle = idle;
      l.clientHeader = clientHeader;
      l.clientBody = clientBody;
      l.maxConnections = maxConnections;
      l.maxConnectionsPerClient = maxConnectionsPerClient;
      l.maxRequests = maxRequests;
      l.maxBodySize = maxBodySize;
      l.requestBuffer = requestBuffer;
      l.minUploadRate = minUploadRate;
      return l;
    }
  }

  private RouterConfig(Builder b) {
    this.configFile = b.configFile;
    this.host = b.host;
    this.port = b.port;
    this.adminPort = b.adminPort;
    this.routes =
        List.copyOf(b.routes.isEmpty() ? List.of(Route.path("/services/{service}")) : b.routes);
    this.discovery = b.discovery;
    this.discoverySettings = Map.copyOf(b.discoverySettings);
    this.discoveryNodes = Map.copyOf(b.discoveryNodes);
    this.namedDiscoverySettings = Set.copyOf(b.namedDiscoverySettings);
    this.cloudmapSettings = Set.copyOf(b.cloudmapSettings);
    this.lbPolicy = b.lbPolicy;
    this.lbOptions = Map.copyOf(b.lbOptions);
    this.zone = b.zone;
    this.shutdownGrace = b.shutdownGrace;
    this.shutdownDrain = b.shutdownDrain;
    this.warmup = b.warmup;
    this.connectTimeout = b.connectTimeout;
    this.responseTimeout = b.responseTimeout;
    this.preserveHost = b.preserveHost;
    this.retries = b.retries;
    this.retryBudgetPercent = b.retryBudgetPercent;
    this.rateLimit = b.rateLimit;
    this.circuitBreaker = b.circuitBreaker;
    this.accessLog = b.accessLog;
    this.accessLogSample = b.accessLogSample;
    this.createTraceparent = b.createTraceparent;
    this.http2 = b.http2;
    this.serviceRateLimits = Map.copyOf(b.serviceRateLimits);
    this.serviceUpstreams = Map.copyOf(b.serviceUpstreams);
    this.outliers = b.outliers;
    this.healthCheckConfigured = b.healthCheckConfigured;
    this.healthCheck = b.healthCheck;
    this.serviceHealthChecks = Map.copyOf(b.serviceHealthChecks);
    this.limits = b.limits.copy();
    this.admin = b.admin;
    this.listeners = b.listeners;
    this.tls = b.tls;
  }

  /** The defaults, with no file and no environment. */
  public static RouterConfig defaults() {
    return new Builder().build();
  }

  /**
   * Loads the settings.
   *
   * @param file the YAML file, or null
   * @param env the environment ({@code System.getenv()}); only {@code WHALERAY_*} is read
   * @throws ConfigException naming the file and line or the variable, and the field
   */
  public static RouterConfig load(@Nullable Path file, Map<String, String> env) {
    Builder b = new Builder();
    b.configFile = file;
    if (file != null) {
      b.applyFile(YamlFile.read(file));
    }
    b.applyEnv(env);
    return b.build();
  }

  /** Loads from YAML text, for tests. */
  static RouterConfig parse(String yaml, Map<String, String> env) {
    Builder b = new Builder();
    b.applyFile(YamlFile.parse(yaml, "config"));
    b.applyEnv(env);
    return b.build();
  }

  public int port() {
    return port;
  }

  public String discovery() {
    return discovery;
  }

  public String lbPolicy() {
    return lbPolicy;
  }

  public List<Route> routes() {
    return routes;
  }

  public Duration shutdownGrace() {
    return shutdownGrace;
  }

  /**
   * How long the router drives requests through a throw-away copy of itself before it listens, so
   * that the JIT has compiled the request path when the first client comes; zero for none.
   */
  public Duration warmup() {
    return warmup;
  }

  public Map<String, String> discoverySettings() {
    return discoverySettings;
  }

  /** A copy listening on another port (0: ephemeral), for tests and the demo. */
  RouterConfig withPort(int port) {
    Builder b = toBuilder();
    b.port = port;
    return b.build();
  }

  /** A copy with another admin port (0: no admin listener). */
  RouterConfig withAdminPort(int adminPort) {
    Builder b = toBuilder();
    b.adminPort = adminPort;
    return b.build();
  }

  /**
   * The config of the warm-up's throw-away router: this one's handler settings on an ephemeral
   * loopback port with the default route, without {@code listeners:} or TLS. Without what would
   * turn the warm-up's requests away or send them elsewhere: rate limits, connection limits, and
   * settings of one service (a service of the same name as the warm-up's would get them).
   */
  RouterConfig forWarmup() {
    Builder b = toBuilder();
    b.host = "127.0.0.1";
    b.port = 0;
    b.routes.clear(); // the default: /services/{service}
    b.listeners = List.of();
    b.tls = TlsSettings.NONE;
    b.rateLimit = null;
    b.serviceRateLimits.clear();
    b.serviceUpstreams.clear();
    b.serviceHealthChecks.clear();
    b.limits.maxConnections = Math.max(b.limits.maxConnections, 64);
    b.limits.maxConnectionsPerClient = 0;
    return b.build();
  }

  /** A copy bound to another address. */
  RouterConfig withHost(String host) {
    Builder b = toBuilder();
    b.host = host;
    return b.build();
  }

  private Builder toBuilder() {
    Builder b = new Builder();
    b.configFile = configFile;
    b.host = host;
    b.port = port;
    b.adminPort = adminPort;
    b.routes.addAll(routes);
    b.discovery = discovery;
    b.discoverySettings.putAll(discoverySettings);
    b.discoveryNodes.putAll(discoveryNodes);
    b.namedDiscoverySettings.addAll(namedDiscoverySettings);
    b.cloudmapSettings.addAll(cloudmapSettings);
    b.lbPolicy = lbPolicy;
    b.lbOptions.putAll(lbOptions);
    b.zone = zone;
    b.shutdownGrace = shutdownGrace;
    b.shutdownDrain = shutdownDrain;
    b.warmup = warmup;
    b.connectTimeout = connectTimeout;
    b.responseTimeout = responseTimeout;
    b.preserveHost = preserveHost;
    b.retries = retries;
    b.retryBudgetPercent = retryBudgetPercent;
    b.rateLimit = rateLimit;
    b.circuitBreaker = circuitBreaker;
    b.accessLog = accessLog;
    b.accessLogSample = accessLogSample;
    b.createTraceparent = createTraceparent;
    b.http2 = http2;
    b.serviceRateLimits.putAll(serviceRateLimits);
    b.serviceUpstreams.putAll(serviceUpstreams);
    b.outliers = outliers;
    b.healthCheckConfigured = healthCheckConfigured;
    b.healthCheck = healthCheck;
    b.serviceHealthChecks.putAll(serviceHealthChecks);
    b.limits = limits.copy();
    b.admin = admin;
    b.listeners = listeners;
    b.tls = tls;
    return b;
  }

  @Override
  public String toString() {
    return "port="
        + port
        + " discovery="
        + discovery
        + " lb="
        + lbPolicy
        + " routes="
        + routes
        + (configFile == null ? "" : " config=" + configFile);
  }

  /** A share of requests: above 0, at most 1. */
  private static double share(YamlFile.Value v) {
    String text = v.scalar();
    double d;
    try {
      d = Double.parseDouble(text.trim());
    } catch (NumberFormatException e) {
      throw v.error("'" + text + "' (expected: a number above 0, at most 1)");
    }
    if (!(d > 0 && d <= 1)) {
      throw v.error("'" + text + "' (expected: a number above 0, at most 1)");
    }
    return d;
  }

  private static final class Builder {
    @Nullable Path configFile;
    String host = "0.0.0.0";
    int port = 8080;
    int adminPort = 9901;
    final List<Route> routes = new ArrayList<>();
    String discovery = "static";
    final Map<String, String> discoverySettings = new LinkedHashMap<>();
    final Map<String, YamlFile.Value> discoveryNodes = new LinkedHashMap<>();
    final Set<String> namedDiscoverySettings = new LinkedHashSet<>();
    final Set<String> cloudmapSettings = new LinkedHashSet<>();
    String lbPolicy = "round-robin";
    final Map<String, String> lbOptions = new LinkedHashMap<>();
    YamlFile.@Nullable Value lbPolicyNode;
    boolean lbPolicyFromEnv;
    @Nullable String zone;
    Duration shutdownGrace = Duration.ofSeconds(20);
    Duration shutdownDrain = Duration.ofSeconds(5); // /health 503, still serving, before closing
    Duration warmup = Duration.ZERO; // traffic through a throw-away router before listening
    Duration connectTimeout = Duration.ofSeconds(5);
    Duration responseTimeout = Duration.ofSeconds(60);
    boolean preserveHost;
    int retries = 2; // tries after the first (DESIGN: retries.attempts)
    int retryBudgetPercent = 20;
    dev.whaleray.router.core.@Nullable RateLimit rateLimit;
    dev.whaleray.router.core.@Nullable CircuitBreaking circuitBreaker;
    boolean accessLog = true;
    double accessLogSample = 1.0;
    boolean createTraceparent = true;
    boolean http2 = true;
    final Map<String, dev.whaleray.router.core.RateLimit> serviceRateLimits =
        new java.util.TreeMap<>();
    final Map<String, dev.whaleray.router.undertow.UpstreamOptions> serviceUpstreams =
        new java.util.HashMap<>();
    dev.whaleray.router.core.OutlierDetection outliers =
        dev.whaleray.router.core.OutlierDetection.defaults();
    boolean healthCheckConfigured;
    dev.whaleray.router.core.@Nullable HealthCheck healthCheck;
    // The file's healthCheck settings even when not enabled: the variable turns them on.
    dev.whaleray.router.core.@Nullable HealthCheck healthCheckSettings;
    final Map<String, java.util.Optional<dev.whaleray.router.core.HealthCheck>>
        serviceHealthChecks = new java.util.TreeMap<>();
    Limits limits = new Limits();
    AdminSettings admin = AdminSettings.DEFAULTS;
    List<ListenerSettings.Listener> listeners = List.of();
    TlsSettings tls = TlsSettings.NONE;

    Builder() {
      discoverySettings.put("namespace", "whaleray.local");
      discoverySettings.put("backendPort", "3000");
      discoverySettings.put("cloudmapRefresh", "5s");
    }

    RouterConfig build() {
      try {
        checkPolicy(lbPolicyNode, lbPolicy, lbOptions);
      } catch (ConfigException e) {
        throw lbPolicyFromEnv ? new ConfigException("WHALERAY_LB: " + e.getMessage(), e) : e;
      }
      ListenerSettings.checkPorts(listeners, port, adminPort);
      tls.check(port);
      return new RouterConfig(this);
    }

    void applyFile(YamlFile.Value root) {
      Map<String, YamlFile.Value> top = root.mapping(TOP_KEYS);
      YamlFile.Value v;
      // services.<name>.healthCheck blocks, read after the top-level healthCheck they build on.
      Map<String, YamlFile.Value> serviceChecks = new java.util.TreeMap<>();
      if ((v = top.get("host")) != null) {
        host = v.scalar();
      }
      if ((v = top.get("port")) != null) {
        port = v.integer(0, 65535);
      }
      if ((v = top.get("adminPort")) != null) {
        adminPort = v.integer(0, 65535);
      }
      if ((v = top.get("admin")) != null) {
        admin = admin.withFile(v);
      }
      if ((v = top.get("listeners")) != null) {
        listeners = ListenerSettings.parse(v);
      }
      if ((v = top.get("tls")) != null) {
        tls = tls.withFile(v);
      }
      if ((v = top.get("zone")) != null) {
        zone = v.isNull() ? null : v.scalar();
      }
      if ((v = top.get("shutdownDrain")) != null) {
        shutdownDrain = v.duration();
      }
      if ((v = top.get("shutdownGrace")) != null) {
        shutdownGrace = v.duration();
      }
      if ((v = top.get("warmup")) != null) {
        warmup = v.duration();
        if (warmup.compareTo(MAX_WARMUP) > 0) {
          throw v.error("'" + v.scalar() + "' (expected: at most 5m)");
        }
      }
      if ((v = top.get("routes")) != null) {
        for (YamlFile.Value item : v.list()) {
          routes.add(route(item));
        }
      }
      if ((v = top.get("discovery")) != null) {
        Map<String, YamlFile.Value> d =
            v.mapping(new LinkedHashSet<>(List.of("type", "static", "cloudmap", "settings")));
        if (d.containsKey("type")) {
          discovery = d.get("type").scalar();
        }
        // discovery.static is read by the static discovery itself (it hot-reloads the file).
        if (d.containsKey("cloudmap")) {
          cloudmapSettings.addAll(settings(d.get("cloudmap")));
        }
        if (d.containsKey("settings")) {
          namedDiscoverySettings.addAll(settings(d.get("settings")));
        }
      }
      if ((v = top.get("loadBalancing")) != null) {
        Map<String, YamlFile.Value> lb = v.mapping(null);
        checkOptionKeys(lb);
        for (Map.Entry<String, YamlFile.Value> e : lb.entrySet()) {
          if (e.getKey().equals("policy")) {
            lbPolicy = e.getValue().scalar();
            lbPolicyNode = e.getValue();
          } else {
            lbOptions.put(e.getKey(), e.getValue().scalar());
          }
        }
      }
      if ((v = top.get("proxy")) != null) {
        Map<String, YamlFile.Value> p =
            v.mapping(
                new LinkedHashSet<>(
                    List.of("connectTimeout", "responseTimeout", "preserveHost", "retries")));
        if (p.containsKey("connectTimeout")) {
          connectTimeout = positive(p.get("connectTimeout"));
        }
        if (p.containsKey("responseTimeout")) {
          responseTimeout = positive(p.get("responseTimeout"));
        }
        if (p.containsKey("preserveHost")) {
          preserveHost = p.get("preserveHost").bool();
        }
        if (p.containsKey("retries")) {
          retries = p.get("retries").integer(0, 10);
        }
      }
      if ((v = top.get("timeouts")) != null) {
        Map<String, YamlFile.Value> t =
            v.mapping(
                new LinkedHashSet<>(
                    List.of("connect", "response", "idle", "clientHeader", "clientBody")));
        if (t.containsKey("connect")) {
          connectTimeout = positive(t.get("connect"));
        }
        if (t.containsKey("response")) {
          responseTimeout = positive(t.get("response"));
        }
        if (t.containsKey("idle")) {
          limits.idle = positive(t.get("idle"));
        }
        if (t.containsKey("clientHeader")) {
          limits.clientHeader = positive(t.get("clientHeader"));
        }
        if (t.containsKey("clientBody")) {
          limits.clientBody = positive(t.get("clientBody"));
        }
      }
      if ((v = top.get("limits")) != null) {
        Map<String, YamlFile.Value> l =
            v.mapping(
                new LinkedHashSet<>(
                    List.of(
                        "maxConnections",
                        "maxConnectionsPerClient",
                        "maxRequests",
                        "maxBodySize",
                        "requestBuffer",
                        "minUploadRate")));
        if (l.containsKey("maxConnections")) {
          limits.maxConnections = l.get("maxConnections").integer(1, 1_000_000);
        }
        if (l.containsKey("maxConnectionsPerClient")) {
          limits.maxConnectionsPerClient = l.get("maxConnectionsPerClient").integer(0, 1_000_000);
        }
        if (l.containsKey("maxRequests")) {
          limits.maxRequests = l.get("maxRequests").integer(0, 1_000_000);
        }
        if (l.containsKey("maxBodySize")) {
          limits.maxBodySize = size(l.get("maxBodySize"));
        }
        if (l.containsKey("requestBuffer")) {
          long b = size(l.get("requestBuffer"));
          if (b > 16 * 1024 * 1024) {
            throw l.get("requestBuffer")
                .error("'" + l.get("requestBuffer").scalar() + "' (expected: at most 16m)");
          }
          limits.requestBuffer = (int) b;
        }
        if (l.containsKey("minUploadRate")) {
          limits.minUploadRate = size(l.get("minUploadRate"));
        }
      }
      if ((v = top.get("circuitBreaker")) != null) {
        Map<String, YamlFile.Value> c =
            v.mapping(
                new LinkedHashSet<>(
                    List.of(
                        "failureRatePercent", "minimumRequests", "window", "openFor", "enabled")));
        dev.whaleray.router.core.CircuitBreaking cb =
            dev.whaleray.router.core.CircuitBreaking.defaults();
        int rate =
            c.containsKey("failureRatePercent")
                ? c.get("failureRatePercent").integer(1, 100)
                : cb.failureRatePercent();
        int minimum =
            c.containsKey("minimumRequests")
                ? c.get("minimumRequests").integer(1, 1_000_000)
                : cb.minimumRequests();
        cb = cb.withFailureRate(rate, minimum);
        if (c.containsKey("window")) {
          cb = cb.withWindow(positive(c.get("window")));
        }
        if (c.containsKey("openFor")) {
          cb = cb.withOpenFor(positive(c.get("openFor")));
        }
        // On once configured (off without the section), unless enabled: false.
        circuitBreaker = c.containsKey("enabled") && !c.get("enabled").bool() ? null : cb;
      }
      if ((v = top.get("rateLimit")) != null) {
        rateLimit = rateLimit(v);
      }
      if ((v = top.get("accessLog")) != null) {
        Map<String, YamlFile.Value> a =
            v.mapping(new LinkedHashSet<>(List.of("enabled", "sample")));
        if (a.containsKey("enabled")) {
          accessLog = a.get("enabled").bool();
        }
        if (a.containsKey("sample")) {
          accessLogSample = share(a.get("sample"));
        }
      }
      if ((v = top.get("http2")) != null) {
        Map<String, YamlFile.Value> h = v.mapping(new LinkedHashSet<>(List.of("enabled")));
        if (h.containsKey("enabled")) {
          http2 = h.get("enabled").bool();
        }
      }
      if ((v = top.get("tracing")) != null) {
        Map<String, YamlFile.Value> t =
            v.mapping(new LinkedHashSet<>(List.of("createTraceparent")));
        if (t.containsKey("createTraceparent")) {
          createTraceparent = t.get("createTraceparent").bool();
        }
      }
      if ((v = top.get("services")) != null) {
        for (Map.Entry<String, YamlFile.Value> e : v.mapping(null).entrySet()) {
          if (!e.getKey().matches("[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?")) {
            throw e.getValue()
                .error("services." + e.getKey() + ": not a service name (expected: a DNS label)");
          }
          Map<String, YamlFile.Value> svc =
              e.getValue()
                  .mapping(new LinkedHashSet<>(List.of("rateLimit", "upstream", "healthCheck")));
          if (svc.containsKey("rateLimit")) {
            serviceRateLimits.put(
                e.getKey().toLowerCase(java.util.Locale.ROOT), rateLimit(svc.get("rateLimit")));
          }
          if (svc.containsKey("upstream")) {
            serviceUpstreams.put(
                e.getKey().toLowerCase(java.util.Locale.ROOT), upstream(svc.get("upstream")));
          }
          if (svc.containsKey("healthCheck")) { // read once the top-level settings are known
            serviceChecks.put(
                e.getKey().toLowerCase(java.util.Locale.ROOT), svc.get("healthCheck"));
          }
        }
      }
      if ((v = top.get("retries")) != null) {
        Map<String, YamlFile.Value> r =
            v.mapping(new LinkedHashSet<>(List.of("attempts", "budgetPercent")));
        if (r.containsKey("attempts")) {
          retries = r.get("attempts").integer(0, 10);
        }
        if (r.containsKey("budgetPercent")) {
          retryBudgetPercent = r.get("budgetPercent").integer(0, 100);
        }
      }
      if ((v = top.get("outlierDetection")) != null) {
        Map<String, YamlFile.Value> o =
            v.mapping(
                new LinkedHashSet<>(
                    List.of(
                        "enabled", "consecutiveFailures", "baseEjection", "maxEjectedPercent")));
        if (o.containsKey("consecutiveFailures")) {
          outliers =
              outliers.withConsecutiveFailures(o.get("consecutiveFailures").integer(1, 1000));
        }
        if (o.containsKey("baseEjection")) {
          outliers = outliers.withBaseEjection(positive(o.get("baseEjection")));
        }
        if (o.containsKey("maxEjectedPercent")) {
          outliers = outliers.withMaxEjectedPercent(o.get("maxEjectedPercent").integer(0, 100));
        }
        if (o.containsKey("enabled") && !o.get("enabled").bool()) {
          outliers = dev.whaleray.router.core.OutlierDetection.off();
        }
      }
      if ((v = top.get("healthCheck")) != null) {
        healthCheckConfigured = true;
        Map<String, YamlFile.Value> h = v.mapping(new LinkedHashSet<>(HEALTH_CHECK_KEYS));
        dev.whaleray.router.core.HealthCheck check =
            healthCheck(v, h, "healthCheck", dev.whaleray.router.core.HealthCheck.of("/health"));
        // DESIGN: off in the file unless enabled; WHALERAY_HEALTH_CHECK_PATH turns it on.
        healthCheck = h.containsKey("enabled") && h.get("enabled").bool() ? check : null;
        healthCheckSettings = check;
      }
      // A service's block is over the top-level settings, and on unless it says enabled: false.
      for (Map.Entry<String, YamlFile.Value> e : serviceChecks.entrySet()) {
        Map<String, YamlFile.Value> h =
            e.getValue().mapping(new LinkedHashSet<>(HEALTH_CHECK_KEYS));
        String where = "services." + e.getKey() + ".healthCheck";
        dev.whaleray.router.core.HealthCheck base =
            healthCheckSettings != null
                ? healthCheckSettings
                : dev.whaleray.router.core.HealthCheck.of("/health");
        dev.whaleray.router.core.HealthCheck check = healthCheck(e.getValue(), h, where, base);
        boolean on = !h.containsKey("enabled") || h.get("enabled").bool();
        serviceHealthChecks.put(
            e.getKey(), on ? java.util.Optional.of(check) : java.util.Optional.empty());
      }
    }

    /** {@code { requestsPerSecond: 100, burst: 50 }}; the burst defaults to one second's worth. */
    static final List<String> HEALTH_CHECK_KEYS =
        List.of(
            "path",
            "interval",
            "timeout",
            "healthyThreshold",
            "unhealthyThreshold",
            "enabled",
            "mode");

    /**
     * A {@code healthCheck} block ({@code h}, read from {@code v} at {@code where}) over {@code
     * base}: the fields it gives replace the base's.
     */
    static dev.whaleray.router.core.HealthCheck healthCheck(
        YamlFile.Value v,
        Map<String, YamlFile.Value> h,
        String where,
        dev.whaleray.router.core.HealthCheck base) {
      YamlFile.Value path = h.get("path");
      String p = path == null ? base.path() : path.scalar().trim();
      if (!p.startsWith("/")) {
        throw (path == null ? v : path)
            .error(where + ".path: '" + p + "' (expected: starting with /)");
      }
      dev.whaleray.router.core.HealthCheck check =
          dev.whaleray.router.core.HealthCheck.of(p)
              .withInterval(
                  h.containsKey("interval") ? positive(h.get("interval")) : base.interval())
              .withTimeout(h.containsKey("timeout") ? positive(h.get("timeout")) : base.timeout())
              .withThresholds(
                  h.containsKey("healthyThreshold")
                      ? h.get("healthyThreshold").integer(1, 100)
                      : base.healthyThreshold(),
                  h.containsKey("unhealthyThreshold")
                      ? h.get("unhealthyThreshold").integer(1, 100)
                      : base.unhealthyThreshold())
              .withExpectedStatus(base.minStatus(), base.maxStatus())
              .withNewEndpointsWaitingForACheck(base.newEndpointsWaitForACheck())
              .withMode(base.mode());
      YamlFile.Value mode = h.get("mode");
      if (mode != null) {
        String m = mode.scalar().trim().toLowerCase(java.util.Locale.ROOT);
        switch (m) {
          case "http" -> check = check.withMode(dev.whaleray.router.core.HealthCheck.Mode.HTTP);
          case "tcp" -> check = check.withMode(dev.whaleray.router.core.HealthCheck.Mode.TCP);
          default -> throw mode.error("'" + mode.scalar() + "' (expected: http or tcp)");
        }
      }
      return check;
    }

    /**
     * {@code upstream: { protocol: http1 | h2c | h2, tls, trustStore, trustStorePassword,
     * verifyHostname, serverName }}.
     */
    static dev.whaleray.router.undertow.UpstreamOptions upstream(YamlFile.Value v) {
      Map<String, YamlFile.Value> u =
          v.mapping(
              new LinkedHashSet<>(
                  List.of(
                      "protocol",
                      "tls",
                      "trustStore",
                      "trustStorePassword",
                      "verifyHostname",
                      "serverName")));
      dev.whaleray.router.undertow.UpstreamOptions o =
          dev.whaleray.router.undertow.UpstreamOptions.http1();
      try {
        if (u.containsKey("protocol")) {
          o =
              o.withProtocol(
                  dev.whaleray.router.undertow.UpstreamOptions.Protocol.parse(
                      u.get("protocol").scalar()));
        }
        if (u.containsKey("tls")) {
          boolean tls = u.get("tls").bool();
          if (tls != o.tls()) {
            o = o.withTls(tls);
          }
        }
      } catch (IllegalArgumentException e) {
        throw v.error(String.valueOf(e.getMessage()));
      }
      if (u.containsKey("trustStore") && !u.get("trustStore").isNull()) {
        String password =
            u.containsKey("trustStorePassword") ? u.get("trustStorePassword").scalar() : null;
        o = o.withTrustStore(java.nio.file.Path.of(u.get("trustStore").scalar()), password);
      }
      if (u.containsKey("verifyHostname")) {
        o = o.withVerifyHostname(u.get("verifyHostname").bool());
      }
      if (u.containsKey("serverName")) {
        try {
          o = o.withServerName(u.get("serverName").scalar());
        } catch (IllegalArgumentException e) {
          throw u.get("serverName").error(String.valueOf(e.getMessage()));
        }
      }
      if (!o.tls()
          && (u.containsKey("trustStore")
              || u.containsKey("serverName")
              || u.containsKey("verifyHostname"))) {
        throw v.error("trustStore, serverName and verifyHostname need tls: true or protocol: h2");
      }
      return o;
    }

    static dev.whaleray.router.core.RateLimit rateLimit(YamlFile.Value v) {
      Map<String, YamlFile.Value> m =
          v.mapping(new LinkedHashSet<>(List.of("requestsPerSecond", "burst")));
      YamlFile.Value rate = m.get("requestsPerSecond");
      if (rate == null) {
        throw v.error(
            "rateLimit: requestsPerSecond missing (expected: e.g. { requestsPerSecond: 100, burst: 50 })");
      }
      int rps = rate.integer(1, 1_000_000);
      int burst = m.containsKey("burst") ? m.get("burst").integer(1, 1_000_000) : rps;
      return dev.whaleray.router.core.RateLimit.of(rps, burst);
    }

    /** A byte size as nginx writes it: {@code 1024}, {@code 64k}, {@code 10m}, {@code 1g}. */
    static long size(YamlFile.Value v) {
      try {
        return Sizes.parse(v.scalar());
      } catch (IllegalArgumentException e) {
        throw v.error(String.valueOf(e.getMessage()));
      }
    }

    private static Duration positive(YamlFile.Value v) {
      Duration d = v.duration();
      if (d.isZero()) {
        throw v.error("'" + v.scalar() + "' (expected: more than 0)");
      }
      return d;
    }

    /** Reads a section of discovery settings (checked by the provider at start-up); its keys. */
    private Set<String> settings(YamlFile.Value section) {
      Map<String, YamlFile.Value> entries = section.mapping(null);
      for (Map.Entry<String, YamlFile.Value> e : entries.entrySet()) {
        YamlFile.Value value = e.getValue();
        String text;
        if (value.node instanceof org.yaml.snakeyaml.nodes.ScalarNode) {
          text = value.scalar();
        } else {
          List<String> items = new ArrayList<>();
          for (YamlFile.Value item : value.list()) {
            items.add(item.scalar());
          }
          text = String.join(",", items);
        }
        discoverySettings.put(e.getKey(), text);
        discoveryNodes.put(e.getKey(), value);
      }
      return entries.keySet();
    }

    private static Route route(YamlFile.Value item) {
      Map<String, YamlFile.Value> r =
          item.mapping(
              new LinkedHashSet<>(
                  List.of(
                      "path",
                      "host",
                      "service",
                      "port",
                      "loadBalancing",
                      "maxBodySize",
                      "rateLimit")));
      String path = r.containsKey("path") ? r.get("path").scalar() : null;
      String host = r.containsKey("host") ? r.get("host").scalar() : null;
      String service = r.containsKey("service") ? r.get("service").scalar() : null;
      try {
        Route route = Route.of(host, path, service);
        dev.whaleray.router.Router.builder().route(route); // rejects a route naming no service
        YamlFile.Value port = r.get("port");
        if (port != null) {
          // One port of the service's endpoints for every match (issue #16): a name or a number.
          String value = port.scalar().trim().toLowerCase(java.util.Locale.ROOT);
          try {
            dev.whaleray.router.Endpoint.checkPortReference(value);
          } catch (IllegalArgumentException e) {
            throw port.error(
                "'"
                    + port.scalar()
                    + "' (expected: a port name of [a-z0-9-] starting with a letter, such as"
                    + " metrics, or a port number 1-65535)");
          }
          try {
            route = route.withPort(value);
          } catch (IllegalArgumentException e) {
            throw port.error(String.valueOf(e.getMessage()));
          }
        }
        YamlFile.Value lb = r.get("loadBalancing");
        if (lb != null) {
          Map<String, YamlFile.Value> section = lb.mapping(null);
          checkOptionKeys(section);
          YamlFile.Value policy = section.get("policy");
          if (policy == null) {
            throw lb.error("missing policy (expected e.g. policy: consistent-hash)");
          }
          Map<String, String> options = new LinkedHashMap<>();
          for (Map.Entry<String, YamlFile.Value> e : section.entrySet()) {
            if (!e.getKey().equals("policy")) {
              options.put(e.getKey(), e.getValue().scalar());
            }
          }
          checkPolicy(policy, policy.scalar(), options);
          route = route.withLoadBalancing(policy.scalar(), options);
        }
        YamlFile.Value max = r.get("maxBodySize");
        if (max != null) {
          route = route.withMaxBodySize(size(max));
        }
        YamlFile.Value limit = r.get("rateLimit");
        if (limit != null) {
          dev.whaleray.router.core.RateLimit l = rateLimit(limit);
          route = route.withRateLimit(l.requestsPerSecond(), l.burst());
        }
        return route;
      } catch (ConfigException e) {
        throw e; // names its own line and field already
      } catch (IllegalArgumentException e) {
        throw item.error(String.valueOf(e.getMessage()));
      }
    }

    /** The built-in policies, whose options are known; a plugin's options are its own. */
    static final Set<String> BUILT_IN_POLICIES =
        Set.of("round-robin", "random", "weighted", "least-connections", "consistent-hash");

    static final List<String> COMMON_OPTIONS =
        List.of("policy", "slowStart", "zoneAware", "zoneMinFraction");

    /**
     * Rejects option keys a built-in policy does not know (a typo like {@code polcy} would
     * otherwise pass silently); any key goes for a plugin's policy.
     */
    private static void checkOptionKeys(Map<String, YamlFile.Value> section) {
      YamlFile.Value policyNode = section.get("policy");
      String policy = policyNode == null ? null : policyNode.scalar();
      if (policy != null && !BUILT_IN_POLICIES.contains(policy)) {
        return;
      }
      List<String> allowed = new ArrayList<>(COMMON_OPTIONS);
      if (policy == null || policy.equals("consistent-hash")) {
        allowed.add("hashKey");
      }
      for (Map.Entry<String, YamlFile.Value> e : section.entrySet()) {
        if (!allowed.contains(e.getKey())) {
          throw e.getValue()
              .error(
                  "unknown key (expected one of: "
                      + String.join(", ", allowed)
                      + (policy == null ? "" : " for " + policy)
                      + ")");
        }
      }
    }

    /**
     * Fails unless {@code policy} names an available load balancer that accepts {@code options} (a
     * throwaway instance is built, so bad options fail at start-up, not on a request).
     */
    static void checkPolicy(
        YamlFile.@Nullable Value node, String policy, Map<String, String> options) {
      try {
        dev.whaleray.router.lb.LoadBalancerProviders.get(policy)
            .newLoadBalancer(
                dev.whaleray.router.lb.LbContext.of("config-check").withOptions(options))
            .close();
      } catch (IllegalArgumentException e) {
        String message = String.valueOf(e.getMessage());
        if (node == null) {
          throw new ConfigException(message, e);
        }
        // The registry names the field itself; the node's path says it better.
        throw node.error(message.replaceFirst("^loadBalancing\\.policy: ", ""));
      }
    }

    void applyEnv(Map<String, String> env) {
      String v;
      if ((v = env.get("WHALERAY_HOST")) != null) {
        host = v;
      }
      if ((v = env.get("WHALERAY_PORT")) != null) {
        port = envInt("WHALERAY_PORT", v, 0, 65535);
      }
      if ((v = env.get("WHALERAY_ADMIN_PORT")) != null) {
        adminPort = envInt("WHALERAY_ADMIN_PORT", v, 0, 65535);
      }
      admin = admin.withEnv(env);
      tls = tls.withEnv(env);
      if ((v = env.get("WHALERAY_DISCOVERY")) != null) {
        discovery = v.trim();
      }
      if ((v = env.get("WHALERAY_LB")) != null) {
        lbPolicy = v.trim();
        lbPolicyNode = null;
        lbPolicyFromEnv = true;
      }
      if ((v = env.get("WHALERAY_ZONE")) != null) {
        zone = v.isBlank() ? null : v.trim();
      } else if (zone == null) {
        zone = EcsMetadata.zone(env, Duration.ofSeconds(1)); // on ECS: the task's zone
      }
      if ((v = env.get("WHALERAY_SHUTDOWN_DRAIN")) != null) {
        shutdownDrain = Durations.parse("WHALERAY_SHUTDOWN_DRAIN", v);
      }
      if ((v = env.get("WHALERAY_SHUTDOWN_GRACE")) != null) {
        shutdownGrace = Durations.parse("WHALERAY_SHUTDOWN_GRACE", v);
      }
      if ((v = env.get("WHALERAY_WARMUP")) != null) {
        warmup = Durations.parse("WHALERAY_WARMUP", v);
        if (warmup.compareTo(MAX_WARMUP) > 0) {
          throw new ConfigException("WHALERAY_WARMUP: '" + v + "' (expected: at most 5m)");
        }
      }
      if ((v = env.get("WHALERAY_CONNECT_TIMEOUT")) != null) {
        connectTimeout = envPositive("WHALERAY_CONNECT_TIMEOUT", v);
      }
      if ((v = env.get("WHALERAY_HEALTH_CHECK_PATH")) != null) {
        if (v.isBlank()) {
          healthCheck = null;
        } else if (!v.trim().startsWith("/")) {
          throw new ConfigException(
              "WHALERAY_HEALTH_CHECK_PATH: '" + v + "' (expected: a path starting with /)");
        } else {
          dev.whaleray.router.core.HealthCheck base =
              healthCheckSettings != null
                  ? healthCheckSettings
                  : dev.whaleray.router.core.HealthCheck.of(v.trim());
          healthCheck =
              dev.whaleray.router.core.HealthCheck.of(v.trim())
                  .withInterval(base.interval())
                  .withTimeout(base.timeout())
                  .withThresholds(base.healthyThreshold(), base.unhealthyThreshold())
                  .withMode(base.mode()); // the file's mode: tcp, too, is turned on here
        }
      }
      if ((v = env.get("WHALERAY_HEALTH_CHECK_MODE")) != null && !v.isBlank()) {
        // The mode of the checks turned on by the file or WHALERAY_HEALTH_CHECK_PATH; alone it
        // turns none on.
        dev.whaleray.router.core.HealthCheck.Mode mode =
            switch (v.trim().toLowerCase(java.util.Locale.ROOT)) {
              case "http" -> dev.whaleray.router.core.HealthCheck.Mode.HTTP;
              case "tcp" -> dev.whaleray.router.core.HealthCheck.Mode.TCP;
              default ->
                  throw new ConfigException(
                      "WHALERAY_HEALTH_CHECK_MODE: '" + v + "' (expected: http or tcp)");
            };
        if (healthCheck != null) {
          healthCheck = healthCheck.withMode(mode);
        }
      }
      if ((v = env.get("WHALERAY_ACCESS_LOG")) != null) {
        String on = v.trim().toLowerCase(java.util.Locale.ROOT);
        if (!on.equals("true") && !on.equals("false")) {
          throw new ConfigException("WHALERAY_ACCESS_LOG: '" + v + "' (expected: true or false)");
        }
        accessLog = on.equals("true");
      }
      if ((v = env.get("WHALERAY_RATE_LIMIT")) != null) {
        try {
          rateLimit = v.isBlank() ? null : dev.whaleray.router.core.RateLimit.parse(v);
        } catch (IllegalArgumentException e) {
          throw new ConfigException("WHALERAY_RATE_LIMIT: " + e.getMessage());
        }
      }
      if ((v = env.get("WHALERAY_RESPONSE_TIMEOUT")) != null) {
        responseTimeout = envPositive("WHALERAY_RESPONSE_TIMEOUT", v);
      }
      if ((v = env.get("WHALERAY_CLIENT_HEADER_TIMEOUT")) != null) {
        limits.clientHeader = envPositive("WHALERAY_CLIENT_HEADER_TIMEOUT", v);
      }
      if ((v = env.get("WHALERAY_CLIENT_BODY_TIMEOUT")) != null) {
        limits.clientBody = envPositive("WHALERAY_CLIENT_BODY_TIMEOUT", v);
      }
      if ((v = env.get("WHALERAY_MAX_CONNECTIONS")) != null) {
        limits.maxConnections = envInt("WHALERAY_MAX_CONNECTIONS", v, 1, 1_000_000);
      }
      if ((v = env.get("WHALERAY_MAX_BODY_SIZE")) != null) {
        try {
          limits.maxBodySize = Sizes.parse(v);
        } catch (IllegalArgumentException e) {
          throw new ConfigException("WHALERAY_MAX_BODY_SIZE: " + e.getMessage(), e);
        }
      }
      setting(env, "WHALERAY_NAMESPACE", "namespace");
      if ((v = env.get("WHALERAY_BACKEND_PORT")) != null) {
        envSetting("backendPort", Integer.toString(envInt("WHALERAY_BACKEND_PORT", v, 1, 65535)));
      }
      setting(env, "WHALERAY_DNS_SERVERS", "dnsServers");
      if ((v = env.get("WHALERAY_DNS_VALID")) != null) {
        Durations.parse("WHALERAY_DNS_VALID", v);
        envSetting("dnsValid", v.trim());
      }
      setting(env, "WHALERAY_CLOUDMAP_ENDPOINT", "cloudmapEndpoint");
      if ((v = env.get("WHALERAY_CLOUDMAP_REFRESH")) != null) {
        Durations.parse("WHALERAY_CLOUDMAP_REFRESH", v);
        envSetting("cloudmapRefresh", v.trim());
      }
    }

    private void setting(Map<String, String> env, String variable, String key) {
      String v = env.get(variable);
      if (v != null) {
        envSetting(key, v.trim());
      }
    }

    /** A discovery setting from a variable: an error in it names the variable, not the file. */
    private void envSetting(String key, String value) {
      discoverySettings.put(key, value);
      discoveryNodes.remove(key);
    }

    /**
     * The longest warm-up: more than the JIT needs, and ECS's health check start period is 30 s.
     */
    static final Duration MAX_WARMUP = Duration.ofMinutes(5);

    private static Duration envPositive(String variable, String value) {
      Duration d = Durations.parse(variable, value);
      if (d.isZero()) {
        throw new ConfigException(variable + ": '" + value + "' (expected: more than 0)");
      }
      return d;
    }

    private static int envInt(String variable, String value, int min, int max) {
      try {
        int n = Integer.parseInt(value.trim());
        if (n >= min && n <= max) {
          return n;
        }
      } catch (NumberFormatException e) {
        // fall through
      }
      throw new ConfigException(
          variable + ": '" + value + "' (expected: a number from " + min + " to " + max + ")");
    }
  }
}
