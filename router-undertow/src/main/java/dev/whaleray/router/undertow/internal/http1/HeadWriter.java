package dev.whaleray.router.undertow.internal.http1;

import io.undertow.util.HttpString;
import java.nio.ByteBuffer;
import java.util.Arrays;

/** A request head built in a reusable array. */
public final class HeadWriter {
  public byte[] buf = new byte[2048];
  public int len;
  private ByteBuffer out = ByteBuffer.allocateDirect(buf.length);

  public HeadWriter reset() {
    len = 0;
    return this;
  }

  /**
   * The head written so far, copied into a direct buffer (position 0, limit {@link #len}): the same
   * buffer for every head until one outgrows it, so sending a head allocates nothing. Direct, as a
   * socket write of a heap buffer copies it into a temporary direct one and looks that up in a
   * thread-local cache on every write (the profile of issue 15 showed those look-ups). Valid until
   * the next call; a caller that cannot write it all at once copies what is left.
   */
  public ByteBuffer buffer() {
    ByteBuffer o = out;
    if (o.capacity() < len) {
      o = ByteBuffer.allocateDirect(buf.length);
      out = o;
    }
    o.clear();
    o.put(buf, 0, len).flip();
    return o;
  }

  private void ensure(int n) {
    if (len + n > buf.length) {
      buf = Arrays.copyOf(buf, Math.max(buf.length * 2, len + n));
    }
  }

  /** Latin-1 characters as bytes; anything wider becomes {@code ?}; CR and LF become space. */
  public HeadWriter ascii(String s) {
    int n = s.length();
    ensure(n);
    byte[] b = buf;
    int l = len;
    for (int i = 0; i < n; i++) {
      char c = s.charAt(i);
      b[l++] = c == '\r' || c == '\n' ? (byte) ' ' : c < 0x100 ? (byte) c : (byte) '?';
    }
    len = l;
    return this;
  }

  /** {@code s.substring(from, to)} as {@link #ascii(String)} would write it. */
  public HeadWriter ascii(String s, int from, int to) {
    ensure(to - from);
    byte[] b = buf;
    int l = len;
    for (int i = from; i < to; i++) {
      char c = s.charAt(i);
      b[l++] = c == '\r' || c == '\n' ? (byte) ' ' : c < 0x100 ? (byte) c : (byte) '?';
    }
    len = l;
    return this;
  }

  public HeadWriter bytes(HttpString s) {
    int n = s.length();
    ensure(n);
    s.copyTo(buf, len);
    len += n;
    return this;
  }

  /**
   * Bytes {@code from} to {@code to} of {@code src}, a field value as it arrived (Latin-1), as
   * {@link #ascii(String)} would write its String: a CR or LF becomes a space.
   */
  public HeadWriter value(byte[] src, int from, int to) {
    int n = to - from;
    ensure(n);
    byte[] b = buf;
    int l = len;
    System.arraycopy(src, from, b, l, n);
    for (int i = l, end = l + n; i < end; i++) {
      if (b[i] == '\r' || b[i] == '\n') {
        b[i] = ' ';
      }
    }
    len = l + n;
    return this;
  }

  public HeadWriter name(HttpString name) {
    int n = name.length();
    ensure(n + 2);
    name.copyTo(buf, len);
    len += n;
    buf[len++] = ':';
    buf[len++] = ' ';
    return this;
  }

  /** A non-negative number in decimal. */
  public HeadWriter digits(int v) {
    int n = 1;
    for (int x = v; x >= 10; x /= 10) {
      n++;
    }
    ensure(n);
    for (int i = len + n - 1, x = v; i >= len; i--, x /= 10) {
      buf[i] = (byte) ('0' + x % 10);
    }
    len += n;
    return this;
  }

  /** {@code v} as 16 lowercase hex digits, leading zeros included (trace context ids). */
  public HeadWriter hex(long v) {
    ensure(16);
    hex(buf, len, v);
    len += 16;
    return this;
  }

  private static final byte[] HEX = {
    '0', '1', '2', '3', '4', '5', '6', '7', '8', '9', 'a', 'b', 'c', 'd', 'e', 'f'
  };

  /**
   * {@code v} as 16 lowercase hex digits into {@code dst} from {@code at}. From a table: a branch
   * per digit on random ids was mispredicted half the time (3 % of the IO thread's user time for a
   * created {@code traceparent}, issue 15's profile).
   */
  public static void hex(byte[] dst, int at, long v) {
    for (int i = at + 15; i >= at; i--, v >>>= 4) {
      dst[i] = HEX[(int) v & 0xf];
    }
  }

  public HeadWriter crlf() {
    ensure(2);
    buf[len++] = '\r';
    buf[len++] = '\n';
    return this;
  }

  public HeadWriter header(HttpString name, String value) {
    return name(name).ascii(value).crlf();
  }
}
