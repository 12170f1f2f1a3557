package dev.whaleray.router;

import static java.util.Objects.requireNonNull;

import java.util.Locale;
import org.jspecify.annotations.Nullable;

/**
 * One entry of a route table: which requests it takes (a host, a path prefix, or both) and which
 * service they go to (a fixed name, or the {@code {service}} variable of the host or path).
 *
 * <p>Patterns:
 *
 * <ul>
 *   <li>{@code path("/services/{service}")}: a path prefix whose {@code {service}} segment names
 *       the service; the matched prefix is stripped before proxying ({@code /services/a/b?q} goes
 *       to {@code a} as {@code /b?q}).
 *   <li>{@code host("catalog.example.com").withService("catalog")}: an exact host
 *       (case-insensitive); the path is kept.
 *   <li>{@code host("{service}.apps.example.com")}: a subdomain names the service.
 * </ul>
 *
 * <p>Ports (issue #16): a {@code {service}} path segment may carry a port, {@code demo:metrics} or
 * {@code demo:9100}, unless the route has a fixed port ({@link #withPort}); {@code
 * path("/services/{service}:{port}")} requires one. {@code
 * host("{port}--{service}.apps.example.com")} takes it from the host ({@code
 * metrics--demo.apps.example.com}). The port is a port name or a number, and reaches only ports
 * that discovery gave an endpoint ({@link Endpoint#resolvePort}).
 *
 * <p>Immutable and thread-safe. Patterns are checked when the route is built, so a bad one fails at
 * start-up with a message naming it, never on a request. A route whose patterns hold no {@code
 * {service}} needs {@link #withService}; {@link Router.Builder#route} rejects it otherwise.
 */
public final class Route {

  /** The variable that names the service in a pattern. */
  public static final String SERVICE_VARIABLE = "{service}";

  /**
   * The variable that names a port of the service: {@code {service}:{port}} as a path segment, or
   * {@code {port}--{service}.domain} as a host.
   */
  public static final String PORT_VARIABLE = "{port}";

  private static final String PATH_SERVICE_PORT = SERVICE_VARIABLE + ":" + PORT_VARIABLE;
  private static final String HOST_PORT_SERVICE = PORT_VARIABLE + "--" + SERVICE_VARIABLE;

  private final @Nullable String hostPattern;
  private final @Nullable String pathPattern;
  private final @Nullable String service;

  // Precomputed match data.
  final @Nullable String hostExact;
  final @Nullable String hostSuffix; // ".apps.example.com" for "{service}.apps.example.com"
  final @Nullable String pathBefore; // "/services/" for "/services/{service}", "/catalog" if no var
  final @Nullable String pathAfter; // literal after the variable, "" if none; null if no variable
  final boolean hostPortVariable; // "{port}--{service}.apps.example.com"
  final boolean pathPortVariable; // "/services/{service}:{port}": the port is required

  private final @Nullable String port; // a fixed port of the service, null: from the request

  private int hash;
  private final @Nullable String policy;
  private final java.util.Map<String, String> policyOptions;
  private final long maxBodySize;
  private final double rateLimitPerSecond; // 0: none of its own
  private final int rateLimitBurst;

  private Route(
      @Nullable String hostPattern, @Nullable String pathPattern, @Nullable String service) {
    this(hostPattern, pathPattern, service, null, java.util.Map.of(), -1, 0, 0, null);
  }

