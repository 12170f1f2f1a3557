package dev.whaleray.router.undertow.internal.proxy;

import static java.util.Objects.requireNonNull;

import dev.whaleray.router.undertow.internal.pool.TimeoutList;
import dev.whaleray.router.undertow.internal.pool.Upstreams;
import io.undertow.connector.ByteBufferPool;
import io.undertow.connector.PooledByteBuffer;
import io.undertow.io.IoCallback;
import io.undertow.io.Sender;
import io.undertow.server.HttpServerExchange;
import io.undertow.server.protocol.http.HttpContinue;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.Channel;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import org.jspecify.annotations.Nullable;
import org.xnio.ChannelListener;
import org.xnio.channels.StreamSinkChannel;
import org.xnio.channels.StreamSourceChannel;

/**
 * The request body's way upstream: read ahead before a connection is taken (nginx's request
 * buffering, so a slow upload holds a buffer, not a backend connection), kept to the body timeout
 * and the minimum upload rate, then sent whole with a Content-Length or streamed on in chunks, and
 * rewound for a retry when it was read whole.
 *
 * <p>Only a request with a body gets one, and it is that body's idle timer too. IO thread only.
 */
final class RequestPump extends TimeoutList.Node {
  /** Room before a chunk's data for its size line (up to 8 hex digits and CRLF). */
  static final int CHUNK_HEAD = 10;

  static final byte[] LAST_CHUNK = {'0', '\r', '\n', '\r', '\n'};
  private static final byte[] HEX = "0123456789abcdef".getBytes(StandardCharsets.US_ASCII);

  /** What the pump tells its call (the channels' listener); the call decides what failures mean. */
  interface Call extends ChannelListener<Channel> {
    /** The body was read ahead (whole, or as much as the buffer holds): time to connect. */
    void bodyReadAhead();

    /** The whole body went upstream. */
    void bodySent();

    /** Reading the client's body failed: too large, malformed, or the client went away. */
    void clientFailed(IOException e);

    /** The client sends its body too slowly. */
    void clientTooSlow(String why);

    /** The body could not be sent upstream (or the client broke mid-body). */
    void bodyFailed(IOException e);

    /** There is no body to read: something read it before. */
    void bodyUnavailable();

    /** True once the call has answered or the exchange has ended. */
    boolean isOver();

    /** True when the request may be sent again (a whole body is then kept for a retry). */
    boolean isIdempotent();
  }

  private final Call call;
  private final ByteBufferPool buffers;
  private final TimeoutList bodyTimeouts;
  private final Upstreams config;
  private final boolean chunked;

  @Nullable StreamSourceChannel channel;
  private @Nullable PooledByteBuffer buffer; // streaming on past the read-ahead
  boolean eof;
  boolean buffering;

  // request body read ahead before connecting (up to Upstreams.requestBufferBytes)
  private PooledByteBuffer @Nullable [] preread;
  private int prereadCount;
  private int prereadSent;
  private long prereadBytes;
  private boolean whole; // the whole body is in preread: sent with a Content-Length
  private boolean framed; // preread buffers are framed for sending (once, even on a retry)
  private long bodyBytes;
  private long clientWaitStart;
  private long clientWaitNanos;

  /** Body bytes read from the client so far. */
  long bodyBytes() {
    return bodyBytes;
  }

  /**
   * @param chunked the client sent the body chunked (no Content-Length)
   */
  RequestPump(
      Call call,
      ByteBufferPool buffers,
      TimeoutList bodyTimeouts,
      Upstreams config,
      boolean chunked) {
    this.call = call;
    this.buffers = buffers;
    this.bodyTimeouts = bodyTimeouts;
    this.config = config;
    this.chunked = chunked;
  }

  /**
   * Reads the request body before taking an upstream connection, as nginx's request buffering does:
   * a slow upload then holds only a buffer, never a backend connection. A body that fits in {@link
   * Upstreams#requestBufferBytes} is sent whole, with a Content-Length; a larger one is streamed on
   * from where the buffer ends.
   */
  void start(HttpServerExchange exchange) {
    if (HttpContinue.requiresContinueResponse(exchange)) {
      // As nginx: answer the client's Expect ourselves, read the body, never pass the Expect on.
      HttpContinue.sendContinueResponse(
          exchange,
          new IoCallback() {
            @Override
            public void onComplete(HttpServerExchange ex, Sender sender) {
              if (!call.isOver()) {
                read(ex.getRequestChannel());
              }
            }

            @Override
            public void onException(HttpServerExchange ex, Sender sender, IOException e) {
              call.clientFailed(e);
            }
          });
      return;
    }
    read(exchange.getRequestChannel());
  }

  /** Starts reading ahead from the client's request channel. */
  void read(@Nullable StreamSourceChannel rc) {
    if (rc == null) {
      call.bodyUnavailable();
      return;
    }
    channel = rc;
    buffering = true;
    rc.getReadSetter().set(call);
    readAhead();
  }

