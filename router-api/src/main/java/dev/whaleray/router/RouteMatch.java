package dev.whaleray.router;

import static java.util.Objects.requireNonNull;

import org.jspecify.annotations.Nullable;

/**
 * The outcome of {@link Router#match}: a service, the port asked for (null: the default) and how
 * much of the path to strip, no route, or a route whose {@code {service}} or {@code {port}} value
 * is not valid (the router answers 400). Immutable and thread-safe.
 */
public final class RouteMatch {

  /** What kind of outcome this is. */
  public enum Kind {
    /** A route matched and named a valid service. */
    MATCHED,
    /** No route matched (404). */
    NO_ROUTE,
    /** A route matched but its {@code {service}} value is not a valid DNS label (400). */
    INVALID_SERVICE,
    /**
     * A route matched and named a valid service, but the port asked for is neither a port name nor
     * a number 1-65535 (400); {@link #service()} is set.
     */
    INVALID_PORT
  }

  /** The answer when no route matches. */
  public static final RouteMatch NONE = new RouteMatch(Kind.NO_ROUTE, null, null, null, 0, null);

  private final Kind kind;
  private final @Nullable Route route;
  private final @Nullable String service;
  private final @Nullable String port;
  private final int strippedPrefixLength;
  private final @Nullable String invalidValue;

  private RouteMatch(
      Kind kind,
      @Nullable Route route,
      @Nullable String service,
      @Nullable String port,
      int strippedPrefixLength,
      @Nullable String invalidValue) {
    this.kind = kind;
    this.route = route;
    this.service = service;
    this.port = port;
    this.strippedPrefixLength = strippedPrefixLength;
    this.invalidValue = invalidValue;
  }

  /** A match of {@code route} to {@code service}, stripping the first characters of the path. */
  public static RouteMatch matched(Route route, String service, int strippedPrefixLength) {
    return matched(route, service, null, strippedPrefixLength);
  }

  /**
   * A match of {@code route} to port {@code port} (a port name or number; null: the default port)
   * of {@code service}, stripping the first characters of the path.
   *
   * @throws IllegalArgumentException when the port is neither a port name nor a number 1-65535
   */
  public static RouteMatch matched(
      Route route, String service, @Nullable String port, int strippedPrefixLength) {
    if (port != null) {
      Endpoint.checkPortReference(port);
    }
    if (strippedPrefixLength < 0) {
      throw new IllegalArgumentException(
          "strippedPrefixLength: " + strippedPrefixLength + " (expected: >= 0)");
    }
    return new RouteMatch(
        Kind.MATCHED,
        requireNonNull(route, "route"),
        requireNonNull(service, "service"),
        port,
        strippedPrefixLength,
        null);
  }

  /** A match of {@code route} to a valid {@code service} whose port value is not valid. */
  public static RouteMatch invalidPort(Route route, String service, String value) {
    return new RouteMatch(
        Kind.INVALID_PORT,
        requireNonNull(route, "route"),
        requireNonNull(service, "service"),
        null,
        0,
        requireNonNull(value, "value"));
  }

  /** A match of {@code route} whose service value is not a valid name. */
  public static RouteMatch invalidService(Route route, String value) {
    return new RouteMatch(
        Kind.INVALID_SERVICE,
        requireNonNull(route, "route"),
        null,
        null,
        0,
        requireNonNull(value, "value"));
  }

  /** The kind of outcome. */
  public Kind kind() {
    return kind;
  }

  /** True for {@link Kind#MATCHED}. */
  public boolean isMatched() {
    return kind == Kind.MATCHED;
  }

  /** The route that matched, or null for {@link Kind#NO_ROUTE}. */
  public @Nullable Route route() {
    return route;
  }

  /**
   * The service name (lower case), or null unless {@link Kind#MATCHED} or {@link
   * Kind#INVALID_PORT}.
   */
  public @Nullable String service() {
    return service;
  }

  /**
   * The port of the service asked for, a port name or a number, or null for the endpoints' default
   * port. Which port a number or name means is each endpoint's business: see {@link
   * Endpoint#resolvePort}.
   */
  public @Nullable String port() {
    return port;
  }

  /** How many leading characters of the request path to strip before proxying. */
  public int strippedPrefixLength() {
    return strippedPrefixLength;
  }

  /**
   * The rejected value as it appeared in the request, for {@link Kind#INVALID_SERVICE} (the
   * service) and {@link Kind#INVALID_PORT} (the port).
   */
  public @Nullable String invalidValue() {
    return invalidValue;
  }

  @Override
  public String toString() {
    switch (kind) {
      case MATCHED:
        return "RouteMatch{"
            + service
            + (port == null ? "" : ":" + port)
            + " strip="
            + strippedPrefixLength
            + "}";
      case INVALID_SERVICE:
        return "RouteMatch{invalid '" + invalidValue + "'}";
      case INVALID_PORT:
        return "RouteMatch{" + service + " invalid port '" + invalidValue + "'}";
      default:
        return "RouteMatch{none}";
    }
  }
}
