package dev.whaleray.router.undertow.internal.edge;

import static java.util.Objects.requireNonNull;

import io.undertow.connector.PooledByteBuffer;
import io.undertow.server.Connectors;
import io.undertow.server.HttpServerExchange;
import io.undertow.server.RequestTooBigException;
import io.undertow.server.protocol.http.HttpServerConnection;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.FileChannel;
import org.jspecify.annotations.Nullable;
import org.xnio.IoUtils;
import org.xnio.channels.StreamSinkChannel;
import org.xnio.conduits.AbstractStreamSourceConduit;
import org.xnio.conduits.ConduitReadableByteChannel;
import org.xnio.conduits.ConduitStreamSourceChannel;
import org.xnio.conduits.StreamSourceConduit;

/**
 * The request-body conduit of a chunked HTTP/1.1 request, in place of Undertow's lenient one: it
 * decodes with {@link ChunkedRequestDecoder} and, on bad framing, throws {@link
 * ChunkedRequestDecoder.MalformedChunkException} without closing the connection, so the router can
 * still answer 400 before it closes. Bytes read past the body's end (a pipelined request) go back
 * to the connection, as Undertow's conduit does.
 */
final class StrictChunkedConduit extends AbstractStreamSourceConduit<StreamSourceConduit> {
  private final HttpServerExchange exchange;
  private final HttpServerConnection connection;
  private final ChunkedRequestDecoder decoder = new ChunkedRequestDecoder();
  private boolean finished;
  private @Nullable IOException broken;

  private StrictChunkedConduit(
      StreamSourceConduit next, HttpServerExchange exchange, HttpServerConnection connection) {
    super(next);
    this.exchange = exchange;
    this.connection = connection;
  }

  /**
   * Puts a strict decoder in place of Undertow's for the exchange's chunked request body.
   *
   * @return false when that cannot be done (the request must then be refused)
   */
  static boolean install(HttpServerExchange exchange) {
    if (!(exchange.getConnection() instanceof HttpServerConnection)) {
      return false;
    }
    HttpServerConnection connection = (HttpServerConnection) exchange.getConnection();
    ConduitStreamSourceChannel source = connection.getChannel().getSourceChannel();
    StreamSourceConduit current = source.getConduit();
    if (!(current instanceof io.undertow.conduits.ChunkedStreamSourceConduit)) {
      return false;
    }
    StreamSourceConduit raw = Conduits.below(current);
    if (raw == null) {
      return false;
    }
    source.setConduit(new StrictChunkedConduit(raw, exchange, connection));
    return true;
  }

  @Override
  public int read(ByteBuffer dst) throws IOException {
    if (broken != null) {
      throw broken;
    }
    if (finished) {
      return -1;
    }
    if (!dst.hasRemaining()) {
      return 0;
    }
    int produced = 0;
    PooledByteBuffer pooled = null;
    ByteBuffer buf = null;
    try {
      while (dst.hasRemaining() && !decoder.isDone()) {
        long data = decoder.dataRemaining();
        if (data > 0 && (buf == null || !buf.hasRemaining())) {
          // In a chunk's data with nothing buffered: read straight into the caller's buffer.
          int limit = dst.limit();
          if (data < dst.remaining()) {
            dst.limit(dst.position() + (int) data);
          }
          int r;
          try {
            r = next.read(dst);
          } finally {
            dst.limit(limit);
          }
          if (r == -1) {
            throw new ClosedChannelException();
          }
          if (r == 0) {
            break;
          }
          decoder.dataRead(r);
          produced += r;
          checkSize();
          continue;
        }
        if (buf == null || !buf.hasRemaining()) {
          if (pooled == null) {
            pooled = connection.getByteBufferPool().allocate();
            buf = pooled.getBuffer();
          }
          buf = requireNonNull(buf); // set with the pooled buffer above
          buf.clear();
          int r = next.read(buf);
          buf.flip();
          if (r == -1) {
            throw new ClosedChannelException();
          }
          if (r == 0) {
            break;
          }
        }
        produced += decoder.decode(buf, dst);
        checkSize();
      }
    } catch (IOException e) {
      broken = e;
      exchange.setPersistent(false);
      if (pooled != null) {
        pooled.close();
        pooled = null;
      }
      throw e;
    } finally {
      if (pooled != null) {
        if (requireNonNull(buf).hasRemaining()) { // pooled is set with buf
          connection.ungetRequestBytes(pooled); // read past the part consumed: give it back
        } else {
          pooled.close();
        }
      }
    }
    if (decoder.isDone()) {
      finish();
      return produced == 0 ? -1 : produced;
    }
    return produced;
  }

  private void checkSize() throws RequestTooBigException {
    long maxBody = exchange.getMaxEntitySize(); // read now: the handler may set it after install
    if (maxBody > 0 && decoder.total() > maxBody) {
      throw new RequestTooBigException(
          "request body over " + maxBody + " bytes (decoded " + decoder.total() + ")");
    }
  }

  private void finish() {
    if (!finished) {
      finished = true;
      Connectors.terminateRequest(exchange);
    }
  }

  @Override
  public long read(ByteBuffer[] dsts, int offset, int length) throws IOException {
    for (int i = offset; i < offset + length; i++) {
      if (dsts[i].hasRemaining()) {
        return read(dsts[i]);
      }
    }
    return 0;
  }

  @Override
  public long transferTo(long position, long count, FileChannel target) throws IOException {
    return target.transferFrom(new ConduitReadableByteChannel(this), position, count);
  }

  @Override
  public long transferTo(long count, ByteBuffer throughBuffer, StreamSinkChannel target)
      throws IOException {
    return IoUtils.transfer(new ConduitReadableByteChannel(this), count, throughBuffer, target);
  }

  @Override
  public void resumeReads() {
    if (finished || broken != null) {
      next.wakeupReads(); // the reader's next read returns -1 (or the error) at once
    } else {
      next.resumeReads();
    }
  }

  @Override
  public void terminateReads() throws IOException {
    if (!finished) {
      exchange.setPersistent(false); // the rest of the body is still on the connection
      finished = true;
      Connectors.terminateRequest(exchange);
    }
  }

  @Override
  public boolean isReadShutdown() {
    return finished || next.isReadShutdown();
  }
}
