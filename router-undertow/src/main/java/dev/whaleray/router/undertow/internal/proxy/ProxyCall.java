package dev.whaleray.router.undertow.internal.proxy;

import static java.util.Objects.requireNonNull;

import dev.whaleray.router.RequestView;
import dev.whaleray.router.core.Cluster;
import dev.whaleray.router.lb.Outcome;
import dev.whaleray.router.lb.Upstream;
import dev.whaleray.router.undertow.internal.edge.ChunkedRequestDecoder;
import dev.whaleray.router.undertow.internal.edge.JsonErrors;
import dev.whaleray.router.undertow.internal.http1.HeadWriter;
import dev.whaleray.router.undertow.internal.pool.UpstreamPool;
import dev.whaleray.router.undertow.internal.pool.Upstreams;
import io.undertow.server.HttpServerExchange;
import io.undertow.server.RequestTooBigException;
import io.undertow.server.protocol.http.HttpServerConnection;
import io.undertow.util.Headers;
import io.undertow.util.Methods;
import io.undertow.util.StatusCodes;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.Channel;
import org.jspecify.annotations.Nullable;
import org.xnio.ChannelListener;
import org.xnio.IoUtils;
import org.xnio.channels.StreamSourceChannel;
import org.xnio.conduits.ConduitStreamSourceChannel;

/**
 * One proxied request on the router's own HTTP/1.1 path, as a state machine: takes a pooled
 * upstream connection, writes the request head ({@link RequestHead}), lets the {@link RequestPump}
 * and the {@link ResponsePump} move the bodies with backpressure both ways, and decides what each
 * failure means. Retries a connect failure (and, for an idempotent request whose body, if any, was
 * read whole, a connection that broke before any response) on a re-picked endpoint.
 *
 * <p>Runs on the exchange's IO thread only. Per request: this object, its {@link Attempts} (also
 * the connect timer) and its {@link ResponsePump} (also the response timer); a {@link RequestPump}
 * only for a request with a body, a {@link LingeringClose} only after an early answer.
 */
