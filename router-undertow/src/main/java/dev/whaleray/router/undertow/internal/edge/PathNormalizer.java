package dev.whaleray.router.undertow.internal.edge;

import dev.whaleray.router.undertow.internal.http1.Http1;
import org.jspecify.annotations.Nullable;

/**
 * Normalises the path forwarded to a backend (the part below the route's stripped prefix), so that
 * the backend and the router agree on which resource a request names.
 *
 * <ul>
 *   <li>Dot segments are removed as RFC 3986 section 5.2.4 says, on the decoded-dot form: {@code
 *       .}, {@code ..}, {@code %2e}, {@code .%2E} and {@code %2e%2e} are all dot segments.
 *   <li>A {@code ..} that would climb above the service root is rejected: a request routed to one
 *       service must not name a resource beside it.
 *   <li>A {@code ..} hidden behind an encoded slash or backslash ({@code ..%2f}, {@code %5c..}) is
 *       rejected: a backend that decodes {@code %2F} would see a dot segment the router did not.
 *   <li>{@code %00}, every other encoded control byte ({@code %01}-{@code %1F}, {@code %7F}), a bad
 *       percent-escape and a raw byte outside visible ASCII are rejected.
 *   <li>Percent-escapes of unreserved characters ({@code %61}, {@code %2e}) are decoded first (RFC
 *       3986 6.2.2.2), so the router routes the resource a decoding backend would see.
 *   <li>A dot segment with parameters ({@code ..;}) is rejected: Tomcat and Spring would resolve
 *       it.
 *   <li>Everything else is forwarded as the client wrote it: other escapes stay encoded, empty
 *       segments ({@code //}) stay.
 * </ul>
 *
 * <p>Allocation-free for a path without {@code .}, {@code %} or {@code \}; stateless and
 * thread-safe.
 */
public final class PathNormalizer {
  private PathNormalizer() {}

  /** A path the router refuses to forward; the message says why (no stack trace). */
  public static final class RejectedPath extends Exception {
    private static final long serialVersionUID = 1L;

    RejectedPath(String message) {
      super(message, null, false, false);
    }
  }

  /**
   * The normalised form of {@code path.substring(from)}, or null when that part is already normal
   * and may be forwarded as it is (an empty part is forwarded as {@code /}).
   *
   * @throws RejectedPath when the path must not be forwarded
   */
  public static @Nullable String normalize(String path, int from) throws RejectedPath {
    boolean suspect = false;
    int n = path.length();
    for (int i = from; i < n; i++) {
      char c = path.charAt(i);
      if (c <= 0x20 || c >= 0x7f) {
        throw new RejectedPath(
            "path holds a raw byte outside visible ASCII (0x" + Integer.toHexString(c) + ")");
      }
      if (c == '%') {
        if (i + 2 >= n || Http1.hex(path.charAt(i + 1)) < 0 || Http1.hex(path.charAt(i + 2)) < 0) {
          throw new RejectedPath("path holds a malformed percent-escape");
        }
        int v = Http1.hex(path.charAt(i + 1)) * 16 + Http1.hex(path.charAt(i + 2));
        if (v < 0x20 || v == 0x7f) {
          throw new RejectedPath(
              "path holds an encoded control byte %" + path.substring(i + 1, i + 3));
        }
        suspect = true;
        i += 2;
      } else if (c == '.' || c == '\\') {
        suspect = true;
      }
    }
    if (from < n && path.charAt(from) != '/') {
      // Not below a segment boundary: treat as the first segment of an absolute path.
      String rooted = "/" + path.substring(from);
      String normal = normalizeSegments(decodeUnreserved(rooted, 0), 0);
      return normal == null ? rooted : normal;
    }
    if (!suspect) {
      return null;
    }
    String decoded = decodeUnreserved(path, from);
    if (decoded != path) {
      String normal = normalizeSegments(decoded, 0);
      return normal == null ? decoded : normal;
    }
    return normalizeSegments(path, from);
  }

  /**
   * Decodes percent-escapes of unreserved characters (letters, digits, {@code -._~}), as RFC 3986
   * 6.2.2.2 says equivalent URIs do: {@code /%61dmin} names {@code /admin} at any backend that
   * decodes, so the router routes and forwards it as that. Returns {@code path} itself when there
   * is nothing to decode, else the decoded part from {@code from} on.
   */
  private static String decodeUnreserved(String path, int from) {
    int n = path.length();
    int first = -1;
    for (int i = path.indexOf('%', from); i >= 0 && i + 2 < n; i = path.indexOf('%', i + 1)) {
      if (isUnreserved(Http1.hex(path.charAt(i + 1)) * 16 + Http1.hex(path.charAt(i + 2)))) {
        first = i;
        break;
      }
    }
    if (first < 0) {
      return path;
    }
    StringBuilder sb = new StringBuilder(n - from);
    sb.append(path, from, first);
    for (int i = first; i < n; i++) {
      char c = path.charAt(i);
      if (c == '%' && i + 2 < n) {
        int v = Http1.hex(path.charAt(i + 1)) * 16 + Http1.hex(path.charAt(i + 2));
        if (isUnreserved(v)) {
          sb.append((char) v);
          i += 2;
          continue;
        }
      }
      sb.append(c);
    }
    return sb.toString();
  }

