package dev.whaleray.router.undertow.internal.http1;

import io.undertow.UndertowOptions;
import io.undertow.conduits.AbstractFixedLengthStreamSinkConduit;
import io.undertow.conduits.ChunkedStreamSinkConduit;
import io.undertow.conduits.ConduitListener;
import io.undertow.conduits.FinishableStreamSinkConduit;
import io.undertow.conduits.HeadStreamSinkConduit;
import io.undertow.conduits.PreChunkedStreamSinkConduit;
import io.undertow.server.Connectors;
import io.undertow.server.HttpServerExchange;
import io.undertow.server.protocol.http.HttpAttachments;
import io.undertow.util.DateUtils;
import io.undertow.util.HeaderMap;
import io.undertow.util.HeaderValues;
import io.undertow.util.Headers;
import io.undertow.util.HttpString;
import io.undertow.util.Methods;
import io.undertow.util.StatusCodes;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;
import org.xnio.IoUtils;
import org.xnio.channels.StreamSourceChannel;
import org.xnio.conduits.AbstractStreamSinkConduit;
import org.xnio.conduits.ConduitWritableByteChannel;
import org.xnio.conduits.Conduits;
import org.xnio.conduits.StreamSinkConduit;

/**
 * The response channel of an exchange on an {@link Http1Connection} when the router does not write
 * the response itself (its own answers, chunked and close-delimited bodies): the framing Undertow's
 * HTTP/1.1 connection picks for the same exchange ({@code HttpTransferEncoding} in Undertow 2.3),
 * over a conduit that writes the head before the first body bytes.
 */
final class Http1Response {
  private Http1Response() {}

  static StreamSinkConduit conduit(HttpServerExchange ex, StreamSinkConduit connection) {
    DateUtils.addDateHeaderIfRequired(ex);
    HeaderMap headers = ex.getResponseHeaders();
    ConduitListener<StreamSinkConduit> finish = c -> Connectors.terminateResponse(ex);
    boolean head = ex.getRequestMethod().equals(Methods.HEAD);
    StreamSinkConduit channel = new HeadFirst(connection, ex);
    if (head) {
      channel = new HeadStreamSinkConduit(channel, finish);
    } else if (!Connectors.isEntityBodyAllowed(ex)) {
      headers.remove(Headers.CONTENT_LENGTH);
      headers.remove(Headers.TRANSFER_ENCODING);
      return new HeadStreamSinkConduit(channel, finish);
    }
    String connectionHeader = headers.getFirst(Headers.CONNECTION);
    if (ex.getStatusCode() == 417) {
      ex.setPersistent(false);
    }
    if (!ex.isPersistent()) {
      headers.put(Headers.CONNECTION, Headers.CLOSE.toString());
    } else if (connectionHeader != null) {
      if (HttpString.tryFromString(connectionHeader).equals(Headers.CLOSE)) {
        ex.setPersistent(false);
      }
    } else if (ex.getConnection()
        .getUndertowOptions()
        .get(UndertowOptions.ALWAYS_SET_KEEP_ALIVE, true)) {
      headers.put(Headers.CONNECTION, Headers.KEEP_ALIVE.toString());
    }
    String transferEncoding = headers.getLast(Headers.TRANSFER_ENCODING);
    if (transferEncoding == null) {
      String contentLength = headers.getFirst(Headers.CONTENT_LENGTH);
      if (contentLength != null) {
        long length = length(contentLength);
        if (length < 0) {
          headers.remove(Headers.CONTENT_LENGTH); // as Undertow: not a number, no framing by it
        } else {
          return head ? channel : new FixedLength(channel, length, ex);
        }
      }
      if (ex.isPersistent()) {
        headers.put(Headers.TRANSFER_ENCODING, Headers.CHUNKED.toString());
        return head
            ? channel
            : new ChunkedStreamSinkConduit(
                channel, ex.getConnection().getByteBufferPool(), true, false, headers, finish, ex);
      }
      return head ? channel : new FinishableStreamSinkConduit(channel, finish);
    }
    headers.remove(Headers.CONTENT_LENGTH);
    if (new HttpString(transferEncoding).equals(Headers.CHUNKED)) {
      if (head) {
        return channel;
      }
      Boolean preChunked = ex.getAttachment(HttpAttachments.PRE_CHUNKED_RESPONSE);
      if (preChunked != null && preChunked) {
        return new PreChunkedStreamSinkConduit(channel, finish, ex);
      }
      return new ChunkedStreamSinkConduit(
          channel,
          ex.getConnection().getByteBufferPool(),
          true,
          !ex.isPersistent(),
          headers,
          finish,
          ex);
    }
    if (head) {
      return channel;
    }
    ex.setPersistent(false);
    headers.put(Headers.CONNECTION, Headers.CLOSE.toString());
    return new FinishableStreamSinkConduit(channel, finish);
  }

