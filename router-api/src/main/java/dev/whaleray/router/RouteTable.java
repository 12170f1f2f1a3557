package dev.whaleray.router;

import java.util.List;

/** The built-in {@link Router}: an array of routes tried in order; see {@link Route}. */
final class RouteTable implements Router {
  private final Route[] routes;

  RouteTable(List<Route> routes) {
    this.routes = routes.toArray(new Route[0]);
  }

  @Override
  public RouteMatch match(RequestView request) {
    String host = null;
    String path = null;
    for (Route route : routes) {
      String service = route.service();
      if (route.hostExact != null || route.hostSuffix != null) {
        if (host == null) {
          host = request.host();
        }
        if (route.hostExact != null) {
          if (!host.equalsIgnoreCase(route.hostExact)) {
            continue;
          }
        } else {
          String suffix = route.hostSuffix;
          int labelLength = host.length() - suffix.length();
          if (labelLength <= 0
              || !host.regionMatches(true, labelLength, suffix, 0, suffix.length())) {
            continue;
          }
          String label = ServiceNames.normalize(host.substring(0, labelLength));
          if (label == null) {
            continue; // a deeper or malformed subdomain is not ours
          }
          service = label;
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
          String value = path.substring(start, end);
          String label = ServiceNames.normalize(value);
          if (label == null) {
            return RouteMatch.invalidService(route, value);
          }
          service = label;
          strip = end + after.length();
        }
      }
      return RouteMatch.matched(route, service, strip);
    }
    return RouteMatch.NONE;
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
