package dev.whaleray.router;

import static java.util.Objects.requireNonNull;

import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * The built-in {@link Router}: an array of routes tried in order; see {@link Route}.
 *
 * <p>Hits allocate nothing once warm: a route with a fixed service has its {@link RouteMatch} built
 * up front, and a {@code {service}} path segment or Host label is looked up in a small cache of
 * recent (route, raw segment or label) matches by comparing characters in place, so the service
 * name is not cut out of the path or host again on every request. The caches are racy arrays of
 * immutable entries (final fields publish safely); a lost write only costs a later miss.
 */
final class RouteTable implements Router {
  private static final int CACHE_SIZE = 1024; // a power of two
  private static final int MAX_CACHED_LABEL = 96;

  private final Route[] routes;
  private final @Nullable RouteMatch[] fixed;
  private final @Nullable Hit[] cache = new Hit[CACHE_SIZE];
  private final @Nullable HostHit[] hostCache = new HostHit[CACHE_SIZE];

  /** A cached match of a route's {@code {service}} path segment. */
  private static final class Hit {
    final Route route;
    final String raw;
    final RouteMatch match;

    Hit(Route route, String raw, RouteMatch match) {
      this.route = route;
      this.raw = raw;
      this.match = match;
    }
  }

  /**
   * A cached reading of a host template route's label (the Host up to the route's suffix): the
   * match when the rest of the route also matches, an invalid port's match to answer at once, or
   * null when the label is not a service name (the route does not apply).
   */
  private static final class HostHit {
    final Route route;
    final String raw;
    final @Nullable RouteMatch match;

    HostHit(Route route, String raw, @Nullable RouteMatch match) {
      this.route = route;
      this.raw = raw;
      this.match = match;
    }
  }

  RouteTable(List<Route> routes) {
    this.routes = routes.toArray(new Route[0]);
    this.fixed = new RouteMatch[this.routes.length];
    for (int i = 0; i < this.routes.length; i++) {
      Route r = this.routes[i];
      String service = r.service();
      if (service != null) {
        fixed[i] =
            RouteMatch.matched(
                r, service, r.port(), r.pathBefore == null ? 0 : r.pathBefore.length());
      }
    }
  }

  @Override
  public RouteMatch match(RequestView request) {
    String host = null;
    String path = null;
    for (int i = 0; i < routes.length; i++) {
      Route route = routes[i];
      RouteMatch hostMatch = null;
      String service = route.service();
      String port = route.port();
      if (route.hostExact != null || route.hostSuffix != null) {
        if (host == null) {
          host = request.host();
        }
        if (route.hostExact != null) {
          if (!host.equalsIgnoreCase(route.hostExact)) {
            continue;
          }
        } else {
          String suffix = requireNonNull(route.hostSuffix); // a host route without an exact name
          int labelLength = host.length() - suffix.length();
          if (labelLength <= 0
              || !host.regionMatches(true, labelLength, suffix, 0, suffix.length())) {
            continue;
          }
          HostHit h = hostLabel(i, route, host, labelLength);
          RouteMatch byHost = h.match;
          if (byHost == null) {
            continue; // a deeper or malformed subdomain is not ours
          }
          if (byHost.kind() != RouteMatch.Kind.MATCHED) {
            return byHost; // a port that is neither a name nor a number
          }
          hostMatch = byHost;
          service = byHost.service();
          port = byHost.port();
        }
      }
      int strip = 0;
      String before = route.pathBefore;
      if (before != null) {
        if (path == null) {
          path = request.path();
        }
        if (!path.startsWith(before)) {
          continue;
        }
        String after = route.pathAfter;
        if (after == null) {
          if (!isBoundary(path, before.length())) {
            continue;
          }
          strip = before.length();
        } else {
          int start = before.length();
          int end = path.indexOf('/', start);
          if (end < 0) {
            end = path.length();
          }
          if (!path.startsWith(after, end) || !isBoundary(path, end + after.length())) {
            continue;
          }
          if (route.pathPortVariable && path.lastIndexOf(':', end - 1) < start) {
            continue; // "{service}:{port}" takes only segments that carry a port
          }
          int hash = i;
          for (int c = start; c < end; c++) {
            hash = 31 * hash + path.charAt(c);
          }
          int slot = (hash ^ (hash >>> 16)) & (CACHE_SIZE - 1);
          Hit hit = cache[slot];
          if (hit != null
              && hit.route == route
              && hit.raw.length() == end - start
              && path.regionMatches(start, hit.raw, 0, end - start)) {
            return hit.match;
          }
          String value = path.substring(start, end);
          RouteMatch match = segmentMatch(route, value, end + after.length());
          cache[slot] = new Hit(route, value, match);
          return match;
        }
      }
      RouteMatch constant = fixed[i];
      if (constant != null) {
        return constant;
      }
      if (hostMatch != null) {
        return hostMatch; // built with this route's strip (its fixed path prefix, else 0)
      }
      // A route without a {service} placeholder names its service (checked when it was built).
      return RouteMatch.matched(route, requireNonNull(service), port, strip);
    }
    return RouteMatch.NONE;
  }

