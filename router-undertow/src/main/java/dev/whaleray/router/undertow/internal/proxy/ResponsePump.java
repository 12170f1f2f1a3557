package dev.whaleray.router.undertow.internal.proxy;

import static java.util.Objects.requireNonNull;

import dev.whaleray.router.lb.Outcome;
import dev.whaleray.router.undertow.internal.http1.ChunkedResponseDecoder;
import dev.whaleray.router.undertow.internal.http1.HopByHop;
import dev.whaleray.router.undertow.internal.http1.ProtocolException;
import dev.whaleray.router.undertow.internal.http1.ResponseParser;
import dev.whaleray.router.undertow.internal.pool.TimeoutList;
import dev.whaleray.router.undertow.internal.pool.UpstreamPool;
import io.undertow.server.Connectors;
import io.undertow.util.HeaderMap;
import io.undertow.util.Headers;
import io.undertow.util.HttpString;
import io.undertow.util.StatusCodes;
import java.io.IOException;
import java.nio.ByteBuffer;
import org.jspecify.annotations.Nullable;
import org.xnio.IoUtils;
import org.xnio.channels.StreamSinkChannel;
import org.xnio.channels.StreamSourceChannel;

/**
 * The response's way back: reads and parses the upstream's response head into the exchange,
 * switches a 101 over to an {@link UpgradeTunnel}, streams the body to the client with backpressure
 * (de-chunking a chunked one) and flushes the end before the connection goes back to its pool.
 *
 * <p>One per call, and that call's response timer too (from the end of the request to the response
 * head). IO thread only.
 */
final class ResponsePump extends TimeoutList.Node {
  private static final System.Logger LOG = System.getLogger(ResponsePump.class.getName());

  static final int BODY_NONE = 0;
  static final int BODY_FIXED = 1;
  static final int BODY_CHUNKED = 2;
  static final int BODY_TO_EOF = 3;

  /** {@link #transfer}: the body was read to its end. */
  static final int BODY_READ = 0;

  /** {@link #transfer}: one side has to wait; its event continues. */
  static final int WAITING = 1;

  /** {@link #transfer}: writing to the client failed, it went away. */
  static final int CLIENT_GONE = 2;

  private final ProxyCall call;

  boolean started; // the head arrived
  boolean keepAlive; // the upstream connection can be reused after this response
  int bodyMode;
  long remaining;
  private @Nullable ChunkedResponseDecoder decoder;
  @Nullable StreamSinkChannel channel; // the client's response channel, once the head is in
  boolean done; // the body was read to its end
  private boolean endAfterFlush;

  /**
   * The router writes this response itself onto the client's connection ({@link DirectResponse}):
   * {@link #channel} is the connection's sink, and the exchange is ended by hand.
   */
  boolean direct;

  private @Nullable ByteBuffer directHead; // a direct response's head, until it is written
  private long directBytes; // a direct response's body bytes written, for the exchange's count

  ResponsePump(ProxyCall call) {
    this.call = call;
  }

  /** No response head within the response timeout. */
  @Override
  protected void expired() {
    if (call.state != ProxyCall.ACTIVE || started) {
      return;
    }
    call.closeConnection(); // never back to the pool with a response pending
    call.end(Outcome.TIMEOUT);
    if (!call.requestSent) {
      call.exchange.setPersistent(false);
    }
    call.fail(StatusCodes.GATEWAY_TIME_OUT, "upstream timed out");
  }

  /**
   * The connection broke before the response head: retry an idempotent request whose body, if any,
   * was read whole before sending (so it can be sent again).
   */
  void brokeBeforeHead(IOException e) {
    if (call.state != ProxyCall.ACTIVE) {
      return;
    }
    cancel();
    call.pendingHead = null;
    call.closeConnection();
    LOG.log(
        System.Logger.Level.DEBUG,
        () ->
            "upstream "
                + call.attempts.upstream.endpoint()
                + (call.reused ? " (reused connection)" : "")
                + ": "
                + e.getMessage());
    RequestPump body = call.request;
    if ((body == null || body.canResend()) && call.isIdempotent() && !started) {
      call.attempts.failedBeforeSending(
          Outcome.RESET, StatusCodes.BAD_GATEWAY, "upstream connection failed", false);
      return;
    }
    call.end(Outcome.RESET);
    call.fail(StatusCodes.BAD_GATEWAY, "upstream connection failed");
  }

