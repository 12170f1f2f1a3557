package dev.whaleray.router.undertow.internal.edge;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.DictionaryFile;
import com.code_intelligence.jazzer.junit.FuzzTest;
import java.io.ByteArrayOutputStream;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.SplittableRandom;
import org.jspecify.annotations.Nullable;

/**
 * Fuzzes {@link ChunkedRequestDecoder}, the strict decoder of chunked request bodies. The input is
 * what follows a request head on the connection: a chunked body, maybe followed by the next
 * (pipelined) request.
 *
 * <p>Properties:
 *
 * <ol>
 *   <li>It throws nothing but {@link ChunkedRequestDecoder.MalformedChunkException}.
 *   <li>Fed whole, byte by byte, or split at pseudo-random points into small read and body buffers
 *       (the way {@link StrictChunkedConduit} drives it, reading chunk data straight into the
 *       caller's buffer), it gives the same outcome: the same decoded bytes, the same accept or
 *       reject (with the same message, at the same byte), the same bytes left for the next request.
 *   <li>When it reports done, the body equals what {@link #reference} (a plain reading of RFC 9112
 *       section 7.1 over the whole array) yields, and it stopped where the reference stopped.
 *   <li>Any byte string, chunked canonically (sizes, an extension, a trailer, a pipelined request
 *       after it), decodes to itself.
 * </ol>
 *
 * <p>Seeds: {@code
 * src/test/resources/dev/whaleray/router/undertow/internal/edge/ChunkedRequestDecoderFuzzTestInputs}.
 */
class ChunkedRequestDecoderFuzzTest {

  @FuzzTest
  @DictionaryFile(resourcePath = "chunked.dict")
  void decodesLikeTheReferenceWhateverTheSplit(byte[] input) {
    Outcome whole = decodeWhole(input);
    SplittableRandom random = new SplittableRandom(Arrays.hashCode(input));
    assertThat(conduitStyle(input, new int[] {1}, 1, 1)).isEqualTo(whole);
    assertThat(conduitStyle(input, new int[] {3, 1, 7}, 5, 2)).isEqualTo(whole);
    for (int i = 0; i < 3; i++) {
      int[] reads = random.ints(1 + random.nextInt(8), 1, 24).toArray();
      int staging = 1 + random.nextInt(32);
      int body = 1 + random.nextInt(32);
      assertThat(conduitStyle(input, reads, staging, body))
          .as("reads %s, staging %d, body buffer %d", Arrays.toString(reads), staging, body)
          .isEqualTo(whole);
    }

    if (whole.done) {
      Outcome expected = reference(input);
      assertThat(expected).as("accepted, but not valid RFC 9112 chunked framing").isNotNull();
      assertThat(whole).isEqualTo(expected);
    }

    byte[] encoded = encode(input, random);
    int pipelined = "GET / HTTP/1.1\r\n".length();
    assertThat(decodeWhole(encoded))
        .isEqualTo(new Outcome(true, null, input, encoded.length - pipelined));
  }

  /** What a decoder made of an input: the body, and where it stopped (with the error, if any). */
  static final class Outcome {
    final boolean done;
    final @Nullable String error;
    final byte[] body;
    final int consumed;

    Outcome(boolean done, @Nullable String error, byte[] body, int consumed) {
      this.done = done;
      this.error = error;
      this.body = body;
      this.consumed = consumed;
    }

    @Override
    public boolean equals(@Nullable Object o) {
      if (!(o instanceof Outcome)) {
        return false;
      }
      Outcome other = (Outcome) o;
      return done == other.done
          && java.util.Objects.equals(error, other.error)
          && Arrays.equals(body, other.body)
          && consumed == other.consumed;
    }

    @Override
    public int hashCode() {
      return Arrays.hashCode(body) * 31 + consumed;
    }

    @Override
    public String toString() {
      return (done ? "done" : error != null ? "rejected (" + error + ")" : "incomplete")
          + " after "
          + consumed
          + " bytes, body "
          + StandardCharsets.ISO_8859_1.decode(ByteBuffer.wrap(body));
    }
  }

  /** One {@code decode} call over the whole input into a buffer that can hold all of it. */
  static Outcome decodeWhole(byte[] input) {
    ChunkedRequestDecoder decoder = new ChunkedRequestDecoder();
    ByteBuffer in = ByteBuffer.wrap(input);
    ByteBuffer out = ByteBuffer.allocate(input.length);
    String error = null;
    try {
      decoder.decode(in, out);
    } catch (ChunkedRequestDecoder.MalformedChunkException e) {
      error = e.getMessage();
    }
    return new Outcome(
        decoder.isDone(), error, Arrays.copyOf(out.array(), out.position()), in.position());
  }

