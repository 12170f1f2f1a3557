package dev.whaleray.router.undertow.internal.http1;

import io.undertow.util.HeaderMap;
import io.undertow.util.Headers;
import io.undertow.util.HttpString;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import org.jspecify.annotations.Nullable;

/**
 * The response head of one upstream response: status, version and the framing headers, with every
 * header copied into the exchange's response {@link HeaderMap}; or, when no map is given, kept as
 * ranges of the head's bytes for the router to write out itself ({@link #writeKept}) or copy into a
 * map later ({@link #fill}).
 */
public final class ResponseParser {
  /** Header names Undertow knows, matched without allocating; others go through a small cache. */
  private static final HttpString[] KNOWN = {
    Headers.CONTENT_TYPE,
    Headers.CONTENT_LENGTH,
    Headers.DATE,
    Headers.SERVER,
    Headers.CONNECTION,
    Headers.TRANSFER_ENCODING,
    Headers.CACHE_CONTROL,
    Headers.ETAG,
    Headers.LAST_MODIFIED,
    Headers.LOCATION,
    Headers.SET_COOKIE,
    Headers.VARY,
    Headers.KEEP_ALIVE,
    Headers.EXPIRES,
    Headers.ACCEPT_RANGES,
    Headers.CONTENT_ENCODING,
    Headers.AGE,
    Headers.PRAGMA,
    Headers.CONTENT_LANGUAGE,
    Headers.CONTENT_DISPOSITION,
    Headers.CONTENT_RANGE,
    Headers.WWW_AUTHENTICATE,
    Headers.STRICT_TRANSPORT_SECURITY,
    Headers.UPGRADE,
    Headers.TRAILER,
    Headers.RETRY_AFTER,
  };

  private final HttpString[] cache = new HttpString[256];

  /**
   * Short header values seen on this connection: a backend repeats most of them (Content-Type,
   * Server, Content-Length of same-sized answers), and a String per header and response was the
   * parser's largest allocation in the issue-15 profile.
   */
  private final String[] values = new String[64];

  private byte[] scratch = new byte[4096];

  public int status;
  public boolean http11;

  /** The {@code Connection} values, when there were any (not copied into the exchange). */
  public java.util.@Nullable List<String> connection;

  /** The {@code Upgrade} value of the response (a 101's protocol), or null. */
  public @Nullable String upgrade;

  public boolean connectionClose;

  /** The response had a {@code Date} header. */
  public boolean dated;

  public boolean chunked;
  public boolean otherTransferCoding;
  public long contentLength;

  // Headers kept but not put into a map (parse without one): name, and value range in scratch.
  private HttpString[] keptNames = new HttpString[16];
  private int[] keptValues = new int[32]; // start, end per kept header
  private int[] keptHashes = new int[16]; // the name's hash, for the value cache
  private int kept;

  /**
   * Parses a complete head at {@code b}'s position into {@code into}, if the buffer holds one.
   * Without a map ({@code into} null), the headers that would have gone into it are kept in this
   * parser until its next parse: {@link #writeKept} writes them, {@link #fill} copies them into a
   * map. A response the router writes itself then costs no String and no map entry per header (a
   * tenth of the IO thread's user time, issue 15's profile).
   *
   * @return false when the head is not complete yet (nothing consumed)
   * @throws ProtocolException when the head is malformed; {@code into} may be half-filled
   */
  public boolean parse(ByteBuffer buffer, @Nullable HeaderMap into) throws ProtocolException {
    // Parse from a heap copy: array reads beat a direct buffer's bounds-checked gets.
    int start = buffer.position();
    int available = buffer.remaining();
    int copied = Math.min(available, 4096);
    byte[] b = copy(buffer, start, copied);
    int end = headEnd(b, 0, copied);
    if (end < 0 && copied < available) {
      copied = available;
      b = copy(buffer, start, copied);
      end = headEnd(b, 0, copied);
    }
    if (end < 0) {
      return false;
    }
    status = 0;
    http11 = false;
    connection = null;
    upgrade = null;
    connectionClose = false;
    dated = false;
    kept = 0;
    chunked = false;
    otherTransferCoding = false;
    contentLength = -1;
    // headEnd() recorded where each line's LF is: no second scan.
    int lines = lineCount;
    int[] lf = lineFeeds;
    int lineEnd = trimCr(b, 0, lf[0]);
    statusLine(b, 0, lineEnd);
    int p = lf[0] + 1;
    for (int i = 1; i < lines - 1; i++) {
      int e = trimCr(b, p, lf[i]);
      header(b, p, e, into);
      p = lf[i] + 1;
    }
    buffer.position(start + end);
    return true;
  }