  private Route(
      @Nullable String hostPattern,
      @Nullable String pathPattern,
      @Nullable String service,
      @Nullable String policy,
      java.util.Map<String, String> policyOptions,
      long maxBodySize,
      double rateLimitPerSecond,
      int rateLimitBurst,
      @Nullable String port) {
    this.port = port == null ? null : Endpoint.checkPortReference(port);
    this.maxBodySize = maxBodySize;
    this.rateLimitPerSecond = rateLimitPerSecond;
    this.rateLimitBurst = rateLimitBurst;
    if (policy != null && policy.isBlank()) {
      throw new IllegalArgumentException("policy: '' (expected: a load-balancing policy name)");
    }
    this.policy = policy;
    this.policyOptions = java.util.Map.copyOf(policyOptions);
    if (hostPattern == null && pathPattern == null) {
      throw new IllegalArgumentException("route: neither host nor path (expected: one or both)");
    }
    boolean hostVar = false;
    boolean hostPortVar = false;
    boolean pathPortVar = false;
    String hExact = null;
    String hSuffix = null;
    if (hostPattern != null) {
      String h = hostPattern.toLowerCase(Locale.ROOT);
      if (h.startsWith(HOST_PORT_SERVICE + ".")) {
        hSuffix = h.substring(HOST_PORT_SERVICE.length());
        checkHostLiteral(hostPattern, hSuffix.substring(1));
        hostVar = true;
        hostPortVar = true;
      } else if (h.startsWith(SERVICE_VARIABLE + ".")) {
        hSuffix = h.substring(SERVICE_VARIABLE.length());
        checkHostLiteral(hostPattern, hSuffix.substring(1));
        hostVar = true;
      } else {
        checkHostLiteral(hostPattern, h);
        hExact = h;
      }
    }
    boolean pathVar = false;
    String pBefore = null;
    String pAfter = null;
    if (pathPattern != null) {
      if (!pathPattern.startsWith("/")) {
        throw new IllegalArgumentException(
            "path: '" + pathPattern + "' (expected: a pattern starting with '/')");
      }
      String p = pathPattern;
      while (p.length() > 1 && p.endsWith("/")) {
        p = p.substring(0, p.length() - 1);
      }
      int var = p.indexOf(SERVICE_VARIABLE);
      if (var >= 0) {
        int end = var + SERVICE_VARIABLE.length();
        if (p.startsWith(PATH_SERVICE_PORT, var)) {
          end = var + PATH_SERVICE_PORT.length();
          pathPortVar = true;
        }
        if (p.charAt(var - 1) != '/' || (end < p.length() && p.charAt(end) != '/')) {
          throw new IllegalArgumentException(
              "path: '" + pathPattern + "' ({service} must be a whole path segment)");
        }
        if (p.indexOf(SERVICE_VARIABLE, end) >= 0) {
          throw new IllegalArgumentException(
              "path: '" + pathPattern + "' ({service} may appear only once)");
        }
        pBefore = p.substring(0, var);
        pAfter = p.substring(end);
        pathVar = true;
      } else {
        pBefore = p.equals("/") ? "" : p;
      }
      checkPathLiteral(pathPattern, pBefore);
      if (pAfter != null) {
        checkPathLiteral(pathPattern, pAfter);
      }
    }
    if (pathPattern != null
        && pathPattern.indexOf(PORT_VARIABLE) >= 0
        && (!pathPortVar
            || pathPattern.indexOf(PORT_VARIABLE, pathPattern.indexOf(PORT_VARIABLE) + 1) >= 0)) {
      throw new IllegalArgumentException(
          "path: '" + pathPattern + "' ({port} only as {service}:{port}, once)");
    }
    if (hostPattern != null && !hostPortVar && hostPattern.indexOf(PORT_VARIABLE) >= 0) {
      throw new IllegalArgumentException(
          "host: '" + hostPattern + "' ({port} only as {port}--{service}.domain)");
    }
    int portSources = (hostPortVar ? 1 : 0) + (pathPortVar ? 1 : 0) + (port != null ? 1 : 0);
    if (portSources > 1) {
      throw new IllegalArgumentException(
          "port: route "
              + describe(hostPattern, pathPattern)
              + " names its port more than once (expected: at most one of {port} in host,"
              + " {port} in path, or a fixed port)");
    }
    int sources = (hostVar ? 1 : 0) + (pathVar ? 1 : 0) + (service != null ? 1 : 0);
    // sources == 0 is allowed here so that host("a.example.com").withService("a") can be written;
    // such a route is incomplete until withService, and Router.Builder.route() rejects it.
    if (sources > 1) {
      throw new IllegalArgumentException(
          "service: route "
              + describe(hostPattern, pathPattern)
              + " names its service more than once (expected: exactly one of {service} in host,"
              + " {service} in path, or a service name)");
    }
    if (service != null && ServiceNames.normalize(service) == null) {
      throw new IllegalArgumentException(
          "service: '" + service + "' (expected: a DNS label, 1-63 of [a-z0-9-])");
    }
    this.hostPattern = hostPattern;
    this.pathPattern = pathPattern;
    this.service = service == null ? null : ServiceNames.normalize(service);
    this.hostExact = hExact;
    this.hostSuffix = hSuffix;
    this.pathBefore = pBefore;
    this.pathAfter = pAfter;
    this.hostPortVariable = hostPortVar;
    this.pathPortVariable = pathPortVar;
  }

