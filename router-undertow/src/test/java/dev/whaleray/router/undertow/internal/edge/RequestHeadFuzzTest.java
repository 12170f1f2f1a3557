package dev.whaleray.router.undertow.internal.edge;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.DictionaryFile;
import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.whaleray.router.RequestView;
import dev.whaleray.router.RouteMatch;
import dev.whaleray.router.Router;
import dev.whaleray.router.undertow.RouterServer;
import io.undertow.server.Connectors;
import io.undertow.server.HttpServerExchange;
import io.undertow.server.protocol.http.RequestParserAccess;
import io.undertow.util.BadRequestException;
import io.undertow.util.HeaderValues;
import io.undertow.util.Headers;
import io.undertow.util.UrlDecodeException;
import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.TreeMap;
import org.jspecify.annotations.Nullable;
import org.xnio.OptionMap;

/**
 * Fuzzes the request head: Undertow 2.3's own HTTP/1.1 parser ({@code RequestParser}, through
 * {@link RequestParserAccess}), then, for a head it accepts, the router's pure checks on it ({@link
 * RequestPolicy#isAuthority}, {@link RequestPolicy#isContentLength}, {@link
 * RequestPolicy#printable}), its view of the path ({@link ExchangeRequestView}), the default route
 * table and {@link PathNormalizer}. {@link RequestPolicy#admit} itself answers on the exchange and
 * so needs a live connection: the hostile-input suite ({@code HostileInputIT}) covers it.
 *
 * <p>Properties:
 *
 * <ol>
 *   <li>The parser throws nothing but {@link BadRequestException} (its only declared exception),
 *       apart from two Undertow findings that {@link #knownUndertowFinding} names.
 *   <li>The head is parsed the same (same fields, same headers, same length, or the same refusal)
 *       whether it arrives whole, byte by byte or in pseudo-random reads.
 *   <li>For an accepted head the router's checks throw nothing; a Content-Length they accept is a
 *       canonical decimal below 2^63 (no reader can take it for another number), and an authority
 *       they accept holds no byte that could end or extend it ({@code @ / ? # \}, space, controls).
 * </ol>
 *
 * <p>The parser runs with Undertow's default parser options, as {@link RouterServer} sets none of
 * them (it sets only sizes and timeouts, which the listener enforces, not the parser).
 */
class RequestHeadFuzzTest {
  private static final Router ROUTES = Router.defaultRoutes();

  @FuzzTest
  @DictionaryFile(resourcePath = "request-head.dict")
  void parsesTheSameWhateverTheSplitAndPassesThePolicyChecks(byte[] input) {
    String whole = describe(input, new int[] {Math.max(1, input.length)});
    assertThat(describe(input, new int[] {1})).as("byte by byte").isEqualTo(whole);
    SplittableRandom random = new SplittableRandom(Arrays.hashCode(input));
    int[] reads = random.ints(1 + random.nextInt(6), 1, 40).toArray();
    assertThat(describe(input, reads)).as("reads of %s", Arrays.toString(reads)).isEqualTo(whole);
  }

  /** Parses the head and runs the router's checks; a description of the outcome to compare. */
  static String describe(byte[] input, int[] reads) {
    RequestParserAccess.Parsed parsed;
    try {
      parsed = RequestParserAccess.parse(OptionMap.EMPTY, input, reads);
    } catch (BadRequestException e) {
      return "400 " + e.getMessage();
    } catch (RuntimeException e) {
      String finding = knownUndertowFinding(e);
      if (finding == null) {
        throw e;
      }
      return "400 (" + finding + ")";
    }
    if (!parsed.complete) {
      return "incomplete after " + parsed.consumed;
    }
    HttpServerExchange exchange = parsed.exchange;
    if (!Connectors.areRequestHeadersValid(exchange.getRequestHeaders())) {
      return "400 invalid headers";
    }
    String checks = checkPolicy(exchange);
    TreeMap<String, String> headers = new TreeMap<>();
    for (HeaderValues values : exchange.getRequestHeaders()) {
      headers.put(values.getHeaderName().toString(), String.join("\u0000", values));
    }
    return String.join(
        "\n",
        "head of " + parsed.consumed + " bytes",
        exchange.getRequestMethod().toString(),
        exchange.getProtocol().toString(),
        exchange.getRequestURI(),
        String.valueOf(exchange.isHostIncludedInRequestURI()),
        exchange.getRequestPath(),
        exchange.getRelativePath(),
        exchange.getQueryString(),
        exchange.getQueryParameters().toString(),
        exchange.getPathParameters().toString(),
        headers.toString(),
        checks);
  }

