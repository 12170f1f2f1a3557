package dev.whaleray.router.undertow.internal.http1;

import io.undertow.util.HttpString;
import org.jspecify.annotations.Nullable;

/** Small HTTP/1.1 token helpers shared by the codec and the request checks. */
public final class Http1 {
  private static final boolean[] TOKEN = new boolean[128];

  static {
    for (char c = '0'; c <= '9'; c++) {
      TOKEN[c] = true;
    }
    for (char c = 'a'; c <= 'z'; c++) {
      TOKEN[c] = true;
      TOKEN[c - 32] = true;
    }
    for (char c : "!#$%&'*+-.^_`|~".toCharArray()) {
      TOKEN[c] = true;
    }
  }

  private Http1() {}

  /** Whether {@code b[p, p + k.length())} holds {@code k}'s bytes exactly (case included). */
  static boolean sameBytes(HttpString k, byte[] b, int p) {
    for (int i = 0, n = k.length(); i < n; i++) {
      if (k.byteAt(i) != b[p + i]) {
        return false;
      }
    }
    return true;
  }

  /** Whether byte {@code c} (as an int, possibly negative) is an RFC 9110 token character. */
  public static boolean isTokenByte(int c) {
    return c >= 0 && c < 128 && TOKEN[c];
  }

  /** True when the comma-separated {@code value} holds {@code token}, ignoring case. */
  public static boolean containsToken(@Nullable String value, String token) {
    if (value == null) {
      return false;
    }
    int start = 0;
    int n = value.length();
    while (start < n) {
      int comma = value.indexOf(',', start);
      int end = comma < 0 ? n : comma;
      int s = start;
      int e = end;
      while (s < e && isOws(value.charAt(s))) {
        s++;
      }
      while (e > s && isOws(value.charAt(e - 1))) {
        e--;
      }
      if (e - s == token.length() && value.regionMatches(true, s, token, 0, token.length())) {
        return true;
      }
      start = end + 1;
    }
    return false;
  }

  /** RFC 9110's optional whitespace around list elements: space or horizontal tab. */
  private static boolean isOws(char c) {
    return c == ' ' || c == '\t';
  }

  /** Whether {@code s[from, to)} is an RFC 9110 token (a field name), at least one character. */
  public static boolean isToken(String s, int from, int to) {
    if (from >= to) {
      return false;
    }
    for (int i = from; i < to; i++) {
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

  /** The value of a hex digit (a byte or a char), or -1 for anything else. */
  public static int hex(int c) {
    if (c >= '0' && c <= '9') {
      return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
      return c - 'a' + 10;
    }
    if (c >= 'A' && c <= 'F') {
      return c - 'A' + 10;
    }
    return -1;
  }
}