  /** The upstream connection is readable: the head, or more of the body. */
  void readable() {
    if (started) {
      pump();
      return;
    }
    UpstreamPool.Conn c = requireNonNull(call.conn); // readable: the call holds its connection
    ByteBuffer b = c.buffer();
    int n;
    try {
      b.compact();
      try {
        n = c.source.read(b);
      } finally {
        b.flip();
      }
    } catch (IOException e) {
      brokeBeforeHead(e);
      return;
    }
    if (n == -1) {
      brokeBeforeHead(new IOException("upstream closed the connection before answering"));
      return;
    }
    if (n == 0) {
      return;
    }
    readHead(b);
  }

  private void readHead(ByteBuffer b) {
    HeaderMap out = call.exchange.getResponseHeaders();
    ResponseParser parser = call.thread.parser;
    // Left in the parser, not the exchange's map, when the router may write the head itself and
    // nothing but the router's own code could read the map (copied in below if it cannot).
    boolean keep =
        call.requestSent && call.upgrade == null && DirectResponse.mayKeepHeadersOut(call.exchange);
    try {
      while (true) {
        if (!parser.parse(b, keep ? null : out)) {
          if (b.position() == 0 && b.limit() == b.capacity()) {
            throw new ProtocolException("response head too large");
          }
          return; // wait for more
        }
        int status = parser.status;
        if (status >= 200) {
          break;
        }
        if (status == 101) {
          String upgrade = call.upgrade;
          if (upgrade == null) {
            throw new ProtocolException("101 Switching Protocols without an upgrade request");
          }
          if (parser.upgrade == null || !parser.upgrade.equalsIgnoreCase(upgrade)) {
            throw new ProtocolException("101 Switching Protocols to another protocol");
          }
          switchProtocols(out, parser.upgrade);
          return;
        }
        out.clear(); // an interim 1xx answer: skip it
      }
    } catch (ProtocolException e) {
      out.clear();
      LOG.log(
          System.Logger.Level.WARNING,
          "invalid response from " + call.attempts.upstream.endpoint() + ": " + e.getMessage());
      call.closeConnection();
      call.end(Outcome.ERROR);
      call.fail(StatusCodes.BAD_GATEWAY, "invalid response from upstream");
      return;
    }
    started = true;
    RequestPump body = call.request;
    if (body != null) {
      body.freePreread(); // the response is in: never sent again
    }
    call.attempts.headArrived(parser.status);
    cancel();
    call.exchange.setStatusCode(parser.status);
    frame(parser, call.head, out);
    boolean mine =
        call.requestSent
            && DirectResponse.allowed(call.exchange, bodyMode, call.head, parser.contentLength);
    if (keep && !mine) {
      parser.fill(out);
      frame(parser, call.head, out); // again: what framing removes from the map, now filled
    }
    if (mine) {
      direct = true;
      directHead =
          DirectResponse.head(
              call.thread.responseHead,
              call.exchange,
              parser.status,
              call.head,
              keep ? parser : null);
      StreamSinkChannel rc = DirectResponse.sink(call.exchange);
      channel = rc;
      rc.getWriteSetter().set(call);
      pump();
      return;
    }
    StreamSinkChannel rc = call.exchange.getResponseChannel();
    channel = rc;
    rc.getWriteSetter().set(call);
    pump();
  }

