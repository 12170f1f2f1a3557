package dev.whaleray.router.undertow.internal.proxy;

import dev.whaleray.router.lb.Outcome;
import dev.whaleray.router.undertow.internal.pool.TimeoutList;
import dev.whaleray.router.undertow.internal.pool.Upstreams;
import io.undertow.connector.PooledByteBuffer;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.Channel;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;
import org.xnio.ChannelListener;
import org.xnio.IoUtils;
import org.xnio.StreamConnection;
import org.xnio.conduits.ConduitStreamSinkChannel;
import org.xnio.conduits.ConduitStreamSourceChannel;

/**
 * The byte tunnel of an upgraded connection (a WebSocket after its 101): copies bytes both ways
 * between the client and the upstream with backpressure (a side that cannot take more stops reads
 * on the other), passes a half-close on (an end of stream becomes a shutdown of writes the other
 * way), and closes both connections when both directions have ended, on an error, or when no byte
 * moved either way for the idle timeout. WebSocket frames, close frames and their codes included,
 * are bytes to it.
 *
 * <p>IO thread only: both connections belong to the exchange's IO thread.
 */
public final class UpgradeTunnel implements ChannelListener<Channel> {
  private static final System.Logger LOG = System.getLogger(UpgradeTunnel.class.getName());

  /** Told once when the tunnel has closed; the attempt's accounting ends then. */
  interface Ended {
    /**
     * The tunnel closed: {@link Outcome#SUCCESS} when both directions ended or it was idle for the
     * timeout, {@link Outcome#CLIENT_ABORT} when the client's connection failed (a reset browser
     * tab is not the upstream's fault), {@link Outcome#ERROR} when the upstream's did.
     */
    void tunnelEnded(Outcome outcome);

    /** {@code bytes} were read from one side to go to the other (for metrics); IO thread. */
    default void moved(boolean toUpstream, int bytes) {}
  }

  private final Upstreams.PerThread thread;
  private final StreamConnection upstream;
  private final Ended ended;
  private @Nullable StreamConnection client;
  private @Nullable PooledByteBuffer toClient; // upstream -> client, in read mode
  private @Nullable PooledByteBuffer toUpstream; // client -> upstream, in read mode
  private boolean upstreamEof;
  private boolean clientEof;
  private boolean closed;
  private final TimeoutList.Node idleTimer =
      new TimeoutList.Node() {
        @Override
        protected void expired() {
          LOG.log(System.Logger.Level.DEBUG, "tunnel idle: closing both sides");
          close(Outcome.SUCCESS); // the session's end, as the timeout decides
        }
      };

  /**
   * A tunnel over {@code upstream}, whose first bytes after the response head are in {@code
   * leftover} (taken over; may be null). Its idle timer runs from now: should the client never get
   * its 101, the upstream connection is closed after the idle timeout.
   */
  UpgradeTunnel(
      Upstreams.PerThread thread,
      StreamConnection upstream,
      @Nullable PooledByteBuffer leftover,
      Ended ended) {
    this.thread = thread;
    this.upstream = upstream;
    this.ended = ended;
    this.toClient = leftover;
    upstream.getSourceChannel().getReadSetter().set(this);
    upstream.getSinkChannel().getWriteSetter().set(this);
    upstream.getSourceChannel().suspendReads(); // until the client's side is there
    thread.tunnelIdleTimeouts.add(idleTimer);
  }

  /** The client's connection after the 101 went out: start copying both ways. */
  void start(StreamConnection clientConnection) {
    if (closed) {
      IoUtils.safeClose(clientConnection);
      return;
    }
    client = clientConnection;
    clientConnection.getSourceChannel().getReadSetter().set(this);
    clientConnection.getSinkChannel().getWriteSetter().set(this);
    if (toClient == null) {
      toClient = thread.buffers.allocate();
      toClient.getBuffer().clear().flip();
    }
    toUpstream = thread.buffers.allocate();
    toUpstream.getBuffer().clear().flip();
    pumpToClient();
    pumpToUpstream();
  }

  @Override
  public void handleEvent(Channel channel) {
    StreamConnection c = client;
    if (closed || c == null) {
      return;
    }
    if (channel == upstream.getSourceChannel() || channel == c.getSinkChannel()) {
      if (channel == c.getSinkChannel()) {
        c.getSinkChannel().suspendWrites();
      }
      pumpToClient();
    } else if (channel == c.getSourceChannel() || channel == upstream.getSinkChannel()) {
      if (channel == upstream.getSinkChannel()) {
        upstream.getSinkChannel().suspendWrites();
      }
      pumpToUpstream();
    }
  }