  void readAhead() {
    StreamSourceChannel rc = channel;
    while (buffering && rc != null) {
      if (prereadBytes >= config.requestBufferBytes) {
        doneBuffering(false);
        return;
      }
      ByteBuffer b = prereadTail();
      int n;
      try {
        n = rc.read(b);
      } catch (IOException e) {
        call.clientFailed(e);
        return;
      }
      if (n == -1) {
        eof = true;
        doneBuffering(true);
        return;
      }
      if (n == 0) {
        waitForClient(rc);
        return;
      }
      prereadBytes += n;
      if (!clientSent(n)) {
        return;
      }
    }
  }

  /** The buffer to read ahead into: the last one while it has room, else a new one. */
  private ByteBuffer prereadTail() {
    PooledByteBuffer[] p = preread;
    if (p != null && prereadCount > 0) {
      ByteBuffer last = p[prereadCount - 1].getBuffer();
      if (last.hasRemaining()) {
        return last;
      }
    }
    if (p == null) {
      p = preread = new PooledByteBuffer[4];
    } else if (prereadCount == p.length) {
      p = preread = Arrays.copyOf(p, p.length * 2);
    }
    PooledByteBuffer pb = buffers.allocate();
    p[prereadCount++] = pb;
    ByteBuffer b = pb.getBuffer();
    // Room for chunk framing around the data, should the body have to be streamed on.
    b.clear().position(CHUNK_HEAD).limit(b.capacity() - 2);
    return b;
  }

  private void doneBuffering(boolean whole) {
    buffering = false;
    this.whole = whole;
    cancel();
    clientWaitStart = 0;
    StreamSourceChannel rc = channel;
    if (rc != null) {
      rc.suspendReads(); // until the upstream takes what was read
    }
    call.bodyReadAhead();
  }

  /** Nothing to read: wait for the client, under the body idle timeout. */
  private void waitForClient(StreamSourceChannel rc) {
    rc.resumeReads();
    if (clientWaitStart == 0) {
      clientWaitStart = System.nanoTime();
    }
    if (!isArmed()) {
      bodyTimeouts.add(this);
    }
  }

  /**
   * {@code n} body bytes came from the client: re-arms the idle timeout and checks the upload rate
   * over the time spent waiting for the client (not for the upstream).
   *
   * @return false when the client is too slow (the call is then over)
   */
  private boolean clientSent(int n) {
    bodyBytes += n;
    long start = clientWaitStart;
    if (start != 0) {
      clientWaitNanos += System.nanoTime() - start;
      clientWaitStart = 0;
      bodyTimeouts.add(this);
      long rate = config.minUploadRate;
      // As Apache's mod_reqtimeout: a grace, then one more second for every `rate` bytes.
      if (rate > 0
          && clientWaitNanos > config.minUploadGraceNanos
          && clientWaitNanos > config.minUploadGraceNanos + bodyBytes * (1e9 / rate)) {
        call.clientTooSlow("request body slower than " + rate + " bytes/s");
        return false;
      }
    }
    return true;
  }

  /** No body byte for the body timeout. */
  @Override
  protected void expired() {
    call.clientTooSlow("no request body bytes for " + config.clientBodyTimeoutMillis + " ms");
  }

  /** Stops reading ahead and the body timer: the call is over or failed. */
  void stop() {
    buffering = false;
    cancel();
  }

  /** The Content-Length to send: the whole body's, or how {@link RequestHead} frames the rest. */
  long contentLength() {
    if (!chunked) {
      return RequestHead.AS_RECEIVED;
    }
    return whole ? prereadBytes : RequestHead.CHUNKED;
  }

  /** True when the whole body was read ahead and is still held, so it can be sent again. */
  boolean canResend() {
    PooledByteBuffer[] p = preread;
    return whole && p != null && p[0] != null;
  }

  /** True once the buffers read ahead were framed for sending: a retry must rewind them. */
  boolean isFramed() {
    return framed;
  }

  /**
   * The head is out: frame what was read ahead, whole and as is (the head says its length), else as
   * chunks. Once: a retry sends the same framed buffers again.
   */
  void frame() {
    PooledByteBuffer[] p = preread;
    for (int i = 0; i < prereadCount && !framed; i++) {
      ByteBuffer b = requireNonNull(p)[i].getBuffer(); // read ahead: the array is there
      int n = b.position() - CHUNK_HEAD;
      if (chunked && !whole) {
        frameChunk(b, n);
      } else {
        b.limit(b.position()).position(CHUNK_HEAD);
      }
    }
    framed = true;
    if (!whole) {
      buffer = buffers.allocate();
      buffer.getBuffer().clear().flip();
    }
  }

