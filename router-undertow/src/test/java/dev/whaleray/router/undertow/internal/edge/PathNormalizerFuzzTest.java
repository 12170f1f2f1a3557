package dev.whaleray.router.undertow.internal.edge;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.DictionaryEntries;
import com.code_intelligence.jazzer.junit.FuzzTest;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/**
 * Fuzzes {@link PathNormalizer#normalize(String, int)} with the input (read as ISO-8859-1) as the
 * request path and {@code from} at every {@code /} (where the router strips a route's prefix), at
 * 0, 1, the middle and the end.
 *
 * <p>Properties:
 *
 * <ol>
 *   <li>It throws nothing but {@link PathNormalizer.RejectedPath}.
 *   <li>What is forwarded (the result, or the part itself when the result is null) starts with
 *       {@code /} and holds no dot segment ({@code .} or {@code ..}, also as {@code %2e}), none
 *       hidden behind {@code %2f}, {@code %5c} or {@code \}, no escape of a control byte ({@code
 *       %00}-{@code %1f}, {@code %7f}), no malformed escape and no raw byte outside visible ASCII.
 *   <li>Normalising it again changes nothing (null, or the same string).
 *   <li>It equals {@link #reference}, a segment-list reading of RFC 3986 section 5.2.4 with the
 *       router's documented rejections, and is rejected exactly when the reference rejects.
 * </ol>
 */
class PathNormalizerFuzzTest {

  @FuzzTest
  @DictionaryEntries({
    "/", "/.", "/..", "%2e", "%2E", "%2f", "%5C", "\\", "%00", "%1f", "%7F", "//"
  })
  void normalizesLikeTheReference(byte[] input) {
    String path = new String(input, StandardCharsets.ISO_8859_1);
    int n = path.length();
    // The router strips a route's prefix up to a '/' or the end; other offsets cost little more.
    check(path, 0);
    check(path, n);
    check(path, Math.min(1, n));
    check(path, n / 2);
    for (int from = path.indexOf('/', 1), seen = 0;
        from > 0 && seen < 16;
        from = path.indexOf('/', from + 1), seen++) {
      check(path, from);
    }
  }

  static void check(String path, int from) {
    String part = path.substring(from);
    String expected = reference(part.isEmpty() || part.startsWith("/") ? part : "/" + part);
    String forwarded;
    try {
      String result = PathNormalizer.normalize(path, from);
      forwarded = result != null ? result : part.isEmpty() ? "/" : part;
    } catch (PathNormalizer.RejectedPath e) {
      assertThat(expected).as("rejected %s from %d (%s)", path, from, e.getMessage()).isNull();
      return;
    }
    assertThat(forwarded).as("forwarded %s from %d", path, from).isEqualTo(expected);
    assertThat(forwarded).startsWith("/");
    for (String segment : forwarded.substring(1).split("/", -1)) {
      assertThat(dots(segment)).as("dot segment in %s", forwarded).isZero();
      assertThat(hidesDotSegment(segment)).as("hidden dot segment in %s", forwarded).isFalse();
    }
    assertThat(badByteOrEscape(forwarded)).as("in %s", forwarded).isNull();
    String again;
    try {
      again = PathNormalizer.normalize(forwarded, 0);
    } catch (PathNormalizer.RejectedPath e) {
      throw new AssertionError("normalised " + path + " to " + forwarded + ", then rejected it", e);
    }
    assertThat(again == null ? forwarded : again).as("normalised twice").isEqualTo(forwarded);
  }

  /**
   * The path to forward for {@code part} (empty, or starting with '/'), or null when the router
   * must refuse it: remove_dot_segments (RFC 3986 section 5.2.4) over the list of segments, where a
   * {@code ..} with nothing left to remove is refused instead of ignored, plus the rejections that
   * {@link PathNormalizer}'s documentation lists.
   */
  static @Nullable String reference(String part) {
    if (part.isEmpty()) {
      return "/";
    }
    if (badByteOrEscape(part) != null) {
      return null;
    }
    part = decodeUnreserved(part);
    String[] segments = part.substring(1).split("/", -1);
    List<String> out = new ArrayList<>();
    for (int i = 0; i < segments.length; i++) {
      boolean last = i == segments.length - 1;
      int dots = dots(segments[i]);
      if (dots == 0) {
        if (hidesDotSegment(segments[i])) {
          return null;
        }
        int semi = segments[i].indexOf(';');
        if (semi >= 0 && dots(segments[i].substring(0, semi)) > 0) {
          return null; // "..;": Tomcat and Spring would resolve it
        }
        out.add(segments[i]);
        continue;
      }
      if (dots == 2) {
        if (out.isEmpty()) {
          return null; // above the service root
        }
        out.remove(out.size() - 1);
      }
      if (last) {
        out.add(""); // "/a/." and "/a/b/.." end in a slash
      }
    }
    return "/" + String.join("/", out);
  }

  /** Escapes of unreserved characters decoded (RFC 3986 6.2.2.2), the rest left as written. */
  static String decodeUnreserved(String s) {
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c == '%' && i + 2 < s.length()) {
        char d = (char) Integer.parseInt(s.substring(i + 1, i + 3), 16);
        if (Character.isLetterOrDigit(d) && d < 0x80
            || d == '-'
            || d == '.'
            || d == '_'
            || d == '~') {
          sb.append(d);
          i += 2;
          continue;
        }
      }
      sb.append(c);
    }
    return sb.toString();
  }

  /** 1 for {@code .}, 2 for {@code ..} (either dot may be written {@code %2e}), else 0. */
  static int dots(String segment) {
    String decoded = segment.replace("%2e", ".").replace("%2E", ".");
    return decoded.equals(".") ? 1 : decoded.equals("..") ? 2 : 0;
  }

  private static final Pattern SEPARATORS = Pattern.compile("%2[fF]|%5[cC]|\\\\");

  /** True when an encoded slash or a backslash splits off a dot segment inside {@code segment}. */
  static boolean hidesDotSegment(String segment) {
    String[] parts = SEPARATORS.split(segment, -1);
    if (parts.length < 2) {
      return false;
    }
    for (String p : parts) {
      if (dots(p) > 0) {
        return true;
      }
    }
    return false;
  }

  /** What is wrong with a byte or an escape in {@code s}, or null when nothing is. */
  static @Nullable String badByteOrEscape(String s) {
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c < 0x21 || c > 0x7e) {
        return "raw byte " + (int) c + " at " + i;
      }
      if (c == '%') {
        if (i + 2 >= s.length() || !isHex(s.charAt(i + 1)) || !isHex(s.charAt(i + 2))) {
          return "malformed escape at " + i;
        }
        int v = Integer.parseInt(s.substring(i + 1, i + 3), 16);
        if (v < 0x20 || v == 0x7f) {
          return "escaped control byte at " + i;
        }
        i += 2;
      }
    }
    return null;
  }

  private static boolean isHex(char c) {
    return "0123456789abcdefABCDEF".indexOf(c) >= 0;
  }
}
