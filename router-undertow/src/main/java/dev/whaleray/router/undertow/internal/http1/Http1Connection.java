package dev.whaleray.router.undertow.internal.http1;

import io.undertow.UndertowOptions;
import io.undertow.connector.PooledByteBuffer;
import io.undertow.server.AbstractServerConnection;
import io.undertow.server.Connectors;
import io.undertow.server.HttpServerExchange;
import io.undertow.server.HttpUpgradeListener;
import io.undertow.server.SSLSessionInfo;
import io.undertow.server.protocol.ParseTimeoutUpdater;
import io.undertow.util.ConnectionUtils;
import io.undertow.util.Cookies;
import io.undertow.util.ParameterLimitException;
import io.undertow.util.Protocols;
import io.undertow.util.URLUtils;
import java.io.IOException;
import java.nio.ByteBuffer;
import org.jspecify.annotations.Nullable;
import org.xnio.ChannelListener;
import org.xnio.IoUtils;
import org.xnio.StreamConnection;
import org.xnio.conduits.ConduitStreamSourceChannel;
import org.xnio.conduits.StreamSinkConduit;

/**
 * One client connection served by the router's own HTTP/1.1 request side: request heads inside
 * {@link RequestHeadParser}'s subset become Undertow exchanges here, without Undertow's parser and
 * its {@code HostHeaderHandler}; at the first head outside it the connection and every unserved
 * byte go to Undertow's listener for good ({@link Http1Listener#handOff}), between exchanges.
 *
 * <p>Runs on the connection's IO thread; an exchange that ends on another thread continues there.
 */
