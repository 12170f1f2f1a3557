package dev.whaleray.router.undertow.internal.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.whaleray.router.undertow.internal.pool.IoThreadBufferPool;
import dev.whaleray.router.undertow.internal.pool.TimeoutList;
import dev.whaleray.router.undertow.internal.pool.Upstreams;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.Channel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The request pump without sockets: read-ahead, how the body is framed, streaming on in chunks, and
 * the rewind a retry needs. The fake client never makes the pump wait, so no timer is armed.
 */
class RequestPumpTest {

  /** Records what the pump tells its call. */
  static final class RecordingCall implements RequestPump.Call {
    final List<String> events = new ArrayList<>();
    boolean idempotent = true;

    @Override
    public void handleEvent(Channel channel) {}

    @Override
    public void bodyReadAhead() {
      events.add("readAhead");
    }

    @Override
    public void bodySent() {
      events.add("sent");
    }

    @Override
    public void clientFailed(IOException e) {
      events.add("clientFailed: " + e.getMessage());
    }

    @Override
    public void clientTooSlow(String why) {
      events.add("tooSlow");
    }

    @Override
    public void bodyFailed(IOException e) {
      events.add("bodyFailed: " + e.getMessage());
    }

    @Override
    public void bodyUnavailable() {
      events.add("unavailable");
    }

    @Override
    public boolean isOver() {
      return false;
    }

    @Override
    public boolean isIdempotent() {
      return idempotent;
    }
  }

  private final RecordingCall call = new RecordingCall();
  private final IoThreadBufferPool buffers = new IoThreadBufferPool(64, false, 4, 16);

  private RequestPump pump(int requestBufferBytes, boolean chunked) {
    Upstreams config =
        new Upstreams(
            1, 1, 30_000, 5_000, 60_000, false, true, 1, requestBufferBytes, 60_000, 0, 1, 60_000);
    // A list that is never armed here: the fake client never makes the pump wait.
    TimeoutList timeouts = new TimeoutList(null, 60_000);
    return new RequestPump(call, buffers, timeouts, config, chunked);
  }

  @Test
  void aBodyReadWholeIsSentWithItsLengthAndRewoundForARetry() {
    RequestPump p = pump(1024, true);
    p.read(new FakeChannels.Source("hello ", "world", FakeChannels.EOF).channel);
    assertThat(call.events).containsExactly("readAhead");
    assertThat(p.contentLength()).isEqualTo(11); // chunked by the client, sent with a length
    p.frame();
    FakeChannels.Sink sink = new FakeChannels.Sink();
    p.pump(sink.channel);
    assertThat(sink.text()).isEqualTo("hello world");
    assertThat(call.events).containsExactly("readAhead", "sent");
    assertThat(p.canResend()).isTrue();

    assertThat(p.isFramed()).isTrue();
    assertThat(p.rewind()).isTrue();
    p.frame(); // a retry frames nothing twice
    FakeChannels.Sink again = new FakeChannels.Sink();
    p.pump(again.channel);
    assertThat(again.text()).isEqualTo("hello world");
  }

  @Test
  void aSlowUpstreamGetsTheRestWhenItCanTakeIt() {
    RequestPump p = pump(1024, false);
    p.read(new FakeChannels.Source("0123456789", FakeChannels.EOF).channel);
    assertThat(p.contentLength()).isEqualTo(RequestHead.AS_RECEIVED);
    p.frame();
    FakeChannels.Sink sink = new FakeChannels.Sink();
    sink.maxPerWrite = 4;
    p.pump(sink.channel);
    assertThat(sink.text()).isEqualTo("0123");
    assertThat(sink.calls).contains("resumeWrites");
    assertThat(call.events).containsExactly("readAhead");
    sink.maxPerWrite = Integer.MAX_VALUE;
    p.pump(sink.channel);
    assertThat(sink.text()).isEqualTo("0123456789");
    assertThat(call.events).containsExactly("readAhead", "sent");
  }

  @Test
  void aNonIdempotentBodyIsFreedOnceSentAndCannotBeRewound() {
    call.idempotent = false;
    RequestPump p = pump(1024, false);
    p.read(new FakeChannels.Source("abc", FakeChannels.EOF).channel);
    p.frame();
    p.pump(new FakeChannels.Sink().channel);
    assertThat(p.canResend()).isFalse();
    assertThat(p.rewind()).isFalse();
  }

  @Test
  void aLargerChunkedBodyStreamsOnInChunksAfterTheReadAhead() {
    RequestPump p = pump(8, true);
    FakeChannels.Source client =
        new FakeChannels.Source("abcdefgh", "ijklmnopqrstuvwxyz", FakeChannels.EOF);
    p.read(client.channel);
    assertThat(call.events).containsExactly("readAhead");
    assertThat(p.contentLength()).isEqualTo(RequestHead.CHUNKED);
    assertThat(p.canResend()).isFalse();
    p.frame();
    FakeChannels.Sink sink = new FakeChannels.Sink();
    p.pump(sink.channel);
    assertThat(sink.text()).isEqualTo("8\r\nabcdefgh\r\n12\r\nijklmnopqrstuvwxyz\r\n0\r\n\r\n");
    assertThat(call.events).containsExactly("readAhead", "sent");
  }

  @Test
  void aClientErrorGoesToTheCall() {
    RequestPump p = pump(1024, false);
    p.read(new FakeChannels.Source("ab", new IOException("reset")).channel);
    assertThat(call.events).containsExactly("clientFailed: reset");
    p.read(null);
    assertThat(call.events).containsExactly("clientFailed: reset", "unavailable");
  }

  @Test
  void anUpstreamWriteErrorGoesToTheCall() {
    RequestPump p = pump(1024, false);
    p.read(new FakeChannels.Source("ab", FakeChannels.EOF).channel);
    p.frame();
    FakeChannels.Sink sink = new FakeChannels.Sink();
    sink.failure = new IOException("broken pipe");
    p.pump(sink.channel);
    assertThat(call.events).containsExactly("readAhead", "bodyFailed: broken pipe");
  }

  @Test
  void framesAChunkAroundDataInPlace() {
    ByteBuffer b = ByteBuffer.allocate(64);
    byte[] data = "x".repeat(26).getBytes(StandardCharsets.US_ASCII);
    b.position(RequestPump.CHUNK_HEAD);
    b.put(data);
    RequestPump.frameChunk(b, data.length);
    byte[] out = new byte[b.remaining()];
    b.get(out);
    assertThat(new String(out, StandardCharsets.US_ASCII))
        .isEqualTo("1a\r\n" + "x".repeat(26) + "\r\n");

    ByteBuffer big = ByteBuffer.allocate(RequestPump.CHUNK_HEAD + 0x1000 + 2);
    RequestPump.frameChunk(big, 0x1000);
    assertThat(big.position()).isEqualTo(RequestPump.CHUNK_HEAD - 6);
    assertThat(big.remaining()).isEqualTo(6 + 0x1000 + 2);
    assertThat(big.get(big.position())).isEqualTo((byte) '1');
  }
}
