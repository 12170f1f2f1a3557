package dev.whaleray.router.undertow.internal.proxy;

import dev.whaleray.router.RequestView;
import dev.whaleray.router.core.Cluster;
import dev.whaleray.router.lb.Outcome;
import dev.whaleray.router.lb.Tried;
import dev.whaleray.router.lb.Upstream;
import dev.whaleray.router.undertow.internal.edge.ChunkedRequestDecoder;
import dev.whaleray.router.undertow.internal.edge.JsonErrors;
import dev.whaleray.router.undertow.internal.http1.ChunkedResponseDecoder;
import dev.whaleray.router.undertow.internal.http1.HeadWriter;
import dev.whaleray.router.undertow.internal.http1.HopByHop;
import dev.whaleray.router.undertow.internal.http1.ProtocolException;
import dev.whaleray.router.undertow.internal.http1.ResponseParser;
import dev.whaleray.router.undertow.internal.pool.TimeoutList;
import dev.whaleray.router.undertow.internal.pool.UpstreamPool;
import dev.whaleray.router.undertow.internal.pool.Upstreams;
import io.undertow.connector.PooledByteBuffer;
import io.undertow.server.ExchangeCompletionListener;
import io.undertow.server.HttpServerExchange;
import io.undertow.server.RequestTooBigException;
import io.undertow.server.protocol.http.HttpContinue;
import io.undertow.server.protocol.http.HttpServerConnection;
import io.undertow.util.AttachmentKey;
import io.undertow.util.HeaderMap;
import io.undertow.util.HeaderValues;
import io.undertow.util.Headers;
import io.undertow.util.HttpString;
import io.undertow.util.Methods;
import io.undertow.util.StatusCodes;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.Channel;
import org.jspecify.annotations.Nullable;
import org.xnio.ChannelListener;
import org.xnio.IoFuture;
import org.xnio.IoUtils;
import org.xnio.StreamConnection;
import org.xnio.channels.StreamSinkChannel;
import org.xnio.channels.StreamSourceChannel;
import org.xnio.conduits.ConduitStreamSourceChannel;

/**
 * One proxied request on the router's own HTTP/1.1 path: takes a pooled upstream connection, writes
 * the request head as bytes straight from the exchange (no intermediate request object), streams
 * the body, parses the response head into the exchange and streams the body back with backpressure
 * both ways. Retries a connect failure (and, for an idempotent request without a body, a connection
 * that broke before any response) on a re-picked endpoint.
 *
 * <p>Runs on the exchange's IO thread only; one object and its two timer nodes per request.
 */
