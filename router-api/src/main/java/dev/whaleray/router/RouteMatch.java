package dev.whaleray.router;

import static java.util.Objects.requireNonNull;

import org.jspecify.annotations.Nullable;

/**
 * The outcome of {@link Router#match}: a service and how much of the path to strip, no route, or a
 * route whose {@code {service}} value is not a valid service name (the router answers 400).
 * Immutable and thread-safe.
 */
public final class RouteMatch {

  /** What kind of outcome this is. */
  public enum Kind {
    /** A route matched and named a valid service. */
    MATCHED,
    /** No route matched (404). */
    NO_ROUTE,
    /** A route matched but its {@code {service}} value is not a valid DNS label (400). */
    INVALID_SERVICE
  }

  /** The answer when no route matches. */
  public static final RouteMatch NONE = new RouteMatch(Kind.NO_ROUTE, null, null, 0, null);

  private final Kind kind;
  private final @Nullable Route route;
  private final @Nullable String service;
  private final int strippedPrefixLength;
  private final @Nullable String invalidValue;

  private RouteMatch(
      Kind kind,
      @Nullable Route route,
      @Nullable String service,
      int strippedPrefixLength,
      @Nullable String invalidValue) {
    this.kind = kind;
    this.route = route;
    this.service = service;
    this.strippedPrefixLength = strippedPrefixLength;
    this.invalidValue = invalidValue;
  }

  /** A match of {@code route} to {@code service}, stripping the first characters of the path. */
  public static RouteMatch matched(Route route, String service, int strippedPrefixLength) {
    if (strippedPrefixLength < 0) {
      throw new IllegalArgumentException(
          "strippedPrefixLength: " + strippedPrefixLength + " (expected: >= 0)");
    }
    return new RouteMatch(
        Kind.MATCHED,
        requireNonNull(route, "route"),
        requireNonNull(service, "service"),
        strippedPrefixLength,
        null);
  }

  /** A match of {@code route} whose service value is not a valid name. */
  public static RouteMatch invalidService(Route route, String value) {
    return new RouteMatch(
        Kind.INVALID_SERVICE,
        requireNonNull(route, "route"),
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

  /** The service name (lower case), or null unless {@link Kind#MATCHED}. */
  public @Nullable String service() {
    return service;
  }

  /** How many leading characters of the request path to strip before proxying. */
  public int strippedPrefixLength() {
    return strippedPrefixLength;
  }

  /** The rejected service value as it appeared in the request, for {@link Kind#INVALID_SERVICE}. */
  public @Nullable String invalidValue() {
    return invalidValue;
  }

  @Override
  public String toString() {
    switch (kind) {
      case MATCHED:
        return "RouteMatch{" + service + " strip=" + strippedPrefixLength + "}";
      case INVALID_SERVICE:
        return "RouteMatch{invalid '" + invalidValue + "'}";
      default:
        return "RouteMatch{none}";
    }
  }
}