  /**
   * How the body that follows the parsed head is framed, and whether the connection can be reused
   * after it; framing headers that no longer apply leave {@code out}.
   */
  void frame(ResponseParser parser, boolean head, HeaderMap out) {
    int status = parser.status;
    keepAlive = parser.http11 && !parser.connectionClose;
    if (head || status == 204 || status == 304) {
      bodyMode = BODY_NONE;
    } else if (parser.chunked) {
      bodyMode = BODY_CHUNKED;
      if (parser.contentLength >= 0) {
        keepAlive = false; // both framings: RFC 9112 6.3 says close after
        out.remove(Headers.CONTENT_LENGTH);
      }
      ChunkedResponseDecoder d = decoder;
      if (d == null) {
        d = decoder = new ChunkedResponseDecoder();
      }
      d.reset();
    } else if (parser.otherTransferCoding) {
      bodyMode = BODY_TO_EOF;
      keepAlive = false;
      out.remove(Headers.CONTENT_LENGTH);
    } else if (parser.contentLength >= 0) {
      bodyMode = BODY_FIXED;
      remaining = parser.contentLength;
    } else {
      bodyMode = BODY_TO_EOF;
      keepAlive = false;
    }
    // Hop-by-hop headers were left out while parsing; remove what Connection named, if anything.
    HttpString[] named = HopByHop.named(parser.connection);
    if (named != null) {
      for (HttpString n : named) {
        out.remove(n);
      }
    }
  }

  /** Trailer fields Undertow must not take from a backend: framing, routing, hop-by-hop. */
  private static final java.util.Set<String> NOT_TRAILERS =
      java.util.Set.of(
          "content-length",
          "transfer-encoding",
          "host",
          "connection",
          "keep-alive",
          "te",
          "trailer",
          "upgrade",
          "proxy-connection",
          "proxy-authenticate",
          "proxy-authorization",
          "content-type",
          "content-encoding",
          "content-range",
          "set-cookie");

  /**
   * The backend's chunked trailer fields (gRPC's {@code grpc-status} and {@code grpc-message} over
   * HTTP/1.1) go to the client: as a chunked trailer section to an HTTP/1.1 client, as a trailing
   * HEADERS frame to an HTTP/2 one (Undertow writes {@code RESPONSE_TRAILERS} either way).
   */
  private void passTrailers(java.util.List<String[]> fields) {
    if (fields.isEmpty()) {
      return;
    }
    HeaderMap trailers = new HeaderMap();
    for (String[] f : fields) {
      if (!NOT_TRAILERS.contains(f[0].toLowerCase(java.util.Locale.ROOT))) {
        trailers.add(new HttpString(f[0]), f[1]);
      }
    }
    if (trailers.size() > 0) {
      call.exchange.putAttachment(
          io.undertow.server.protocol.http.HttpAttachments.RESPONSE_TRAILERS, trailers);
    }
  }

  /**
   * The backend accepted the upgrade: the client gets the 101 with the backend's handshake headers,
   * then both connections become a {@link UpgradeTunnel}. The upstream connection leaves its pool
   * for good; the attempt stays in flight (least-connections sees it) until the tunnel closes.
   */
  private void switchProtocols(HeaderMap out, String protocol) {
    started = true;
    call.attempts.headArrived(StatusCodes.SWITCHING_PROTOCOLS);
    cancel();
    call.state = ProxyCall.DONE; // the exchange ends with the 101; the tunnel owns both from here
    UpstreamPool.Conn c = requireNonNull(call.conn);
    call.conn = null;
    c.source.getReadSetter().set(null);
    c.sink.getWriteSetter().set(null);
    UpgradeTunnel tunnel = new UpgradeTunnel(call.thread, c.connection, c.detach(), call);
    out.put(Headers.UPGRADE, protocol);
    call.exchange.upgradeChannel((clientConnection, ex) -> tunnel.start(clientConnection));
    call.exchange.endExchange();
  }

