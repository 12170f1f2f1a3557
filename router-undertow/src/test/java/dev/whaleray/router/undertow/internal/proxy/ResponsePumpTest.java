package dev.whaleray.router.undertow.internal.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.whaleray.router.undertow.internal.http1.ProtocolException;
import dev.whaleray.router.undertow.internal.http1.ResponseParser;
import io.undertow.util.HeaderMap;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/**
 * The response pump's head handling and body transfer without sockets. Framing and transfer never
 * reach the call, so the pump is built without one.
 */
class ResponsePumpTest {

  private final ResponsePump pump = new ResponsePump(null);
  private final HeaderMap out = new HeaderMap();

  /** Parses {@code head} and frames its body; returns what was left in the buffer after it. */
  private ByteBuffer frame(String head, boolean headRequest) throws ProtocolException {
    ByteBuffer b = ByteBuffer.allocate(4096);
    b.put(head.getBytes(StandardCharsets.ISO_8859_1)).flip();
    ResponseParser parser = new ResponseParser();
    assertThat(parser.parse(b, out)).isTrue();
    pump.frame(parser, headRequest, out);
    return b;
  }

  @Test
  void aContentLengthBodyKeepsTheConnection() throws Exception {
    frame("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n", false);
    assertThat(pump.bodyMode).isEqualTo(ResponsePump.BODY_FIXED);
    assertThat(pump.remaining).isEqualTo(5);
    assertThat(pump.keepAlive).isTrue();
    assertThat(out.getFirst("Content-Length")).isEqualTo("5");
  }

  @Test
  void noBodyForHeadAnd204And304() throws Exception {
    frame("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n", true);
    assertThat(pump.bodyMode).isEqualTo(ResponsePump.BODY_NONE);
    frame("HTTP/1.1 204 No Content\r\n\r\n", false);
    assertThat(pump.bodyMode).isEqualTo(ResponsePump.BODY_NONE);
    frame("HTTP/1.1 304 Not Modified\r\nContent-Length: 9\r\n\r\n", false);
    assertThat(pump.bodyMode).isEqualTo(ResponsePump.BODY_NONE);
    assertThat(pump.keepAlive).isTrue();
  }

  @Test
  void chunkedWithALengthTooDropsTheLengthAndTheConnection() throws Exception {
    frame("HTTP/1.1 200 OK\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n", false);
    assertThat(pump.bodyMode).isEqualTo(ResponsePump.BODY_CHUNKED);
    assertThat(pump.keepAlive).isFalse();
    assertThat(out.contains("Content-Length")).isFalse();
  }

  @Test
  void otherCodingsAndNoLengthReadToTheEnd() throws Exception {
    frame("HTTP/1.1 200 OK\r\nContent-Length: 5\r\nTransfer-Encoding: gzip\r\n\r\n", false);
    assertThat(pump.bodyMode).isEqualTo(ResponsePump.BODY_TO_EOF);
    assertThat(pump.keepAlive).isFalse();
    assertThat(out.contains("Content-Length")).isFalse();
    out.clear();
    frame("HTTP/1.1 200 OK\r\n\r\n", false);
    assertThat(pump.bodyMode).isEqualTo(ResponsePump.BODY_TO_EOF);
    assertThat(pump.keepAlive).isFalse();
  }

  @Test
  void http10AndConnectionCloseEndTheConnectionAndNamedHeadersGo() throws Exception {
    frame("HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n", false);
    assertThat(pump.keepAlive).isFalse();
    out.clear();
    frame(
        "HTTP/1.1 200 OK\r\nConnection: close, X-Hop\r\nX-Hop: 1\r\nX-End: 2\r\n"
            + "Content-Length: 0\r\n\r\n",
        false);
    assertThat(pump.keepAlive).isFalse();
    assertThat(out.contains("X-Hop")).isFalse();
    assertThat(out.getFirst("X-End")).isEqualTo("2");
    assertThat(out.contains("Connection")).isFalse();
  }

  @Test
  void deChunksABodySplitAcrossReads() throws Exception {
    ByteBuffer b = frame("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhel", false);
    FakeChannels.Source upstream =
        new FakeChannels.Source("lo\r\n6\r\n world\r\n0\r\nX-Trailer: t\r\n\r\n");
    FakeChannels.Sink client = new FakeChannels.Sink();
    assertThat(pump.transfer(upstream.channel, b, client.channel))
        .isEqualTo(ResponsePump.BODY_READ);
    assertThat(client.text()).isEqualTo("hello world");
  }

  @Test
  void aFixedBodyStopsAtItsLengthAndWaitsForMore() throws Exception {
    ByteBuffer b = frame("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n01234", false);
    FakeChannels.Source upstream = new FakeChannels.Source();
    FakeChannels.Sink client = new FakeChannels.Sink();
    assertThat(pump.transfer(upstream.channel, b, client.channel)).isEqualTo(ResponsePump.WAITING);
    assertThat(pump.remaining).isEqualTo(5);
    upstream.script.add("56789NEXT".getBytes(StandardCharsets.ISO_8859_1));
    assertThat(pump.transfer(upstream.channel, b, client.channel))
        .isEqualTo(ResponsePump.BODY_READ);
    assertThat(client.text()).isEqualTo("0123456789");
    assertThat(b.remaining()).isEqualTo(4); // the next response's bytes stay in the buffer
  }

  @Test
  void aFullClientStopsUpstreamReads() throws Exception {
    ByteBuffer b = frame("HTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\nabcdef", false);
    FakeChannels.Source upstream = new FakeChannels.Source();
    FakeChannels.Sink client = new FakeChannels.Sink();
    client.maxPerWrite = 2;
    assertThat(pump.transfer(upstream.channel, b, client.channel)).isEqualTo(ResponsePump.WAITING);
    assertThat(upstream.calls).contains("suspendReads");
    assertThat(client.calls).contains("resumeWrites");
    assertThat(client.text()).isEqualTo("ab");
  }

  @Test
  void aBodyToTheEndEndsWithTheConnection() throws Exception {
    ByteBuffer b = frame("HTTP/1.0 200 OK\r\n\r\nabc", false);
    FakeChannels.Source upstream = new FakeChannels.Source("def", FakeChannels.EOF);
    FakeChannels.Sink client = new FakeChannels.Sink();
    assertThat(pump.transfer(upstream.channel, b, client.channel))
        .isEqualTo(ResponsePump.BODY_READ);
    assertThat(client.text()).isEqualTo("abcdef");
  }

  @Test
  void anEarlyEndOrBadChunkIsTheUpstreamsFault() throws Exception {
    ByteBuffer b = frame("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n0123", false);
    FakeChannels.Source closed = new FakeChannels.Source(FakeChannels.EOF);
    assertThatThrownBy(() -> pump.transfer(closed.channel, b, new FakeChannels.Sink().channel))
        .isInstanceOf(IOException.class)
        .hasMessageContaining("mid-response");

    ByteBuffer c = frame("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", false);
    assertThatThrownBy(
            () ->
                pump.transfer(
                    new FakeChannels.Source().channel, c, new FakeChannels.Sink().channel))
        .isInstanceOf(ProtocolException.class);
  }

  @Test
  void aClientThatWentAwayIsReported() throws Exception {
    ByteBuffer b = frame("HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nabc", false);
    FakeChannels.Sink client = new FakeChannels.Sink();
    client.failure = new IOException("reset by peer");
    assertThat(pump.transfer(new FakeChannels.Source().channel, b, client.channel))
        .isEqualTo(ResponsePump.CLIENT_GONE);
  }
}
