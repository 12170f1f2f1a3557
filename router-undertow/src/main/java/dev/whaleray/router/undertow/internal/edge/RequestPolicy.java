package dev.whaleray.router.undertow.internal.edge;

import dev.whaleray.router.undertow.internal.http1.Http1;
import dev.whaleray.router.undertow.internal.http1.Http1Listener;
import io.undertow.server.HttpServerExchange;
import io.undertow.util.HeaderMap;
import io.undertow.util.HeaderValues;
import io.undertow.util.Headers;
import io.undertow.util.HttpString;
import io.undertow.util.Methods;
import io.undertow.util.Protocols;

/**
 * The router's HTTP/1.1 request policy at the edge: what a request head must look like before any
 * byte of it is forwarded, so that the router and every backend agree on where a request ends,
 * which host it names and which resource. Each refusal is a JSON answer naming the header or field;
 * one that leaves the framing in doubt also closes the connection. The README's "HTTP/1.1 request
 * policy" table lists every rule with its answer.
 *
 * <p>Stateless; one pass over the head, allocation-free for a request that passes.
 */
public final class RequestPolicy {
  private final int maxRequestTargetLength;
  private final int maxHeaderBytes;

  public RequestPolicy(int maxRequestTargetLength, int maxHeaderBytes) {
    this.maxRequestTargetLength = maxRequestTargetLength;
    this.maxHeaderBytes = maxHeaderBytes;
  }

  /**
   * Checks the request head; answers and returns false when it is refused. An absolute-form target
   * replaces the Host header with its authority (RFC 9112 section 3.2.2).
   */
  public boolean admit(HttpServerExchange exchange) {
    boolean http1 = Http1Listener.isHttp1(exchange.getConnection());
    HttpString protocol = exchange.getProtocol();
    if (http1
        ? !(protocol.equals(Protocols.HTTP_1_1) || protocol.equals(Protocols.HTTP_1_0))
        : !protocol.equals(Protocols.HTTP_2_0)) {
      return refuse(exchange, 505, "HTTP version not supported: " + protocol);
    }
    HttpString method = exchange.getRequestMethod();
    if (method.equals(Methods.CONNECT) || method.equals(Methods.TRACE)) {
      exchange
          .getResponseHeaders()
          .put(Headers.ALLOW, "GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS");
      return answer(exchange, 405, "method not allowed through the router: " + method, false);
    }
    int targetLength = exchange.getRequestURI().length() + exchange.getQueryString().length();
    if (targetLength > maxRequestTargetLength) {
      return refuse(
          exchange,
          414,
          "request target too long: "
              + targetLength
              + " bytes (limit: "
              + maxRequestTargetLength
              + ")");
    }
    HeaderMap headers = exchange.getRequestHeaders();
    if (http1 && !checkHost(exchange, headers)) {
      return false;
    }
    if (!checkFraming(exchange, headers, http1)) {
      return false;
    }
    return checkHeaders(exchange, headers);
  }

  /** One valid Host; an absolute-form target's authority wins over it. */
  private static boolean checkHost(HttpServerExchange exchange, HeaderMap headers) {
    if (exchange.isHostIncludedInRequestURI()) {
      String uri = exchange.getRequestURI();
      int schemeEnd = uri.indexOf("://");
      String scheme = schemeEnd < 0 ? "" : uri.substring(0, schemeEnd);
      if (!scheme.equalsIgnoreCase("http") && !scheme.equalsIgnoreCase("https")) {
        return refuse(exchange, 400, "absolute-form target with a scheme other than http(s)");
      }
      int start = schemeEnd + 3;
      int end = uri.indexOf('/', start);
      String authority = uri.substring(start, end < 0 ? uri.length() : end);
      if (!isAuthority(authority)) {
        return refuse(exchange, 400, "invalid authority in the absolute-form request target");
      }
      headers.put(Headers.HOST, authority);
      return true;
    }
    HeaderValues host = headers.get(Headers.HOST);
    if (host == null || host.isEmpty()) {
      if (exchange.isHttp11()) {
        return refuse(exchange, 400, "missing Host header (required in HTTP/1.1)");
      }
      return true;
    }
    if (host.size() > 1) {
      return refuse(exchange, 400, "more than one Host header");
    }
    if (!isAuthority(host.getFirst())) {
      return refuse(exchange, 400, "invalid Host header: not a host[:port] authority");
    }
    return true;
  }

  /**
   * An RFC 3986 authority without userinfo: a reg-name or IPv4 address (letters, digits, {@code
   * -._~!$&'()*+,;=} and percent-escapes) or a bracketed IPv6 literal, then an optional port of 1
   * to 5 digits up to 65535.
   */
  static boolean isAuthority(String s) {
    int n = s.length();
    if (n == 0) {
      return false;
    }
    int i;
    if (s.charAt(0) == '[') {
      int close = s.indexOf(']');
      if (close < 3) {
        return false;
      }
      for (int j = 1; j < close; j++) {
        char c = s.charAt(j);
        if (!(Http1.hex(c) >= 0 || c == ':' || c == '.')) {
          return false;
        }
      }
      i = close + 1;
    } else {
      i = 0;
      while (i < n && s.charAt(i) != ':') {
        char c = s.charAt(i);
        if (c == '%') {
          if (i + 2 >= n || Http1.hex(s.charAt(i + 1)) < 0 || Http1.hex(s.charAt(i + 2)) < 0) {
            return false;
          }
          i += 3;
          continue;
        }
        if (!isRegNameChar(c)) {
          return false;
        }
        i++;
      }
      if (i == 0) {
        return false;
      }
    }
    if (i == n) {
      return true;
    }
    if (s.charAt(i) != ':') {
      return false;
    }
    int digits = n - i - 1;
    if (digits < 1 || digits > 5) {
      return false;
    }
    int port = 0;
    for (int j = i + 1; j < n; j++) {
      char c = s.charAt(j);
      if (c < '0' || c > '9') {
        return false;
      }
      port = port * 10 + (c - '0');
    }
    return port <= 65535;
  }