  /**
   * The reading of a host template route's label, {@code host.substring(0, labelLength)}: from the
   * cache when the same label was read for this route lately, else read and cached.
   */
  private HostHit hostLabel(int index, Route route, String host, int labelLength) {
    if (labelLength > MAX_CACHED_LABEL) {
      // Longer than any label a route takes (a 63-character service, "--" and a 31-character
      // port name): read, never kept, so a flood of long junk Hosts cannot fill the cache.
      return new HostHit(route, "", readLabel(route, host.substring(0, labelLength)));
    }
    int hash = index;
    for (int c = 0; c < labelLength; c++) {
      hash = 31 * hash + host.charAt(c);
    }
    int slot = (hash ^ (hash >>> 16)) & (CACHE_SIZE - 1);
    HostHit hit = hostCache[slot];
    if (hit != null
        && hit.route == route
        && hit.raw.length() == labelLength
        && host.regionMatches(0, hit.raw, 0, labelLength)) {
      return hit;
    }
    String raw = host.substring(0, labelLength);
    HostHit h = new HostHit(route, raw, readLabel(route, raw));
    hostCache[slot] = h;
    return h;
  }

  /**
   * What a host template route makes of its label: {@code demo}, or {@code metrics--demo} for a
   * route with a port variable; null when the label is not ours.
   */
  private static @Nullable RouteMatch readLabel(Route route, String raw) {
    String port = route.port();
    String label;
    if (route.hostPortVariable) {
      // "metrics--demo.apps.example.com": the port, "--", then the service.
      int dashes = raw.indexOf("--");
      if (dashes <= 0 || dashes + 2 >= raw.length()) {
        return null;
      }
      label = ServiceNames.normalize(raw.substring(dashes + 2));
      if (label == null) {
        return null;
      }
      String value = raw.substring(0, dashes).toLowerCase(java.util.Locale.ROOT);
      if (!isPortReference(value)) {
        return RouteMatch.invalidPort(route, label, value);
      }
      port = value;
    } else {
      label = ServiceNames.normalize(raw);
    }
    if (label == null) {
      return null;
    }
    String before = route.pathBefore;
    // Used only when the path has no {service} of its own: then the strip is the fixed prefix.
    return RouteMatch.matched(route, label, port, before == null ? 0 : before.length());
  }

  /**
   * The match for a {@code {service}} path segment: {@code demo}, or {@code demo:metrics} / {@code
   * demo:9100} when the route has no fixed port (built once per distinct segment: cached).
   */
  private static RouteMatch segmentMatch(Route route, String value, int strip) {
    int colon = route.port() == null ? value.indexOf(':') : -1;
    if (colon < 0) {
      String label = ServiceNames.normalize(value);
      return label == null
          ? RouteMatch.invalidService(route, value)
          : RouteMatch.matched(route, label, route.port(), strip);
    }
    String label = ServiceNames.normalize(value.substring(0, colon));
    if (label == null) {
      return RouteMatch.invalidService(route, value);
    }
    String port = value.substring(colon + 1).toLowerCase(java.util.Locale.ROOT);
    return isPortReference(port)
        ? RouteMatch.matched(route, label, port, strip)
        : RouteMatch.invalidPort(route, label, value.substring(colon + 1));
  }

  private static boolean isPortReference(String value) {
    return Endpoint.parsePortNumber(value) > 0 || Endpoint.isPortName(value);
  }

  private static boolean isBoundary(String path, int index) {
    return index == 0 || index >= path.length() || path.charAt(index) == '/';
  }

  @Override
  public List<Route> routes() {
    return List.of(routes);
  }

  @Override
  public String toString() {
    return "Router" + List.of(routes);
  }
}
