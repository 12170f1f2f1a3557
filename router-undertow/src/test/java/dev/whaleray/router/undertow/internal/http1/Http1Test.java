package dev.whaleray.router.undertow.internal.http1;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.undertow.util.HeaderMap;
import io.undertow.util.Headers;
import io.undertow.util.HttpString;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class Http1Test {

  private static ByteBuffer direct(String s) {
    byte[] b = s.getBytes(StandardCharsets.ISO_8859_1);
    ByteBuffer buf = ByteBuffer.allocateDirect(b.length + 16);
    buf.put(b).flip();
    return buf;
  }

  @Test
  void parsesAStatusLineAndHeadersAndStopsAtTheBody() throws Exception {
    ResponseParser p = new ResponseParser();
    HeaderMap h = new HeaderMap();
    ByteBuffer b =
        direct(
            "HTTP/1.1 201 Created\r\nContent-Length: 5\r\nX-CuStOm:  v w \r\n"
                + "Set-Cookie: a=1\r\nSet-Cookie: b=2\r\n\r\nhello");
    assertThat(p.parse(b, h)).isTrue();
    assertThat(p.status).isEqualTo(201);
    assertThat(p.http11).isTrue();
    assertThat(p.contentLength).isEqualTo(5);
    assertThat(p.chunked).isFalse();
    assertThat(p.connectionClose).isFalse();
    assertThat(h.getFirst("x-custom")).isEqualTo("v w");
    assertThat(h.get(Headers.SET_COOKIE)).containsExactly("a=1", "b=2");
    assertThat(StandardCharsets.ISO_8859_1.decode(b).toString()).isEqualTo("hello");
  }

  /**
   * Parsed without a map, the headers a map would have held are kept: written out in the backend's
   * order with what was asked left out, or copied into a map as a parse into it would have filled
   * it; the framing fields are read either way.
   */
  @Test
  void keptHeadersAreWrittenInTheBackendsOrderOrFilledIntoAMap() throws Exception {
    String head =
        "HTTP/1.1 200 OK\r\nX-Zeta: 1\r\ncontent-type:text/plain \r\nKeep-Alive: timeout=5\r\n"
            + "Connection: X-Gone, keep-alive\r\nX-Gone: g\r\nContent-Length: 2\r\n"
            + "Date: Sun, 06 Nov 1994 08:49:37 GMT\r\nX-Zeta: 3\r\n\r\nok";
    ResponseParser p = new ResponseParser();
    ByteBuffer b = direct(head);
    assertThat(p.parse(b, null)).isTrue();
    assertThat(p.contentLength).isEqualTo(2);
    assertThat(p.dated).isTrue();
    assertThat(StandardCharsets.ISO_8859_1.decode(b).toString()).isEqualTo("ok");

    HeadWriter w = new HeadWriter();
    p.writeKept(w, false, HopByHop.named(p.connection));
    assertThat(new String(w.buf, 0, w.len, StandardCharsets.ISO_8859_1))
        .isEqualTo(
            "X-Zeta: 1\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n"
                + "Date: Sun, 06 Nov 1994 08:49:37 GMT\r\nX-Zeta: 3\r\n");
    p.writeKept(w.reset(), true, null);
    assertThat(new String(w.buf, 0, w.len, StandardCharsets.ISO_8859_1))
        .doesNotContain("Content-Length")
        .contains("X-Gone: g\r\n");

    HeaderMap filled = new HeaderMap();
    p.fill(filled);
    HeaderMap parsed = new HeaderMap();
    assertThat(new ResponseParser().parse(direct(head), parsed)).isTrue();
    assertThat(filled.toString()).isEqualTo(parsed.toString());
    assertThat(filled.get("X-Zeta")).containsExactly("1", "3");

    // A bare CR inside a value becomes a space, as ascii() writes it from a map's String.
    assertThat(p.parse(direct("HTTP/1.1 204 No Content\r\nX-A: 1\rX\r\n\r\n"), null)).isTrue();
    assertThat(p.dated).isFalse();
    p.writeKept(w.reset(), false, null);
    String written = new String(w.buf, 0, w.len, StandardCharsets.ISO_8859_1);
    assertThat(written).isEqualTo("X-A: 1 X\r\n");
    HeaderMap one = new HeaderMap();
    p.fill(one);
    HeadWriter fromMap = new HeadWriter().header(new HttpString("X-A"), one.getFirst("X-A"));
    assertThat(new String(fromMap.buf, 0, fromMap.len, StandardCharsets.ISO_8859_1))
        .isEqualTo(written);
  }

  @Test
  void readsFramingAndConnectionHeaders() throws Exception {
    ResponseParser p = new ResponseParser();
    ByteBuffer b =
        direct("HTTP/1.0 200\nTransfer-Encoding: gzip, chunked\nConnection: keep-alive, Close\n\n");
    assertThat(p.parse(b, new HeaderMap())).isTrue();
    assertThat(p.http11).isFalse();
    assertThat(p.chunked).isTrue();
    assertThat(p.otherTransferCoding).isFalse();
    assertThat(p.connectionClose).isTrue();
    assertThat(p.contentLength).isEqualTo(-1);

    assertThat(
            p.parse(direct("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n"), new HeaderMap()))
        .isTrue();
    assertThat(p.chunked).isFalse();
    assertThat(p.otherTransferCoding).isTrue();
  }

  @Test
  void aBareKeepAliveOrCloseNamesNoFieldAndKeepsNoList() throws Exception {
    ResponseParser p = new ResponseParser();
    assertThat(
            p.parse(direct("HTTP/1.1 200 OK\r\nConnection: keep-alive\r\n\r\n"), new HeaderMap()))
        .isTrue();
    assertThat(p.connectionClose).isFalse();
    assertThat(p.connection).isNull();
    assertThat(p.parse(direct("HTTP/1.1 200 OK\r\nConnection: Close\r\n\r\n"), new HeaderMap()))
        .isTrue();
    assertThat(p.connectionClose).isTrue();
    assertThat(p.connection).isNull();
    HeaderMap h = new HeaderMap();
    assertThat(
            p.parse(
                direct(
                    "HTTP/1.1 200 OK\r\nConnection: keep-alive\r\nConnection: X-A, close\r\n\r\n"),
                h))
        .isTrue();
    assertThat(p.connectionClose).isTrue();
    assertThat(p.connection).containsExactly("X-A, close");
    assertThat(HopByHop.named(p.connection)).containsExactly(new HttpString("X-A"));
  }

  @Test
  void anIncompleteHeadConsumesNothing() throws Exception {
    ResponseParser p = new ResponseParser();
    ByteBuffer b = direct("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n");
    assertThat(p.parse(b, new HeaderMap())).isFalse();
    assertThat(b.position()).isZero();
  }

  @Test
  void parsesAHeadLongerThanTheFirstCopy() throws Exception {
    String big = "x".repeat(6000);
    ResponseParser p = new ResponseParser();
    HeaderMap h = new HeaderMap();
    ByteBuffer b = direct("HTTP/1.1 200 OK\r\nX-Big: " + big + "\r\nContent-Length: 0\r\n\r\n");
    assertThat(p.parse(b, h)).isTrue();
    assertThat(h.getFirst("X-Big")).isEqualTo(big);
    assertThat(p.contentLength).isZero();
    assertThat(b.hasRemaining()).isFalse();
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "HTTX/1.1 200 OK\r\n\r\n",
        "HTTP/2.0 200 OK\r\n\r\n",
        "HTTP/1.1 2x0 OK\r\n\r\n",
        "HTTP/1.1 099 Low\r\n\r\n",
        "HTTP/1.1 2000 OK\r\n\r\n",
        "HTTP/1.1 200 OK\r\nBad Name: v\r\n\r\n",
        "HTTP/1.1 200 OK\r\nName : v\r\n\r\n",
        "HTTP/1.1 200 OK\r\nA: b\r\n folded\r\n\r\n",
        "HTTP/1.1 200 OK\r\n: v\r\n\r\n",
        "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n",
        "HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n",
        "HTTP/1.1 200 OK\r\nContent-Length: 99999999999999999999\r\n\r\n",
      })
  void refusesMalformedHeads(String head) {
    assertThatThrownBy(() -> new ResponseParser().parse(direct(head), new HeaderMap()))
        .isInstanceOf(ProtocolException.class);
  }

  @Test
  void headerNamesAreReusedNotReallocated() throws Exception {
    ResponseParser p = new ResponseParser();
    HeaderMap first = new HeaderMap();
    HeaderMap second = new HeaderMap();
    p.parse(direct("HTTP/1.1 200 OK\r\ncontent-type: a\r\nX-Trace: 1\r\n\r\n"), first);
    p.parse(direct("HTTP/1.1 200 OK\r\ncontent-type: b\r\nX-Trace: 2\r\n\r\n"), second);
    HttpString trace1 = first.get("X-Trace").getHeaderName();
    HttpString trace2 = second.get("X-Trace").getHeaderName();
    assertThat(trace2).isSameAs(trace1);
    assertThat(second.get(Headers.CONTENT_TYPE).getHeaderName()).isSameAs(Headers.CONTENT_TYPE);
  }

  private static String decode(String wire, boolean byteByByte) throws Exception {
    ChunkedResponseDecoder d = new ChunkedResponseDecoder();
    d.reset();
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    byte[] bytes = wire.getBytes(StandardCharsets.ISO_8859_1);
    int step = byteByByte ? 1 : bytes.length;
    for (int i = 0; i < bytes.length && !d.isDone(); i += step) {
      ByteBuffer b = ByteBuffer.wrap(bytes, i, Math.min(step, bytes.length - i));
      while (b.hasRemaining() && !d.isDone()) {
        int n = d.data(b);
        if (n > 0) {
          out.write(bytes, b.position(), n);
          b.position(b.position() + n);
          d.consumed(n);
        }
      }
    }
    assertThat(d.isDone()).as("decoder reached the end of the body").isTrue();
    return out.toString(StandardCharsets.ISO_8859_1);
  }

  @Test
  void decodesChunksWithExtensionsAndTrailersInOneGoOrByteByByte() throws Exception {
    String wire =
        "5;foo=bar\r\nhello\r\n7; a=\"q s\"\r\n, world\r\nA\r\n0123456789\r\n0\r\nX-T: 1\r\n\r\n";
    assertThat(decode(wire, false)).isEqualTo("hello, world0123456789");
    assertThat(decode(wire, true)).isEqualTo("hello, world0123456789");
    assertThat(decode("0\r\n\r\n", true)).isEmpty();
    assertThat(decode("3\nabc\n0\n\n", false)).isEqualTo("abc");
  }

  @ParameterizedTest
  @ValueSource(
      strings = {"x\r\n", ";\r\n", "3\r\nabcX", "1000000000000000\r\n", "5\r3\nhello\r\n0\r\n\r\n"})
  void refusesMalformedChunks(String wire) {
    assertThatThrownBy(() -> decode(wire, false)).isInstanceOf(ProtocolException.class);
  }

  @Test
  void refusesEndlessExtensionsAndTrailers() {
    String longLine = "a".repeat(ChunkedResponseDecoder.MAX_LINE + 10);
    assertThatThrownBy(() -> decode("5;" + longLine + "\r\nhello\r\n0\r\n\r\n", false))
        .isInstanceOf(ProtocolException.class);
    assertThatThrownBy(() -> decode("0\r\nX: " + longLine + "\r\n\r\n", false))
        .isInstanceOf(ProtocolException.class);
  }

  @Test
  void passesARepeatedEqualContentLengthOnce() throws Exception {
    HeaderMap h = new HeaderMap();
    ResponseParser p = new ResponseParser();
    p.parse(direct("HTTP/1.1 200 OK\r\nContent-Length: 3\r\nContent-Length: 3\r\n\r\n"), h);
    assertThat(p.contentLength).isEqualTo(3);
    assertThat(h.get(Headers.CONTENT_LENGTH)).containsExactly("3");
  }

  @Test
  void writesDigitsAndHeaders() {
    HeadWriter w = new HeadWriter();
    for (int v : new int[] {0, 7, 10, 99, 65535, Integer.MAX_VALUE}) {
      w.reset().digits(v);
      assertThat(new String(w.buf, 0, w.len, StandardCharsets.US_ASCII))
          .isEqualTo(Integer.toString(v));
    }
    w.reset().header(Headers.HOST, "a\r\nb").ascii("é€", 0, 2);
    assertThat(new String(w.buf, 0, w.len, StandardCharsets.ISO_8859_1))
        .isEqualTo("Host: a  b\r\né?");
  }

  @Test
  void aHeadIsSentFromOneReusedDirectBufferThatGrowsWithTheHead() {
    HeadWriter w = new HeadWriter();
    ByteBuffer first = w.reset().ascii("GET / HTTP/1.1").crlf().buffer();
    assertThat(first.isDirect()).isTrue(); // a heap buffer is copied to a direct one per write
    assertThat(StandardCharsets.US_ASCII.decode(first).toString()).isEqualTo("GET / HTTP/1.1\r\n");
    ByteBuffer again = w.reset().ascii("HEAD /x").buffer();
    assertThat(again).isSameAs(first); // no allocation per head
    assertThat(again.position()).isZero();
    assertThat(StandardCharsets.US_ASCII.decode(again).toString()).isEqualTo("HEAD /x");
    String big = "x".repeat(5000); // past the first array: both grow
    ByteBuffer grown = w.reset().ascii(big).buffer();
    assertThat(StandardCharsets.US_ASCII.decode(grown).toString()).isEqualTo(big);
    assertThat(w.reset().ascii("GET /").buffer()).isSameAs(grown);
  }

  @Test
  void findsConnectionTokens() {
    assertThat(Http1.containsToken("keep-alive, Close", "close")).isTrue();
    assertThat(Http1.containsToken("closed", "close")).isFalse();
    assertThat(Http1.containsToken(null, "close")).isFalse();
    // Optional whitespace is spaces or tabs (RFC 9110 5.6.3): a tab before close still closes.
    assertThat(Http1.containsToken("X-A,\tclose", "close")).isTrue();
    assertThat(Http1.containsToken("close\t", "close")).isTrue();
  }

  /** Repeated short values come from the connection's cache; changed bytes never do. */
  @Test
  void keepsRepeatedHeaderValuesPerConnectionAndNeverMixesThemUp() throws Exception {
    ResponseParser p = new ResponseParser();
    HeaderMap first = new HeaderMap();
    p.parse(direct("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nX-A: v1\r\n\r\n"), first);
    HeaderMap second = new HeaderMap();
    p.parse(direct("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nX-A: v2\r\n\r\n"), second);
    assertThat(second.getFirst(Headers.CONTENT_TYPE))
        .isEqualTo("text/plain")
        .isSameAs(first.getFirst(Headers.CONTENT_TYPE));
    assertThat(first.getFirst("X-A")).isEqualTo("v1");
    assertThat(second.getFirst("X-A")).isEqualTo("v2");
    // Same value under another name, and a Latin-1 byte above 0x7f: exact either way.
    HeaderMap third = new HeaderMap();
    p.parse(direct("HTTP/1.1 200 OK\r\nX-B: text/plain\r\nX-A: v\u00e9\r\n\r\n"), third);
    assertThat(third.getFirst("X-B")).isEqualTo("text/plain");
    assertThat(third.getFirst("X-A")).isEqualTo("v\u00e9");
    HeaderMap fourth = new HeaderMap();
    p.parse(direct("HTTP/1.1 200 OK\r\nX-A: v\u00e8\r\n\r\n"), fourth);
    assertThat(fourth.getFirst("X-A")).isEqualTo("v\u00e8");
  }
}