  private static boolean isRegNameChar(char c) {
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) {
      return true;
    }
    switch (c) {
      case '-':
      case '.':
      case '_':
      case '~':
      case '!':
      case '$':
      case '&':
      case '\'':
      case '(':
      case ')':
      case '*':
      case '+':
      case ',':
      case ';':
      case '=':
        return true;
      default:
        return false;
    }
  }

  /**
   * One framing: one Content-Length of plain digits (no sign, no leading zero, below 2^63), or
   * {@code Transfer-Encoding: chunked} alone on HTTP/1.1; never both.
   */
  private static boolean checkFraming(
      HttpServerExchange exchange, HeaderMap headers, boolean http1) {
    HeaderValues length = headers.get(Headers.CONTENT_LENGTH);
    if (length != null && !length.isEmpty()) {
      if (length.size() > 1) {
        return refuse(exchange, 400, "more than one Content-Length header");
      }
      if (!isContentLength(length.getFirst())) {
        return refuse(exchange, 400, "invalid Content-Length: " + printable(length.getFirst(), 40));
      }
    }
    HeaderValues te = headers.get(Headers.TRANSFER_ENCODING);
    if (te == null || te.isEmpty()) {
      return true;
    }
    if (!http1) {
      return refuse(exchange, 400, "Transfer-Encoding in an HTTP/2 request");
    }
    if (te.size() != 1 || !te.getFirst().trim().equalsIgnoreCase("chunked")) {
      // Undertow de-chunks any coding but identity; forwarding an odd label over a re-chunked
      // body invites request smuggling. Like nginx: only "chunked", and never with a length.
      return refuse(
          exchange, 501, "unsupported Transfer-Encoding: " + printable(String.join(", ", te), 60));
    }
    if (length != null && !length.isEmpty()) {
      return refuse(exchange, 400, "both Transfer-Encoding and Content-Length in the request");
    }
    if (exchange.isHttp10()) {
      return refuse(exchange, 400, "Transfer-Encoding in an HTTP/1.0 request");
    }
    if (!StrictChunkedConduit.install(exchange)) {
      return refuse(exchange, 501, "chunked request bodies cannot be decoded strictly here");
    }
    return true;
  }

  /** 1 to 18 digits, no leading zero: always below 2^63, so no reader can wrap it around. */
  static boolean isContentLength(String s) {
    int n = s.length();
    if (n < 1 || n > 18 || (n > 1 && s.charAt(0) == '0')) {
      return false;
    }
    for (int i = 0; i < n; i++) {
      char c = s.charAt(i);
      if (c < '0' || c > '9') {
        return false;
      }
    }
    return true;
  }

  /** Total header bytes (431), and no control byte but HTAB in a value (400). */
  private boolean checkHeaders(HttpServerExchange exchange, HeaderMap headers) {
    long total = 0;
    for (long c = headers.fastIterateNonEmpty(); c != -1L; c = headers.fiNextNonEmpty(c)) {
      HeaderValues values = headers.fiCurrent(c);
      int nameLength = values.getHeaderName().length();
      for (int i = 0, n = values.size(); i < n; i++) {
        String v = values.get(i);
        total += nameLength + 4 + v.length();
        for (int j = 0, len = v.length(); j < len; j++) {
          char ch = v.charAt(j);
          if ((ch < 0x20 && ch != '\t') || ch == 0x7f) {
            return refuse(
                exchange,
                400,
                "header "
                    + values.getHeaderName()
                    + " holds a control byte (0x"
                    + Integer.toHexString(ch)
                    + ")");
          }
        }
      }
      if (total > maxHeaderBytes) {
        return refuse(
            exchange,
            431,
            "request headers too large (limit: "
                + maxHeaderBytes
                + " bytes), at header "
                + values.getHeaderName());
      }
    }
    return true;
  }

  /** Visible ASCII of {@code s}, at most {@code max} chars: safe to echo in an error. */
  static String printable(String s, int max) {
    StringBuilder sb = new StringBuilder(Math.min(s.length(), max) + 3);
    for (int i = 0; i < s.length() && sb.length() < max; i++) {
      char c = s.charAt(i);
      sb.append(c >= 0x20 && c < 0x7f ? c : '?');
    }
    return s.length() > max ? sb.append("...").toString() : sb.toString();
  }

  /** Answers and closes the connection: after a refused head the framing is in doubt. */
  private static boolean refuse(HttpServerExchange exchange, int status, String error) {
    return answer(exchange, status, error, true);
  }

  private static boolean answer(
      HttpServerExchange exchange, int status, String error, boolean close) {
    if (close) {
      exchange.setPersistent(false);
    }
    JsonErrors.send(exchange, status, error, null);
    return false;
  }
}