public final class ProxyCall
    implements Runnable,
        Tried,
        UpstreamPool.Waiter,
        UpstreamPool.Owner,
        ChannelListener<Channel>,
        ExchangeCompletionListener,
        UpgradeTunnel.Ended {
  private static final System.Logger LOG = System.getLogger(ProxyCall.class.getName());

  private static final int CONNECTING = 1;
  private static final int ACTIVE = 2;
  private static final int DONE = 3;

  private static final int BODY_NONE = 0;
  private static final int BODY_FIXED = 1;
  private static final int BODY_CHUNKED = 2;
  private static final int BODY_TO_EOF = 3;

  /** Room before a chunk's data for its size line (up to 8 hex digits and CRLF). */
  private static final int CHUNK_HEAD = 10;

  private static final byte[] LAST_CHUNK = {'0', '\r', '\n', '\r', '\n'};
  private static final byte[] HEX =
      "0123456789abcdef".getBytes(java.nio.charset.StandardCharsets.US_ASCII);

  private final Upstreams config;
  private final Upstreams.PerThread thread;
  private final HttpServerExchange exchange;
  private final Cluster cluster;
  private final RequestView view;
  private final String path;
  private final int pathFrom;
  private final boolean head;
  private final boolean hasBody;
  private final boolean chunkedBody;
  private final @Nullable String upgrade; // "websocket" for a handshake: a 101 opens a tunnel

  private Upstream upstream;
  private @Nullable UpstreamPool pool;
  private UpstreamPool.@Nullable Conn conn;
  private @Nullable IoFuture<StreamConnection> connecting;
  private int state;
  private int tries;
  private Upstream @Nullable [] tried; // the upstreams of earlier attempts, on a retry only
  private boolean ended = true; // no attempt started yet: nothing to report to the balancer
  private long attemptStart;
  private long headNanos; // when the response head arrived: the attempt's latency
  private int status; // the response's status code, 0 until its head

  // request side
  private boolean reused;
  private @Nullable ByteBuffer pendingHead;
  private @Nullable StreamSourceChannel requestChannel;
  private @Nullable PooledByteBuffer requestBuffer;
  private boolean requestEof;
  private boolean requestSent;

  // request body read ahead before connecting (up to Upstreams.requestBufferBytes)
  private boolean buffering;
  private PooledByteBuffer @Nullable [] preread;
  private int prereadCount;
  private int prereadSent;
  private long prereadBytes;
  private boolean bodyBuffered; // the whole body is in preread: sent with a Content-Length
  private boolean bodyFramed; // preread buffers are framed for sending (once, even on a retry)
  private long bodyBytes;
  private long clientWaitStart;
  private long clientWaitNanos;

  // response side
  private boolean responseStarted;
  private boolean upstreamKeepAlive;
  private int bodyMode;
  private long remaining;
  private @Nullable ChunkedResponseDecoder decoder;
  private @Nullable StreamSinkChannel responseChannel;
  private boolean responseDone;
  private boolean endAfterFlush;
  private boolean lingering;
  private TimeoutList.@Nullable Node lingerTimer;

  private final TimeoutList.Node connectTimer =
      new TimeoutList.Node() {
        @Override
        protected void expired() {
          connectTimedOut();
        }
      };
  private final TimeoutList.Node bodyTimer =
      new TimeoutList.Node() {
        @Override
        protected void expired() {
          clientTooSlow("no request body bytes for " + config.clientBodyTimeoutMillis + " ms");
        }
      };
  private final TimeoutList.Node responseTimer =
      new TimeoutList.Node() {
        @Override
        protected void expired() {
          responseTimedOut();
        }
      };

  public ProxyCall(
      Upstreams config,
      HttpServerExchange exchange,
      Cluster cluster,
      RequestView view,
      Upstream upstream,
      String path,
      int pathFrom) {
    this.config = config;
    this.thread = config.thread(exchange);
    this.exchange = exchange;
    this.cluster = cluster;
    this.view = view;
    this.upstream = upstream;
    this.path = path;
    this.pathFrom = pathFrom;
    this.head = exchange.getRequestMethod().equals(Methods.HEAD);
    this.hasBody = !exchange.isRequestComplete();
    this.chunkedBody = hasBody && !exchange.getRequestHeaders().contains(Headers.CONTENT_LENGTH);
    String u = exchange.getRequestHeaders().getFirst(Headers.UPGRADE);
    this.upgrade = !hasBody && u != null && u.equalsIgnoreCase("websocket") ? u : null;
  }

  /** Starts the first attempt; run through {@code exchange.dispatch} so the exchange stays open. */
  @Override
  public void run() {
    exchange.addExchangeCompleteListener(this);
    if (!hasBody) {
      keepClientReadsOn();
    }
    try {
      if (hasBody) {
        startBuffering();
        return;
      }
      attempt();
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

  private void attempt() {
    state = CONNECTING;
    ended = false;
    attemptStart = System.nanoTime();
    cluster.attemptStarted(upstream);
    UpstreamPool p = thread.pool(upstream.endpoint());
    pool = p;
    thread.connectTimeouts.add(connectTimer);
    p.acquire(this);
  }

  // ---- reading the body ahead

  /**
   * Reads the request body before taking an upstream connection, as nginx's request buffering does:
   * a slow upload then holds only a buffer, never a backend connection. A body that fits in {@link
   * Upstreams#requestBufferBytes} is sent whole, with a Content-Length; a larger one is streamed on
   * from where the buffer ends.
   */
  private void startBuffering() {
    if (HttpContinue.requiresContinueResponse(exchange)) {
      // As nginx: answer the client's Expect ourselves, read the body, never pass the Expect on.
      HttpContinue.sendContinueResponse(
          exchange,
          new io.undertow.io.IoCallback() {
            @Override
            public void onComplete(HttpServerExchange ex, io.undertow.io.Sender sender) {
              if (state != DONE) {
                startReading();
              }
            }

            @Override
            public void onException(
                HttpServerExchange ex, io.undertow.io.Sender sender, IOException e) {
              clientFailed(e);
            }
          });
      return;
    }
    startReading();
  }

  private void startReading() {
    StreamSourceChannel rc = exchange.getRequestChannel();
    if (rc == null) {
      fail(StatusCodes.INTERNAL_SERVER_ERROR, "request body already read");
      return;
    }
    requestChannel = rc;
    buffering = true;
    rc.getReadSetter().set(this);
    readAhead();
  }

  private void readAhead() {
    StreamSourceChannel rc = requestChannel;
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
        clientFailed(e);
        return;
      }
      if (n == -1) {
        requestEof = true;
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
      p = preread = java.util.Arrays.copyOf(p, p.length * 2);
    }
    PooledByteBuffer pb = thread.buffers.allocate();
    p[prereadCount++] = pb;
    ByteBuffer b = pb.getBuffer();
    // Room for chunk framing around the data, should the body have to be streamed on.
    b.clear().position(CHUNK_HEAD).limit(b.capacity() - 2);
    return b;
  }

  private void doneBuffering(boolean whole) {
    buffering = false;
    bodyBuffered = whole;
    bodyTimer.cancel();
    clientWaitStart = 0;
    StreamSourceChannel rc = requestChannel;
    if (rc != null) {
      rc.suspendReads(); // until the upstream takes what was read
    }
    attempt();
  }

  /** Nothing to read: wait for the client, under the body idle timeout. */
  private void waitForClient(StreamSourceChannel rc) {
    rc.resumeReads();
    if (clientWaitStart == 0) {
      clientWaitStart = System.nanoTime();
    }
    if (!bodyTimer.isArmed()) {
      thread.clientBodyTimeouts.add(bodyTimer);
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
      thread.clientBodyTimeouts.add(bodyTimer);
      long rate = config.minUploadRate;
      // As Apache's mod_reqtimeout: a grace, then one more second for every `rate` bytes.
      if (rate > 0
          && clientWaitNanos > config.minUploadGraceNanos
          && clientWaitNanos > config.minUploadGraceNanos + bodyBytes * (1e9 / rate)) {
        clientTooSlow("request body slower than " + rate + " bytes/s");
        return false;
      }
    }
    return true;
  }

  /** The client sends its body too slowly: 408 if nothing was answered yet, else cut. */
  private void clientTooSlow(String why) {
    if (state == DONE) {
      return;
    }
    LOG.log(System.Logger.Level.DEBUG, () -> "client too slow: " + why);
    buffering = false;
    bodyTimer.cancel();
    closeConnection(); // an upstream holding half a request must not see the rest
    end(Outcome.CLIENT_ABORT); // not the upstream's fault
    exchange.setPersistent(false);
    if (responseChannel == null && !exchange.isResponseStarted()) {
      fail(408, "request body too slow: " + why);
    } else {
      state = DONE;
      freeRequestBuffer();
      IoUtils.safeClose(exchange.getConnection());
    }
  }

  // ---- connecting

  @Override
  public int ticket() {
    return tries;
  }

  @Override
  public void connecting(IoFuture<StreamConnection> future, int ticket) {
    if (state == CONNECTING && ticket == tries) {
      connecting = future;
    }
  }

  @Override
  public void connected(UpstreamPool.Conn c, boolean reused, int ticket) {
    if (state != CONNECTING || ticket != tries || c.pool() != pool) {
      // Late: this attempt timed out or moved on. The connection is clean; let others use it.
      c.release(true);
      return;
    }
    connecting = null;
    connectTimer.cancel();
    state = ACTIVE;
    this.conn = c;
    this.reused = reused;
    c.owner = this;
    c.sink.getWriteSetter().set(this);
    sendHead(c);
  }

  @Override
  public void connectFailed(IOException cause, int ticket) {
    if (state == CONNECTING && ticket == tries) {
      connecting = null;
      connectTimer.cancel();
      LOG.log(
          System.Logger.Level.DEBUG,
          () -> "connect to " + upstream.endpoint() + " failed: " + cause.getMessage());
      failedBeforeSending(
          Outcome.CONNECT_FAILURE,
          StatusCodes.BAD_GATEWAY,
          "upstream refused the connection",
          true);
    }
  }

  @Override
  public void queueFull() {
    connectTimer.cancel();
    failedBeforeSending(
        Outcome.CONNECT_FAILURE,
        StatusCodes.SERVICE_UNAVAILABLE,
        "upstream connection queue full",
        false);
  }

  private void connectTimedOut() {
    if (state != CONNECTING) {
      return;
    }
    UpstreamPool p = pool;
    if (p != null) {
      p.cancel(this);
    }
    state = 0; // the cancelled connect's failure callback is not this attempt's any more
    cancelConnect();
    failedBeforeSending(
        Outcome.CONNECT_FAILURE, StatusCodes.GATEWAY_TIME_OUT, "upstream connect timed out", false);
  }

  /** Gives up a pending connect, which frees its place in the pool. */
  private void cancelConnect() {
    IoFuture<StreamConnection> f = connecting;
    connecting = null;
    if (f != null) {
      f.cancel();
    }
  }

  /**
   * Nothing was sent, or nothing that can have had an effect: try an endpoint this request has not
   * tried yet if retries are left, else answer.
   */
  private void failedBeforeSending(
      Outcome outcome, int status, String error, boolean refreshDiscovery) {
    end(outcome);
    state = 0;
    Upstream failed = upstream;
    if (tries < config.retries && !exchange.isComplete()) {
      remember(failed);
      tries++;
      Upstream next = cluster.pick(view, this).upstream();
      if (next != null) {
        upstream = next;
        if (bodyFramed) {
          rewindBody(); // sent (part of) it already: from the first byte again
        }
        attempt();
        return;
      }
    }
    if (refreshDiscovery) {
      cluster.refresh();
    }
    fail(status, error);
  }

  private void remember(Upstream failed) {
    Upstream[] t = tried;
    if (t == null) {
      t = tried = new Upstream[Math.max(2, config.retries)];
    } else if (tries == t.length) {
      t = tried = java.util.Arrays.copyOf(t, t.length * 2);
    }
    t[tries] = failed;
  }

  @Override
  public int count() {
    return tries;
  }

  @Override
  public boolean contains(Upstream u) {
    Upstream[] t = tried;
    if (t == null) {
      return false;
    }
    for (int i = 0; i < tries; i++) {
      Upstream x = t[i];
      if (x == u
          || (x.endpoint().port() == u.endpoint().port()
              && x.endpoint().host().equals(u.endpoint().host()))) {
        return true;
      }
    }
    return false;
  }

  // ---- request

  private void sendHead(UpstreamPool.Conn c) {
    HeadWriter w = thread.head.reset();
    writeHead(w);
    ByteBuffer b = ByteBuffer.wrap(w.buf, 0, w.len);
    try {
      c.sink.write(b);
    } catch (IOException e) {
      transitFailed(e);
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
    if (!hasBody) {
      requestSent();
      return;
    }
    // Frame what was read ahead: whole, as is (the head says its length); else as chunks. Once:
    // a retry sends the same framed buffers again.
    PooledByteBuffer[] p = preread;
    for (int i = 0; i < prereadCount && !bodyFramed; i++) {
      ByteBuffer b = p[i].getBuffer();
      int n = b.position() - CHUNK_HEAD;
      if (chunkedBody && !bodyBuffered) {
        frameChunk(b, n);
      } else {
        b.limit(b.position()).position(CHUNK_HEAD);
      }
    }
    bodyFramed = true;
    if (!bodyBuffered) {
      requestBuffer = thread.buffers.allocate();
      requestBuffer.getBuffer().clear().flip();
    }
    pumpRequest();
  }

  private void writeHead(HeadWriter w) {
    HeaderMap in = exchange.getRequestHeaders();
    w.bytes(exchange.getRequestMethod()).ascii(" ");
    if (pathFrom >= path.length()) {
      w.ascii("/");
    } else {
      w.ascii(path, pathFrom, path.length());
    }
    String query = exchange.getQueryString();
    if (!query.isEmpty()) {
      w.ascii("?").ascii(query);
    }
    w.ascii(" HTTP/1.1").crlf();

    String clientHost = in.getFirst(Headers.HOST);
    if (config.preserveHost && clientHost != null) {
      w.header(Headers.HOST, clientHost);
    } else {
      w.header(Headers.HOST, upstream.endpoint().authority());
    }
    HttpString[] named = HopByHop.named(in.get(Headers.CONNECTION));
    for (long c = in.fastIterateNonEmpty(); c != -1L; c = in.fiNextNonEmpty(c)) {
      HeaderValues values = in.fiCurrent(c);
      HttpString name = values.getHeaderName();
      if (isWrittenSeparately(name) || HopByHop.isFixed(name) || isNamed(named, name)) {
        continue;
      }
      for (int i = 0, n = values.size(); i < n; i++) {
        w.header(name, values.get(i));
      }
    }
    forwardedHeaders(w, in, clientHost);
    if (upgrade != null) {
      w.header(Headers.CONNECTION, "upgrade");
      w.header(Headers.UPGRADE, upgrade);
    }
    if (chunkedBody && bodyBuffered) {
      w.name(Headers.CONTENT_LENGTH).digits((int) prereadBytes).crlf(); // read whole: one framing
    } else if (chunkedBody) {
      w.header(Headers.TRANSFER_ENCODING, "chunked");
    } else {
      String length = in.getFirst(Headers.CONTENT_LENGTH);
      if (length != null) {
        w.header(Headers.CONTENT_LENGTH, length);
      }
    }
    w.crlf();
  }

  /** Headers written after the loop, from the router's own rules; by length first. */
  private static boolean isWrittenSeparately(HttpString name) {
    switch (name.length()) {
      case 4:
        return name.equals(Headers.HOST);
      case 14:
        return name.equals(Headers.CONTENT_LENGTH);
      case 15:
        return name.equals(Headers.X_FORWARDED_FOR);
      case 16:
        return name.equals(Headers.X_FORWARDED_HOST) || name.equals(Headers.X_FORWARDED_PORT);
      case 6:
        return name.equals(Headers.EXPECT); // answered by the router itself
      case 17:
        return name.equals(Headers.TRANSFER_ENCODING) || name.equals(Headers.X_FORWARDED_PROTO);
      case 18:
        return name.equals(Headers.X_FORWARDED_SERVER);
      default:
        return name.length() > 0 && name.byteAt(0) == ':'; // HTTP/2 pseudo-headers
    }
  }

  private static boolean isNamed(HttpString @Nullable [] named, HttpString name) {
    if (named != null) {
      for (HttpString n : named) {
        if (n.equals(name)) {
          return true;
        }
      }
    }
    return false;
  }

  /**
   * {@code X-Forwarded-*} as Undertow's ProxyHandler writes them: trusted incoming values are kept
   * (the client address appended to {@code X-Forwarded-For}), else the connection's own.
   */
  private void forwardedHeaders(HeadWriter w, HeaderMap in, @Nullable String clientHost) {
    boolean trust = config.trustForwarded;
    InetSocketAddress peer = exchange.getSourceAddress();
    String remote = peer == null ? "localhost" : remoteText(peer);
    String xff = trust ? in.getFirst(Headers.X_FORWARDED_FOR) : null;
    if (xff != null && !xff.isEmpty()) {
      w.name(Headers.X_FORWARDED_FOR).ascii(xff).ascii(",").ascii(remote).crlf();
    } else {
      w.header(Headers.X_FORWARDED_FOR, remote);
    }
    if (!(trust && copyAll(w, in, Headers.X_FORWARDED_PROTO))) {
      w.header(
          Headers.X_FORWARDED_PROTO,
          exchange.getRequestScheme().equals("https") ? "https" : "http");
    }
    // Host name and port from the Host header read once (Undertow's getHostName() and
    // getHostPort() each look it up again).
    String hostName = hostName(clientHost);
    if (!(trust && copyAll(w, in, Headers.X_FORWARDED_SERVER))) {
      w.header(Headers.X_FORWARDED_SERVER, hostName);
    }
    if (!config.preserveHost && clientHost != null) {
      w.header(Headers.X_FORWARDED_HOST, clientHost);
    } else if (!(trust && copyAll(w, in, Headers.X_FORWARDED_HOST))) {
      w.header(
          Headers.X_FORWARDED_HOST,
          hostName.indexOf(':') >= 0 && !hostName.startsWith("[")
              ? "[" + hostName + "]"
              : hostName);
    }
    String port = trust ? in.getFirst(Headers.X_FORWARDED_PORT) : null;
    if (port != null && isPort(port)) {
      copyAll(w, in, Headers.X_FORWARDED_PORT);
    } else if (port == null && hasPlainPort(clientHost)) {
      // The Host header's own digits: what getHostPort() would parse and print back.
      w.name(Headers.X_FORWARDED_PORT)
          .ascii(clientHost, clientHost.lastIndexOf(':') + 1, clientHost.length())
          .crlf();
    } else {
      w.name(Headers.X_FORWARDED_PORT)
          .digits(
              port != null
                  ? exchange.getConnection().getLocalAddress(InetSocketAddress.class).getPort()
                  : hostPort(clientHost))
          .crlf();
    }
  }

  /** A Host value ending in {@code :} and 1-5 digits without a leading zero. */
  private static boolean hasPlainPort(@Nullable String host) {
    if (host == null || host.startsWith("[")) {
      return false;
    }
    int colon = host.lastIndexOf(':');
    int n = host.length() - colon - 1;
    if (colon < 0
        || n < 1
        || n > 5
        || host.indexOf(':') != colon
        || host.charAt(colon + 1) == '0') {
      return false;
    }
    int v = 0;
    for (int i = colon + 1; i < host.length(); i++) {
      char c = host.charAt(i);
      if (c < '0' || c > '9') {
        return false;
      }
      v = v * 10 + (c - '0');
    }
    return v <= 65535;
  }

  private static final AttachmentKey<Object[]> REMOTE_TEXT = AttachmentKey.create(Object[].class);

  /**
   * The client address as text, kept on the connection: formatting it allocated on every request.
   * Keyed on the address object, so a handler that sets another source address per request (a
   * proxy-protocol or forwarded-peer handler) still gets its own.
   */
  private String remoteText(InetSocketAddress peer) {
    io.undertow.server.ServerConnection c = exchange.getConnection();
    Object[] cached = c.getAttachment(REMOTE_TEXT);
    if (cached != null && cached[0] == peer) {
      return (String) cached[1];
    }
    String text = peer.getHostString();
    c.putAttachment(REMOTE_TEXT, new Object[] {peer, text});
    return text;
  }

  /** As {@link HttpServerExchange#getHostName()}, from the Host value already read. */
  private String hostName(@Nullable String host) {
    if (host == null) {
      return exchange.getDestinationAddress().getHostString();
    }
    if (host.startsWith("[")) {
      int close = host.indexOf(']');
      return close < 0 ? host.substring(1) : host.substring(1, close);
    }
    int colon = host.indexOf(':');
    return colon < 0 ? host : host.substring(0, colon);
  }

  /** As {@link HttpServerExchange#getHostPort()}, from the Host value already read. */
  private int hostPort(@Nullable String host) {
    if (host == null) {
      return exchange.getDestinationAddress().getPort();
    }
    int colon =
        host.startsWith("[")
            ? host.indexOf(':', Math.max(0, host.indexOf(']')))
            : host.indexOf(':');
    if (colon >= 0) {
      try {
        int port = Integer.parseInt(host, colon + 1, host.length(), 10);
        if (port >= 0 && port <= 65535) {
          return port;
        }
      } catch (NumberFormatException ignored) {
        // as Undertow: fall back to the scheme's port
      }
    }
    return exchange.getRequestScheme().equals("https") ? 443 : 80;
  }

  private static boolean isPort(String s) {
    try {
      Integer.parseInt(s);
      return true;
    } catch (NumberFormatException e) {
      return false;
    }
  }

  private static boolean copyAll(HeadWriter w, HeaderMap in, HttpString name) {
    HeaderValues values = in.get(name);
    if (values == null || values.isEmpty()) {
      return false;
    }
    for (int i = 0, n = values.size(); i < n; i++) {
      w.header(name, values.get(i));
    }
    return true;
  }

  /** Moves request body bytes from the client to the upstream until one side has to wait. */
  private void pumpRequest() {
    UpstreamPool.Conn c = conn;
    StreamSourceChannel rc = requestChannel;
    if (c == null || rc == null || requestSent) {
      return;
    }
    try {
      PooledByteBuffer[] p = preread;
      while (prereadSent < prereadCount) {
        ByteBuffer ab = p[prereadSent].getBuffer();
        c.sink.write(ab);
        if (ab.hasRemaining()) {
          rc.suspendReads();
          c.sink.resumeWrites();
          return;
        }
        if (bodyBuffered) {
          prereadSent++; // kept until the response head: a retry sends it again
        } else {
          p[prereadSent].close();
          p[prereadSent++] = null;
        }
      }
      if (bodyBuffered) {
        requestBodySent();
        return;
      }
    } catch (IOException e) {
      LOG.log(System.Logger.Level.DEBUG, () -> "request body: " + e.getMessage());
      abort(Outcome.ERROR, StatusCodes.BAD_GATEWAY, "upstream connection failed");
      return;
    }
    PooledByteBuffer pb = requestBuffer;
    if (pb == null) {
      return;
    }
    ByteBuffer b = pb.getBuffer();
    try {
      while (true) {
        if (b.hasRemaining()) {
          c.sink.write(b);
          if (b.hasRemaining()) {
            rc.suspendReads();
            bodyTimer.cancel(); // waiting for the upstream now, not for the client
            clientWaitStart = 0;
            c.sink.resumeWrites();
            return;
          }
        }
        if (requestEof) {
          requestBodySent();
          return;
        }
        int n;
        try {
          if (chunkedBody) {
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
          clientFailed(e);
          return;
        }
        if (n == -1) {
          requestEof = true;
          bodyTimer.cancel();
          b.clear();
          if (chunkedBody) {
            b.put(LAST_CHUNK);
          }
          b.flip();
        } else if (n == 0) {
          b.clear().flip();
          c.sink.suspendWrites();
          waitForClient(rc);
          return;
        } else if (!clientSent(n)) {
          return;
        }
      }
    } catch (IOException e) {
      // The client or the upstream broke mid-body: nothing sensible can be forwarded.
      LOG.log(System.Logger.Level.DEBUG, () -> "request body: " + e.getMessage());
      abort(Outcome.ERROR, StatusCodes.BAD_GATEWAY, "upstream connection failed");
    }
  }

  /**
   * Reading the client's body failed: over the size limit (413), or the client went away. Not the
   * upstream's fault, so it is not charged with an error; its connection, holding half a request,
   * is closed.
   */
  private void clientFailed(IOException e) {
    LOG.log(System.Logger.Level.DEBUG, () -> "client request body: " + e.getMessage());
    buffering = false;
    bodyTimer.cancel();
    closeConnection();
    end(Outcome.CLIENT_ABORT);
    exchange.setPersistent(false);
    if (e instanceof RequestTooBigException && responseChannel == null) {
      fail(413, "request body too large");
    } else if (e instanceof ChunkedRequestDecoder.MalformedChunkException
        && responseChannel == null) {
      // The upstream got at most the chunks before the bad one, then a close: never a request.
      fail(StatusCodes.BAD_REQUEST, "malformed chunked body: " + e.getMessage());
    } else {
      state = DONE;
      freeRequestBuffer();
      IoUtils.safeClose(exchange.getConnection());
    }
  }

  /** Wraps the {@code n} bytes read at {@link #CHUNK_HEAD} in chunk framing, ready to write. */
  private static void frameChunk(ByteBuffer b, int n) {
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

  private void requestBodySent() {
    bodyTimer.cancel();
    StreamSourceChannel rc = requestChannel;
    if (rc != null) {
      rc.suspendReads();
      rc.getReadSetter().set(null);
    }
    PooledByteBuffer pb = requestBuffer;
    if (pb != null) {
      requestBuffer = null;
      pb.close();
    }
    if (!bodyBuffered || !isIdempotent()) {
      freePreread(); // nothing to send again
    }
    requestSent();
  }

  /** A retry of a whole, buffered body: send it again from its first byte. */
  private void rewindBody() {
    PooledByteBuffer[] p = preread;
    if (p == null || p[0] == null) {
      return; // freed: the retry rules do not allow this case
    }
    for (int i = 0; i < prereadCount; i++) {
      p[i].getBuffer().position(CHUNK_HEAD);
    }
    prereadSent = 0;
    requestSent = false;
  }

  private void freeRequestBuffer() {
    PooledByteBuffer pb = requestBuffer;
    if (pb != null) {
      requestBuffer = null;
      pb.close();
    }
    freePreread();
  }

  /** Frees what was read ahead (a whole body is kept after sending, for a retry). */
  private void freePreread() {
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

  private void requestSent() {
    requestSent = true;
    UpstreamPool.Conn c = conn;
    if (c != null) {
      c.sink.suspendWrites();
    }
    if (responseDone) {
      releaseConnection();
    } else if (!responseStarted) {
      thread.responseTimeouts.add(responseTimer);
    }
  }

  // ---- events

  @Override
  public void handleEvent(Channel channel) {
    if (lingering && channel == requestChannel) {
      discardUpload();
      return;
    }
    if (buffering) {
      if (channel == requestChannel) {
        readAhead();
      }
      return;
    }
    UpstreamPool.Conn c = conn;
    if (state != ACTIVE && !(responseDone && channel == responseChannel)) {
      return;
    }
    if (channel == responseChannel) {
      if (responseDone) {
        flushResponseEnd();
      } else {
        responseChannel.suspendWrites();
        if (c != null) {
          c.source.resumeReads();
        }
        pumpResponse();
      }
    } else if (c != null && channel == c.sink) {
      ByteBuffer ph = pendingHead;
      if (ph != null) {
        try {
          c.sink.write(ph);
        } catch (IOException e) {
          transitFailed(e);
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
        StreamSourceChannel rc = requestChannel;
        if (rc != null && !requestEof) {
          rc.resumeReads();
        }
        pumpRequest();
      }
    } else if (channel == requestChannel) {
      pumpRequest();
    }
  }

  @Override
  public void upstreamReadable() {
    if (state != ACTIVE) {
      return;
    }
    if (responseStarted) {
      pumpResponse();
      return;
    }
    UpstreamPool.Conn c = conn;
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
      transitFailed(e);
      return;
    }
    if (n == -1) {
      transitFailed(new IOException("upstream closed the connection before answering"));
      return;
    }
    if (n == 0) {
      return;
    }
    readHead(b);
  }

  // ---- response

  private void readHead(ByteBuffer b) {
    HeaderMap out = exchange.getResponseHeaders();
    ResponseParser parser = thread.parser;
    try {
      while (true) {
        if (!parser.parse(b, out)) {
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
          "invalid response from " + upstream.endpoint() + ": " + e.getMessage());
      closeConnection();
      end(Outcome.ERROR);
      fail(StatusCodes.BAD_GATEWAY, "invalid response from upstream");
      return;
    }
    responseStarted = true;
    freePreread();
    headNanos = System.nanoTime();
    status = parser.status;
    responseTimer.cancel();
    int status = parser.status;
    exchange.setStatusCode(status);
    upstreamKeepAlive = parser.http11 && !parser.connectionClose;
    if (head || status == 204 || status == 304) {
      bodyMode = BODY_NONE;
    } else if (parser.chunked) {
      bodyMode = BODY_CHUNKED;
      if (parser.contentLength >= 0) {
        upstreamKeepAlive = false; // both framings: RFC 9112 6.3 says close after
        out.remove(Headers.CONTENT_LENGTH);
      }
      ChunkedResponseDecoder d = decoder;
      if (d == null) {
        d = decoder = new ChunkedResponseDecoder();
      }
      d.reset();
    } else if (parser.otherTransferCoding) {
      bodyMode = BODY_TO_EOF;
      upstreamKeepAlive = false;
      out.remove(Headers.CONTENT_LENGTH);
    } else if (parser.contentLength >= 0) {
      bodyMode = BODY_FIXED;
      remaining = parser.contentLength;
    } else {
      bodyMode = BODY_TO_EOF;
      upstreamKeepAlive = false;
    }
    // Hop-by-hop headers were left out while parsing; remove what Connection named, if anything.
    HttpString[] named = HopByHop.named(parser.connection);
    if (named != null) {
      for (HttpString n : named) {
        out.remove(n);
      }
    }
    StreamSinkChannel rc = exchange.getResponseChannel();
    responseChannel = rc;
    rc.getWriteSetter().set(this);
    pumpResponse();
  }

  /**
   * The backend accepted the upgrade: the client gets the 101 with the backend's handshake headers,
   * then both connections become a {@link UpgradeTunnel}. The upstream connection leaves its pool
   * for good; the attempt stays in flight (least-connections sees it) until the tunnel closes.
   */
  private void switchProtocols(HeaderMap out, String protocol) {
    responseStarted = true;
    headNanos = System.nanoTime();
    status = StatusCodes.SWITCHING_PROTOCOLS;
    responseTimer.cancel();
    state = DONE; // the exchange ends with the 101; the tunnel owns both connections from here
    UpstreamPool.Conn c = conn;
    conn = null;
    c.source.getReadSetter().set(null);
    c.sink.getWriteSetter().set(null);
    UpgradeTunnel tunnel = new UpgradeTunnel(thread, c.connection, c.detach(), this);
    out.put(Headers.UPGRADE, protocol);
    exchange.upgradeChannel((clientConnection, ex) -> tunnel.start(clientConnection));
    exchange.endExchange();
  }

  @Override
  public void tunnelEnded(boolean clean) {
    end(clean ? Outcome.SUCCESS : Outcome.ERROR);
  }

  /** Moves response body bytes from the upstream to the client until one side has to wait. */
  private void pumpResponse() {
    UpstreamPool.Conn c = conn;
    StreamSinkChannel out = responseChannel;
    if (c == null || out == null) {
      return;
    }
    ByteBuffer b = c.buffer();
    try {
      while (true) {
        if (bodyMode == BODY_NONE
            || (bodyMode == BODY_FIXED && remaining == 0)
            || (bodyMode == BODY_CHUNKED && decoder.isDone())) {
          responseBodyRead();
          return;
        }
        int available;
        if (bodyMode == BODY_CHUNKED) {
          available = decoder.data(b);
          if (decoder.isDone()) {
            continue;
          }
        } else {
          available =
              bodyMode == BODY_FIXED ? (int) Math.min(remaining, b.remaining()) : b.remaining();
        }
        if (available == 0) {
          b.clear();
          int n;
          try {
            n = c.source.read(b);
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
            return; // reads are on: the next event continues
          }
          continue;
        }
        int limit = b.limit();
        b.limit(b.position() + available);
        int written;
        try {
          written = out.write(b);
        } catch (IOException e) {
          clientGone(e);
          return;
        } finally {
          b.limit(limit);
        }
        if (bodyMode == BODY_FIXED) {
          remaining -= written;
        } else if (bodyMode == BODY_CHUNKED) {
          decoder.consumed(written);
        }
        if (written < available) {
          c.source.suspendReads();
          out.resumeWrites();
          return;
        }
      }
    } catch (IOException | ProtocolException e) {
      LOG.log(System.Logger.Level.DEBUG, () -> "response body: " + e.getMessage());
      abort(Outcome.ERROR, StatusCodes.BAD_GATEWAY, "upstream connection failed");
    }
  }

  /** Writing to the client failed: it went away mid-response. Not the upstream's fault. */
  private void clientGone(IOException e) {
    LOG.log(System.Logger.Level.DEBUG, () -> "client gone mid-response: " + e.getMessage());
    closeConnection(); // the rest of the response is still on it
    end(Outcome.CLIENT_ABORT);
    state = DONE;
    freeRequestBuffer();
    IoUtils.safeClose(exchange.getConnection());
  }

  private void responseBodyRead() {
    responseDone = true;
    end(Outcome.SUCCESS);
    if (requestSent) {
      releaseConnection();
    } else {
      // Answered before the whole request was sent (an early 413, say): stop sending, and end
      // the exchange, which then closes the client connection (its body is half read).
      StreamSourceChannel rc = requestChannel;
      if (rc != null) {
        rc.suspendReads();
        rc.getReadSetter().set(null);
      }
      freeRequestBuffer();
      closeConnection();
      state = DONE;
      exchange.setPersistent(false);
      // The answer is sent in full first: ending the exchange drains (or cuts) the request,
      // which can close the connection under a response still buffered.
      endAfterFlush = true;
    }
    state = DONE;
    StreamSinkChannel out = responseChannel;
    try {
      out.shutdownWrites();
    } catch (IOException e) {
      IoUtils.safeClose(exchange.getConnection());
      return;
    }
    flushResponseEnd();
  }

  private void flushResponseEnd() {
    StreamSinkChannel out = responseChannel;
    try {
      if (out.flush()) {
        out.suspendWrites();
        out.getWriteSetter().set(null);
        if (endAfterFlush) {
          endAfterFlush = false;
          linger();
        }
      } else {
        out.resumeWrites();
      }
    } catch (IOException e) {
      IoUtils.safeClose(exchange.getConnection());
    }
  }

  /**
   * nginx's lingering close: after an early answer, read and drop what the client still sends, for
   * up to {@link Upstreams#LINGER_MILLIS}, so that the close is one the client reads the answer
   * past, not a reset (unread bytes) that can take the answer with it.
   */
  private void linger() {
    StreamSourceChannel rc = requestChannel;
    if (rc == null || requestEof) {
      exchange.endExchange();
      return;
    }
    lingering = true;
    requestBuffer = thread.buffers.allocate();
    TimeoutList.Node timer =
        new TimeoutList.Node() {
          @Override
          protected void expired() {
            stopLingering();
          }
        };
    lingerTimer = timer;
    thread.lingerTimeouts.add(timer);
    rc.getReadSetter().set(this);
    discardUpload();
  }

  private void discardUpload() {
    StreamSourceChannel rc = requestChannel;
    PooledByteBuffer pb = requestBuffer;
    if (rc == null || pb == null) {
      stopLingering();
      return;
    }
    ByteBuffer b = pb.getBuffer();
    try {
      while (true) {
        b.clear();
        int n = rc.read(b);
        if (requestBuffer != pb) {
          return; // the read ended the exchange, which freed the buffer
        }
        if (n == -1) {
          stopLingering(); // the whole upload arrived: the close is clean
          return;
        }
        if (n == 0) {
          rc.resumeReads();
          return;
        }
      }
    } catch (IOException e) {
      stopLingering();
    }
  }

  private void stopLingering() {
    if (!lingering) {
      return;
    }
    lingering = false;
    TimeoutList.Node timer = lingerTimer;
    if (timer != null) {
      timer.cancel();
    }
    StreamSourceChannel rc = requestChannel;
    if (rc != null) {
      rc.suspendReads();
      rc.getReadSetter().set(null);
    }
    freeRequestBuffer();
    exchange.endExchange();
  }

  /** Closes the upstream connection, if the call holds one: it is out of step or half used. */
  private void closeConnection() {
    UpstreamPool.Conn c = conn;
    conn = null;
    if (c != null) {
      c.release(false);
    }
  }

  private void releaseConnection() {
    UpstreamPool.Conn c = conn;
    conn = null;
    if (c != null) {
      c.sink.getWriteSetter().set(null);
      c.release(upstreamKeepAlive);
    }
  }

  // ---- failures

  /**
   * The connection broke before the response head: retry an idempotent request whose body, if any,
   * was read whole before sending (so it can be sent again).
   */
  private void transitFailed(IOException e) {
    if (state != ACTIVE) {
      return;
    }
    responseTimer.cancel();
    pendingHead = null;
    closeConnection();
    LOG.log(
        System.Logger.Level.DEBUG,
        () ->
            "upstream "
                + upstream.endpoint()
                + (reused ? " (reused connection)" : "")
                + ": "
                + e.getMessage());
    if ((!hasBody || (bodyBuffered && preread != null && preread[0] != null))
        && isIdempotent()
        && !responseStarted) {
      failedBeforeSending(
          Outcome.RESET, StatusCodes.BAD_GATEWAY, "upstream connection failed", false);
      return;
    }
    end(Outcome.RESET);
    fail(StatusCodes.BAD_GATEWAY, "upstream connection failed");
  }

  private boolean isIdempotent() {
    HttpString m = exchange.getRequestMethod();
    return m.equals(Methods.GET)
        || m.equals(Methods.HEAD)
        || m.equals(Methods.OPTIONS)
        || m.equals(Methods.PUT)
        || m.equals(Methods.DELETE)
        || m.equals(Methods.TRACE);
  }

  private void responseTimedOut() {
    if (state != ACTIVE || responseStarted) {
      return;
    }
    closeConnection(); // never back to the pool with a response pending
    end(Outcome.TIMEOUT);
    if (!requestSent) {
      exchange.setPersistent(false);
    }
    fail(StatusCodes.GATEWAY_TIME_OUT, "upstream timed out");
  }

  /** Something broke in transit: answer if the response has not started, else cut the client. */
  private void abort(Outcome outcome, int status, String error) {
    if (state == DONE) {
      return;
    }
    pendingHead = null;
    closeConnection();
    end(outcome);
    if (responseChannel != null || exchange.isResponseStarted()) {
      state = DONE;
      freeRequestBuffer();
      IoUtils.safeClose(exchange.getConnection());
    } else {
      fail(status, error);
    }
  }

  /** Ends the call with the router's own JSON answer. */
  private void fail(int status, String error) {
    state = DONE;
    buffering = false;
    responseTimer.cancel();
    connectTimer.cancel();
    bodyTimer.cancel();
    StreamSourceChannel rc = requestChannel;
    if (rc != null) {
      rc.suspendReads();
      rc.getReadSetter().set(null);
      if (!requestEof) {
        exchange.setPersistent(false); // the body is half read
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

  private void end(Outcome outcome) {
    if (!ended) {
      ended = true;
      long latency = (headNanos != 0 ? headNanos : System.nanoTime()) - attemptStart;
      cluster.attemptEnded(upstream, outcome, status, latency);
    }
  }

  /** The exchange is over, maybe early (the client went away): let go of everything. */
  @Override
  public void exchangeEvent(HttpServerExchange ex, NextListener next) {
    try {
      if (lingering) {
        lingering = false;
        TimeoutList.Node timer = lingerTimer;
        if (timer != null) {
          timer.cancel();
        }
        freeRequestBuffer();
      }
      bodyTimer.cancel();
      buffering = false;
      if (state != DONE) {
        state = DONE;
        connectTimer.cancel();
        responseTimer.cancel();
        UpstreamPool p = pool;
        if (p != null) {
          p.cancel(this);
        }
        closeConnection();
        cancelConnect();
        freeRequestBuffer();
        end(Outcome.CLIENT_ABORT); // the exchange ended from the client's side
      }
    } finally {
      next.proceed();
    }
  }
}
