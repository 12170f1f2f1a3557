package dev.whaleray.router.undertow.internal.edge;

import dev.whaleray.router.undertow.internal.http1.Http1;
import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * A strict decoder of a chunked request body (RFC 9112 section 7.1), for the router's edge: where
 * Undertow's own decoder reads {@code 3x}, {@code -1} or an empty line as a chunk size and skips
 * whatever follows a chunk's data, this one rejects anything a backend could frame otherwise.
 *
 * <ul>
 *   <li>chunk size: 1 to 15 hex digits (below 2^60), then optional whitespace only before a {@code
 *       ;} extension, then CRLF; extensions may hold no control byte but HTAB and are at most
 *       {@value #MAX_LINE} bytes;
 *   <li>exactly CRLF after each chunk's data;
 *   <li>trailer fields: lines without control bytes (but HTAB), at most {@value #MAX_LINE} bytes in
 *       all, ended by an empty line; they are read and dropped (the router does not forward request
 *       trailers);
 *   <li>every line ends in CRLF: a bare LF or a bare CR is an error.
 * </ul>
 *
 * <p>Not thread-safe: one per request.
 */
public final class ChunkedRequestDecoder {
  /** Longest chunk extension, and most trailer bytes, accepted (as nginx's header buffers). */
  static final int MAX_LINE = 8192;

  private static final int SIZE = 0;
  private static final int SIZE_WS = 1;
  private static final int EXTENSION = 2;
  private static final int SIZE_LF = 3;
  private static final int DATA = 4;
  private static final int DATA_CR = 5;
  private static final int DATA_LF = 6;
  private static final int TRAILER_START = 7;
  private static final int TRAILER = 8;
  private static final int TRAILER_LF = 9;
  private static final int END_LF = 10;
  private static final int DONE = 11;
  private static final int BROKEN = 12;

  /** The body is not valid chunked framing; the message names what is wrong (no stack trace). */
  public static final class MalformedChunkException extends IOException {
    private static final long serialVersionUID = 1L;

    MalformedChunkException(String message) {
      super(message);
    }

    @Override
    public synchronized Throwable fillInStackTrace() {
      return this;
    }
  }

  private int state = SIZE;
  private long remaining;
  private int digits;
  private int lineBytes;
  private long total;

  /** True once the last chunk and the trailer section were read. */
  boolean isDone() {
    return state == DONE;
  }

  /** Body bytes decoded so far. */
  long total() {
    return total;
  }

  /** Data bytes of the current chunk still to come; 0 when framing bytes come next. */
  long dataRemaining() {
    return state == DATA ? remaining : 0;
  }

  /** {@code n} bytes of the current chunk's data were read straight into the caller's buffer. */
  void dataRead(int n) {
    remaining -= n;
    total += n;
    if (remaining == 0) {
      state = DATA_CR;
    }
  }

  /**
   * Decodes from {@code in} into {@code out} until {@code in} is used up, {@code out} is full or
   * the body ends. Bytes after the body's end stay in {@code in} (a pipelined request).
   *
   * @return the body bytes written to {@code out}
   */
  int decode(ByteBuffer in, ByteBuffer out) throws MalformedChunkException {
    int written = 0;
    while (in.hasRemaining() && state != DONE) {
      if (state == DATA) {
        int n = (int) Math.min(remaining, Math.min(in.remaining(), out.remaining()));
        if (n == 0) {
          return written; // out is full
        }
        int limit = in.limit();
        in.limit(in.position() + n);
        out.put(in);
        in.limit(limit);
        written += n;
        dataRead(n);
        continue;
      }
      step(in.get());
    }
    return written;
  }

  private void step(byte c) throws MalformedChunkException {
    switch (state) {
      case SIZE:
        {
          int d = Http1.hex(c);
          if (d >= 0) {
            if (++digits > 15) {
              throw fail("chunk size too large (more than 15 hex digits)");
            }
            remaining = (remaining << 4) | d;
          } else if (digits == 0) {
            throw fail("invalid chunk size: expected a hex digit, got " + show(c));
          } else if (c == ';') {
            state = EXTENSION;
          } else if (c == ' ' || c == '\t') {
            state = SIZE_WS;
          } else if (c == '\r') {
            state = SIZE_LF;
          } else {
            throw fail("invalid chunk size: unexpected " + show(c));
          }
          return;
        }
      case SIZE_WS:
        if (c == ';') {
          state = EXTENSION;
        } else if (c != ' ' && c != '\t') {
          throw fail("invalid chunk size line: unexpected " + show(c) + " after the size");
        }
        return;
      case EXTENSION:
        if (c == '\r') {
          state = SIZE_LF;
        } else if (isControl(c)) {
          throw fail("chunk extension holds " + show(c));
        } else if (++lineBytes > MAX_LINE) {
          throw fail("chunk extension too long (over " + MAX_LINE + " bytes)");
        }
        return;
      case SIZE_LF:
        if (c != '\n') {
          throw fail("chunk size line: CR not followed by LF");
        }
        lineBytes = 0;
        digits = 0;
        state = remaining == 0 ? TRAILER_START : DATA;
        return;
      case DATA_CR:
        if (c != '\r') {
          throw fail("chunk data not followed by CRLF (got " + show(c) + ")");
        }
        state = DATA_LF;
        return;
      case DATA_LF:
        if (c != '\n') {
          throw fail("chunk data not followed by CRLF (CR, then " + show(c) + ")");
        }
        state = SIZE;
        return;
      case TRAILER_START:
        if (c == '\r') {
          state = END_LF;
          return;
        }
        state = TRAILER;
      // fall through: the first byte of a trailer field
      case TRAILER:
        if (c == '\r') {
          state = TRAILER_LF;
        } else if (isControl(c)) {
          throw fail("trailer field holds " + show(c));
        } else if (++lineBytes > MAX_LINE) {
          throw fail("trailer section too long (over " + MAX_LINE + " bytes)");
        }
        return;
      case TRAILER_LF:
        if (c != '\n') {
          throw fail("trailer field: CR not followed by LF");
        }
        state = TRAILER_START;
        return;
      case END_LF:
        if (c != '\n') {
          throw fail("end of chunked body: CR not followed by LF");
        }
        state = DONE;
        return;
      default:
        throw fail("chunked body already rejected");
    }
  }

  private MalformedChunkException fail(String message) {
    state = BROKEN;
    return new MalformedChunkException(message);
  }

  /** A control byte other than HTAB (a bare LF among them). */
  private static boolean isControl(byte c) {
    return (c >= 0 && c < 0x20 && c != '\t') || c == 0x7f;
  }

  private static String show(byte c) {
    int v = c & 0xff;
    return v >= 0x21 && v < 0x7f ? "'" + (char) v + "'" : String.format("0x%02x", v);
  }
}
