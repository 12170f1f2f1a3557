package dev.whaleray.router.undertow.internal.proxy;

import dev.whaleray.router.undertow.internal.pool.TimeoutList;
import dev.whaleray.router.undertow.internal.pool.Upstreams;
import io.undertow.connector.PooledByteBuffer;
import io.undertow.server.HttpServerExchange;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.Channel;
import org.jspecify.annotations.Nullable;
import org.xnio.ChannelListener;
import org.xnio.channels.StreamSourceChannel;

/**
 * nginx's lingering close: after an early answer, read and drop what the client still sends, for up
 * to {@link Upstreams#LINGER_MILLIS}, so that the close is one the client reads the answer past,
 * not a reset (unread bytes) that can take the answer with it. Then the exchange ends.
 *
 * <p>Made only for an early answer, and it is its own timer. IO thread only.
 */
final class LingeringClose extends TimeoutList.Node {
  private final HttpServerExchange exchange;
  final StreamSourceChannel channel;
  private @Nullable PooledByteBuffer buffer;
  boolean lingering;

  LingeringClose(HttpServerExchange exchange, StreamSourceChannel channel) {
    this.exchange = exchange;
    this.channel = channel;
  }

  /** Starts dropping the upload; {@code listener} gets the channel's read events. */
  void start(PooledByteBuffer buffer, TimeoutList timeouts, ChannelListener<Channel> listener) {
    lingering = true;
    this.buffer = buffer;
    timeouts.add(this);
    channel.getReadSetter().set(listener);
    discard();
  }

  /** Reads and drops what the client sent; the end of the upload ends the lingering. */
  void discard() {
    StreamSourceChannel rc = channel;
    PooledByteBuffer pb = buffer;
    if (pb == null) {
      stop();
      return;
    }
    ByteBuffer b = pb.getBuffer();
    try {
      while (true) {
        b.clear();
        int n = rc.read(b);
        if (buffer != pb) {
          return; // the read ended the exchange, which freed the buffer
        }
        if (n == -1) {
          stop(); // the whole upload arrived: the close is clean
          return;
        }
        if (n == 0) {
          rc.resumeReads();
          return;
        }
      }
    } catch (IOException e) {
      stop();
    }
  }

  @Override
  protected void expired() {
    stop();
  }

  private void stop() {
    if (!lingering) {
      return;
    }
    lingering = false;
    cancel();
    channel.suspendReads();
    channel.getReadSetter().set(null);
    freeBuffer();
    exchange.endExchange();
  }

  /** The exchange ended (the client went away): let go of the timer and the buffer. */
  void exchangeEnded() {
    if (lingering) {
      lingering = false;
      cancel();
      freeBuffer();
    }
  }

  private void freeBuffer() {
    PooledByteBuffer pb = buffer;
    if (pb != null) {
      buffer = null;
      pb.close();
    }
  }
}
