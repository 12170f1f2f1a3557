package dev.whaleray.router;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.whaleray.router.RouteMatch.Kind;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class RouteTableTest {
  private static final Route SERVICES = Route.path("/services/{service}");
  private final Router router = Router.builder().route(SERVICES).build();

  private static RouteMatch match(Router router, String host, String path) {
    return router.match(RequestView.of("GET", host, path));
  }

  private RouteMatch match(String path) {
    return match(router, "router.example.com", path);
  }

  @ParameterizedTest
  @CsvSource({
    "/services/a, a, 11, ''",
    "/services/a/, a, 11, /",
    "/services/a/b/c, a, 11, /b/c",
    "/services/abc-123/x, abc-123, 17, /x",
  })
  void servicesPrefixIsStripped(String path, String service, int strip, String rest) {
    RouteMatch m = match(path);

    assertThat(m.kind()).isEqualTo(Kind.MATCHED);
    assertThat(m.isMatched()).isTrue();
    assertThat(m.service()).isEqualTo(service);
    assertThat(m.route()).isSameAs(SERVICES);
    assertThat(m.strippedPrefixLength()).isEqualTo(strip);
    assertThat(path.substring(m.strippedPrefixLength())).isEqualTo(rest);
  }

  @ParameterizedTest
  @ValueSource(strings = {"/services", "/servicesx/a", "/", "", "/other/a", "/Services/a"})
  void otherPathsMatchNothing(String path) {
    assertThat(match(path)).isSameAs(RouteMatch.NONE);
    assertThat(RouteMatch.NONE.kind()).isEqualTo(Kind.NO_ROUTE);
    assertThat(RouteMatch.NONE.service()).isNull();
    assertThat(RouteMatch.NONE.route()).isNull();
  }

  @ParameterizedTest
  @CsvSource({
    "/services/.., ..",
    "/services/../etc, ..",
    "/services/%2e%2e, %2e%2e",
    "/services/%2e%2e/x, %2e%2e",
    "/services/a.b, a.b",
    "/services/a%2Fb, a%2Fb",
    "/services/%00, %00",
    "/services/a_b, a_b",
    "/services/-a, -a",
    "/services/a-, a-",
    "/services/, ''",
    "/services//x, ''",
  })
  void invalidServiceIdsAreRejectedWithTheRawValue(String path, String raw) {
    RouteMatch m = match(path);

    assertThat(m.kind()).isEqualTo(Kind.INVALID_SERVICE);
    assertThat(m.isMatched()).isFalse();
    assertThat(m.invalidValue()).isEqualTo(raw);
    assertThat(m.service()).isNull();
    assertThat(m.route()).isSameAs(SERVICES);
  }

  @Test
  void serviceIdsMayHaveUpTo63Characters() {
    String ok = "a".repeat(62) + "1";
    String tooLong = "a".repeat(64);

    assertThat(match("/services/" + ok + "/x").service()).isEqualTo(ok);
    RouteMatch m = match("/services/" + tooLong + "/x");
    assertThat(m.kind()).isEqualTo(Kind.INVALID_SERVICE);
    assertThat(m.invalidValue()).isEqualTo(tooLong);
  }

  @Test
  void upperCaseIdsAreNormalisedToLowerCase() {
    RouteMatch m = match("/services/AbC-9/Path");

    assertThat(m.service()).isEqualTo("abc-9");
    assertThat(m.strippedPrefixLength()).isEqualTo("/services/AbC-9".length());
  }

  @Test
  void exactHostRouteKeepsThePath() {
    Route catalog = Route.host("catalog.example.com").withService("catalog");
    Router r = Router.builder().route(catalog).build();

    RouteMatch m = match(r, "Catalog.Example.COM", "/items/1");
    assertThat(m.service()).isEqualTo("catalog");
    assertThat(m.route()).isSameAs(catalog);
    assertThat(m.strippedPrefixLength()).isZero();

    assertThat(match(r, "other.example.com", "/items/1")).isSameAs(RouteMatch.NONE);
    assertThat(match(r, "x.catalog.example.com", "/")).isSameAs(RouteMatch.NONE);
    assertThat(match(r, "", "/")).isSameAs(RouteMatch.NONE);
  }

  @Test
  void subdomainRouteNamesTheService() {
    Route apps = Route.host("{service}.apps.example.com");
    Router r = Router.builder().route(apps).build();

    RouteMatch m = match(r, "Shop-1.apps.example.com", "/cart");
    assertThat(m.service()).isEqualTo("shop-1");
    assertThat(m.strippedPrefixLength()).isZero();

    // The apex, deeper subdomains, other domains and bad labels are not this route's.
    assertThat(match(r, "apps.example.com", "/")).isSameAs(RouteMatch.NONE);
    assertThat(match(r, ".apps.example.com", "/")).isSameAs(RouteMatch.NONE);
    assertThat(match(r, "a.b.apps.example.com", "/")).isSameAs(RouteMatch.NONE);
    assertThat(match(r, "shop.apps.example.org", "/")).isSameAs(RouteMatch.NONE);
    assertThat(match(r, "shop_1.apps.example.com", "/")).isSameAs(RouteMatch.NONE);
    assertThat(match(r, "shopapps.example.com", "/")).isSameAs(RouteMatch.NONE);
  }

  @Test
  void hostAndPathMustBothMatch() {
    Route r = Route.hostAndPath("{service}.apps.example.com", "/api");
    Router router = Router.builder().route(r).build();

    RouteMatch m = match(router, "shop.apps.example.com", "/api/orders");
    assertThat(m.service()).isEqualTo("shop");
    assertThat(m.strippedPrefixLength()).isEqualTo(4);
    assertThat(match(router, "shop.apps.example.com", "/apix")).isSameAs(RouteMatch.NONE);
    assertThat(match(router, "shop.example.com", "/api")).isSameAs(RouteMatch.NONE);
  }

  @Test
  void fixedPathRouteStripsItsPrefixAtSegmentBoundaries() {
    Router r = Router.builder().route(Route.path("/catalog/").withService("catalog")).build();

    assertThat(match(r, "h", "/catalog").strippedPrefixLength()).isEqualTo(8);
    assertThat(match(r, "h", "/catalog/items").strippedPrefixLength()).isEqualTo(8);
    assertThat(match(r, "h", "/catalogs")).isSameAs(RouteMatch.NONE);
  }

  @Test
  void variableFollowedByALiteral() {
    Router r = Router.builder().route(Route.path("/services/{service}/api")).build();

    RouteMatch m = match(r, "h", "/services/a/api/v1");
    assertThat(m.service()).isEqualTo("a");
    assertThat(m.strippedPrefixLength()).isEqualTo("/services/a/api".length());
    assertThat(match(r, "h", "/services/a/apix")).isSameAs(RouteMatch.NONE);
    assertThat(match(r, "h", "/services/a/other")).isSameAs(RouteMatch.NONE);
  }

  @Test
  void firstMatchingRouteWins() {
    Route catalogHost = Route.host("catalog.example.com").withService("catalog");
    Route everything = Route.path("/").withService("fallback");
    Router r = Router.builder().route(catalogHost).route(SERVICES).route(everything).build();

    // The host route comes first, so it wins even for a /services/ path.
    assertThat(match(r, "catalog.example.com", "/services/a").service()).isEqualTo("catalog");
    assertThat(match(r, "other.example.com", "/services/a").service()).isEqualTo("a");
    // An invalid id is the answer of the first route that takes the path; no fall through.
    assertThat(match(r, "other.example.com", "/services/a.b").kind())
        .isEqualTo(Kind.INVALID_SERVICE);
    RouteMatch fallback = match(r, "other.example.com", "/x");
    assertThat(fallback.service()).isEqualTo("fallback");
    assertThat(fallback.route()).isSameAs(everything);
    assertThat(fallback.strippedPrefixLength()).isZero();
  }

  @Test
  void emptyTableMatchesNothing() {
    assertThat(match(Router.builder().build(), "h", "/services/a")).isSameAs(RouteMatch.NONE);
  }

  @Test
  void defaultRoutesAreServicesPrefix() {
    RouteMatch m = match(Router.defaultRoutes(), "h", "/services/demo/hello");

    assertThat(m.service()).isEqualTo("demo");
    assertThat(m.strippedPrefixLength()).isEqualTo("/services/demo".length());
  }

  @Test
  void builderCopiesOnBuild() {
    Router.Builder b = Router.builder().route(SERVICES);
    Router first = b.build();
    b.route(Route.path("/").withService("fallback"));

    assertThat(match(first, "h", "/x")).isSameAs(RouteMatch.NONE);
    assertThat(match(b.build(), "h", "/x").service()).isEqualTo("fallback");
  }

  @Test
  void routeThatNamesNoServiceIsRejectedByTheTable() {
    assertThatThrownBy(() -> Router.builder().route(Route.host("catalog.example.com")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("service: route host=catalog.example.com names no service");
    assertThatThrownBy(() -> Router.builder().route(Route.path("/catalog")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("service: route path=/catalog names no service");
  }

  @org.junit.jupiter.api.Test
  void repeatedHitsReuseTheirMatchAndStayCorrect() {
    Router router =
        Router.builder()
            .route(Route.path("/shop", "shop"))
            .route(Route.path("/services/{service}"))
            .build();
    RouteMatch first = router.match(RequestView.of("GET", "h", "/services/demo/a"));
    RouteMatch again = router.match(RequestView.of("GET", "h", "/services/demo/b?x"));
    org.assertj.core.api.Assertions.assertThat(again).isSameAs(first);
    org.assertj.core.api.Assertions.assertThat(again.service()).isEqualTo("demo");
    org.assertj.core.api.Assertions.assertThat(again.strippedPrefixLength()).isEqualTo(14);
    RouteMatch upper = router.match(RequestView.of("GET", "h", "/services/DEMO"));
    org.assertj.core.api.Assertions.assertThat(upper.service()).isEqualTo("demo");
    org.assertj.core.api.Assertions.assertThat(upper).isNotSameAs(first);
    RouteMatch other = router.match(RequestView.of("GET", "h", "/services/demp/a"));
    org.assertj.core.api.Assertions.assertThat(other.service()).isEqualTo("demp");
    RouteMatch bad1 = router.match(RequestView.of("GET", "h", "/services/a.b/x"));
    RouteMatch bad2 = router.match(RequestView.of("GET", "h", "/services/a.b"));
    org.assertj.core.api.Assertions.assertThat(bad2.kind())
        .isEqualTo(RouteMatch.Kind.INVALID_SERVICE);
    org.assertj.core.api.Assertions.assertThat(bad2.invalidValue()).isEqualTo("a.b");
    org.assertj.core.api.Assertions.assertThat(bad2).isSameAs(bad1);
    RouteMatch shop1 = router.match(RequestView.of("GET", "h", "/shop/x"));
    org.assertj.core.api.Assertions.assertThat(router.match(RequestView.of("GET", "h", "/shop")))
        .isSameAs(shop1);
    org.assertj.core.api.Assertions.assertThat(shop1.strippedPrefixLength()).isEqualTo(5);
    // Many distinct services: every answer stays right whatever the cache keeps.
    for (int i = 0; i < 5000; i++) {
      RouteMatch m = router.match(RequestView.of("GET", "h", "/services/s" + i + "/x"));
      org.assertj.core.api.Assertions.assertThat(m.service()).isEqualTo("s" + i);
      org.assertj.core.api.Assertions.assertThat(m.strippedPrefixLength())
          .isEqualTo(("/services/s" + i).length());
    }
  }

  /**
   * Host template routes read each label once (issue 15: they cut and normalised the label and
   * built a match on every request, 88-136 B): repeated hosts reuse their match, and the cache
   * never carries one route's reading to another or past a path that does not match.
   */
  @Test
  void repeatedHostTemplateHitsReuseTheirMatchAndStayCorrect() {
    Router router =
        Router.builder()
            .route(Route.hostAndPath("{service}.api.example.com", "/v1"))
            .route(Route.host("{port}--{service}.ports.example.com"))
            .route(Route.host("{service}.apps.example.com"))
            .route(Route.host("{service}.other.example.com"))
            .build();
    RouteMatch first = match(router, "catalog.apps.example.com", "/a");
    RouteMatch again = match(router, "catalog.apps.example.com", "/b");
    assertThat(again).isSameAs(first);
    assertThat(again.service()).isEqualTo("catalog");
    assertThat(again.strippedPrefixLength()).isZero();
    // The same label under another route is that route's own match.
    RouteMatch other = match(router, "catalog.other.example.com", "/a");
    assertThat(other.service()).isEqualTo("catalog");
    assertThat(other.route()).isEqualTo(Route.host("{service}.other.example.com"));
    assertThat(match(router, "catalog.apps.example.com", "/c").route())
        .isEqualTo(Route.host("{service}.apps.example.com"));
    // Upper case: the same service, read again.
    assertThat(match(router, "CATALOG.apps.example.com", "/").service()).isEqualTo("catalog");
    // A host and path route: the label's reading is kept, the path still decides.
    RouteMatch v1 = match(router, "shop.api.example.com", "/v1/items");
    assertThat(v1.service()).isEqualTo("shop");
    assertThat(v1.strippedPrefixLength()).isEqualTo(3);
    assertThat(match(router, "shop.api.example.com", "/v1/x")).isSameAs(v1);
    assertThat(match(router, "shop.api.example.com", "/v2/items").kind()).isEqualTo(Kind.NO_ROUTE);
    assertThat(match(router, "shop.api.example.com", "/v1").service()).isEqualTo("shop");
    // Ports from the host: a name, a number, and a bad one answered (again) as invalid.
    RouteMatch metrics = match(router, "metrics--catalog.ports.example.com", "/");
    assertThat(metrics.port()).isEqualTo("metrics");
    assertThat(match(router, "metrics--catalog.ports.example.com", "/x")).isSameAs(metrics);
    assertThat(match(router, "9100--catalog.ports.example.com", "/").port()).isEqualTo("9100");
    for (int i = 0; i < 2; i++) {
      RouteMatch bad = match(router, "no_such--catalog.ports.example.com", "/");
      assertThat(bad.kind()).isEqualTo(Kind.INVALID_PORT);
      assertThat(bad.invalidValue()).isEqualTo("no_such");
    }
    // Labels that are not service names fall through to the next route, every time.
    for (int i = 0; i < 2; i++) {
      assertThat(match(router, "a.b.apps.example.com", "/").kind()).isEqualTo(Kind.NO_ROUTE);
      assertThat(match(router, "--catalog.ports.example.com", "/").kind()).isEqualTo(Kind.NO_ROUTE);
    }
    // A label longer than any a route takes is read (and refused) without being kept.
    String longLabel = "x".repeat(20_000);
    assertThat(match(router, longLabel + ".apps.example.com", "/").kind()).isEqualTo(Kind.NO_ROUTE);
    assertThat(match(router, "a".repeat(63) + ".apps.example.com", "/").service())
        .isEqualTo("a".repeat(63));
    // Many distinct hosts: every answer stays right whatever the cache keeps.
    for (int i = 0; i < 5000; i++) {
      RouteMatch m = match(router, "s" + i + ".apps.example.com", "/x");
      assertThat(m.service()).isEqualTo("s" + i);
      assertThat(m.route()).isEqualTo(Route.host("{service}.apps.example.com"));
    }
  }
}
