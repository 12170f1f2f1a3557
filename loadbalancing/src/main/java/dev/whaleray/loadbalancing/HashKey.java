package dev.whaleray.loadbalancing;

import dev.whaleray.router.RequestView;
import org.jspecify.annotations.Nullable;

/**
 * What {@code consistent-hash} hashes, from the {@code hashKey} option:
 *
 * <ul>
 *   <li>{@code header:NAME}: the first value of request header NAME (e.g. {@code
 *       header:X-Session-Id});
 *   <li>{@code cookie:NAME}: the value of cookie NAME in the {@code Cookie} header (names are
 *       case-sensitive, optional double quotes around the value are dropped);
 *   <li>{@code client-ip} (the default): the first entry of {@code X-Forwarded-For}, i.e. the
 *       original client as the first proxy saw it (an ALB sets it), else the peer address ({@link
 *       RequestView#remoteAddress}) for clients that connect directly; with neither the request has
 *       no key. It never falls back to the Host header, which is the same for every client of a
 *       service and would pin all of them to one endpoint ({@code header:Host} does that on
 *       purpose).
 * </ul>
 *
 * A request without the key gets {@link #ABSENT} and the policy falls back to round-robin. Reading
 * a key allocates nothing: values are hashed in place, the Cookie header is scanned by index.
 * Immutable and thread-safe.
 */
final class HashKey {
  /** The hash of a request that has no key. Real hashes that happen to be 0 are moved to 1. */
  static final long ABSENT = 0;

  static final String FORWARDED_FOR = "X-Forwarded-For";
  static final String COOKIE = "Cookie";

  private static final int HEADER = 0;
  private static final int COOKIE_VALUE = 1;
  private static final int CLIENT_IP = 2;

  private final int kind;
  private final String name;

  private HashKey(int kind, String name) {
    this.kind = kind;
    this.name = name;
  }

  /**
   * Parses the {@code hashKey} option; null means {@code client-ip}.
   *
   * @throws IllegalArgumentException naming the option and the forms it accepts
   */
  static HashKey parse(@Nullable String option) {
    if (option == null || option.trim().equals("client-ip")) {
      return new HashKey(CLIENT_IP, FORWARDED_FOR);
    }
    String s = option.trim();
    if (s.startsWith("header:") && isToken(s, 7)) {
      return new HashKey(HEADER, s.substring(7));
    }
    if (s.startsWith("cookie:") && isToken(s, 7)) {
      return new HashKey(COOKIE_VALUE, s.substring(7));
    }
    throw new IllegalArgumentException(
        LbOptions.HASH_KEY
            + ": '"
            + option
            + "' (expected: header:NAME, cookie:NAME or client-ip, e.g. header:X-Session-Id)");
  }

  /** RFC 9110 token characters from {@code from} to the end, at least one. */
  private static boolean isToken(String s, int from) {
    if (from >= s.length()) {
      return false;
    }
    for (int i = from; i < s.length(); i++) {
      char c = s.charAt(i);
      boolean ok =
          (c >= 'a' && c <= 'z')
              || (c >= 'A' && c <= 'Z')
              || (c >= '0' && c <= '9')
              || "!#$%&'*+-.^_`|~".indexOf(c) >= 0;
      if (!ok) {
        return false;
      }
    }
    return true;
  }

  /** The 64-bit hash of this request's key, or {@link #ABSENT}. */
  long hash(RequestView request) {
    switch (kind) {
      case HEADER:
        {
          String v = request.header(name);
          return v == null || v.isEmpty() ? ABSENT : nonZero(Hashing.hash(v, 0, v.length()));
        }
      case COOKIE_VALUE:
        {
          String v = request.header(COOKIE);
          return v == null ? ABSENT : cookie(v, name);
        }
      default:
        {
          String v = request.header(FORWARDED_FOR);
          if (v != null) {
            long h = firstForwardedFor(v);
            if (h != ABSENT) {
              return h;
            }
          }
          // No proxy in front: the peer itself is the client.
          String peer = request.remoteAddress();
          return peer == null || peer.isEmpty()
              ? ABSENT
              : nonZero(Hashing.hash(peer, 0, peer.length()));
        }
    }
  }

  /** The hash of the first comma-separated entry, trimmed, or ABSENT when it is empty. */
  static long firstForwardedFor(String header) {
    int end = header.indexOf(',');
    if (end < 0) {
      end = header.length();
    }
    int start = 0;
    while (start < end && isSpace(header.charAt(start))) {
      start++;
    }
    while (end > start && isSpace(header.charAt(end - 1))) {
      end--;
    }
    return start == end ? ABSENT : nonZero(Hashing.hash(header, start, end));
  }

  /**
   * The hash of cookie {@code name}'s value in a {@code Cookie} header ({@code a=1; sid=xyz}), or
   * ABSENT when the cookie is missing or empty. Scans by index; no split, no regex, no substring.
   */
  static long cookie(String header, String name) {
    int len = header.length();
    int nameLength = name.length();
    int i = 0;
    while (i < len) {
      char c = header.charAt(i);
      if (c == ';' || isSpace(c)) {
        i++;
        continue;
      }
      int start = i;
      int semi = header.indexOf(';', start);
      if (semi < 0) {
        semi = len;
      }
      int eq = header.indexOf('=', start);
      if (eq >= 0 && eq < semi) {
        int nameEnd = eq;
        while (nameEnd > start && isSpace(header.charAt(nameEnd - 1))) {
          nameEnd--;
        }
        if (nameEnd - start == nameLength && header.regionMatches(start, name, 0, nameLength)) {
          int from = eq + 1;
          int to = semi;
          while (from < to && isSpace(header.charAt(from))) {
            from++;
          }
          while (to > from && isSpace(header.charAt(to - 1))) {
            to--;
          }
          if (to - from >= 2 && header.charAt(from) == '"' && header.charAt(to - 1) == '"') {
            from++;
            to--;
          }
          return from == to ? ABSENT : nonZero(Hashing.hash(header, from, to));
        }
      }
      i = semi + 1;
    }
    return ABSENT;
  }

  private static boolean isSpace(char c) {
    return c == ' ' || c == '\t';
  }

  private static long nonZero(long h) {
    return h == ABSENT ? 1 : h;
  }

  @Override
  public String toString() {
    switch (kind) {
      case HEADER:
        return "header:" + name;
      case COOKIE_VALUE:
        return "cookie:" + name;
      default:
        return "client-ip";
    }
  }
}