  /**
   * Names an exception other than {@link BadRequestException} that Undertow 2.3.27's parser is
   * known to throw, or returns null. Both are findings of this fuzz test (README "Fuzzing");
   * neither is a crash, since {@code HttpReadListener} answers 400 and closes the connection for
   * any exception from the parser, as for a {@link BadRequestException}. They are accepted here,
   * each only from where it comes, so that the target keeps fuzzing everything else.
   */
  static @Nullable String knownUndertowFinding(RuntimeException e) {
    StackTraceElement[] at = e.getStackTrace();
    String thrower = at.length == 0 ? "" : at[0].getClassName();
    if (e instanceof UrlDecodeException && String.valueOf(e.getMessage()).startsWith("UT000072")) {
      // The escape check takes "%%" right after a complete escape ("?d=%41%%2e"), then the URL
      // decoder fails on it: seed undertow-percent-percent.
      return "undertow-percent-percent";
    }
    if (e.getClass() == IllegalStateException.class
        && thrower.equals("io.undertow.util.HeaderValues")) {
      // The parser allows 200 header lines, but one header name holds at most 127 values: the
      // 128th "X: a" line overflows HeaderValues. Seed undertow-128-same-header.
      return "undertow-128-same-header";
    }
    return null;
  }

  /** The router's pure checks on an accepted head; what they decided, for the comparison. */
  static String checkPolicy(HttpServerExchange exchange) {
    StringBuilder decided = new StringBuilder();
    for (HeaderValues values : exchange.getRequestHeaders()) {
      for (String v : values) {
        String shown = RequestPolicy.printable(v, 40);
        assertThat(shown.chars().allMatch(c -> c >= 0x20 && c < 0x7f)).as(shown).isTrue();
      }
    }
    HeaderValues lengths = exchange.getRequestHeaders().get(Headers.CONTENT_LENGTH);
    if (lengths != null) {
      for (String v : lengths) {
        boolean ok = RequestPolicy.isContentLength(v);
        decided.append("content-length ").append(v).append(' ').append(ok).append('\n');
        if (ok) {
          long n = Long.parseLong(v);
          assertThat(Long.toString(n)).as("accepted Content-Length %s", v).isEqualTo(v);
        }
      }
    }
    HeaderValues hosts = exchange.getRequestHeaders().get(Headers.HOST);
    String host = hosts == null || hosts.isEmpty() ? "" : hosts.getFirst();
    if (hosts != null) {
      for (String v : hosts) {
        decided.append("host ").append(checkAuthority(v)).append('\n');
      }
    }
    if (exchange.isHostIncludedInRequestURI()) {
      // As RequestPolicy.checkHost reads an absolute-form target's authority.
      String uri = exchange.getRequestURI();
      int schemeEnd = uri.indexOf("://");
      if (schemeEnd >= 0) {
        int start = schemeEnd + 3;
        int end = uri.indexOf('/', start);
        host = uri.substring(start, end < 0 ? uri.length() : end);
        decided.append("target authority ").append(checkAuthority(host)).append('\n');
      }
    }
    ExchangeRequestView view = new ExchangeRequestView(exchange);
    int colon = host.lastIndexOf(':');
    String hostName = colon > 0 && !host.endsWith("]") ? host.substring(0, colon) : host;
    RouteMatch match =
        ROUTES.match(RequestView.of(exchange.getRequestMethod().toString(), hostName, view.path()));
    decided.append(match).append('\n');
    if (match.isMatched()) {
      try {
        decided.append(PathNormalizer.normalize(view.path(), match.strippedPrefixLength()));
      } catch (PathNormalizer.RejectedPath e) {
        decided.append("400 ").append(e.getMessage());
      }
    }
    return decided.toString();
  }

  private static boolean checkAuthority(String authority) {
    boolean ok = RequestPolicy.isAuthority(authority);
    if (ok) {
      assertThat(authority.chars().allMatch(c -> c > 0x20 && c < 0x7f && "@/?#\\".indexOf(c) < 0))
          .as("accepted authority %s", authority)
          .isTrue();
    }
    return ok;
  }
}
