package dev.whaleray.router.undertow;

import static java.util.Objects.requireNonNull;

import dev.whaleray.router.undertow.internal.edge.ConnectionGuard;
import dev.whaleray.router.undertow.internal.edge.JsonErrors;
import dev.whaleray.router.undertow.internal.http1.Http1Listener;
import dev.whaleray.router.undertow.internal.pool.IoThreadBufferPool;
import dev.whaleray.router.undertow.internal.pool.ReadyKeys;
import dev.whaleray.router.undertow.internal.proxy.Dispatcher;
import dev.whaleray.router.undertow.internal.tls.TlsFileException;
import dev.whaleray.router.undertow.internal.tls.TlsTermination;
import io.undertow.Undertow;
import io.undertow.UndertowOptions;
import io.undertow.connector.ByteBufferPool;
import io.undertow.protocols.ssl.UndertowXnioSsl;
import io.undertow.server.HttpHandler;
import io.undertow.server.HttpServerExchange;
import io.undertow.server.protocol.http.AlpnOpenListener;
import io.undertow.server.protocol.http.HttpOpenListener;
import io.undertow.server.protocol.http2.Http2OpenListener;
import io.undertow.server.protocol.http2.Http2UpgradeHandler;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.jspecify.annotations.Nullable;
import org.xnio.ChannelListener;
import org.xnio.ChannelListeners;
import org.xnio.IoUtils;
import org.xnio.OptionMap;
import org.xnio.Options;
import org.xnio.SslClientAuthMode;
import org.xnio.StreamConnection;
import org.xnio.Xnio;
import org.xnio.XnioWorker;
import org.xnio.channels.AcceptingChannel;
import org.xnio.ssl.SslConnection;

/**
 * An HTTP/1.1 listener for a handler (usually a {@link RouterHandler}) that shuts down gracefully:
 * {@link #shutdown} closes the listening socket at once (new connections are refused), lets the
 * requests in flight finish within a grace period, answers any request that still arrives on an
 * open connection with {@code Connection: close}, then stops.
 *
 * <p>With {@link Builder#tls} a TLS listener runs beside the plain one (certificates chosen by SNI,
 * reloaded when their files change, see {@link TlsOptions}); both share the connection limits and
 * shut down together.
 *
 * <p>Built on XNIO directly rather than {@link Undertow}'s builder because the builder cannot close
 * its listening socket without also stopping its IO threads. Thread-safe.
 */
public final class RouterServer implements AutoCloseable {
  private static final System.Logger LOG = System.getLogger(RouterServer.class.getName());

  private static final Duration MAX_GRACE = Duration.ofDays(1);

  private final XnioWorker worker;
  private final AcceptingChannel<? extends StreamConnection> channel;
  private final InetSocketAddress address;
  private final AtomicInteger inFlight = new AtomicInteger();
  private final ConnectionGuard guard;
  private final int maxRequests;
  private volatile boolean draining;
  // TLS (issue 13): null without a TLS listener.
  private final @Nullable TlsTermination tls;
  private final @Nullable AcceptingChannel<? extends StreamConnection> tlsChannel;
  private final int tlsPort;