  private void pumpToClient() {
    StreamConnection c = client;
    PooledByteBuffer pb = toClient;
    if (c == null || pb == null || upstreamEof) {
      return;
    }
    if (pump(upstream.getSourceChannel(), pb.getBuffer(), c.getSinkChannel(), false)) {
      upstreamEof = true;
      shutdown(c.getSinkChannel());
    }
  }

  private void pumpToUpstream() {
    StreamConnection c = client;
    PooledByteBuffer pb = toUpstream;
    if (c == null || pb == null || clientEof) {
      return;
    }
    if (pump(c.getSourceChannel(), pb.getBuffer(), upstream.getSinkChannel(), true)) {
      clientEof = true;
      shutdown(upstream.getSinkChannel());
    }
  }

  /**
   * Copies from {@code source} to {@code sink} through {@code b} until one of them has to wait;
   * true when the source ended and everything read from it was written.
   */
  private boolean pump(
      ConduitStreamSourceChannel source,
      ByteBuffer b,
      ConduitStreamSinkChannel sink,
      boolean toUpstream) {
    while (true) {
      if (b.hasRemaining()) {
        try {
          sink.write(b);
          if (b.hasRemaining()) {
            source.suspendReads(); // the other side is full: stop reading this one
            sink.resumeWrites();
            return false;
          }
          if (!sink.flush()) {
            source.suspendReads();
            sink.resumeWrites();
            return false;
          }
        } catch (IOException e) {
          failed(toUpstream, e); // writing to the upstream, or to the client
          return false;
        }
      }
      b.clear();
      int n;
      try {
        n = source.read(b);
      } catch (IOException e) {
        failed(!toUpstream, e); // reading the client (toUpstream), or the upstream
        return false;
      } finally {
        b.flip();
      }
      if (n == -1) {
        source.suspendReads();
        return true;
      }
      if (n == 0) {
        source.resumeReads();
        return false;
      }
      thread.tunnelIdleTimeouts.add(idleTimer); // bytes moved: the idle clock starts again
      ended.moved(toUpstream, n);
    }
  }

  /** An IO error on one side's connection: that side failed the session. */
  private void failed(boolean upstreamSide, IOException e) {
    LOG.log(
        System.Logger.Level.DEBUG,
        () -> "tunnel: " + (upstreamSide ? "upstream" : "client") + ": " + e.getMessage());
    close(upstreamSide ? Outcome.ERROR : Outcome.CLIENT_ABORT);
  }

  /** Passes an end of stream on; once both directions ended, the tunnel closes. */
  private void shutdown(ConduitStreamSinkChannel sink) {
    boolean upstreamSide = sink == upstream.getSinkChannel();
    try {
      sink.shutdownWrites();
      if (!sink.flush()) {
        sink.getWriteSetter()
            .set(
                ChannelListenerFlush.of(
                    () -> {
                      if (upstreamEof && clientEof) {
                        close(Outcome.SUCCESS);
                      }
                    },
                    e -> failed(upstreamSide, e)));
        sink.resumeWrites();
        return;
      }
    } catch (IOException e) {
      failed(upstreamSide, e);
      return;
    }
    if (upstreamEof && clientEof) {
      close(Outcome.SUCCESS);
    }
  }

  /** Closes both connections once, frees the buffers and tells how the session ended. */
  void close(Outcome outcome) {
    if (closed) {
      return;
    }
    closed = true;
    idleTimer.cancel();
    IoUtils.safeClose(upstream);
    StreamConnection c = client;
    if (c != null) {
      IoUtils.safeClose(c);
    }
    PooledByteBuffer a = toClient;
    toClient = null;
    if (a != null) {
      a.close();
    }
    PooledByteBuffer b = toUpstream;
    toUpstream = null;
    if (b != null) {
      b.close();
    }
    ended.tunnelEnded(outcome);
  }

  /** A write listener that finishes a flush, then runs one of two actions. */
  private static final class ChannelListenerFlush
      implements ChannelListener<ConduitStreamSinkChannel> {
    private final Runnable done;
    private final Consumer<IOException> failed;

    private ChannelListenerFlush(Runnable done, Consumer<IOException> failed) {
      this.done = done;
      this.failed = failed;
    }

    static ChannelListenerFlush of(Runnable done, Consumer<IOException> failed) {
      return new ChannelListenerFlush(done, failed);
    }

    @Override
    public void handleEvent(ConduitStreamSinkChannel sink) {
      try {
        if (sink.flush()) {
          sink.suspendWrites();
          done.run();
        }
      } catch (IOException e) {
        failed.accept(e);
      }
    }
  }
}
