package dev.whaleray.router.undertow.internal.edge;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class ChunkedRequestDecoderTest {

  /** Decodes {@code body} fed {@code step} bytes at a time into an {@code out}-byte buffer. */
  static String decode(String body, int step, int out) throws Exception {
    byte[] in = body.getBytes(StandardCharsets.ISO_8859_1);
    ChunkedRequestDecoder d = new ChunkedRequestDecoder();
    ByteArrayOutputStream got = new ByteArrayOutputStream();
    ByteBuffer o = ByteBuffer.allocate(out);
    int pos = 0;
    while (!d.isDone() && pos < in.length) {
      ByteBuffer b = ByteBuffer.wrap(in, pos, Math.min(step, in.length - pos));
      while (b.hasRemaining() && !d.isDone()) {
        d.decode(b, o);
        o.flip();
        got.write(o.array(), 0, o.limit());
        o.clear();
      }
      pos = b.position();
    }
    assertThat(d.isDone()).as("done").isTrue();
    assertThat(d.total()).isEqualTo(got.size());
    return got.toString(StandardCharsets.ISO_8859_1) + "|" + body.substring(pos);
  }

  @Test
  void decodesWhateverTheSplits() throws Exception {
    String body = "5\r\nhello\r\n1;a=b\r\n \r\nA\r\n0123456789\r\n0\r\nX-T: 1\r\n\r\nNEXT";
    for (int step = 1; step <= body.length(); step++) {
      for (int out : new int[] {1, 3, 64}) {
        assertThat(decode(body, step, out)).isEqualTo("hello 0123456789|NEXT");
      }
    }
  }

  @Test
  void acceptsUpperCaseHexAndWhitespaceBeforeAnExtension() throws Exception {
    assertThat(decode("A \t;x\r\n0123456789\r\n0\r\n\r\n", 4, 8)).isEqualTo("0123456789|");
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "3\r\nhelXX\r\n0\r\n\r\n",
        "5\r\nhello\n0\r\n\r\n",
        "5\nhello\r\n0\r\n\r\n",
        "5\r\nhello\r\r\n0\r\n\r\n",
        "zz\r\n",
        "-5\r\n",
        "\r\n",
        " 5\r\n",
        "5 \r\n",
        "0x5\r\n",
        "fffffffffffffffff1\r\n",
        "0000000000000005\r\n",
        "5;a\u0001b\r\n",
        "5\r\nhello\r\n0\r\n\n",
        "5\r\nhello\r\n0\r\nX-T: 1\n\r\n",
        "5\r\nhello\r\n0\r\nX-T: a\u0000b\r\n\r\n",
        "5\rhello",
      })
  void rejectsBadFraming(String body) {
    assertThatThrownBy(() -> decode(body, 1, 16))
        .isInstanceOf(ChunkedRequestDecoder.MalformedChunkException.class);
    assertThatThrownBy(() -> decode(body, body.length(), 16))
        .isInstanceOf(ChunkedRequestDecoder.MalformedChunkException.class);
  }

  @Test
  void aLongExtensionIsRefused() {
    String body = "5;" + "x".repeat(ChunkedRequestDecoder.MAX_LINE + 1) + "\r\nhello\r\n0\r\n\r\n";
    assertThatThrownBy(() -> decode(body, 512, 16))
        .hasMessageContaining("chunk extension too long");
  }
}
