package dev.whaleray.router;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.DictionaryFile;
import com.code_intelligence.jazzer.junit.FuzzTest;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/**
 * Fuzzes the route table ({@link Router#match}) with a fuzzed host and path against the route
 * tables of the README (the default, the YAML example, the embedding example) and one that mixes
 * host and path patterns. The input, read as ISO-8859-1 (as Undertow reads request heads), is
 * {@code host\npath}, or only a path (empty host) when it holds no newline.
 *
 * <p>Properties:
 *
 * <ol>
 *   <li>No exception.
 *   <li>A MATCHED service is a valid DNS label (RFC 1123: 1-63 of {@code [a-z0-9-]}, lower case, no
 *       '-' at either end), and the stripped prefix ends within the path, at a '/' or its end.
 *   <li>The answer equals {@link #reference}, a regular-expression reading of the {@link Route}
 *       patterns (with issue 16's {@code service:port} segments) where the first match wins; asking
 *       again (the table's cache now warm) and asking a fresh table give the same answer.
 * </ol>
 */
class RouteTableFuzzTest {
  private static final Pattern PORT_NAME = Pattern.compile("[a-z][a-z0-9-]{0,30}");

  /** 1-65535 without sign or leading zero. */
  private static final Pattern PORT_NUMBER =
      Pattern.compile(
          "[1-9][0-9]{0,3}|[1-5][0-9]{4}|6[0-4][0-9]{3}|65[0-4][0-9]{2}|655[0-2][0-9]|6553[0-5]");

  private static final Pattern LABEL =
      Pattern.compile("[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?");

  private static final List<List<Route>> TABLES =
      List.of(
          List.of(Route.path("/services/{service}")),
          List.of(
              Route.path("/services/{service}"),
              Route.host("catalog.example.com", "catalog"),
              Route.host("{service}.apps.example.com"),
              Route.path("/shop", "shop")),
          List.of(Route.path("/{service}")),
          List.of(
              Route.hostAndPath("{service}.apps.example.com", "/api/"),
              Route.of("api.example.com", "/v1/{service}/rpc", null),
              Route.path("/a/b/", "ab"),
              Route.path("/x/{service}/"),
              Route.path("/", "root")));

  private static final List<Router> ROUTERS =
      TABLES.stream().map(t -> Router.builder().routes(t).build()).toList();

  @FuzzTest
  @DictionaryFile(resourcePath = "routes.dict")
  void matchesLikeTheReference(byte[] input) {
    String s = new String(input, StandardCharsets.ISO_8859_1);
    int newline = s.indexOf('\n');
    String host = newline < 0 ? "" : s.substring(0, newline);
    String path = newline < 0 ? s : s.substring(newline + 1);
    RequestView request = RequestView.of("GET", host, path);
    for (int t = 0; t < TABLES.size(); t++) {
      RouteMatch match = ROUTERS.get(t).match(request);
      String described = describe(match);
      assertThat(described)
          .as("table %d, %s", t, request)
          .isEqualTo(reference(TABLES.get(t), host, path));
      assertThat(describe(ROUTERS.get(t).match(request))).as("again").isEqualTo(described);
      Router fresh = Router.builder().routes(TABLES.get(t)).build();
      assertThat(describe(fresh.match(request))).as("fresh table").isEqualTo(described);
      if (match.isMatched()) {
        assertThat(match.service()).matches("[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?");
        int strip = match.strippedPrefixLength();
        assertThat(strip).isBetween(0, path.length());
        assertThat(strip == 0 || strip == path.length() || path.charAt(strip) == '/')
            .as("strip %d of %s", strip, path)
            .isTrue();
      }
    }
  }

  private static String describe(RouteMatch m) {
    return m.kind()
        + " route="
        + m.route()
        + " service="
        + m.service()
        + " port="
        + m.port()
        + " strip="
        + m.strippedPrefixLength()
        + " invalid="
        + m.invalidValue();
  }

  /** The first route of {@code routes} that takes the request, read with regular expressions. */
  static String reference(List<Route> routes, String host, String path) {
    for (Route route : routes) {
      String service = route.service();
      String hostPattern = route.hostPattern();
      if (hostPattern != null) {
        String h = hostPattern.toLowerCase(java.util.Locale.ROOT);
        if (h.startsWith("{service}.")) {
          Matcher m =
              Pattern.compile(
                      "(.+)" + Pattern.quote(h.substring(9)),
                      Pattern.CASE_INSENSITIVE | Pattern.DOTALL)
                  .matcher(host);
          if (!m.matches() || !LABEL.matcher(m.group(1)).matches()) {
            continue;
          }
          service = m.group(1).toLowerCase(java.util.Locale.ROOT);
        } else if (!Pattern.compile(Pattern.quote(h), Pattern.CASE_INSENSITIVE)
            .matcher(host)
            .matches()) {
          continue;
        }
      }
      int strip = 0;
      String pathPattern = route.pathPattern();
      if (pathPattern != null) {
        String p = pathPattern.replaceAll("(?<=.)/+$", ""); // "/a/" is "/a"; "/" stays
        int var = p.indexOf("{service}");
        // "/" takes every path; otherwise the prefix must end at a '/' or the end of the path.
        String regex =
            p.equals("/")
                ? ""
                : var < 0
                    ? Pattern.quote(p) + "(?=/|\\z)"
                    : Pattern.quote(p.substring(0, var))
                        + "([^/]*)"
                        + Pattern.quote(p.substring(var + 9))
                        + "(?=/|\\z)";
        Matcher m = Pattern.compile(regex).matcher(path);
        if (!m.lookingAt()) {
          continue;
        }
        strip = m.end();
        if (var >= 0) {
          String value = m.group(1);
          int colon = route.port() == null ? value.indexOf(':') : -1;
          String label = colon < 0 ? value : value.substring(0, colon);
          if (!LABEL.matcher(label).matches()) {
            return describe(RouteMatch.invalidService(route, value));
          }
          service = label.toLowerCase(java.util.Locale.ROOT);
          if (colon >= 0) {
            // Issue 16: "demo:metrics" or "demo:9100" names a port; anything else there is a 400.
            String port = value.substring(colon + 1);
            String lower = port.toLowerCase(java.util.Locale.ROOT);
            if (!PORT_NAME.matcher(lower).matches() && !PORT_NUMBER.matcher(lower).matches()) {
              return describe(RouteMatch.invalidPort(route, service, port));
            }
            return describe(RouteMatch.matched(route, service, lower, strip));
          }
        }
      }
      return describe(RouteMatch.matched(route, requireService(service), route.port(), strip));
    }
    return describe(RouteMatch.NONE);
  }

  private static String requireService(@Nullable String service) {
    assertThat(service).as("a route in the table names no service").isNotNull();
    return service;
  }
}