  /** The upstream can take more: reads from the client resume, and the pump goes on. */
  void upstreamWritable(StreamSinkChannel sink) {
    StreamSourceChannel rc = channel;
    if (rc != null && !eof) {
      rc.resumeReads();
    }
    pump(sink);
  }

  /** Moves request body bytes from the client to the upstream until one side has to wait. */
  void pump(StreamSinkChannel sink) {
    StreamSourceChannel rc = channel;
    if (rc == null) {
      return;
    }
    try {
      PooledByteBuffer[] p = preread;
      while (prereadSent < prereadCount) {
        ByteBuffer ab = requireNonNull(p)[prereadSent].getBuffer();
        sink.write(ab);
        if (ab.hasRemaining()) {
          rc.suspendReads();
          sink.resumeWrites();
          return;
        }
        if (whole) {
          prereadSent++; // kept until the response head: a retry sends it again
        } else {
          p[prereadSent].close();
          p[prereadSent++] = null;
        }
      }
      if (whole) {
        sent();
        return;
      }
    } catch (IOException e) {
      call.bodyFailed(e);
      return;
    }
    PooledByteBuffer pb = buffer;
    if (pb == null) {
      return;
    }
    ByteBuffer b = pb.getBuffer();
    try {
      while (true) {
        if (b.hasRemaining()) {
          sink.write(b);
          if (b.hasRemaining()) {
            rc.suspendReads();
            cancel(); // waiting for the upstream now, not for the client
            clientWaitStart = 0;
            sink.resumeWrites();
            return;
          }
        }
        if (eof) {
          sent();
          return;
        }
        int n;
        try {
          if (chunked) {
            b.clear();
            b.position(CHUNK_HEAD).limit(b.capacity() - 2);
            n = rc.read(b);
            if (n > 0) {
              frameChunk(b, n);
            }
          } else {
            b.clear();
            n = rc.read(b);
            b.flip();
          }
        } catch (IOException e) {
          call.clientFailed(e);
          return;
        }
        if (n == -1) {
          eof = true;
          cancel();
          b.clear();
          if (chunked) {
            b.put(LAST_CHUNK);
          }
          b.flip();
        } else if (n == 0) {
          b.clear().flip();
          sink.suspendWrites();
          waitForClient(rc);
          return;
        } else if (!clientSent(n)) {
          return;
        }
      }
    } catch (IOException e) {
      // The client or the upstream broke mid-body: nothing sensible can be forwarded.
      call.bodyFailed(e);
    }
  }

  /** Wraps the {@code n} bytes read at {@link #CHUNK_HEAD} in chunk framing, ready to write. */
  static void frameChunk(ByteBuffer b, int n) {
    int digits = 0;
    for (int v = n; v != 0; v >>>= 4) {
      digits++;
    }
    int start = CHUNK_HEAD - digits - 2;
    for (int i = 0, v = n; i < digits; i++, v >>>= 4) {
      b.put(start + digits - 1 - i, HEX[v & 0xf]);
    }
    b.put(CHUNK_HEAD - 2, (byte) '\r');
    b.put(CHUNK_HEAD - 1, (byte) '\n');
    int end = CHUNK_HEAD + n;
    b.limit(b.capacity());
    b.put(end, (byte) '\r');
    b.put(end + 1, (byte) '\n');
    b.position(start).limit(end + 2);
  }

  private void sent() {
    cancel();
    stopReading();
    PooledByteBuffer pb = buffer;
    if (pb != null) {
      buffer = null;
      pb.close();
    }
    if (!whole || !call.isIdempotent()) {
      freePreread(); // nothing to send again
    }
    call.bodySent();
  }

  /** No more reads from the client for this call. */
  void stopReading() {
    StreamSourceChannel rc = channel;
    if (rc != null) {
      rc.suspendReads();
      rc.getReadSetter().set(null);
    }
  }

  /**
   * A retry of a whole, buffered body: send it again from its first byte.
   *
   * @return false when the body was freed already (the retry rules do not allow this case)
   */
  boolean rewind() {
    PooledByteBuffer[] p = preread;
    if (p == null || p[0] == null) {
      return false;
    }
    for (int i = 0; i < prereadCount; i++) {
      p[i].getBuffer().position(CHUNK_HEAD);
    }
    prereadSent = 0;
    return true;
  }

  /** Frees every buffer the pump holds. */
  void free() {
    PooledByteBuffer pb = buffer;
    if (pb != null) {
      buffer = null;
      pb.close();
    }
    freePreread();
  }

  /** Frees what was read ahead (a whole body is kept after sending, for a retry). */
  void freePreread() {
    PooledByteBuffer[] p = preread;
    if (p != null) {
      for (int i = 0; i < prereadCount; i++) {
        if (p[i] != null) {
          p[i].close();
          p[i] = null;
        }
      }
      prereadSent = prereadCount;
    }
  }
}