  private RouterServer(Builder b) throws IOException {
    TlsOptions tlsOptions = b.tls;
    if (tlsOptions != null) {
      try {
        // Read before anything is bound: a bad PEM stops the start, naming the file.
        this.tls =
            new TlsTermination(
                tlsOptions.certificateFiles(), tlsOptions.keyFiles(), tlsOptions.reloadInterval());
      } catch (TlsFileException e) {
        throw new IllegalArgumentException("tls certificate: " + e.getMessage(), e);
      }
    } else {
      this.tls = null;
    }
    Xnio xnio = Xnio.getInstance(Undertow.class.getClassLoader());
    this.worker =
        xnio.createWorker(
            OptionMap.builder()
                .set(Options.WORKER_IO_THREADS, b.ioThreads)
                .set(Options.WORKER_TASK_CORE_THREADS, 2)
                .set(Options.WORKER_TASK_MAX_THREADS, Math.max(2, b.ioThreads * 2))
                .set(Options.WORKER_NAME, b.name)
                .set(Options.TCP_NODELAY, true)
                // Off: with it on, HTTP/2 answers waited (h2load on one connection: 1,735 req/s
                // against 6,549 off); HTTP/1.1 throughput is the same either way (RESULTS.md).
                .set(Options.CORK, false)
                .getMap());
    // IO threads serve ready connections in epoll's order (-Dwhaleray.orderedReadyKeys=false: off).
    ReadyKeys.installIn(worker);
    // 16 KiB direct buffers, as Undertow picks for heaps over 128 MB; up to 32 kept per IO thread
    // and 256 more shared (at most about 4 MiB idle beyond the per-thread lists).
    ByteBufferPool buffers = new IoThreadBufferPool(16 * 1024 - 20, true, 32, 256);
    OptionMap serverOptions =
        OptionMap.builder()
            .set(UndertowOptions.NO_REQUEST_TIMEOUT, (int) b.idleTimeout.toMillis())
            // A backstop only: the guard answers 408 at the client header timeout itself.
            .set(
                UndertowOptions.REQUEST_PARSE_TIMEOUT,
                (int) Math.min(Integer.MAX_VALUE, b.clientHeaderTimeout.toMillis() + 5_000))
            .set(UndertowOptions.MAX_HEADER_SIZE, b.maxHeaderSize)
            .set(UndertowOptions.MAX_ENTITY_SIZE, b.maxRequestBodySize)
            .set(UndertowOptions.ALWAYS_SET_KEEP_ALIVE, false)
            .set(UndertowOptions.ENABLE_HTTP2, b.http2)
            .getMap();
    HttpOpenListener openListener = new HttpOpenListener(buffers, serverOptions);
    HttpHandler handler = b.handler;
    ChannelListener<StreamConnection> tlsOpenListener =
        tlsOptions == null
            ? openListener
            : tlsOpenListener(buffers, serverOptions, tlsOptions, handler);
    this.maxRequestBodySize = b.maxRequestBodySize;
    this.maxRequests = b.maxRequests;
    // The router's own HTTP/1.1 request side, handing what it does not serve to Undertow's.
    Http1Listener http1Listener =
        new Http1Listener(buffers, serverOptions, openListener, exchange -> {});
    ChannelListener<StreamConnection> plainListener = b.ownHttp1 ? http1Listener : openListener;
    this.guard =
        new ConnectionGuard(
            // One guard for both listeners: its connection caps count plain and TLS together.
            connection ->
                (connection instanceof SslConnection ? tlsOpenListener : plainListener)
                    .handleEvent(connection),
            b.maxConnections,
            b.maxConnectionsPerClient,
            b.clientHeaderTimeout.toMillis());
    HttpHandler plainHandler =
        tlsOptions != null && tlsOptions.redirectHttp()
            ? new HttpsRedirect(handler, tlsOptions.redirectExemptPath(), this::tlsPort)
            : handler;
    HttpHandler root = exchange -> handle(exchange, plainHandler);
    // h2c: by prior knowledge (HttpOpenListener sees the preface with ENABLE_HTTP2) and by
    // Upgrade: h2c on an HTTP/1.1 request. Undertow's upgrade handler only for requests with an
    // Upgrade header: it looks up HTTP2-Settings by a String name on every request, which
    // converts the name to bytes each time (a header lookup and an allocation per request).
    HttpHandler h2cUpgrade = new Http2UpgradeHandler(root);
    HttpHandler plainRoot =
        b.http2
            ? exchange -> {
              if (exchange.getRequestHeaders().contains(io.undertow.util.Headers.UPGRADE)) {
                h2cUpgrade.handleRequest(exchange);
              } else {
                root.handleRequest(exchange);
              }
            }
            : root;
    openListener.setRootHandler(plainRoot);
    http1Listener.setRootHandler(plainRoot);
    ChannelListener<AcceptingChannel<StreamConnection>> acceptListener =
        ChannelListeners.openListenerAdapter(guard);
    OptionMap socketOptions =
        OptionMap.builder()
            .set(Options.WORKER_IO_THREADS, b.ioThreads)
            .set(Options.TCP_NODELAY, true)
            .set(Options.REUSE_ADDRESSES, true)
            .set(Options.BALANCING_TOKENS, 1)
            .set(Options.BALANCING_CONNECTIONS, 2)
            .set(Options.BACKLOG, 1000)
            .getMap();
    try {
      this.channel =
          worker.createStreamConnectionServer(
              new InetSocketAddress(b.host, b.port), acceptListener, socketOptions);
    } catch (IOException e) {
      worker.shutdownNow();
      throw new IOException("cannot listen on " + b.host + ":" + b.port + ": " + e.getMessage(), e);
    }
    this.address = channel.getLocalAddress(InetSocketAddress.class);
    if (tlsOptions != null && tls != null) {
      UndertowXnioSsl ssl =
          new UndertowXnioSsl(
              xnio, OptionMap.create(Options.USE_DIRECT_BUFFERS, true), tls.context());
      OptionMap tlsSocketOptions =
          OptionMap.builder()
              .addAll(socketOptions)
              .setSequence(
                  Options.SSL_ENABLED_PROTOCOLS, tlsOptions.protocols().toArray(new String[0]))
              .set(Options.SSL_CLIENT_AUTH_MODE, SslClientAuthMode.NOT_REQUESTED)
              .getMap();
      try {
        @SuppressWarnings({"unchecked", "rawtypes"})
        AcceptingChannel<SslConnection> bound =
            ssl.createSslConnectionServer(
                worker,
                new InetSocketAddress(b.host, tlsOptions.port()),
                (ChannelListener) acceptListener,
                tlsSocketOptions);
        this.tlsChannel = bound;
      } catch (IOException e) {
        IoUtils.safeClose(channel);
        worker.shutdownNow();
        tls.close();
        throw new IOException(
            "cannot listen on " + b.host + ":" + tlsOptions.port() + " (tls): " + e.getMessage(),
            e);
      }
      this.tlsPort = tlsChannel.getLocalAddress(InetSocketAddress.class).getPort();
      LOG.log(
          System.Logger.Level.INFO,
          "TLS on port "
              + tlsPort
              + " "
              + tlsOptions.protocols()
              + ", certificates "
              + tls.names());
      tlsChannel.resumeAccepts();
    } else {
      this.tlsChannel = null;
      this.tlsPort = -1;
    }
    channel.resumeAccepts();
  }