public final class ProxyCall extends RouterCompletionListener
    implements Runnable,
        UpstreamPool.Owner,
        ChannelListener<Channel>,
        UpgradeTunnel.Ended,
        RequestPump.Call,
        RequestHead.Origin {
  private static final System.Logger LOG = System.getLogger(ProxyCall.class.getName());

  static final int CONNECTING = 1;
  static final int ACTIVE = 2;
  static final int DONE = 3;

  private final Upstreams config;
  final Upstreams.PerThread thread;
  final HttpServerExchange exchange;
  private final Cluster cluster;
  private final String path;
  private final int pathFrom;
  final boolean head;
  final @Nullable String upgrade; // "websocket" for a handshake: a 101 opens a tunnel

  /** The body's side; null for a request without a body. */
  final @Nullable RequestPump request;

  final ResponsePump response = new ResponsePump(this);
  private @Nullable LingeringClose linger;

  UpstreamPool.@Nullable Conn conn;
  int state;
  boolean reused;
  @Nullable ByteBuffer pendingHead;
  boolean requestSent;

  /** The attempts: connecting, retries, and what the cluster is told. */
  final Attempts attempts;

  private final long startNanos; // System.nanoTime() when the request was picked for

  /** A {@code traceparent} the router created for the request, else null: sent on each attempt. */
  private final @Nullable Traceparent created;

  /** Request body bytes read from the client so far. */
  long requestBodyBytes() {
    RequestPump r = request;
    return r == null ? 0 : r.bodyBytes();
  }

  public ProxyCall(
      Upstreams config,
      HttpServerExchange exchange,
      Cluster cluster,
      RequestView view,
      Upstream upstream,
      String path,
      int pathFrom,
      long startNanos,
      @Nullable RequestRecord record,
      @Nullable Traceparent created) {
    this.config = config;
    this.thread = config.thread(exchange);
    this.exchange = exchange;
    this.cluster = cluster;
    this.attempts = new Attempts(this, cluster, view, upstream, config.retries, record);
    this.startNanos = startNanos;
    this.created = created;
    if (record != null) {
      record.call = this;
    }
    this.path = path;
    this.pathFrom = pathFrom;
    this.head = exchange.getRequestMethod().equals(Methods.HEAD);
    boolean hasBody = !exchange.isRequestComplete();
    this.request =
        hasBody
            ? new RequestPump(
                this,
                thread.buffers,
                thread.clientBodyTimeouts,
                config,
                !exchange.getRequestHeaders().contains(Headers.CONTENT_LENGTH))
            : null;
    String u = exchange.getRequestHeaders().getFirst(Headers.UPGRADE);
    this.upgrade = !hasBody && u != null && u.equalsIgnoreCase("websocket") ? u : null;
  }

  /** Starts the first attempt; run through {@code exchange.dispatch} so the exchange stays open. */
  @Override
  public void run() {
    exchange.addExchangeCompleteListener(this);
    RequestPump body = request;
    if (body == null) {
      keepClientReadsOn();
    }
    try {
      if (body != null) {
        body.start(exchange);
        return;
      }
      attempts.start(startNanos); // at once: the pick's clock read is the attempt's start
    } catch (RuntimeException e) {
      LOG.log(System.Logger.Level.ERROR, "proxying " + exchange.getRequestURI(), e);
      abort(Outcome.ERROR, StatusCodes.INTERNAL_SERVER_ERROR, "proxy error");
    }
  }

  /**
   * Undertow suspends a client connection's reads while its request runs and resumes them when it
   * ends: two epoll changes per request. Resumed again in the same event-loop turn, the suspend
   * never reaches epoll, and Undertow's resume finds them on. Anything the client sends meanwhile
   * (a pipelined request, a close) trips the guard, which suspends them for real, as before.
   */
  private void keepClientReadsOn() {
    if (exchange.getConnection() instanceof HttpServerConnection) {
      ConduitStreamSourceChannel source =
          ((HttpServerConnection) exchange.getConnection()).getChannel().getSourceChannel();
      source.getReadSetter().set(SUSPEND_ON_READ);
      source.resumeReads();
    }
  }

  private static final ChannelListener<ConduitStreamSourceChannel> SUSPEND_ON_READ =
      ConduitStreamSourceChannel::suspendReads;

  @Override
  public void bodyReadAhead() {
    attempts.start();
  }

  @Override
  public void bodySent() {
    requestSent();
  }

  @Override
  public void bodyUnavailable() {
    fail(StatusCodes.INTERNAL_SERVER_ERROR, "request body already read");
  }

  @Override
  public boolean isOver() {
    return state == DONE;
  }

  @Override
  public void bodyFailed(IOException e) {
    LOG.log(System.Logger.Level.DEBUG, () -> "request body: " + e.getMessage());
    abort(Outcome.ERROR, StatusCodes.BAD_GATEWAY, "upstream connection failed");
  }

  /** The client sends its body too slowly: 408 if nothing was answered yet, else cut. */
  @Override
  public void clientTooSlow(String why) {
    if (state == DONE) {
      return;
    }
    LOG.log(System.Logger.Level.DEBUG, () -> "client too slow: " + why);
    stopBody();
    closeConnection(); // an upstream holding half a request must not see the rest
    end(Outcome.CLIENT_ABORT); // not the upstream's fault
    exchange.setPersistent(false);
    if (response.channel == null && !exchange.isResponseStarted()) {
      fail(408, "request body too slow: " + why);
    } else {
      state = DONE;
      freeRequestBuffer();
      IoUtils.safeClose(exchange.getConnection());
    }
  }

  /**
   * Reading the client's body failed: over the size limit (413), or the client went away. Not the
   * upstream's fault, so it is not charged with an error; its connection, holding half a request,
   * is closed.
   */
  @Override
  public void clientFailed(IOException e) {
    LOG.log(System.Logger.Level.DEBUG, () -> "client request body: " + e.getMessage());
    stopBody();
    closeConnection();
    end(Outcome.CLIENT_ABORT);
    exchange.setPersistent(false);
    if (e instanceof RequestTooBigException && response.channel == null) {
      fail(413, "request body too large");
    } else if (e instanceof ChunkedRequestDecoder.MalformedChunkException
        && response.channel == null) {
      // The upstream got at most the chunks before the bad one, then a close: never a request.
      fail(StatusCodes.BAD_REQUEST, "malformed chunked body: " + e.getMessage());
    } else {
      state = DONE;
      freeRequestBuffer();
      IoUtils.safeClose(exchange.getConnection());
    }
  }

  private void stopBody() {
    RequestPump body = request;
    if (body != null) {
      body.stop();
    }
  }

  /** The attempt has its connection: send the head. */
  void connected(UpstreamPool.Conn c, boolean reused) {
    state = ACTIVE;
    this.conn = c;
    this.reused = reused;
    c.owner = this;
    c.sink.getWriteSetter().set(this);
    sendHead(c);
  }

  private void sendHead(UpstreamPool.Conn c) {
    HeadWriter w = thread.head.reset();
    RequestPump body = request;
    RequestHead.requestLine(
        w, exchange.getRequestMethod(), path, pathFrom, exchange.getQueryString());
    RequestHead.headers(
        w,
        exchange.getRequestHeaders(),
        attempts.upstream.endpoint().authority(),
        config.preserveHost,
        config.trustForwarded,
        upgrade,
        body == null ? RequestHead.AS_RECEIVED : body.contentLength(),
        created,
        this);
    ByteBuffer b = w.buffer();
    try {
      c.sink.write(b);
    } catch (IOException e) {
      response.brokeBeforeHead(e);
      return;
    }
    if (b.hasRemaining()) {
      // Rare: the socket buffer is full. Keep a private copy of what is left.
      ByteBuffer rest = ByteBuffer.allocate(b.remaining());
      rest.put(b).flip();
      pendingHead = rest;
      c.sink.resumeWrites();
      return;
    }
    afterHead();
  }

  private void afterHead() {
    RequestPump body = request;
    if (body == null) {
      requestSent();
      return;
    }
    body.frame();
    pumpRequest();
  }

  @Override
  public String remote() {
    return RequestHead.remote(exchange);
  }

  @Override
  public boolean https() {
    return exchange.getRequestScheme().equals("https");
  }

  @Override
  public InetSocketAddress destination() {
    return exchange.getDestinationAddress();
  }

  @Override
  public int localPort() {
    return RequestHead.localPort(exchange);
  }

  private void pumpRequest() {
    UpstreamPool.Conn c = conn;
    RequestPump body = request;
    if (c != null && body != null && !requestSent) {
      body.pump(c.sink);
    }
  }

  private void requestSent() {
    requestSent = true;
    UpstreamPool.Conn c = conn;
    if (c != null) {
      c.sink.suspendWrites();
    }
    if (response.done) {
      releaseConnection();
    } else if (!response.started) {
      thread.responseTimeouts.add(response);
    }
  }

  /** After an early answer, read and drop the rest of the upload (see {@link LingeringClose}). */
  void linger() {
    RequestPump body = request;
    StreamSourceChannel rc = body == null ? null : body.channel;
    if (rc == null || requireNonNull(body).eof) { // a channel comes with a body
      exchange.endExchange();
      return;
    }
    LingeringClose l = new LingeringClose(exchange, rc);
    linger = l;
    l.start(thread.buffers.allocate(), thread.lingerTimeouts, this);
  }

  @Override
  public void handleEvent(Channel channel) {
    LingeringClose l = linger;
    if (l != null && l.lingering && channel == l.channel) {
      l.discard();
      return;
    }
    RequestPump body = request;
    if (body != null && body.buffering) {
      if (channel == body.channel) {
        body.readAhead();
      }
      return;
    }
    UpstreamPool.Conn c = conn;
    if (state != ACTIVE && !(response.done && channel == response.channel)) {
      return;
    }
    if (channel == response.channel) {
      response.clientWritable();
    } else if (c != null && channel == c.sink) {
      ByteBuffer ph = pendingHead;
      if (ph != null) {
        try {
          c.sink.write(ph);
        } catch (IOException e) {
          response.brokeBeforeHead(e);
          return;
        }
        if (ph.hasRemaining()) {
          return;
        }
        pendingHead = null;
        c.sink.suspendWrites();
        afterHead();
      } else {
        c.sink.suspendWrites();
        if (body != null && !requestSent) {
          body.upstreamWritable(c.sink);
        }
      }
    } else if (body != null && channel == body.channel) {
      pumpRequest();
    }
  }

  @Override
  public void upstreamReadable() {
    if (state != ACTIVE) {
      return;
    }
    response.readable();
  }

  @Override
  public void tunnelEnded(Outcome outcome) {
    end(outcome);
  }

  /** Closes the upstream connection, if the call holds one: it is out of step or half used. */
  void closeConnection() {
    UpstreamPool.Conn c = conn;
    conn = null;
    if (c != null) {
      c.release(false);
    }
  }

  void releaseConnection() {
    UpstreamPool.Conn c = conn;
    conn = null;
    if (c != null) {
      c.sink.getWriteSetter().set(null);
      c.release(response.keepAlive);
    }
  }

  @Override
  public boolean isIdempotent() {
    return RequestHead.isIdempotent(exchange.getRequestMethod());
  }

  /** Something broke in transit: answer if the response has not started, else cut the client. */
  void abort(Outcome outcome, int status, String error) {
    if (state == DONE) {
      return;
    }
    pendingHead = null;
    closeConnection();
    end(outcome);
    if (response.channel != null || exchange.isResponseStarted()) {
      state = DONE;
      freeRequestBuffer();
      IoUtils.safeClose(exchange.getConnection());
    } else {
      fail(status, error);
    }
  }

  /** Ends the call with the router's own JSON answer. */
  void fail(int status, String error) {
    state = DONE;
    response.cancel();
    attempts.cancel();
    RequestPump body = request;
    if (body != null) {
      body.stop();
      StreamSourceChannel rc = body.channel;
      if (rc != null) {
        body.stopReading();
        if (!body.eof) {
          exchange.setPersistent(false); // the body is half read
        }
      }
    }
    freeRequestBuffer();
    if (exchange.isResponseStarted()) {
      IoUtils.safeClose(exchange.getConnection());
      return;
    }
    exchange.getResponseHeaders().clear();
    JsonErrors.send(exchange, status, error, cluster.service());
  }

  /** Frees the request body's buffers. */
  void freeRequestBuffer() {
    RequestPump body = request;
    if (body != null) {
      body.free();
    }
  }

  void end(Outcome outcome) {
    attempts.end(outcome);
  }

  /** The exchange is over, maybe early (the client went away): let go of everything. */
  @Override
  public void exchangeEvent(HttpServerExchange ex, NextListener next) {
    try {
      // For the circuit breaker: the status the client got (a client gone counts as a success).
      cluster.requestEnded(ex.getStatusCode() >= 500);
      LingeringClose l = linger;
      if (l != null) {
        l.exchangeEnded();
      }
      stopBody();
      if (state != DONE) {
        state = DONE;
        attempts.cancel();
        response.cancel();
        attempts.leavePool();
        closeConnection();
        attempts.cancelConnect();
        freeRequestBuffer();
        end(Outcome.CLIENT_ABORT); // the exchange ended from the client's side
      }
    } finally {
      next.proceed();
    }
  }
}