  /**
   * Drives the decoder as {@link StrictChunkedConduit#read} does: a staging buffer filled from the
   * connection, chunk data read straight into the caller's buffer when nothing is staged, and
   * {@code decode} otherwise; the connection delivers {@code reads[i % n]} bytes per read.
   */
  static Outcome conduitStyle(byte[] input, int[] reads, int stagingSize, int bodySize) {
    ChunkedRequestDecoder decoder = new ChunkedRequestDecoder();
    ByteArrayOutputStream body = new ByteArrayOutputStream();
    ByteBuffer staging = ByteBuffer.allocate(stagingSize).flip();
    ByteBuffer dst = ByteBuffer.allocate(bodySize);
    int[] next = {0, 0}; // input position, read count
    String error = null;
    try {
      boolean progress = true;
      while (!decoder.isDone() && progress) {
        progress = false;
        dst.clear();
        try {
          while (dst.hasRemaining() && !decoder.isDone()) {
            long data = decoder.dataRemaining();
            if (data > 0 && !staging.hasRemaining()) {
              int limit = dst.limit();
              if (data < dst.remaining()) {
                dst.limit(dst.position() + (int) data);
              }
              int r = read(input, next, reads, dst);
              dst.limit(limit);
              if (r == 0) {
                break;
              }
              decoder.dataRead(r);
              progress = true;
              continue;
            }
            if (!staging.hasRemaining()) {
              staging.clear();
              int r = read(input, next, reads, staging);
              staging.flip();
              if (r == 0) {
                break;
              }
            }
            decoder.decode(staging, dst);
            progress = true;
          }
        } finally {
          body.write(dst.array(), 0, dst.position());
        }
      }
    } catch (ChunkedRequestDecoder.MalformedChunkException e) {
      error = e.getMessage();
    }
    return new Outcome(decoder.isDone(), error, body.toByteArray(), next[0] - staging.remaining());
  }

  private static int read(byte[] input, int[] next, int[] reads, ByteBuffer into) {
    int n = Math.min(reads[next[1]++ % reads.length], input.length - next[0]);
    n = Math.min(n, into.remaining());
    into.put(input, next[0], n);
    next[0] += n;
    return n;
  }

  /**
   * RFC 9112 section 7.1 over the whole array, written for obviousness, not speed; null unless the
   * input starts with a complete, valid chunked body. Like the router it ignores what chunk
   * extensions and trailer fields say (RFC 9112 section 7.1.1: a recipient may ignore them) but
   * takes no line holding a control byte; it has no size limits, so the decoder may reject more.
   *
   * <pre>
   * chunked-body = *chunk last-chunk trailer-section CRLF
   * chunk        = chunk-size [ chunk-ext ] CRLF chunk-data CRLF
   * chunk-size   = 1*HEXDIG
   * chunk-ext    = *( BWS ";" ... )
   * trailer-section = *( field-line CRLF )
   * </pre>
   */
  static @Nullable Outcome reference(byte[] input) {
    ByteArrayOutputStream body = new ByteArrayOutputStream();
    int pos = 0;
    while (true) {
      String line = line(input, pos);
      if (line == null) {
        return null;
      }
      pos += line.length() + 2;
      int digits = 0;
      while (digits < line.length() && "0123456789abcdefABCDEF".indexOf(line.charAt(digits)) >= 0) {
        digits++;
      }
      String ext = line.substring(digits);
      if (digits == 0 || !(ext.isEmpty() || ext.strip().startsWith(";"))) {
        return null; // no size, or something other than BWS ";" after it
      }
      BigInteger size = new BigInteger(line.substring(0, digits), 16);
      if (size.signum() == 0) {
        break;
      }
      if (size.compareTo(BigInteger.valueOf(input.length - pos - 2L)) > 0) {
        return null; // incomplete
      }
      int n = size.intValueExact();
      body.write(input, pos, n);
      pos += n;
      if (input[pos] != '\r' || input[pos + 1] != '\n') {
        return null;
      }
      pos += 2;
    }
    while (true) {
      String field = line(input, pos);
      if (field == null) {
        return null;
      }
      pos += field.length() + 2;
      if (field.isEmpty()) {
        return new Outcome(true, null, body.toByteArray(), pos);
      }
    }
  }

  /**
   * The line starting at {@code pos} without its CRLF; null if none, or it holds a control byte.
   */
  private static @Nullable String line(byte[] input, int pos) {
    for (int i = pos; i + 1 < input.length; i++) {
      if (input[i] == '\r' && input[i + 1] == '\n') {
        String line = new String(input, pos, i - pos, StandardCharsets.ISO_8859_1);
        return line.chars().anyMatch(c -> (c < 0x20 && c != '\t') || c == 0x7f) ? null : line;
      }
    }
    return null;
  }

  /** {@code data} in canonical chunked framing, chunk sizes from {@code random}. */
  static byte[] encode(byte[] data, SplittableRandom random) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    int pos = 0;
    while (pos < data.length) {
      int n = Math.min(data.length - pos, 1 + random.nextInt(300));
      String size = Integer.toHexString(n);
      if (random.nextBoolean()) {
        size = size.toUpperCase(java.util.Locale.ROOT);
      }
      out.writeBytes(size.getBytes(StandardCharsets.US_ASCII));
      if (random.nextInt(4) == 0) {
        out.writeBytes(" ; name=\"v;\\\"x\"\t".getBytes(StandardCharsets.US_ASCII));
      }
      out.writeBytes(new byte[] {'\r', '\n'});
      out.write(data, pos, n);
      out.writeBytes(new byte[] {'\r', '\n'});
      pos += n;
    }
    out.writeBytes("0\r\n".getBytes(StandardCharsets.US_ASCII));
    if (random.nextBoolean()) {
      out.writeBytes("X-Checksum: 1\r\n".getBytes(StandardCharsets.US_ASCII));
    }
    out.writeBytes("\r\nGET / HTTP/1.1\r\n".getBytes(StandardCharsets.US_ASCII));
    return out.toByteArray();
  }
}