  /** A route by path prefix; the pattern may hold {@code {service}} as one whole segment. */
  public static Route path(String pattern) {
    return new Route(null, requireNonNull(pattern, "pattern"), null);
  }

  /** A route by host: exact, or {@code {service}.domain}. */
  public static Route host(String pattern) {
    return new Route(requireNonNull(pattern, "pattern"), null, null);
  }

  /** A route that needs both the host and the path prefix to match. */
  public static Route hostAndPath(String hostPattern, String pathPattern) {
    return new Route(
        requireNonNull(hostPattern, "hostPattern"),
        requireNonNull(pathPattern, "pathPattern"),
        null);
  }

  /** A route by path prefix to one fixed service; the matched prefix is stripped. */
  public static Route path(String pattern, String service) {
    return new Route(null, requireNonNull(pattern, "pattern"), requireNonNull(service, "service"));
  }

  /** A route by exact host to one fixed service; the path is kept. */
  public static Route host(String pattern, String service) {
    return new Route(requireNonNull(pattern, "pattern"), null, requireNonNull(service, "service"));
  }

  /**
   * A route by host and path prefix; {@code service} may be null when a pattern holds {@code
   * {service}}.
   */
  public static Route of(
      @Nullable String hostPattern, @Nullable String pathPattern, @Nullable String service) {
    return new Route(hostPattern, pathPattern, service);
  }

  /** A copy that sends every match to one fixed service (the patterns then hold no variable). */
  public Route withService(String service) {
    requireNonNull(service, "service");
    return service.equals(this.service)
        ? this
        : new Route(
            hostPattern,
            pathPattern,
            service,
            policy,
            policyOptions,
            maxBodySize,
            rateLimitPerSecond,
            rateLimitBurst,
            port);
  }

  /**
   * Throws unless the route names its service ({@code {service}} in a pattern, or a fixed name);
   * called when the route joins a table.
   */
  void checkNamesService() {
    if (service == null && hostSuffix == null && pathAfter == null) {
      throw new IllegalArgumentException(
          "service: route "
              + describe(hostPattern, pathPattern)
              + " names no service (expected: {service} in host or path, or withService(name))");
    }
  }

  /**
   * A copy whose services use their own load-balancing policy (a {@code LoadBalancerProvider} name)
   * and options, instead of the router's default. When two routes lead to one service, the route of
   * the service's first request decides.
   */
  public Route withLoadBalancing(String policy, java.util.Map<String, String> options) {
    requireNonNull(policy, "policy");
    requireNonNull(options, "options");
    return new Route(
        hostPattern,
        pathPattern,
        service,
        policy,
        options,
        maxBodySize,
        rateLimitPerSecond,
        rateLimitBurst,
        port);
  }

  /**
   * A copy whose requests may carry a body of at most {@code bytes} (413 beyond), in place of the
   * router's own limit; 0 means no limit.
   */
  public Route withMaxBodySize(long bytes) {
    if (bytes < 0) {
      throw new IllegalArgumentException("maxBodySize: " + bytes + " (expected: >= 0)");
    }
    return new Route(
        hostPattern,
        pathPattern,
        service,
        policy,
        policyOptions,
        bytes,
        rateLimitPerSecond,
        rateLimitBurst,
        port);
  }

  /**
   * A copy whose matches are rate limited of their own, {@code requestsPerSecond} on average and
   * {@code burst} at once, per router task (429 with {@code Retry-After} beyond), on top of any
   * limit of the service.
   */
  public Route withRateLimit(double requestsPerSecond, int burst) {
    if (!(requestsPerSecond > 0) || Double.isInfinite(requestsPerSecond)) {
      throw new IllegalArgumentException(
          "requestsPerSecond: " + requestsPerSecond + " (expected: a number above 0)");
    }
    if (burst < 1) {
      throw new IllegalArgumentException("burst: " + burst + " (expected: >= 1)");
    }
    return new Route(
        hostPattern,
        pathPattern,
        service,
        policy,
        policyOptions,
        maxBodySize,
        requestsPerSecond,
        burst,
        port);
  }

  /**
   * A copy whose matches all go to one port of the service: a port name ({@code metrics}) or a
   * number (which must then be one of each endpoint's ports; see {@link Endpoint#resolvePort}).
   * Null goes back to the default port. A route with a {@code {port}} variable takes no fixed port.
   *
   * @throws IllegalArgumentException when the value is neither a port name nor 1-65535
   */
  public Route withPort(@Nullable String port) {
    if (java.util.Objects.equals(port, this.port)) {
      return this;
    }
    return new Route(
        hostPattern,
        pathPattern,
        service,
        policy,
        policyOptions,
        maxBodySize,
        rateLimitPerSecond,
        rateLimitBurst,
        port);
  }

