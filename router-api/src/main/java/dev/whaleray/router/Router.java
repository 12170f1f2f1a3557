package dev.whaleray.router;

import static java.util.Objects.requireNonNull;

import java.util.ArrayList;
import java.util.List;

/**
 * Maps a request to a service: the route table of the router.
 *
 * <p>{@link #match} is pure and thread-safe: it reads only the request and the immutable table,
 * allocates at most the service name and the result, and never blocks. Implementations other than
 * the built-in table (e.g. a header-based one) must keep those properties.
 */
public interface Router {

  /** The service a request goes to, or {@link RouteMatch#NONE} when no route takes it. */
  RouteMatch match(RequestView request);

  /**
   * The routes of the table, in order, so that a server can check their policies at start-up; empty
   * when the implementation does not say.
   */
  default List<Route> routes() {
    return List.of();
  }

  /** A builder for the built-in route table, where the first matching route wins. */
  static Builder builder() {
    return new Builder();
  }

  /** The default table of the reference router: {@code /services/{service}}. */
  static Router defaultRoutes() {
    return builder().route(Route.path("/services/{service}")).build();
  }

  /**
   * Builds a route table. Not thread-safe; {@link #build()} copies, so a reused builder never
   * changes a table it built.
   */
  final class Builder {
    private final List<Route> routes = new ArrayList<>();

    private Builder() {}

    /**
     * Appends a route; earlier routes win.
     *
     * @throws IllegalArgumentException when the route names no service
     */
    public Builder route(Route route) {
      requireNonNull(route, "route").checkNamesService();
      routes.add(route);
      return this;
    }

    /** Appends every route, in order. */
    public Builder routes(List<Route> routes) {
      routes.forEach(this::route);
      return this;
    }

    /** The route table; an empty table matches nothing. */
    public Router build() {
      return new RouteTable(routes);
    }
  }
}
