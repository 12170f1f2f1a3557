package dev.whaleray.router.undertow.internal.proxy;

import io.undertow.util.HeaderMap;
import io.undertow.util.HttpString;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ThreadLocalRandom;
import org.jspecify.annotations.Nullable;

/**
 * Trace context: W3C {@code traceparent} ({@code 00-<32 hex trace id>-<16 hex parent id>-<2 hex
 * flags>}) and AWS {@code X-Amzn-Trace-Id} ({@code Root=1-<8 hex>-<24 hex>;...}) pass through to
 * the backend untouched; a {@code traceparent} is created when absent if asked; the trace id is
 * what the access log shows.
 */
final class Traceparent {
  static final HttpString TRACEPARENT = new HttpString("traceparent");
  static final HttpString AMZN_TRACE_ID = new HttpString("X-Amzn-Trace-Id");
  private static final byte[] HEX = "0123456789abcdef".getBytes(StandardCharsets.US_ASCII);

  private Traceparent() {}

  /**
   * The request's trace id: its valid {@code traceparent}'s, else the {@code Root} of its {@code
   * X-Amzn-Trace-Id}, else (when {@code create}) the one of a new sampled {@code traceparent} put
   * into {@code headers} for the backend; null when there is none, or when {@code wantId} is false
   * (no access log: the id would be built for nothing).
   */
  static @Nullable String ensure(HeaderMap headers, boolean create, boolean wantId) {
    String tp = headers.getFirst(TRACEPARENT);
    if (tp != null) {
      String id = traceId(tp);
      if (id != null) {
        return id;
      }
    }
    if (create && tp == null) {
      String made = create();
      headers.put(TRACEPARENT, made);
      return wantId ? made.substring(3, 35) : null;
    }
    String amzn = headers.getFirst(AMZN_TRACE_ID);
    return amzn == null ? null : amznRoot(amzn);
  }

  /** The trace id of a well-formed version-00 {@code traceparent}, else null. */
  static @Nullable String traceId(String tp) {
    if (tp.length() != 55
        || !tp.startsWith("00-")
        || tp.charAt(35) != '-'
        || tp.charAt(52) != '-') {
      return null;
    }
    boolean zero = true;
    for (int i = 3; i < 35; i++) {
      char c = tp.charAt(i);
      if (!isLowerHex(c)) {
        return null;
      }
      zero &= c == '0';
    }
    return zero ? null : tp.substring(3, 35);
  }

  /** The {@code Root=} value of an {@code X-Amzn-Trace-Id}, else null. */
  static @Nullable String amznRoot(String header) {
    int i = header.indexOf("Root=");
    if (i < 0) {
      return null;
    }
    int end = header.indexOf(';', i);
    String root = header.substring(i + 5, end < 0 ? header.length() : end).trim();
    return root.isEmpty() || root.length() > 64 ? null : root;
  }

  /** A new sampled {@code traceparent} with random trace and parent ids. */
  static String create() {
    ThreadLocalRandom r = ThreadLocalRandom.current();
    byte[] c = new byte[55]; // Latin-1 bytes: a String from chars would compress a char[] again
    c[0] = '0';
    c[1] = '0';
    c[2] = '-';
    hex(c, 3, r.nextLong());
    hex(c, 19, r.nextLong() | 1); // never all zeros (invalid)
    c[35] = '-';
    hex(c, 36, r.nextLong() | 1);
    c[52] = '-';
    c[53] = '0';
    c[54] = '1';
    return new String(c, StandardCharsets.ISO_8859_1);
  }

  private static void hex(byte[] c, int at, long v) {
    for (int i = 15; i >= 0; i--) {
      c[at + i] = HEX[(int) (v & 0xf)];
      v >>>= 4;
    }
  }

  private static boolean isLowerHex(char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
  }
}
