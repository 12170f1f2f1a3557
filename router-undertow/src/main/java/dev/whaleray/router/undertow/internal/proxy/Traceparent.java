package dev.whaleray.router.undertow.internal.proxy;

import dev.whaleray.router.undertow.internal.http1.HeadWriter;
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
 *
 * <p>An instance is a {@code traceparent} the router created: its ids only, written straight into
 * the upstream request head ({@link #writeTo}). Made as a String and put into the client's header
 * map, it cost 124-134 more bytes per proxied request (about 6 % of all allocated per request in
 * the profile of issue 15).
 */
final class Traceparent {
  static final HttpString TRACEPARENT = new HttpString("traceparent");
  static final HttpString AMZN_TRACE_ID = new HttpString("X-Amzn-Trace-Id");

  /** The trace id's high and low 64 bits, and the parent (span) id; the last two never 0. */
  final long traceHigh;

  final long traceLow;
  final long parentId;

  Traceparent(long traceHigh, long traceLow, long parentId) {
    this.traceHigh = traceHigh;
    this.traceLow = traceLow;
    this.parentId = parentId;
  }

  /**
   * The {@code traceparent} to create for a request, or null: one when {@code create} and the
   * request has no {@code traceparent} at all. The request's trace id goes to {@code record} (when
   * the access log wants one): its valid {@code traceparent}'s, else the created one's, else the
   * {@code Root} of its {@code X-Amzn-Trace-Id}.
   */
  static @Nullable Traceparent ensure(
      HeaderMap headers, boolean create, @Nullable RequestRecord record) {
    String tp = headers.getFirst(TRACEPARENT);
    if (tp != null) {
      String id = traceId(tp);
      if (id != null) {
        if (record != null) {
          record.traceId = id;
        }
        return null;
      }
    }
    if (create && tp == null) {
      Traceparent made = create();
      if (record != null) {
        record.traceId = made.traceId();
      }
      return made;
    }
    if (record != null) {
      String amzn = headers.getFirst(AMZN_TRACE_ID);
      record.traceId = amzn == null ? null : amznRoot(amzn);
    }
    return null;
  }

  /** The header line for the upstream request head. */
  void writeTo(HeadWriter w) {
    w.name(TRACEPARENT).ascii("00-").hex(traceHigh).hex(traceLow).ascii("-").hex(parentId);
    w.ascii("-01").crlf();
  }

  /** The 32 hex digits of the trace id, as the access log shows it. */
  String traceId() {
    byte[] c = new byte[32];
    HeadWriter.hex(c, 0, traceHigh);
    HeadWriter.hex(c, 16, traceLow);
    return new String(c, StandardCharsets.ISO_8859_1);
  }

  /** The header's value, as the backend receives it. */
  @Override
  public String toString() {
    byte[] c = new byte[55];
    c[0] = '0';
    c[1] = '0';
    c[2] = '-';
    HeadWriter.hex(c, 3, traceHigh);
    HeadWriter.hex(c, 19, traceLow);
    c[35] = '-';
    HeadWriter.hex(c, 36, parentId);
    c[52] = '-';
    c[53] = '0';
    c[54] = '1';
    return new String(c, StandardCharsets.ISO_8859_1);
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
  static Traceparent create() {
    ThreadLocalRandom r = ThreadLocalRandom.current();
    return new Traceparent(r.nextLong(), r.nextLong() | 1, r.nextLong() | 1); // never all zeros
  }

  private static boolean isLowerHex(char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
  }
}