  private byte[] copy(ByteBuffer buffer, int from, int n) {
    if (n > scratch.length) {
      scratch = new byte[Math.max(n, scratch.length * 2)];
    }
    buffer.get(from, scratch, 0, n);
    return scratch;
  }

  private int[] lineFeeds = new int[64];
  private int lineCount;

  /**
   * The index just past the blank line, or -1; accepts bare LF line ends (RFC 9112 2.2). Records
   * each line's LF in {@link #lineFeeds} (the blank line's last).
   */
  private int headEnd(byte[] b, int from, int to) {
    int lineStart = from;
    int n = 0;
    for (int i = from; i < to; i++) {
      if (b[i] == '\n') {
        if (n == lineFeeds.length) {
          lineFeeds = Arrays.copyOf(lineFeeds, n * 2);
        }
        lineFeeds[n++] = i;
        int len = i - lineStart;
        if (len == 0 || (len == 1 && b[lineStart] == '\r')) {
          lineCount = n;
          return i + 1;
        }
        lineStart = i + 1;
      }
    }
    return -1;
  }

  /** The end of the line from {@code from} to the LF at {@code lf}, less a CR before it. */
  private static int trimCr(byte[] b, int from, int lf) {
    return lf > from && b[lf - 1] == '\r' ? lf - 1 : lf;
  }

  private void statusLine(byte[] b, int p, int e) throws ProtocolException {
    // HTTP/1.x SP 3DIGIT [SP reason]
    if (e - p < 12
        || b[p] != 'H'
        || b[p + 1] != 'T'
        || b[p + 2] != 'T'
        || b[p + 3] != 'P'
        || b[p + 4] != '/'
        || b[p + 5] != '1'
        || b[p + 6] != '.'
        || (b[p + 7] != '0' && b[p + 7] != '1')
        || b[p + 8] != ' ') {
      throw new ProtocolException("malformed status line");
    }
    http11 = b[p + 7] == '1';
    int s = 0;
    for (int i = p + 9; i < p + 12; i++) {
      byte c = b[i];
      if (c < '0' || c > '9') {
        throw new ProtocolException("malformed status code");
      }
      s = s * 10 + (c - '0');
    }
    if (s < 100 || (e > p + 12 && b[p + 12] != ' ')) {
      throw new ProtocolException("malformed status code");
    }
    status = s;
  }

  private void header(byte[] b, int p, int e, @Nullable HeaderMap into) throws ProtocolException {
    int colon = -1;
    int hash = 0;
    for (int i = p; i < e; i++) {
      byte c = b[i];
      if (c == ':') {
        colon = i;
        break;
      }
      if (!Http1.isTokenByte(c)) {
        throw new ProtocolException(
            i == p && (c == ' ' || c == '\t')
                ? "obsolete line folding in a response header"
                : "malformed response header name");
      }
      hash = 31 * hash + (c | 0x20);
    }
    if (colon <= p) {
      throw new ProtocolException("malformed response header");
    }
    int vs = colon + 1;
    while (vs < e && (b[vs] == ' ' || b[vs] == '\t')) {
      vs++;
    }
    int ve = e;
    while (ve > vs && (b[ve - 1] == ' ' || b[ve - 1] == '\t')) {
      ve--;
    }
    HttpString name = name(b, p, colon, hash);
    if (!isFraming(name)) {
      if (HopByHop.isFixed(name)) {
        return; // hop-by-hop: not for the client
      }
      if (name == Headers.DATE) {
        dated = true;
      }
      if (into != null) {
        into.add(name, value(b, vs, ve, hash));
      } else {
        keep(name, vs, ve, hash);
      }
      return;
    }
    String value = value(b, vs, ve, hash);
    if (name == Headers.CONTENT_LENGTH) {
      long n = parseLength(value);
      if (contentLength >= 0) {
        if (contentLength != n) {
          throw new ProtocolException("conflicting Content-Length values");
        }
        return; // a repeated equal value: pass it on once
      }
      contentLength = n;
    } else if (name == Headers.TRANSFER_ENCODING) {
      // The last coding decides; only chunked is framing we can read. Not copied: the body
      // is de-chunked here and re-framed towards the client.
      int comma = value.lastIndexOf(',');
      String last = (comma < 0 ? value : value.substring(comma + 1)).trim();
      if (last.equalsIgnoreCase("chunked")) {
        chunked = true;
        otherTransferCoding = false;
      } else {
        chunked = false;
        otherTransferCoding = true;
      }
      return;
    } else if (name == Headers.CONNECTION) {
      if (Http1.containsToken(value, "close")) {
        connectionClose = true;
      }
      // Kept for the names it lists, which leave the response: a bare keep-alive or close names
      // none (most backends send "Connection: keep-alive" on every response; keeping it cost a
      // list and the token's substring per response).
      if (!value.equalsIgnoreCase("keep-alive") && !value.equalsIgnoreCase("close")) {
        if (connection == null) {
          connection = new java.util.ArrayList<>(2);
        }
        connection.add(value);
      }
      return;
    } else if (name == Headers.UPGRADE) {
      upgrade = value; // hop-by-hop; a 101 passes it on itself
      return;
    }
    if (into != null) {
      into.add(name, value); // Content-Length: kept for the client
    } else {
      keep(name, vs, ve, hash);
    }
  }

