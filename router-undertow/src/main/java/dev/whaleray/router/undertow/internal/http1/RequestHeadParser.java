package dev.whaleray.router.undertow.internal.http1;

import io.undertow.util.HeaderMap;
import io.undertow.util.Headers;
import io.undertow.util.HttpString;
import io.undertow.util.Methods;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * Parses HTTP/1.1 request heads of a strict subset (GET, HEAD, DELETE and OPTIONS with a plain
 * origin-form target, one simple Host, no body, CRLF line ends) without Undertow's per-request
 * garbage and Host regex. Anything outside the subset is reported as {@link #OUTSIDE}, with the
 * buffer untouched, so the connection can go to Undertow's own listener, which answers it exactly
 * as before: the subset only ever holds heads Undertow would parse the same way. One instance per
 * connection, reused request after request, confined to its IO thread.
 */
public final class RequestHeadParser {
  /** No complete head yet, and nothing outside the subset so far: read more and call again. */
  public static final int NEED_MORE = 0;

  /**
   * Outside the subset (or larger than maxHeaderSize, or more than maxHeaders headers): hand the
   * bytes, unconsumed, to Undertow.
   */
  public static final int OUTSIDE = -1;

  /** One head parsed: the accessors describe it and the buffer's position is just past it. */
  public static final int COMPLETE = 1;

  private static final HttpString TRACEPARENT = new HttpString("traceparent");
  private static final HttpString TRACESTATE = new HttpString("tracestate");
  private static final HttpString X_REQUEST_ID = new HttpString("X-Request-Id");
  private static final HttpString HTTP2_SETTINGS = new HttpString("HTTP2-Settings");

  /**
   * Header names returned as the shared constant when sent in exactly this spelling, so identity
   * comparisons ({@code name == Headers.HOST}) keep working; any other spelling gets its own
   * HttpString (equal to the constant all the same: HttpString compares case-insensitively).
   */
  private static final HttpString[] KNOWN = {
    Headers.HOST,
    Headers.USER_AGENT,
    Headers.ACCEPT,
    Headers.ACCEPT_ENCODING,
    Headers.ACCEPT_LANGUAGE,
    Headers.CONNECTION,
    Headers.CONTENT_LENGTH,
    Headers.CONTENT_TYPE,
    Headers.COOKIE,
    Headers.AUTHORIZATION,
    Headers.CACHE_CONTROL,
    Headers.PRAGMA,
    Headers.REFERER,
    Headers.ORIGIN,
    Headers.IF_NONE_MATCH,
    Headers.IF_MODIFIED_SINCE,
    Headers.IF_MATCH,
    Headers.RANGE,
    Headers.FORWARDED,
    Headers.X_FORWARDED_FOR,
    Headers.X_FORWARDED_PROTO,
    Headers.X_FORWARDED_HOST,
    Headers.X_FORWARDED_PORT,
    TRACEPARENT,
    TRACESTATE,
    X_REQUEST_ID,
  };

  /**
   * Bytes allowed in the target: visible ASCII less those Undertow decodes, splits on or may reject
   * ({@code % + ; \ #} and {@code " < > { } | ^ ` [ ]}). {@code ?} ends the path.
   */
  private static final boolean[] TARGET = new boolean[128];

  private static final byte[] VERSION = {'H', 'T', 'T', 'P', '/', '1', '.', '1', '\r', '\n'};

  static {
    for (char c = 0x21; c <= 0x7e; c++) {
      TARGET[c] = true;
    }
    for (char c : "%+;\\#\"<>{}|^`[]".toCharArray()) {
      TARGET[c] = false;
    }
  }

  // What scan() found of the name: nothing special, or one of the headers checked by value.
  private static final int PLAIN = 0;
  private static final int HOST = 1;
  private static final int CONTENT_LENGTH = 2;
  private static final int CONNECTION = 3;
  private static final int FORBIDDEN = 4;

  private final int maxHeaderSize;
  private final int maxHeaders;
  private final int capacity; // the most header lines a head within maxHeaderSize can have

  // scan()'s findings, committed to the results only when the head is complete.
  private int[] ranges; // name start, name end, value start, value end: absolute indexes
  private HttpString scannedMethod = Methods.GET;
  private int targetStart;
  private int targetEnd;
  private int scannedCount;
  private boolean scannedClose;
  private int headEnd;

  private byte[] scratch;

  // Results of the last complete head.
  private @Nullable HttpString method;
  private @Nullable String target;
  private HttpString[] names;
  private String[] values;
  private int count;
  private boolean close;

  /**
   * A parser for one connection; the limits are Undertow's {@code MAX_HEADER_SIZE} and {@code
   * MAX_HEADERS}, so a head beyond them is left to Undertow to refuse.
   */
  public RequestHeadParser(int maxHeaderSize, int maxHeaders) {
    if (maxHeaderSize <= 0 || maxHeaders < 0) {
      throw new IllegalArgumentException("maxHeaderSize must be > 0 and maxHeaders >= 0");
    }
    this.maxHeaderSize = maxHeaderSize;
    this.maxHeaders = maxHeaders;
    // A header line takes at least 4 bytes ("a:" CRLF): no head within the size has more. One
    // parser per connection: small tables that grow to what the connection's heads need, so
    // thousands of idle connections do not hold 200 header slots each.
    this.capacity = Math.min(maxHeaders, maxHeaderSize / 4);
    int initial = Math.min(capacity, 16);
    this.ranges = new int[4 * initial];
    this.names = new HttpString[initial];
    this.values = new String[initial];
    this.scratch = new byte[Math.min(maxHeaderSize, 512)];
  }

  /**
   * Parses one head starting at {@code buf.position()}. COMPLETE: position moved to just after the
   * head's final CRLF CRLF, fields below set. NEED_MORE / OUTSIDE: position unchanged. Never throws
   * on any input.
   */
  public int parse(ByteBuffer buf) {
    int start = buf.position();
    int available = buf.limit() - start;
    int r = scan(buf, start, start + Math.min(available, maxHeaderSize));
    if (r == NEED_MORE) {
      // Not complete within maxHeaderSize bytes while more are there: too large for the subset.
      return available > maxHeaderSize ? OUTSIDE : NEED_MORE;
    }
    if (r == COMPLETE) {
      commit(buf, start);
    }
    return r;
  }

  /** The method of the last complete head: the {@link Methods} constant itself. */
  public HttpString method() {
    HttpString m = method;
    if (m == null) {
      throw new IllegalStateException("no complete head parsed yet");
    }
    return m;
  }

  /** The request target of the last complete head, exactly as sent (origin-form). */
  public String target() {
    String t = target;
    if (t == null) {
      throw new IllegalStateException("no complete head parsed yet");
    }
    return t;
  }

  /** How many header lines the last complete head had. */
  public int headerCount() {
    return count;
  }

  /**
   * Header {@code i}'s name: the {@link Headers} constant when sent in its canonical spelling, else
   * the bytes sent.
   */
  public HttpString name(int i) {
    return names[Objects.checkIndex(i, count)];
  }

  /** Header {@code i}'s value, without leading and trailing spaces and tabs. */
  public String value(int i) {
    return values[Objects.checkIndex(i, count)];
  }

  /** Whether the last complete head had {@code Connection: close}: the connection ends after it. */
  public boolean close() {
    return close;
  }

  /** Adds the parsed headers to the map, in order (map.add(name, value)). */
  public void addHeadersTo(HeaderMap map) {
    for (int i = 0; i < count; i++) {
      map.add(names[i], values[i]);
    }
  }

  /**
   * Scans the head at {@code s}, reading no byte at or past {@code end}: COMPLETE (with the
   * scanned* fields, {@link #ranges} and {@link #headEnd} set), NEED_MORE or OUTSIDE.
   */
  private int scan(ByteBuffer buf, int s, int end) {
    int p = s;
    if (p >= end) {
      return NEED_MORE;
    }
    HttpString m;
    byte first = buf.get(p);
    if (first == 'G') {
      m = Methods.GET;
    } else if (first == 'H') {
      m = Methods.HEAD;
    } else if (first == 'D') {
      m = Methods.DELETE;
    } else if (first == 'O') {
      m = Methods.OPTIONS;
    } else {
      return OUTSIDE;
    }
    int methodLength = m.length();
    for (int i = 1; i <= methodLength; i++) {
      if (p + i >= end) {
        return NEED_MORE;
      }
      byte expected = i < methodLength ? m.byteAt(i) : (byte) ' ';
      if (buf.get(p + i) != expected) {
        return OUTSIDE;
      }
    }
    p += methodLength + 1;

    int tStart = p;
    if (p >= end) {
      return NEED_MORE;
    }
    if (buf.get(p) != '/') {
      return OUTSIDE; // asterisk-, absolute- or authority-form
    }
    p++;
    int segment = p;
    boolean query = false;
    for (; ; p++) {
      if (p >= end) {
        return NEED_MORE;
      }
      byte c = buf.get(p);
      if (c == ' ') {
        break;
      }
      if (c < 0 || !TARGET[c]) {
        return OUTSIDE;
      }
      if (!query && (c == '/' || c == '?')) {
        int length = p - segment;
        if ((c == '/' && length == 0) || isDotSegment(buf, segment, length)) {
          return OUTSIDE; // "//", "/./" or "/../": Undertow and the router normalise those
        }
        if (c == '?') {
          query = true;
        } else {
          segment = p + 1;
        }
      }
    }
    if (!query && isDotSegment(buf, segment, p - segment)) {
      return OUTSIDE;
    }
    int tEnd = p;
    p++;
    for (int i = 0; i < VERSION.length; i++) {
      if (p + i >= end) {
        return NEED_MORE;
      }
      if (buf.get(p + i) != VERSION[i]) {
        return OUTSIDE;
      }
    }
    p += VERSION.length;

    int n = 0;
    int hosts = 0;
    int lengths = 0;
    int connections = 0;
    boolean closing = false;
    int[] r = ranges;
    while (true) {
      if (p >= end) {
        return NEED_MORE;
      }
      byte c = buf.get(p);
      if (c == '\r') {
        if (p + 1 >= end) {
          return NEED_MORE;
        }
        if (buf.get(p + 1) != '\n' || hosts != 1) {
          return OUTSIDE;
        }
        scannedMethod = m;
        targetStart = tStart;
        targetEnd = tEnd;
        scannedCount = n;
        scannedClose = closing;
        headEnd = p + 2;
        return COMPLETE;
      }
      int nameStart = p;
      for (; ; p++) {
        if (p >= end) {
          return NEED_MORE;
        }
        c = buf.get(p);
        if (c == ':') {
          break;
        }
        if (!Http1.isTokenByte(c)) {
          return OUTSIDE; // obs-fold, whitespace before the colon, bare LF, ...
        }
      }
      int nameEnd = p;
      if (nameEnd == nameStart || n >= maxHeaders || n >= capacity) {
        return OUTSIDE;
      }
      if (n == names.length) {
        grow();
        r = ranges;
      }
      int kind = kind(buf, nameStart, nameEnd - nameStart);
      if (kind == FORBIDDEN
          || (kind == HOST && ++hosts > 1)
          || (kind == CONTENT_LENGTH && ++lengths > 1)
          || (kind == CONNECTION && ++connections > 1)) {
        return OUTSIDE;
      }
      p++;
      int valueStart = -1;
      int valueEnd = p;
      for (; ; p++) {
        if (p >= end) {
          return NEED_MORE;
        }
        c = buf.get(p);
        if (c == '\r') {
          break;
        }
        if (c == ' ' || c == '\t') {
          if (valueStart >= 0 && p > valueStart) {
            byte before = buf.get(p - 1);
            if (before == ' ' || before == '\t') {
              // Undertow folds a run of spaces and tabs in a value into its first byte: the
              // value would not be the same, so such heads are Undertow's.
              return OUTSIDE;
            }
          }
          continue;
        }
        if (c < 0x21 || c > 0x7e) {
          return OUTSIDE; // control bytes, bare LF, DEL, obs-text (negative as a byte)
        }
        if (valueStart < 0) {
          valueStart = p;
        }
        valueEnd = p + 1;
      }
      if (valueStart < 0) {
        valueStart = p;
        valueEnd = p;
      }
      if (p + 1 >= end) {
        return NEED_MORE;
      }
      if (buf.get(p + 1) != '\n') {
        return OUTSIDE;
      }
      if (kind == HOST) {
        if (!isHost(buf, valueStart, valueEnd)) {
          return OUTSIDE;
        }
      } else if (kind == CONTENT_LENGTH) {
        if (valueEnd - valueStart != 1 || buf.get(valueStart) != '0') {
          return OUTSIDE;
        }
      } else if (kind == CONNECTION) {
        if (equalsIgnoreCase(Headers.CLOSE, buf, valueStart, valueEnd - valueStart)) {
          closing = true;
        } else if (!equalsIgnoreCase(Headers.KEEP_ALIVE, buf, valueStart, valueEnd - valueStart)) {
          return OUTSIDE;
        }
      }
      int k = 4 * n;
      r[k] = nameStart;
      r[k + 1] = nameEnd;
      r[k + 2] = valueStart;
      r[k + 3] = valueEnd;
      n++;
      p += 2;
    }
  }

  /** Twice the header slots, up to {@link #capacity}. */
  private void grow() {
    int size = Math.min(capacity, 2 * names.length);
    ranges = java.util.Arrays.copyOf(ranges, 4 * size);
    names = java.util.Arrays.copyOf(names, size);
    values = java.util.Arrays.copyOf(values, size);
  }

  /** Turns what {@link #scan} found into the results, and moves past the head. */
  private void commit(ByteBuffer buf, int start) {
    int length = headEnd - start;
    byte[] b;
    int off; // array index of absolute buffer index 0
    if (buf.hasArray()) {
      b = buf.array();
      off = buf.arrayOffset();
    } else {
      if (scratch.length < length) {
        scratch = new byte[Math.max(length, Math.min(maxHeaderSize, 2 * scratch.length))];
      }
      buf.get(start, scratch, 0, length);
      b = scratch;
      off = -start;
    }
    method = scannedMethod;
    target = new String(b, off + targetStart, targetEnd - targetStart, StandardCharsets.ISO_8859_1);
    int n = scannedCount;
    int[] r = ranges;
    for (int i = 0; i < n; i++) {
      int k = 4 * i;
      names[i] = name(b, off + r[k], r[k + 1] - r[k]);
      values[i] = new String(b, off + r[k + 2], r[k + 3] - r[k + 2], StandardCharsets.ISO_8859_1);
    }
    count = n;
    close = scannedClose;
    buf.position(headEnd);
  }

  /** The known constant spelled exactly as {@code b[p, p + length)}, else a new HttpString. */
  private static HttpString name(byte[] b, int p, int length) {
    for (HttpString k : KNOWN) {
      if (k.length() == length && Http1.sameBytes(k, b, p)) {
        return k;
      }
    }
    return new HttpString(b, p, length);
  }

  /** Which of the headers checked by name or value the token at {@code p} names, if any. */
  private static int kind(ByteBuffer buf, int p, int length) {
    switch (length) {
      case 2:
        return equalsIgnoreCase(Headers.TE, buf, p, length) ? FORBIDDEN : PLAIN;
      case 4:
        return equalsIgnoreCase(Headers.HOST, buf, p, length) ? HOST : PLAIN;
      case 6:
        return equalsIgnoreCase(Headers.EXPECT, buf, p, length) ? FORBIDDEN : PLAIN;
      case 7:
        return equalsIgnoreCase(Headers.UPGRADE, buf, p, length) ? FORBIDDEN : PLAIN;
      case 10:
        return equalsIgnoreCase(Headers.CONNECTION, buf, p, length) ? CONNECTION : PLAIN;
      case 14:
        if (equalsIgnoreCase(Headers.CONTENT_LENGTH, buf, p, length)) {
          return CONTENT_LENGTH;
        }
        return equalsIgnoreCase(HTTP2_SETTINGS, buf, p, length) ? FORBIDDEN : PLAIN;
      case 17:
        return equalsIgnoreCase(Headers.TRANSFER_ENCODING, buf, p, length) ? FORBIDDEN : PLAIN;
      default:
        return PLAIN;
    }
  }

  /**
   * Whether {@code buf[p, p + length)} spells {@code k} in any case. Folding with {@code | 0x20} is
   * exact here: {@code k} is letters, digits and {@code -}, and the bytes compared are tokens or
   * visible ASCII, none of which folds onto a letter, digit or {@code -} unless it is one.
   */
  private static boolean equalsIgnoreCase(HttpString k, ByteBuffer buf, int p, int length) {
    int n = k.length();
    if (n != length) {
      return false;
    }
    for (int i = 0; i < n; i++) {
      if ((k.byteAt(i) | 0x20) != (buf.get(p + i) | 0x20)) {
        return false;
      }
    }
    return true;
  }

  /** Whether the path segment at {@code p} is {@code .} or {@code ..}. */
  private static boolean isDotSegment(ByteBuffer buf, int p, int length) {
    return (length == 1 && buf.get(p) == '.')
        || (length == 2 && buf.get(p) == '.' && buf.get(p + 1) == '.');
  }

  /**
   * Whether {@code buf[from, to)} is a Host of the subset: a DNS name (letters, digits, {@code -}
   * and {@code .}; 1 to 253 bytes; no empty label, no label starting with {@code -}, no trailing
   * dot) or a dotted-quad IPv4 address, optionally with a {@code :port}. Names of digits and dots
   * only must be IPv4 addresses.
   */
  private static boolean isHost(ByteBuffer buf, int from, int to) {
    int hostEnd = to;
    for (int i = from; i < to; i++) {
      if (buf.get(i) == ':') {
        hostEnd = i;
        break;
      }
    }
    int length = hostEnd - from;
    if (length < 1 || length > 253 || (hostEnd < to && !isPort(buf, hostEnd + 1, to))) {
      return false;
    }
    boolean numeric = true;
    byte previous = '.';
    for (int i = from; i < hostEnd; i++) {
      byte c = buf.get(i);
      if (c == '.' || c == '-') {
        if (previous == '.') {
          return false;
        }
        numeric &= (c == '.');
      } else if (c < '0' || c > '9') {
        if ((c < 'a' || c > 'z') && (c < 'A' || c > 'Z')) {
          return false;
        }
        numeric = false;
      }
      previous = c;
    }
    if (previous == '.') {
      return false;
    }
    return !numeric || isIpv4(buf, from, hostEnd);
  }

  /**
   * Whether {@code buf[from, to)}, digits and single dots between them, is four decimal numbers
   * 0..255 without leading zeros.
   */
  private static boolean isIpv4(ByteBuffer buf, int from, int to) {
    int parts = 0;
    int i = from;
    while (i < to) {
      int partStart = i;
      int value = 0;
      while (i < to && buf.get(i) != '.') {
        value = value * 10 + (buf.get(i) - '0');
        i++;
        if (value > 255) {
          return false;
        }
      }
      if (i - partStart > 1 && buf.get(partStart) == '0') {
        return false;
      }
      parts++;
      i++; // past the dot
    }
    return parts == 4;
  }

  /** Whether {@code buf[from, to)} is a port 1..65535, in decimal without leading zeros. */
  private static boolean isPort(ByteBuffer buf, int from, int to) {
    int length = to - from;
    if (length < 1 || length > 5 || buf.get(from) == '0') {
      return false;
    }
    int value = 0;
    for (int i = from; i < to; i++) {
      byte c = buf.get(i);
      if (c < '0' || c > '9') {
        return false;
      }
      value = value * 10 + (c - '0');
    }
    return value <= 65535;
  }
}