  /** The fixed port of the route's matches (a name or number), or null for the default port. */
  public @Nullable String port() {
    return port;
  }

  /** The route's own rate limit in requests a second, or 0 when it has none. */
  public double rateLimitPerSecond() {
    return rateLimitPerSecond;
  }

  /** The burst of the route's own rate limit (0 when it has none). */
  public int rateLimitBurst() {
    return rateLimitBurst;
  }

  /** The route's own request body limit in bytes (0: none), or -1 for the router's. */
  public long maxBodySize() {
    return maxBodySize;
  }

  /** The route's own load-balancing policy name, or null for the router's default. */
  public @Nullable String policy() {
    return policy;
  }

  /** Options for the route's policy (e.g. {@code hashKey}); empty when none. */
  public java.util.Map<String, String> policyOptions() {
    return policyOptions;
  }

  /** The host pattern, or null when the route matches any host. */
  public @Nullable String hostPattern() {
    return hostPattern;
  }

  /** The path pattern, or null when the route matches any path (and keeps it). */
  public @Nullable String pathPattern() {
    return pathPattern;
  }

  /** The fixed service name, or null when a {@code {service}} variable names it. */
  public @Nullable String service() {
    return service;
  }

  @Override
  public boolean equals(@Nullable Object o) {
    if (this == o) {
      return true;
    }
    if (!(o instanceof Route)) {
      return false;
    }
    Route r = (Route) o;
    return java.util.Objects.equals(hostPattern, r.hostPattern)
        && java.util.Objects.equals(pathPattern, r.pathPattern)
        && java.util.Objects.equals(service, r.service)
        && java.util.Objects.equals(policy, r.policy)
        && policyOptions.equals(r.policyOptions)
        && maxBodySize == r.maxBodySize
        && rateLimitPerSecond == r.rateLimitPerSecond
        && rateLimitBurst == r.rateLimitBurst
        && java.util.Objects.equals(port, r.port);
  }

  @Override
  public int hashCode() {
    int h = hash;
    if (h == 0) {
      h =
          java.util.Objects.hash(
              hostPattern,
              pathPattern,
              service,
              policy,
              policyOptions,
              maxBodySize,
              rateLimitPerSecond,
              rateLimitBurst,
              port);
      hash = h; // racy but idempotent, like String.hashCode
    }
    return h;
  }

  @Override
  public String toString() {
    return "Route{"
        + describe(hostPattern, pathPattern)
        + (service == null ? "" : " -> " + service)
        + (port == null ? "" : " port=" + port)
        + (policy == null ? "" : " lb=" + policy + (policyOptions.isEmpty() ? "" : policyOptions))
        + (maxBodySize < 0 ? "" : " maxBodySize=" + maxBodySize)
        + (rateLimitPerSecond == 0 ? "" : " rateLimit=" + rateLimitPerSecond + "/s")
        + "}";
  }

  private static String describe(@Nullable String host, @Nullable String path) {
    StringBuilder sb = new StringBuilder();
    if (host != null) {
      sb.append("host=").append(host);
    }
    if (path != null) {
      if (sb.length() > 0) {
        sb.append(' ');
      }
      sb.append("path=").append(path);
    }
    return sb.toString();
  }

  private static void checkHostLiteral(String pattern, String host) {
    if (host.isEmpty()) {
      throw new IllegalArgumentException("host: '" + pattern + "' (expected: a host name)");
    }
    for (int i = 0; i < host.length(); i++) {
      char c = host.charAt(i);
      if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.')) {
        throw new IllegalArgumentException(
            "host: '"
                + pattern
                + "' (expected: a host name, or {service}.domain; '"
                + c
                + "' not allowed)");
      }
    }
  }

  private static void checkPathLiteral(String pattern, String literal) {
    for (int i = 0; i < literal.length(); i++) {
      char c = literal.charAt(i);
      if (c <= ' ' || c >= 0x7f || c == '?' || c == '#' || c == '{' || c == '}') {
        throw new IllegalArgumentException(
            "path: '" + pattern + "' ('" + c + "' not allowed outside {service})");
      }
    }
  }
}