  /** The headers that frame the body or the connection: read here, whatever else happens. */
  private static boolean isFraming(HttpString name) {
    return name == Headers.CONTENT_LENGTH
        || name == Headers.TRANSFER_ENCODING
        || name == Headers.CONNECTION
        || name == Headers.UPGRADE;
  }

  private void keep(HttpString name, int from, int to, int hash) {
    int k = kept;
    if (k == keptNames.length) {
      keptNames = Arrays.copyOf(keptNames, k * 2);
      keptHashes = Arrays.copyOf(keptHashes, k * 2);
      keptValues = Arrays.copyOf(keptValues, k * 4);
    }
    keptNames[k] = name;
    keptHashes[k] = hash;
    keptValues[2 * k] = from;
    keptValues[2 * k + 1] = to;
    kept = k + 1;
  }

  /**
   * Copies the headers the last parse kept (see {@link #parse}) into {@code into}, as a parse into
   * it would have put them.
   */
  public void fill(HeaderMap into) {
    byte[] b = scratch;
    for (int k = 0; k < kept; k++) {
      into.add(keptNames[k], value(b, keptValues[2 * k], keptValues[2 * k + 1], keptHashes[k]));
    }
  }

  /**
   * Writes the headers the last parse kept (see {@link #parse}) as {@code Name: value} lines, in
   * the backend's order, leaving out {@code Content-Length} when {@code noLength} and the headers
   * {@code dropped} names; a bare CR in a value becomes a space, as when written from a map.
   */
  public void writeKept(HeadWriter w, boolean noLength, HttpString @Nullable [] dropped) {
    byte[] b = scratch;
    for (int k = 0; k < kept; k++) {
      HttpString name = keptNames[k];
      if ((noLength && name == Headers.CONTENT_LENGTH) || HopByHop.isNamed(name, dropped)) {
        continue;
      }
      w.name(name).value(b, keptValues[2 * k], keptValues[2 * k + 1]).crlf();
    }
  }

  private static long parseLength(String v) throws ProtocolException {
    if (v.isEmpty() || v.length() > 18) {
      throw new ProtocolException("malformed Content-Length");
    }
    long n = 0;
    for (int i = 0; i < v.length(); i++) {
      char c = v.charAt(i);
      if (c < '0' || c > '9') {
        throw new ProtocolException("malformed Content-Length");
      }
      n = n * 10 + (c - '0');
    }
    return n;
  }

  private HttpString name(byte[] b, int p, int e, int hash) {
    int len = e - p;
    for (HttpString k : KNOWN) {
      if (k.length() == len && equalsIgnoreCase(k, b, p)) {
        return k;
      }
    }
    int slot = (hash ^ (hash >>> 8)) & (cache.length - 1);
    HttpString c = cache[slot];
    if (c != null && c.length() == len && Http1.sameBytes(c, b, p)) {
      return c;
    }
    HttpString fresh = new HttpString(b, p, len);
    cache[slot] = fresh;
    return fresh;
  }

  private static boolean equalsIgnoreCase(HttpString k, byte[] b, int p) {
    for (int i = 0, n = k.length(); i < n; i++) {
      if ((k.byteAt(i) | 0x20) != (b[p + i] | 0x20)) {
        return false;
      }
    }
    return true;
  }

  /** The value's String, from {@link #values} when this connection saw the same bytes before. */
  private String value(byte[] b, int p, int e, int nameHash) {
    int len = e - p;
    if (len > MAX_CACHED_VALUE) {
      return string(b, p, e);
    }
    int h = nameHash;
    for (int i = p; i < e; i++) {
      h = 31 * h + b[i];
    }
    int slot = (h ^ (h >>> 7)) & (values.length - 1);
    String v = values[slot];
    if (v != null && v.length() == len) {
      int i = 0;
      while (i < len && v.charAt(i) == (char) (b[p + i] & 0xff)) {
        i++;
      }
      if (i == len) {
        return v;
      }
    }
    String fresh = string(b, p, e);
    values[slot] = fresh;
    return fresh;
  }

  private static final int MAX_CACHED_VALUE = 64;

  private static String string(byte[] b, int p, int e) {
    return new String(b, p, e - p, StandardCharsets.ISO_8859_1);
  }
}