  /** A Content-Length's decimal digits as a number, or -1 when it is not one. */
  static long length(String value) {
    int n = value.length();
    if (n == 0 || n > 18) {
      return -1;
    }
    long v = 0;
    for (int i = 0; i < n; i++) {
      char c = value.charAt(i);
      if (c < '0' || c > '9') {
        return -1;
      }
      v = v * 10 + (c - '0');
    }
    return v;
  }

  /** A body framed by Content-Length; its end ends the exchange's response. */
  private static final class FixedLength extends AbstractFixedLengthStreamSinkConduit {
    private @Nullable HttpServerExchange exchange;

    FixedLength(StreamSinkConduit next, long length, HttpServerExchange exchange) {
      super(next, length, false, false);
      this.exchange = exchange;
    }

    @Override
    protected void channelFinished() {
      HttpServerExchange ex = exchange;
      if (ex != null) {
        exchange = null;
        Connectors.terminateResponse(ex);
      }
    }
  }

  /**
   * Writes the exchange's status line and headers before anything else goes out: built at the first
   * write, flush or shutdown, when the headers are final.
   */
  static final class HeadFirst extends AbstractStreamSinkConduit<StreamSinkConduit> {
    private final HttpServerExchange exchange;
    private @Nullable ByteBuffer head; // null until built; then what is left of it
    private boolean built;
    private boolean shutdownPending;

    HeadFirst(StreamSinkConduit next, HttpServerExchange exchange) {
      super(next);
      this.exchange = exchange;
    }

    /** True when the head is out; else the part left is in {@link #head}. */
    private boolean writeHead() throws IOException {
      if (!built) {
        built = true;
        head = ByteBuffer.wrap(build(exchange));
      }
      ByteBuffer h = head;
      if (h == null) {
        return true;
      }
      while (h.hasRemaining()) {
        if (next.write(h) == 0) {
          return false;
        }
      }
      head = null;
      return true;
    }

    @Override
    public int write(ByteBuffer src) throws IOException {
      try {
        return writeBody(src);
      } catch (IOException e) {
        IoUtils.safeClose(exchange.getConnection()); // as Undertow's response conduit
        throw e;
      }
    }

    private int writeBody(ByteBuffer src) throws IOException {
      if (!built) {
        built = true;
        head = ByteBuffer.wrap(build(exchange));
      }
      ByteBuffer h = head;
      if (h == null) {
        return next.write(src);
      }
      long before = h.remaining();
      long n = next.write(new ByteBuffer[] {h, src}, 0, 2);
      if (h.hasRemaining()) {
        return 0;
      }
      head = null;
      return (int) (n - before);
    }

    @Override
    public long write(ByteBuffer[] srcs, int offs, int len) throws IOException {
      try {
        return writeBodies(srcs, offs, len);
      } catch (IOException e) {
        IoUtils.safeClose(exchange.getConnection());
        throw e;
      }
    }

