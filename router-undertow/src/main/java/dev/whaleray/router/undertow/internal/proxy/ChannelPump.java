package dev.whaleray.router.undertow.internal.proxy;

import io.undertow.connector.ByteBufferPool;
import io.undertow.connector.PooledByteBuffer;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.Channel;
import org.jspecify.annotations.Nullable;
import org.xnio.ChannelListener;
import org.xnio.channels.StreamSinkChannel;
import org.xnio.channels.StreamSourceChannel;

/**
 * Moves one body from a source channel to a sink channel with backpressure both ways, flushing the
 * sink whenever the source has nothing more for now (so each gRPC message of a stream goes on at
 * once), then ends the sink (after {@link Ends#beforeEnd}, where trailers are attached) and flushes
 * it. Both channels belong to one IO thread, and so does the pump.
 */
final class ChannelPump implements ChannelListener<Channel> {
  /** The pump's owner: told how it ended, once. */
  interface Ends {
    /** The source ended: the last moment to attach trailers to the sink's side. */
    void beforeEnd(ChannelPump pump);

    /** The whole body is written and flushed, the sink shut down. */
    void pumped(ChannelPump pump);

    /** Reading the source failed (or it ended with an error). */
    void readFailed(ChannelPump pump, IOException e);

    /** Writing to the sink failed. */
    void writeFailed(ChannelPump pump, IOException e);
  }

  final StreamSourceChannel source;
  final StreamSinkChannel sink;
  private final ByteBufferPool pool;
  private final Ends ends;
  private @Nullable PooledByteBuffer pooled;
  private boolean ending; // the source is drained: shutting the sink down and flushing
  private boolean over;
  long bytes;

  ChannelPump(StreamSourceChannel source, StreamSinkChannel sink, ByteBufferPool pool, Ends ends) {
    this.source = source;
    this.sink = sink;
    this.pool = pool;
    this.ends = ends;
  }

  void start() {
    source.getReadSetter().set(this);
    sink.getWriteSetter().set(this);
    pump();
  }

  /** True once the source reached its end. */
  boolean isDrained() {
    return drained;
  }

  private boolean drained;

  /** Stops moving bytes and frees the buffer; the channels are the owner's to close. */
  void stop() {
    if (!over) {
      over = true;
      free();
      source.getReadSetter().set(null);
      source.suspendReads();
      sink.getWriteSetter().set(null);
      sink.suspendWrites();
    }
  }

  @Override
  public void handleEvent(Channel channel) {
    pump();
  }

  private void pump() {
    if (over) {
      return;
    }
    if (ending) {
      flushEnd();
      return;
    }
    PooledByteBuffer p = pooled;
    if (p == null) {
      p = pooled = pool.allocate();
      p.getBuffer().clear().limit(0); // empty, in write mode
    }
    ByteBuffer b = p.getBuffer();
    try {
      while (true) {
        if (b.hasRemaining()) {
          try {
            sink.write(b);
          } catch (IOException e) {
            fail(e, false);
            return;
          }
          if (over) {
            return; // the write ended the call (its exchange completed): the buffer is gone
          }
          if (b.hasRemaining()) {
            source.suspendReads();
            sink.resumeWrites();
            return;
          }
        }
        b.clear();
        int n;
        try {
          n = source.read(b);
        } catch (IOException e) {
          fail(e, true);
          return;
        }
        if (over) {
          return;
        }
        b.flip();
        if (n < 0) {
          free();
          drained = true;
          ending = true;
          source.suspendReads();
          ends.beforeEnd(this);
          sink.shutdownWrites();
          flushEnd();
          return;
        }
        if (n == 0) {
          // Nothing more for now: what was written goes on before waiting for more, and the empty
          // buffer goes back (an idle gRPC stream may wait for minutes).
          free();
          if (!sink.flush()) {
            source.suspendReads();
            sink.resumeWrites();
          } else {
            sink.suspendWrites();
            source.resumeReads();
          }
          return;
        }
        bytes += n;
      }
    } catch (IOException e) {
      fail(e, false); // a flush or shutdown of the sink
    }
  }

  private void flushEnd() {
    try {
      if (sink.flush()) {
        over = true;
        sink.getWriteSetter().set(null);
        sink.suspendWrites();
        source.getReadSetter().set(null);
        ends.pumped(this);
      } else {
        sink.resumeWrites();
      }
    } catch (IOException e) {
      fail(e, false);
    }
  }

  private void fail(IOException e, boolean reading) {
    stop();
    if (reading) {
      ends.readFailed(this, e);
    } else {
      ends.writeFailed(this, e);
    }
  }

  private void free() {
    PooledByteBuffer p = pooled;
    pooled = null;
    if (p != null) {
      p.close();
    }
  }
}
