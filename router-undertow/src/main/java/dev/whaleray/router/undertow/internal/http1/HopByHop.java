package dev.whaleray.router.undertow.internal.http1;

import io.undertow.util.HeaderMap;
import io.undertow.util.Headers;
import io.undertow.util.HttpString;
import org.jspecify.annotations.Nullable;

/**
 * Removes hop-by-hop headers (RFC 9110 section 7.6.1): those named by {@code Connection}, and the
 * fixed list. {@code Transfer-Encoding} and {@code Content-Length} stay: they frame the body, and
 * Undertow re-frames it on each hop. {@code Upgrade} stays for WebSocket handshakes.
 */
public final class HopByHop {
  private HopByHop() {}

  private static final HttpString KEEP_ALIVE = new HttpString("Keep-Alive");
  private static final HttpString PROXY_CONNECTION = new HttpString("Proxy-Connection");
  private static final HttpString TE = new HttpString("TE");
  private static final HttpString TRAILER = new HttpString("Trailer");

  /**
   * Headers a client may not remove by naming them in {@code Connection}: body framing, the host,
   * and what the proxy and the load balancer in front vouch for ({@code X-Forwarded-*} and the
   * like: naming them would let a client erase the ALB's client address, as in Traefik's
   * CVE-2024-45410) and tracing.
   */
  static boolean isProtected(String name) {
    String n = name.toLowerCase(java.util.Locale.ROOT);
    return n.equals("content-length")
        || n.equals("transfer-encoding")
        || n.equals("host")
        || n.equals("forwarded")
        || n.startsWith("x-forwarded-")
        || n.equals("x-real-ip")
        || n.startsWith("x-amzn-")
        || n.equals("traceparent")
        || n.equals("tracestate");
  }

  /**
   * True for the fixed hop-by-hop names ({@code Connection}, {@code Keep-Alive}, {@code
   * Proxy-Connection}, {@code TE}, {@code Trailer}, {@code Upgrade}); by length first, so most
   * names cost one switch.
   */
  public static boolean isFixed(HttpString name) {
    switch (name.length()) {
      case 2:
        return name.equals(TE);
      case 7:
        return name.equals(TRAILER) || name.equals(Headers.UPGRADE);
      case 10:
        return name.equals(Headers.CONNECTION) || name.equals(KEEP_ALIVE);
      case 16:
        return name.equals(PROXY_CONNECTION);
      default:
        return false;
    }
  }

  /** Whether {@code name} is one of {@code named} (from {@link #named}; null names none). */
  public static boolean isNamed(HttpString name, HttpString @Nullable [] named) {
    if (named != null) {
      for (HttpString n : named) {
        if (n.equals(name)) {
          return true;
        }
      }
    }
    return false;
  }

  /**
   * The headers a {@code Connection} value names that may be removed (not the protected ones), or
   * null when it names none: the rare case, so the common one allocates nothing.
   */
  public static HttpString @Nullable [] named(java.util.@Nullable Collection<String> connection) {
    if (connection == null) {
      return null;
    }
    java.util.List<HttpString> names = null;
    for (String value : connection) {
      int start = 0;
      while (start < value.length()) {
        int comma = value.indexOf(',', start);
        int end = comma < 0 ? value.length() : comma;
        String token = value.substring(start, end).trim();
        if (!token.isEmpty()
            && !token.equalsIgnoreCase("close")
            && !token.equalsIgnoreCase("keep-alive")
            && !isProtected(token)) {
          HttpString name = HttpString.tryFromString(token);
          if (name != null) {
            if (names == null) {
              names = new java.util.ArrayList<>(2);
            }
            names.add(name);
          }
        }
        start = end + 1;
      }
    }
    return names == null ? null : names.toArray(new HttpString[0]);
  }

  static void strip(HeaderMap headers, boolean keepUpgrade) {
    HttpString[] named = named(headers.get(Headers.CONNECTION));
    if (named != null) {
      for (HttpString name : named) {
        if (!(keepUpgrade && name.equals(Headers.UPGRADE))) {
          headers.remove(name);
        }
      }
    }
    if (!keepUpgrade) {
      headers.remove(Headers.CONNECTION);
    }
    headers.remove(KEEP_ALIVE);
    headers.remove(PROXY_CONNECTION);
    headers.remove(TE);
    headers.remove(TRAILER);
    if (!keepUpgrade) {
      headers.remove(Headers.UPGRADE);
    }
  }
}
