package dev.whaleray.router.undertow.internal.http1;

import java.nio.ByteBuffer;
import org.jspecify.annotations.Nullable;

/**
 * A chunked-body decoder (RFC 9112 7.1) that finds the data in place: {@link #data} skips chunk
 * framing and says how many bytes at the buffer's position are body; the caller passes them on and
 * calls {@link #consumed}. Extensions are read and dropped; trailer fields (gRPC's {@code
 * grpc-status} over HTTP/1.1) are kept for {@link #trailers}.
 */
public final class ChunkedResponseDecoder {
  private static final int SIZE = 0;
  private static final int EXTENSION = 1;
  private static final int DATA = 2;
  private static final int DATA_END = 3;
  private static final int TRAILER_LINE_START = 4;
  private static final int TRAILER_LINE = 5;
  private static final int DONE = 6;

  /** Longest chunk extension, and most trailer bytes, read before giving up (as nginx). */
  static final int MAX_LINE = 8192;

  private int state;
  private long remaining;
  private int digits;
  private boolean sawCr;
  private int lineBytes;
  private byte @Nullable [] trailer; // the trailer section as read, made only when there is one
  private int trailerLength;

  public void reset() {
    trailer = null;
    trailerLength = 0;
    state = SIZE;
    remaining = 0;
    digits = 0;
    sawCr = false;
    lineBytes = 0;
  }

  public boolean isDone() {
    return state == DONE;
  }

  /**
   * @return the body bytes available at the position (0: need more input or done)
   */
  public int data(ByteBuffer b) throws ProtocolException {
    while (b.hasRemaining()) {
      switch (state) {
        case DATA:
          return (int) Math.min(remaining, b.remaining());
        case SIZE:
          {
            byte c = b.get();
            if (sawCr && c != '\n') {
              throw new ProtocolException("CR without LF in a chunk size line");
            }
            int d = Http1.hex(c);
            if (d >= 0) {
              if (++digits > 15) {
                throw new ProtocolException("chunk size too large");
              }
              remaining = remaining * 16 + d;
            } else if (digits == 0) {
              throw new ProtocolException("malformed chunk size");
            } else if (c == ';' || c == ' ' || c == '\t') {
              state = EXTENSION;
            } else if (c == '\r') {
              sawCr = true; // the LF must follow
            } else if (c == '\n') {
              endOfSize();
            } else {
              throw new ProtocolException("malformed chunk size");
            }
            break;
          }
        case EXTENSION:
          if (b.get() == '\n') {
            endOfSize();
          } else if (++lineBytes > MAX_LINE) {
            throw new ProtocolException("chunk extension too long");
          }
          break;
        case DATA_END:
          {
            byte c = b.get();
            if (c == '\n') {
              state = SIZE;
              digits = 0;
            } else if (c != '\r') {
              throw new ProtocolException("missing CRLF after chunk data");
            }
            break;
          }
        case TRAILER_LINE_START:
          {
            byte c = b.get();
            if (c == '\n') {
              state = DONE;
              return 0;
            } else if (c != '\r') {
              state = TRAILER_LINE;
              keep(c);
            }
            break;
          }
        case TRAILER_LINE:
          {
            byte c = b.get();
            if (c == '\n') {
              state = TRAILER_LINE_START;
            }
            keep(c);
            if (++lineBytes > MAX_LINE) {
              throw new ProtocolException("trailers too long");
            }
            break;
          }
        default:
          return 0;
      }
    }
    return 0;
  }

  private void keep(byte c) throws ProtocolException {
    if (trailerLength >= MAX_LINE) {
      throw new ProtocolException("trailers too long"); // the whole section, as nginx bounds it
    }
    byte[] t = trailer;
    if (t == null) {
      t = trailer = new byte[256];
    } else if (trailerLength == t.length) {
      t = trailer = java.util.Arrays.copyOf(t, Math.min(MAX_LINE, t.length * 2));
    }
    t[trailerLength++] = c;
  }

  /**
   * The trailer fields after the last chunk, as name and value pairs in order (empty when none);
   * lines without a colon, or with a name that is not a token, are left out.
   */
  public java.util.List<String[]> trailers() {
    byte[] t = trailer;
    if (t == null) {
      return java.util.List.of();
    }
    java.util.List<String[]> fields = new java.util.ArrayList<>();
    String text = new String(t, 0, trailerLength, java.nio.charset.StandardCharsets.ISO_8859_1);
    for (String line : text.split("\n")) {
      String l = line.endsWith("\r") ? line.substring(0, line.length() - 1) : line;
      int colon = l.indexOf(':');
      if (colon <= 0 || !Http1.isToken(l, 0, colon)) {
        continue;
      }
      fields.add(new String[] {l.substring(0, colon), l.substring(colon + 1).trim()});
    }
    return fields;
  }

  private void endOfSize() {
    sawCr = false;
    lineBytes = 0;
    state = remaining == 0 ? TRAILER_LINE_START : DATA;
  }

  /** {@code n} body bytes reported by {@link #data} were passed on. */
  public void consumed(int n) {
    remaining -= n;
    if (remaining == 0) {
      state = DATA_END;
    }
  }
}