  /** The open listener of the TLS port: HTTP/1.1, or ALPN with h2 and http/1.1 when asked. */
  private ChannelListener<StreamConnection> tlsOpenListener(
      ByteBufferPool buffers, OptionMap serverOptions, TlsOptions options, HttpHandler tlsHandler) {
    HttpOpenListener http1 = new HttpOpenListener(buffers, serverOptions);
    http1.setRootHandler(exchange -> handle(exchange, tlsHandler));
    if (!options.alpnH2()) {
      return http1;
    }
    OptionMap h2Options =
        OptionMap.builder().addAll(serverOptions).set(UndertowOptions.ENABLE_HTTP2, true).getMap();
    Http2OpenListener h2 = new Http2OpenListener(buffers, h2Options);
    h2.setRootHandler(exchange -> handle(exchange, tlsHandler));
    AlpnOpenListener alpn = new AlpnOpenListener(buffers, h2Options, http1);
    alpn.addProtocol(Http2OpenListener.HTTP2, h2, 10);
    return alpn;
  }

  private final long maxRequestBodySize;

  private final io.undertow.server.ExchangeCompletionListener done =
      new dev.whaleray.router.undertow.internal.proxy.RouterCompletionListener() {
        @Override
        public void exchangeEvent(HttpServerExchange exchange, NextListener next) {
          exchangeDone(exchange, next);
        }
      };

  private void exchangeDone(
      HttpServerExchange exchange,
      io.undertow.server.ExchangeCompletionListener.NextListener next) {
    inFlight.decrementAndGet();
    guard.requestEnded(exchange);
    next.proceed();
  }

  private void handle(HttpServerExchange exchange, HttpHandler handler) throws Exception {
    guard.requestStarted(exchange);
    if (maxRequestBodySize > 0) {
      // RouterHandler sets each exchange's limit itself: it keeps this one when it is smaller.
      exchange.putAttachment(Dispatcher.SERVER_BODY_LIMIT, maxRequestBodySize);
    }
    int now = inFlight.incrementAndGet();
    exchange.addExchangeCompleteListener(done); // one listener for all: no allocation
    if (draining) {
      exchange.setPersistent(false);
      exchange.putAttachment(Dispatcher.DRAINING, Boolean.TRUE);
    }
    if (maxRequests > 0 && now > maxRequests) {
      // Answered before any framing check: the body is not read, so the connection must close.
      exchange.setPersistent(false);
      exchange.getResponseHeaders().put(io.undertow.util.Headers.RETRY_AFTER, "1");
      JsonErrors.send(
          exchange, 503, "too many requests in flight (limit: " + maxRequests + ")", null);
      return;
    }
    handler.handleRequest(exchange);
  }

  /** Client connections open now. */
  public int openConnections() {
    return guard.open();
  }

  /** A builder for a server of {@code handler}. */
  public static Builder builder(HttpHandler handler) {
    return new Builder(handler);
  }

  /** The bound address (the real port when built with port 0). */
  public InetSocketAddress address() {
    return address;
  }