final class Http1Connection extends AbstractServerConnection
    implements ChannelListener<ConduitStreamSourceChannel> {
  private final Http1Listener listener;
  private final RequestHeadParser parser;
  private final @Nullable ParseTimeoutUpdater timeouts;
  private final int maxParameters;
  private final boolean decodeUrl;
  private final String urlCharset;
  private final boolean recordStartTime;
  private boolean handedOff;

  Http1Connection(Http1Listener listener, StreamConnection channel) {
    super(
        channel,
        listener.buffers(),
        listener.rootHandler(),
        listener.options(),
        listener.buffers().getBufferSize());
    this.listener = listener;
    this.parser = new RequestHeadParser(listener.maxHeaderSize(), listener.maxHeaders());
    this.maxParameters =
        listener
            .options()
            .get(UndertowOptions.MAX_PARAMETERS, UndertowOptions.DEFAULT_MAX_PARAMETERS);
    this.decodeUrl = listener.options().get(UndertowOptions.DECODE_URL, true);
    this.urlCharset = listener.options().get(UndertowOptions.URL_CHARSET, "UTF-8");
    this.recordStartTime = listener.options().get(UndertowOptions.RECORD_REQUEST_START_TIME, false);
    if (listener.parseTimeout() > 0 || listener.idleTimeout() > 0) {
      ParseTimeoutUpdater t =
          new ParseTimeoutUpdater(this, listener.parseTimeout(), listener.idleTimeout());
      addCloseListener(t);
      this.timeouts = t;
    } else {
      this.timeouts = null;
    }
  }

  /** Reads the first request: often there already when the connection is accepted. */
  void start() {
    ConduitStreamSourceChannel source = channel.getSourceChannel();
    source.setReadListener(this);
    if (timeouts != null) {
      timeouts.connectionIdle();
    }
    handleEvent(source);
    if (!handedOff && channel.isOpen() && current == null && extraBytes == null) {
      source.resumeReads();
    }
  }

  @Override
  public void handleEvent(ConduitStreamSourceChannel source) {
    if (handedOff) {
      return;
    }
    if (current != null) {
      // Bytes (or the end) during an exchange: left in the socket until the exchange is over.
      // Reads stay on between requests otherwise, which spares two epoll changes per request.
      source.suspendReads();
      return;
    }
    PooledByteBuffer pooled = extraBytes;
    extraBytes = null;
    if (pooled == null) {
      pooled = bufferPool.allocate();
      pooled.getBuffer().clear().limit(0);
    }
    ByteBuffer b = pooled.getBuffer();
    b.compact(); // unserved bytes first, then room to read into
    int n;
    try {
      n = source.read(b);
    } catch (IOException e) {
      pooled.close();
      IoUtils.safeClose(this);
      return;
    }
    b.flip();
    if (n < 0) {
      pooled.close(); // the client closed (a partial head is dropped, as Undertow does)
      IoUtils.safeClose(this);
      return;
    }
    if (n == 0) {
      if (b.hasRemaining()) {
        extraBytes = pooled;
      } else {
        pooled.close();
      }
      return;
    }
    serve(pooled);
  }

  /** Serves the head at the start of {@code pooled}'s bytes, or waits for more, or hands off. */
  private void serve(PooledByteBuffer pooled) {
    ByteBuffer b = pooled.getBuffer();
    int start = b.position();
    int r = parser.parse(b);
    if (r == RequestHeadParser.NEED_MORE) {
      if (b.position() == 0 && b.limit() == b.capacity()) {
        handOff(pooled); // a head larger than a buffer: Undertow's parser reads on
        return;
      }
      extraBytes = pooled;
      if (timeouts != null) {
        timeouts.failedParse();
      }
      channel.getSourceChannel().resumeReads();
      return;
    }
    if (r == RequestHeadParser.OUTSIDE) {
      handOff(pooled);
      return;
    }
    HttpServerExchange exchange = new HttpServerExchange(this, listener.maxEntitySize());
    try {
      setPath(exchange, parser.target());
    } catch (ParameterLimitException e) {
      // More query parameters than allowed: Undertow's answer, from the head's bytes again.
      b.position(start);
      handOff(pooled);
      return;
    }
    if (b.hasRemaining()) {
      extraBytes = pooled; // a pipelined request: served when this exchange is over
    } else {
      pooled.close();
    }
    if (timeouts != null) {
      timeouts.requestStarted();
    }
    if (recordStartTime) {
      Connectors.setRequestStartTime(exchange);
    }
    exchange.setRequestScheme("http");
    exchange.setRequestMethod(parser.method());
    exchange.setProtocol(Protocols.HTTP_1_1);
    parser.addHeadersTo(exchange.getRequestHeaders());
    if (!Cookies.isCrumbsAssemplyDisabled()) {
      Cookies.assembleCrumbs(exchange.getRequestHeaders());
    }
    exchange.setPersistent(!parser.close());
    Connectors.terminateRequest(exchange); // no body in the subset
    current = exchange;
    Connectors.executeRootHandler(rootHandler, exchange);
  }

  private void handOff(PooledByteBuffer unread) {
    handedOff = true;
    if (timeouts != null) {
      timeouts.close();
    }
    ConduitStreamSourceChannel source = channel.getSourceChannel();
    source.suspendReads();
    source.getReadSetter().set(null);
    listener.handOff(channel, unread);
  }

  @Override
  protected void exchangeComplete(HttpServerExchange exchange) {
    if (Thread.currentThread() != channel.getIoThread()) {
      // Ended on a worker thread: the connection's state is the IO thread's alone.
      channel.getIoThread().execute(() -> completed(exchange));
    } else {
      completed(exchange);
    }
  }

  private void completed(HttpServerExchange exchange) {
    current = null;
    clearChannel(); // the exchange's response conduits off the connection's channel
    if (!exchange.isPersistent() || !channel.isOpen()) {
      PooledByteBuffer extra = extraBytes;
      extraBytes = null;
      if (extra != null) {
        extra.close();
      }
      closeAfterAnswer();
      return;
    }
    if (extraBytes != null) {
      // A pipelined head: the next exchange starts from the event loop, so a run of pipelined
      // requests answered at once does not nest one call per request.
      channel.getIoThread().execute(this::next);
    } else {
      next();
    }
  }

  /**
   * The exchange's URI, path and query as Undertow's {@code Connectors.setExchangeRequestPath} sets
   * them for a target with nothing to decode (the subset has no {@code %}, {@code +} or {@code ;}):
   * the same Strings, without the builder and the copies it makes on every request.
   */
  private void setPath(HttpServerExchange exchange, String target) throws ParameterLimitException {
    int q = target.indexOf('?');
    if (q < 0) {
      exchange.setRequestPath(target);
      exchange.setRelativePath(target);
      exchange.setRequestURI(target);
      return;
    }
    String path = target.substring(0, q);
    exchange.setRequestPath(path);
    exchange.setRelativePath(path);
    exchange.setRequestURI(path);
    String query = target.substring(q + 1);
    exchange.setQueryString(query);
    URLUtils.parseQueryString(query, exchange, urlCharset, decodeUrl, maxParameters);
  }

  /**
   * Ends a connection whose answer is written: what the client sent meanwhile (left in the socket
   * while the exchange ran) is read and dropped first, as a close over unread bytes sends a reset
   * that can destroy the answer still on its way; then as Undertow closes one: writes shut down and
   * flushed, and whatever else the client sends read for a while before the close.
   */
  private void closeAfterAnswer() {
    // No read event may start another exchange on the closing connection: cleanClose sets a read
    // listener of its own only once its flush is done.
    channel.getSourceChannel().suspendReads();
    PooledByteBuffer scratch = bufferPool.allocate();
    try {
      ByteBuffer b = scratch.getBuffer();
      for (int i = 0; i < 64; i++) {
        b.clear();
        if (channel.getSourceChannel().read(b) <= 0) {
          break;
        }
      }
    } catch (IOException e) {
      IoUtils.safeClose(this);
      return;
    } finally {
      scratch.close();
    }
    ConnectionUtils.cleanClose(channel, this);
  }

  private void next() {
    if (handedOff || current != null || !channel.isOpen()) {
      return;
    }
    ConduitStreamSourceChannel source = channel.getSourceChannel();
    source.setReadListener(this);
    PooledByteBuffer extra = extraBytes;
    if (extra != null) {
      extraBytes = null;
      serve(extra);
      return;
    }
    if (timeouts != null) {
      timeouts.connectionIdle();
    }
    source.resumeReads();
  }

  @Override
  protected StreamSinkConduit getSinkConduit(
      HttpServerExchange exchange, StreamSinkConduit conduit) {
    return Http1Response.conduit(exchange, conduit);
  }

  @Override
  public HttpServerExchange sendOutOfBandResponse(HttpServerExchange exchange) {
    throw new UnsupportedOperationException("no Expect: 100-continue on this connection");
  }

  @Override
  public boolean isContinueResponseSupported() {
    return false;
  }

  @Override
  public void terminateRequestChannel(HttpServerExchange exchange) {
    // requests served here have no body
  }

  @Override
  public @Nullable SSLSessionInfo getSslSessionInfo() {
    return null; // plain TCP only
  }

  @Override
  public void setSslSessionInfo(SSLSessionInfo sessionInfo) {
    throw new UnsupportedOperationException("plain TCP only");
  }

  @Override
  protected StreamConnection upgradeChannel() {
    throw new UnsupportedOperationException("no Upgrade on this connection");
  }

  @Override
  protected boolean isUpgradeSupported() {
    return false;
  }

  @Override
  protected boolean isConnectSupported() {
    return false;
  }

  @Override
  protected void setConnectListener(HttpUpgradeListener connectListener) {
    throw new UnsupportedOperationException("no CONNECT on this connection");
  }

  @Override
  public String getTransportProtocol() {
    return "http/1.1";
  }

  @Override
  public boolean isRequestTrailerFieldsSupported() {
    return false;
  }
}