  private static boolean isUnreserved(int c) {
    return (c >= 'a' && c <= 'z')
        || (c >= 'A' && c <= 'Z')
        || (c >= '0' && c <= '9')
        || c == '-'
        || c == '.'
        || c == '_'
        || c == '~';
  }

  /**
   * Whether a {@code ..} in {@code path} (a path that {@link #normalize} accepted) removes a
   * segment at depth {@code depth} or above: in the normal form, the first {@code depth} segments
   * are a route's prefix, so such a path climbed out of the prefix it now matches ({@code
   * /services/demo/../other/x}, {@code /x/../admin}) and must not be routed by it.
   */
  public static boolean climbsInto(String path, int depth) {
    String p = decodeUnreserved(path, 0);
    int n = p.length();
    int stack = 0;
    int i = 0;
    while (i < n) {
      int start = i + 1;
      int end = p.indexOf('/', start);
      if (end < 0) {
        end = n;
      }
      int dots = dotSegment(p, start, end);
      if (dots == 2) {
        if (stack <= depth) {
          return true;
        }
        stack--;
      } else if (dots == 0) {
        stack++;
      }
      i = end;
    }
    return false;
  }

  /** remove_dot_segments over {@code path.substring(from)}, which starts with '/'. */
  private static @Nullable String normalizeSegments(String path, int from) throws RejectedPath {
    int n = path.length();
    // Segment bounds of the output, as [start, end) pairs into path; at most one per '/'.
    int[] bounds = new int[16];
    int count = 0;
    boolean changed = false;
    boolean trailingSlash = false;
    int i = from;
    while (i < n) {
      int start = i + 1; // after the '/'
      int end = path.indexOf('/', start);
      if (end < 0) {
        end = n;
      }
      int dots = dotSegment(path, start, end);
      if (dots == 0) {
        int semi = path.indexOf(';', start);
        if (semi >= 0 && semi < end && dotSegment(path, start, semi) > 0) {
          // Tomcat and Spring drop ";params" and then resolve the dots the router did not.
          throw new RejectedPath("path holds a dot segment with parameters (\"..;\")");
        }
      }
      boolean last = end == n;
      if (dots == 1) {
        changed = true;
        trailingSlash = last;
      } else if (dots == 2) {
        changed = true;
        if (count == 0) {
          throw new RejectedPath("path climbs above the service root (\"..\" segment)");
        }
        count--;
        trailingSlash = last;
      } else {
        hiddenDotSegment(path, start, end);
        if (count * 2 == bounds.length) {
          bounds = java.util.Arrays.copyOf(bounds, bounds.length * 2);
        }
        bounds[count * 2] = start;
        bounds[count * 2 + 1] = end;
        count++;
        trailingSlash = false;
      }
      i = end;
    }
    if (!changed) {
      return from == 0 ? path : null;
    }
    StringBuilder out = new StringBuilder(n - from);
    for (int s = 0; s < count; s++) {
      out.append('/').append(path, bounds[s * 2], bounds[s * 2 + 1]);
    }
    if (trailingSlash || count == 0) {
      out.append('/');
    }
    return out.toString();
  }

  /** 1 for a "." segment, 2 for "..", 0 otherwise; {@code %2e} counts as a dot. */
  private static int dotSegment(String path, int start, int end) {
    int dots = 0;
    int i = start;
    while (i < end) {
      if (path.charAt(i) == '.') {
        i++;
      } else if (isEncodedDot(path, i, end)) {
        i += 3;
      } else {
        return 0;
      }
      if (++dots > 2) {
        return 0;
      }
    }
    return dots;
  }

  /**
   * Rejects a segment in which an encoded slash or a backslash separates a dot segment, which a
   * decoding backend (or a Windows one) would resolve where the router did not.
   */
  private static void hiddenDotSegment(String path, int start, int end) throws RejectedPath {
    int partStart = start;
    boolean split = false;
    for (int i = start; i <= end; i++) {
      int sepLength = 0;
      if (i < end) {
        char c = path.charAt(i);
        if (c == '\\') {
          sepLength = 1;
        } else if (c == '%' && i + 2 < end && isSlashEscape(path, i)) {
          sepLength = 3;
        }
      }
      if (i == end || sepLength > 0) {
        if (i < end) {
          split = true;
        }
        if (split && dotSegment(path, partStart, i) > 0) {
          throw new RejectedPath("path hides a dot segment behind an encoded slash or backslash");
        }
        partStart = i + sepLength;
        i += Math.max(0, sepLength - 1);
      }
    }
  }

  private static boolean isSlashEscape(String path, int i) {
    if (i + 2 >= path.length()) {
      return false;
    }
    char a = path.charAt(i + 1);
    char b = path.charAt(i + 2);
    return (a == '2' && (b == 'f' || b == 'F')) || (a == '5' && (b == 'c' || b == 'C'));
  }

  private static boolean isEncodedDot(String path, int i, int end) {
    return i + 2 < end
        && path.charAt(i) == '%'
        && path.charAt(i + 1) == '2'
        && (path.charAt(i + 2) == 'e' || path.charAt(i + 2) == 'E');
  }
}