    private long writeBodies(ByteBuffer[] srcs, int offs, int len) throws IOException {
      if (!built) {
        built = true;
        head = ByteBuffer.wrap(build(exchange));
      }
      ByteBuffer h = head;
      if (h == null) {
        return next.write(srcs, offs, len);
      }
      ByteBuffer[] all = new ByteBuffer[len + 1];
      all[0] = h;
      System.arraycopy(srcs, offs, all, 1, len);
      long before = h.remaining();
      long n = next.write(all, 0, all.length);
      if (h.hasRemaining()) {
        return 0;
      }
      head = null;
      return n - before;
    }

    @Override
    public int writeFinal(ByteBuffer src) throws IOException {
      return Conduits.writeFinalBasic(this, src);
    }

    @Override
    public long writeFinal(ByteBuffer[] srcs, int offs, int len) throws IOException {
      return Conduits.writeFinalBasic(this, srcs, offs, len);
    }

    @Override
    public long transferFrom(FileChannel src, long position, long count) throws IOException {
      if (!writeHead()) {
        return 0;
      }
      return src.transferTo(position, count, new ConduitWritableByteChannel(this));
    }

    @Override
    public long transferFrom(StreamSourceChannel source, long count, ByteBuffer throughBuffer)
        throws IOException {
      if (!writeHead()) {
        throughBuffer.limit(0);
        return 0;
      }
      return Conduits.transfer(source, count, throughBuffer, this);
    }

    @Override
    public boolean flush() throws IOException {
      try {
        if (!writeHead()) {
          return false;
        }
        if (shutdownPending) {
          shutdownPending = false;
          next.terminateWrites(); // the connection ends after this response
        }
        return next.flush();
      } catch (IOException e) {
        IoUtils.safeClose(exchange.getConnection());
        throw e;
      }
    }

    @Override
    public void terminateWrites() throws IOException {
      if (writeHead()) {
        next.terminateWrites();
      } else {
        shutdownPending = true; // after the rest of the head, in flush()
      }
    }

    @Override
    public void truncateWrites() throws IOException {
      try {
        next.truncateWrites();
      } finally {
        IoUtils.safeClose(exchange.getConnection()); // a response cut short ends the connection
      }
    }

    @Override
    public void awaitWritable() throws IOException {
      next.awaitWritable();
    }

    @Override
    public void awaitWritable(long time, TimeUnit timeUnit) throws IOException {
      next.awaitWritable(time, timeUnit);
    }
  }

  /** The status line and headers Undertow's HTTP/1.1 connection writes for the exchange. */
  static byte[] build(HttpServerExchange ex) {
    Connectors.flattenCookies(ex); // cookies set on the exchange become Set-Cookie headers here
    StringBuilder s = new StringBuilder(256);
    String reason = ex.getReasonPhrase();
    s.append("HTTP/1.1 ").append(ex.getStatusCode()).append(' ');
    text(s, reason != null ? reason : StatusCodes.getReason(ex.getStatusCode()));
    s.append("\r\n");
    HeaderMap headers = ex.getResponseHeaders();
    for (long c = headers.fastIterateNonEmpty(); c != -1L; c = headers.fiNextNonEmpty(c)) {
      HeaderValues values = headers.fiCurrent(c);
      String name = values.getHeaderName().toString();
      for (int i = 0, n = values.size(); i < n; i++) {
        s.append(name).append(": ");
        text(s, values.get(i));
        s.append("\r\n");
      }
    }
    s.append("\r\n");
    byte[] out = new byte[s.length()];
    for (int i = 0; i < out.length; i++) {
      out[i] = (byte) s.charAt(i);
    }
    return out;
  }

  /**
   * A value or reason phrase as Undertow's response conduit writes one: each char cut to a byte,
   * and a byte that is then CR or LF written as a space, so no value can end the line it is on
   * (filtering the char before the cut would let U+010D through as a CR).
   */
  private static void text(StringBuilder s, String v) {
    for (int j = 0; j < v.length(); j++) {
      int b = v.charAt(j) & 0xff;
      s.append(b == '\r' || b == '\n' ? ' ' : (char) b);
    }
  }
}