  /** The bound port. */
  public int port() {
    return address.getPort();
  }

  /** The bound TLS port, or -1 without a TLS listener. */
  public int tlsPort() {
    return tlsPort;
  }

  /** Requests started and not yet complete. */
  public int inFlight() {
    return inFlight.get();
  }

  /**
   * Stops accepting connections, waits up to {@code grace} for requests in flight, then stops the
   * IO threads. Blocks the caller (never call it on an IO thread).
   *
   * @return true when every request finished within the grace period
   */
  public boolean shutdown(Duration grace) {
    return shutdown(Duration.ZERO, grace);
  }

  /**
   * Drains, then stops: for {@code drain}, requests are still served, new connections too, but a
   * {@link RouterHandler}'s health path answers 503 and every response carries {@code Connection:
   * close}, so a load balancer sees the task leave and moves its clients; then the listening socket
   * closes and requests in flight get up to {@code grace} to finish. Blocks the caller.
   *
   * @return true when every request finished within the grace period
   */
  public boolean shutdown(Duration drain, Duration grace) {
    draining = true;
    LOG.log(
        System.Logger.Level.INFO,
        "draining for " + drain.toMillis() + " ms, then up to " + grace.toMillis() + " ms");
    long drainEnd = System.nanoTime() + Math.max(0, Math.min(drain.toNanos(), MAX_GRACE.toNanos()));
    while (System.nanoTime() < drainEnd) {
      try {
        Thread.sleep(Math.max(1, Math.min(100, (drainEnd - System.nanoTime()) / 1_000_000)));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        break;
      }
    }
    IoUtils.safeClose(channel);
    IoUtils.safeClose(tlsChannel);
    // Saturate: a grace of years would overflow toNanos().
    long graceNanos = grace.compareTo(MAX_GRACE) > 0 ? MAX_GRACE.toNanos() : grace.toNanos();
    long deadline = System.nanoTime() + Math.max(0, graceNanos);
    boolean drained;
    while (!(drained = inFlight.get() == 0) && System.nanoTime() < deadline) {
      try {
        Thread.sleep(10);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        break;
      }
    }
    if (!drained) {
      LOG.log(
          System.Logger.Level.WARNING,
          "grace period of " + grace + " over with " + inFlight.get() + " request(s) in flight");
    }
    if (tls != null) {
      tls.close();
    }
    worker.shutdown();
    try {
      if (!worker.awaitTermination(2, TimeUnit.SECONDS)) {
        worker.shutdownNow();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      worker.shutdownNow();
    }
    return drained;
  }

  /** Stops at once, cutting requests in flight. */
  @Override
  public void close() {
    draining = true;
    IoUtils.safeClose(channel);
    IoUtils.safeClose(tlsChannel);
    if (tls != null) {
      tls.close();
    }
    worker.shutdownNow();
  }

  /** Builds and starts a {@link RouterServer}. Not thread-safe. */
  public static final class Builder {
    private final HttpHandler handler;
    private String host = "0.0.0.0";
    private int port = 8080;
    private int ioThreads = Math.max(1, Runtime.getRuntime().availableProcessors());
    private boolean http2 = true;
    private boolean ownHttp1 = !"false".equalsIgnoreCase(System.getProperty("whaleray.ownHttp1"));
    private String name = "whaleray";
    private Duration idleTimeout = Duration.ofSeconds(75);
    private Duration clientHeaderTimeout = Duration.ofSeconds(30);
    private int maxConnections = 10_000;
    private int maxConnectionsPerClient;
    private int maxRequests;
    private int maxHeaderSize = 64 * 1024;
    private long maxRequestBodySize = 0;
    private @Nullable TlsOptions tls;

    private Builder(HttpHandler handler) {
      this.handler = requireNonNull(handler, "handler");
    }

    /** The address to bind; default {@code 0.0.0.0}. */
    public Builder host(String host) {
      this.host = requireNonNull(host, "host");
      return this;
    }

    /** The port to bind, 0 for an ephemeral one; default 8080. */
    public Builder port(int port) {
      if (port < 0 || port > 65535) {
        throw new IllegalArgumentException("port: " + port + " (expected: 0-65535)");
      }
      this.port = port;
      return this;
    }

    /**
     * HTTP/2 on the plain port beside HTTP/1.1 (default on): h2c by prior knowledge and by {@code
     * Upgrade: h2c}. Every route, discovery and policy works the same for both.
     */
    public Builder http2(boolean enabled) {
      this.http2 = enabled;
      return this;
    }

    /**
     * The router's own HTTP/1.1 request side (default on; off with {@code false} here or the system
     * property {@code whaleray.ownHttp1=false}): plain HTTP/1.1 requests inside a strict subset
     * (body-less {@code GET}, {@code HEAD}, {@code DELETE}, {@code OPTIONS} with a plain target and
     * a DNS or IPv4 Host) are read by the router's own parser instead of Undertow's, which costs
     * about 6 % less CPU per request; a connection goes to Undertow's for good at its first request
     * outside the subset, so every other request is served as before. See {@code OWN-HTTP1.md}.
     */
    public Builder ownHttp1(boolean enabled) {
      this.ownHttp1 = enabled;
      return this;
    }

    /** IO threads; default the number of processors. */
    public Builder ioThreads(int ioThreads) {
      if (ioThreads < 1) {
        throw new IllegalArgumentException("ioThreads: " + ioThreads + " (expected: >= 1)");
      }
      this.ioThreads = ioThreads;
      return this;
    }

    /** The thread-name prefix. */
    public Builder name(String name) {
      this.name = requireNonNull(name, "name");
      return this;
    }

    /**
     * How long an idle client keep-alive connection stays open; default 75 s (above the 60 s idle
     * timeout of an AWS ALB, so the ALB closes first and never sends on a closing connection).
     */
    public Builder idleTimeout(Duration idleTimeout) {
      this.idleTimeout = millis(idleTimeout, "idleTimeout");
      return this;
    }

    /**
     * How long a client may take to send a request head, from its first byte (then 408 and the
     * connection closes: slowloris); default 30 s ({@code timeouts.clientHeader}).
     */
    public Builder clientHeaderTimeout(Duration timeout) {
      this.clientHeaderTimeout = millis(timeout, "clientHeaderTimeout");
      return this;
    }

    /** The same as {@link #clientHeaderTimeout}, by its earlier name. */
    public Builder requestParseTimeout(Duration timeout) {
      return clientHeaderTimeout(timeout);
    }

    /** Client connections open at once; one more is answered 503 and closed. Default 10,000. */
    public Builder maxConnections(int max) {
      this.maxConnections = atLeast(max, 1, "maxConnections");
      return this;
    }

    /**
     * Client connections open at once from one address (503 and closed beyond); default 0, no
     * limit. Behind a load balancer every connection comes from its few addresses: leave it off
     * there.
     */
    public Builder maxConnectionsPerClient(int max) {
      this.maxConnectionsPerClient = atLeast(max, 0, "maxConnectionsPerClient");
      return this;
    }

    /** Requests in flight at once (503 with Retry-After beyond); default 0, no limit. */
    public Builder maxRequests(int max) {
      this.maxRequests = atLeast(max, 0, "maxRequests");
      return this;
    }

    private static int atLeast(int value, int min, String name) {
      if (value < min) {
        throw new IllegalArgumentException(name + ": " + value + " (expected: >= " + min + ")");
      }
      return value;
    }

    private static Duration millis(Duration d, String name) {
      requireNonNull(d, name);
      if (d.isNegative() || d.isZero() || d.toMillis() > Integer.MAX_VALUE) {
        throw new IllegalArgumentException(
            name + ": " + d + " (expected: more than 0 and at most 24 days)");
      }
      return d;
    }

    /**
     * The most bytes Undertow buffers for a request head before it answers 400 and closes; default
     * 64 KiB (a slow sender can hold this much memory per connection). {@link RouterHandler}
     * answers 414 and 431 below it.
     */
    public Builder maxHeaderSize(int bytes) {
      if (bytes < 1024) {
        throw new IllegalArgumentException("maxHeaderSize: " + bytes + " (expected: >= 1024)");
      }
      this.maxHeaderSize = bytes;
      return this;
    }

    /**
     * The largest request body accepted, in bytes; a larger one ends the connection. Default 0:
     * unlimited (bodies are streamed, so size costs no memory).
     */
    public Builder maxRequestBodySize(long bytes) {
      if (bytes < 0) {
        throw new IllegalArgumentException("maxRequestBodySize: " + bytes + " (expected: >= 0)");
      }
      this.maxRequestBodySize = bytes;
      return this;
    }

    /**
     * A TLS listener beside the plain one, with certificates chosen by SNI and reloaded when their
     * files change; default none.
     */
    public Builder tls(@Nullable TlsOptions tls) {
      this.tls = tls;
      return this;
    }

    /** Binds the socket and starts serving. */
    public RouterServer start() {
      try {
        return new RouterServer(this);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
  }
}