  /** The client can take more: go on with the body, or with flushing its end. */
  void clientWritable() {
    if (done) {
      if (direct) {
        directEnd();
      } else {
        flushEnd();
      }
      return;
    }
    requireNonNull(channel).suspendWrites(); // writable: the response channel is open
    UpstreamPool.Conn c = call.conn;
    if (c != null) {
      c.source.resumeReads();
    }
    pump();
  }

  /** Moves response body bytes from the upstream to the client until one side has to wait. */
  void pump() {
    UpstreamPool.Conn c = call.conn;
    StreamSinkChannel out = channel;
    if (c == null || out == null) {
      return;
    }
    int result;
    try {
      result = transfer(c.source, c.buffer(), out);
    } catch (IOException | ProtocolException e) {
      directHead = null; // the connection closes: a head still in the shared buffer is dropped
      LOG.log(System.Logger.Level.DEBUG, () -> "response body: " + e.getMessage());
      call.abort(Outcome.ERROR, StatusCodes.BAD_GATEWAY, "upstream connection failed");
      return;
    }
    if (result == BODY_READ) {
      ChunkedResponseDecoder d = decoder;
      if (bodyMode == BODY_CHUNKED && d != null) {
        passTrailers(d.trailers()); // before the end: Undertow writes them as the body closes
      }
      bodyRead();
    } else if (result == CLIENT_GONE) {
      clientGone();
    } else {
      ByteBuffer h = directHead;
      if (h != null) {
        // Waiting for the body (or the client) with the head unwritten: it must not stay in the
        // IO thread's shared buffer, which the next exchange's head overwrites meanwhile.
        directHead = rest(h);
      }
    }
  }

  /**
   * Copies body bytes from {@code source} through {@code b} (in read mode) to {@code out} as the
   * framing says; when the client cannot take more, reads stop and the client's writes resume.
   *
   * @return {@link #BODY_READ}, {@link #WAITING} or {@link #CLIENT_GONE}
   * @throws IOException the upstream failed or closed mid-body
   * @throws ProtocolException the upstream's chunked framing is bad
   */
  int transfer(StreamSourceChannel source, ByteBuffer b, StreamSinkChannel out)
      throws IOException, ProtocolException {
    while (true) {
      if (bodyMode == BODY_NONE
          || (bodyMode == BODY_FIXED && remaining == 0)
          || (bodyMode == BODY_CHUNKED && requireNonNull(decoder).isDone())) {
        return BODY_READ;
      }
      int available;
      if (bodyMode == BODY_CHUNKED) {
        available = requireNonNull(decoder).data(b); // chunked: it has a decoder
        if (decoder.isDone()) {
          continue; // its trailers, if any, go out with the end (bodyRead)
        }
      } else {
        available =
            bodyMode == BODY_FIXED ? (int) Math.min(remaining, b.remaining()) : b.remaining();
      }
      if (available == 0) {
        b.clear();
        int n;
        try {
          n = source.read(b);
        } finally {
          b.flip();
        }
        if (n == -1) {
          if (bodyMode == BODY_TO_EOF) {
            bodyMode = BODY_NONE;
            continue;
          }
          throw new IOException("upstream closed the connection mid-response");
        }
        if (n == 0) {
          return WAITING; // reads are on: the next event continues
        }
        continue;
      }
      int limit = b.limit();
      b.limit(b.position() + available);
      int written;
      try {
        ByteBuffer h = directHead;
        written = h == null ? out.write(b) : writeWithHead(out, h, b);
      } catch (IOException e) {
        LOG.log(System.Logger.Level.DEBUG, () -> "client gone mid-response: " + e.getMessage());
        return CLIENT_GONE;
      } finally {
        b.limit(limit);
      }
      directBytes += written;
      if (bodyMode == BODY_FIXED) {
        remaining -= written;
      } else if (bodyMode == BODY_CHUNKED) {
        requireNonNull(decoder).consumed(written);
      }
      if (written < available) {
        source.suspendReads();
        out.resumeWrites();
        return WAITING;
      }
    }
  }

  /** Writing to the client failed: it went away mid-response. Not the upstream's fault. */
  private void clientGone() {
    directHead = null;
    call.closeConnection(); // the rest of the response is still on it
    call.end(Outcome.CLIENT_ABORT);
    call.state = ProxyCall.DONE;
    call.freeRequestBuffer();
    IoUtils.safeClose(call.exchange.getConnection());
  }

  private void bodyRead() {
    done = true;
    call.end(Outcome.SUCCESS);
    if (call.requestSent) {
      call.releaseConnection();
    } else {
      // Answered before the whole request was sent (an early 413, say): stop sending, and end
      // the exchange, which then closes the client connection (its body is half read).
      RequestPump request = call.request;
      if (request != null) {
        request.stopReading();
      }
      call.freeRequestBuffer();
      call.closeConnection();
      call.state = ProxyCall.DONE;
      call.exchange.setPersistent(false);
      // The answer is sent in full first: ending the exchange drains (or cuts) the request,
      // which can close the connection under a response still buffered.
      endAfterFlush = true;
    }
    call.state = ProxyCall.DONE;
    if (direct) {
      directEnd();
      return;
    }
    StreamSinkChannel out = requireNonNull(channel); // the body ends: its channel was taken
    try {
      out.shutdownWrites();
    } catch (IOException e) {
      IoUtils.safeClose(call.exchange.getConnection());
      return;
    }
    flushEnd();
  }

  /**
   * Writes a direct response's head with body bytes in one gathering write.
   *
   * @return the body bytes written: none while part of the head is still to go
   */
  private int writeWithHead(StreamSinkChannel out, ByteBuffer h, ByteBuffer b) throws IOException {
    int before = h.remaining();
    ByteBuffer[] pair = call.thread.pair;
    pair[0] = h;
    pair[1] = b;
    long w;
    try {
      w = out.write(pair, 0, 2);
    } finally {
      pair[0] = null;
      pair[1] = null;
    }
    int headWritten = before - h.remaining();
    if (h.hasRemaining()) {
      directHead = rest(h);
      return 0;
    }
    directHead = null;
    return (int) (w - headWritten);
  }

  /**
   * What is left of a head, in a buffer of its own when it is still in the IO thread's shared
   * (direct) one; a copy already made is kept.
   */
  private static ByteBuffer rest(ByteBuffer h) {
    if (!h.isDirect()) {
      return h;
    }
    ByteBuffer copy = ByteBuffer.allocate(h.remaining());
    copy.put(h).flip();
    return copy;
  }

  /**
   * A direct response's end: the rest of its head (a response without a body has only a head), a
   * flush, then the exchange ends as Undertow's channel would end it, so the connection goes on to
   * its next request (or closes, when it is not to persist).
   */
  private void directEnd() {
    StreamSinkChannel out = requireNonNull(channel); // a direct response has the sink
    try {
      ByteBuffer h = directHead;
      if (h != null) {
        out.write(h);
        if (h.hasRemaining()) {
          directHead = rest(h);
          out.resumeWrites();
          return;
        }
        directHead = null;
      }
      if (!out.flush()) {
        out.resumeWrites();
        return;
      }
    } catch (IOException e) {
      directHead = null;
      IoUtils.safeClose(call.exchange.getConnection());
      return;
    }
    out.suspendWrites();
    out.getWriteSetter().set(null);
    Connectors.updateResponseBytesSent(call.exchange, directBytes);
    Connectors.terminateResponse(call.exchange);
  }

  private void flushEnd() {
    StreamSinkChannel out = requireNonNull(channel);
    try {
      if (out.flush()) {
        out.suspendWrites();
        out.getWriteSetter().set(null);
        if (endAfterFlush) {
          endAfterFlush = false;
          call.linger();
        }
      } else {
        out.resumeWrites();
      }
    } catch (IOException e) {
      IoUtils.safeClose(call.exchange.getConnection());
    }
  }
}
