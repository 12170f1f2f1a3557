package dev.whaleray.router.undertow.internal.proxy;

import dev.whaleray.router.Endpoint;
import dev.whaleray.router.undertow.UpstreamOptions;
import dev.whaleray.router.undertow.internal.tls.TlsFileException;
import dev.whaleray.router.undertow.internal.tls.TrustStores;
import io.undertow.UndertowOptions;
import io.undertow.client.ClientCallback;
import io.undertow.client.ClientConnection;
import io.undertow.client.UndertowClient;
import io.undertow.connector.ByteBufferPool;
import io.undertow.protocols.ssl.UndertowXnioSsl;
import io.undertow.server.DefaultByteBufferPool;
import java.io.IOException;
import java.net.URI;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import org.jspecify.annotations.Nullable;
import org.xnio.OptionMap;
import org.xnio.Options;
import org.xnio.Xnio;
import org.xnio.XnioExecutor;
import org.xnio.XnioIoThread;
import org.xnio.ssl.XnioSsl;

/**
 * Upstream connections made by Undertow's client, for services that are not plain HTTP/1.1: HTTP/2
 * (h2c by prior knowledge, h2 by ALPN) multiplexed over few connections per endpoint and IO thread,
 * and HTTP/1.1 over TLS, one request per connection at a time, kept alive between requests.
 *
 * <p>Per IO thread and (endpoint, options), so nothing is shared between threads on the request
 * path: callers run on the IO thread whose pool they use. Connects are bounded by the connect
 * timeout; connections idle for the idle timeout close.
 */
public final class ClientPools {
  private static final System.Logger LOG = System.getLogger(ClientPools.class.getName());

  /** Streams per HTTP/2 connection before another one is opened (servers allow 100 or more). */
  static final int MAX_STREAMS = 100;

  final long connectTimeoutMillis;
  final long idleTimeoutMillis;
  final long responseTimeoutMillis;
  final int retries;
  private final int maxConnectionsPerThread;
  private final int maxQueueSize;
  final boolean preserveHost;
  final boolean trustForwarded;
  private final ConcurrentHashMap<XnioIoThread, Map<String, Endpoints>> threads =
      new ConcurrentHashMap<>();
  // Undertow's client frames HTTP/2 in buffers of this size; 16 KiB is the default frame size.
  final ByteBufferPool buffers = new DefaultByteBufferPool(true, 16 * 1024, 256, 8);

  private final @Nullable Target defaultTarget;
  private final Map<String, Optional<Target>> serviceTargets;

  /**
   * Pools for the default options and those of named services; each set of options is loaded once,
   * here, so a bad trust store fails at start-up.
   *
   * @throws IllegalArgumentException naming the trust store file that cannot be used
   */
  public ClientPools(
      UpstreamOptions defaults,
      Map<String, UpstreamOptions> perService,
      long connectTimeoutMillis,
      long idleTimeoutMillis,
      long responseTimeoutMillis,
      int retries,
      boolean preserveHost,
      boolean trustForwarded,
      int maxConnectionsPerThread,
      int maxQueueSize) {
    this.maxConnectionsPerThread = maxConnectionsPerThread;
    this.maxQueueSize = maxQueueSize;
    this.connectTimeoutMillis = connectTimeoutMillis;
    this.idleTimeoutMillis = idleTimeoutMillis;
    this.responseTimeoutMillis = responseTimeoutMillis;
    this.retries = retries;
    this.preserveHost = preserveHost;
    this.trustForwarded = trustForwarded;
    Map<UpstreamOptions, Target> t = new HashMap<>();
    this.defaultTarget = targetOf(defaults, t);
    Map<String, Optional<Target>> s = new HashMap<>();
    for (Map.Entry<String, UpstreamOptions> e : perService.entrySet()) {
      try {
        s.put(e.getKey(), Optional.ofNullable(targetOf(e.getValue(), t)));
      } catch (IllegalArgumentException ex) {
        throw new IllegalArgumentException("service " + e.getKey() + ": " + ex.getMessage(), ex);
      }
    }
    this.serviceTargets = Map.copyOf(s);
  }

  /** True when every service is plain HTTP/1.1: the router's own path serves them all. */
  public static boolean allPlain(
      UpstreamOptions defaults, Map<String, UpstreamOptions> perService) {
    if (!defaults.isPlainHttp1()) {
      return false;
    }
    for (UpstreamOptions o : perService.values()) {
      if (!o.isPlainHttp1()) {
        return false;
      }
    }
    return true;
  }

  private static @Nullable Target targetOf(UpstreamOptions o, Map<UpstreamOptions, Target> made) {
    if (o.isPlainHttp1()) {
      return null;
    }
    Target t = made.get(o);
    if (t == null) {
      t = new Target(o, made.size());
      made.put(o, t);
    }
    return t;
  }

  /** The target of {@code service}'s requests; null for the router's own HTTP/1.1 path. */
  @Nullable Target targetFor(String service) {
    Optional<Target> t = serviceTargets.get(service);
    return t != null ? t.orElse(null) : defaultTarget;
  }

  /** How to reach endpoints with one set of options: the URI scheme, TLS and client options. */
  static final class Target {
    final UpstreamOptions options;
    final String scheme;
    final boolean multiplexed;
    final @Nullable XnioSsl ssl;
    final OptionMap clientOptions;
    final String key;

    /** Server certificates rejected lately, by {@code host:port} as the TLS engine saw the peer. */
    final ConcurrentHashMap<String, String> rejections = new ConcurrentHashMap<>();

    /** Why {@code endpoint}'s certificate was rejected just now, if it was; read once. */
    @Nullable String rejection(Endpoint endpoint) {
      return rejections.remove(peer(endpoint));
    }

    /** True when {@code endpoint}'s certificate was just rejected (the reason stays). */
    boolean wasRejected(Endpoint endpoint) {
      return rejections.containsKey(peer(endpoint));
    }

    /** The peer as the TLS engine names it: the server name checked, and the port. */
    private String peer(Endpoint endpoint) {
      String name = options.serverName();
      return (name != null ? name : endpoint.host()) + ":" + endpoint.port();
    }

    Target(UpstreamOptions options, int id) {
      this.options = options;
      this.key = id + "/";
      switch (options.protocol()) {
        case H2C:
          scheme = "h2c-prior";
          multiplexed = true;
          break;
        case H2:
          scheme = "h2";
          multiplexed = true;
          break;
        default:
          scheme = options.tls() ? "https" : "http";
          multiplexed = false;
      }
      OptionMap.Builder b =
          OptionMap.builder()
              .set(Options.TCP_NODELAY, true)
              .set(
                  UndertowOptions.ENABLE_HTTP2,
                  options.protocol() != UpstreamOptions.Protocol.HTTP1)
              // Undertow's own client default; verification is ours to turn off.
              .set(
                  UndertowOptions.ENDPOINT_IDENTIFICATION_ALGORITHM,
                  options.verifyHostname() ? "HTTPS" : "");
      if (options.tls()) {
        b.setSequence(Options.SSL_ENABLED_PROTOCOLS, "TLSv1.3", "TLSv1.2");
        String name = options.serverName();
        if (name != null) {
          b.set(Options.SSL_PEER_HOST_NAME, name); // the name the certificate is checked against
          b.set(UndertowOptions.SSL_SNI_HOSTNAME, name);
        }
        SSLContext context;
        try {
          context =
              TrustStores.clientContext(
                  options.trustStore(),
                  options.trustStorePassword(),
                  (peer, why) -> {
                    if (rejections.size() >= 1024) {
                      rejections.clear(); // stale ones (nobody asked): a bound, not a history
                    }
                    rejections.put(peer, why); // read back by the request that connected
                  });
        } catch (TlsFileException e) {
          throw new IllegalArgumentException("upstream trust store: " + e.getMessage(), e);
        }
        ssl = new UndertowXnioSsl(Xnio.getInstance(), OptionMap.EMPTY, context);
      } else {
        ssl = null;
      }
      this.clientOptions = b.getMap();
    }
  }

  /** Waits for a connection of an endpoint's pool; every call back runs on its IO thread. */
  interface Waiter {
    void connected(Conn conn);

    void connectFailed(IOException cause, boolean timedOut);

    /** Too many wait already for this endpoint's connections. */
    void queueFull();
  }

  /** One upstream connection, with its streams in use (at most one without multiplexing). */
  static final class Conn {
    final ClientConnection connection;
    final Endpoints pool;
    int active;
    XnioExecutor.@Nullable Key idleTimer;

    /**
     * A stream of it was reset with response data unread: Undertow's HTTP/2 client may not give
     * that data's flow-control credit back to the connection, so it takes no new streams and closes
     * once its last one ends, before a leaked window stalls it.
     */
    boolean retired;

    /** Requests handed this connection so far. */
    int uses;

    Conn(ClientConnection connection, Endpoints pool) {
      this.connection = connection;
      this.pool = pool;
    }

    /** The call is done with the connection: kept for the next one when it is still sound. */
    void release(boolean reusable) {
      pool.release(this, reusable);
    }
  }

  /** The connections of one IO thread to one endpoint with one target. */
  final class Endpoints {
    private final XnioIoThread thread;
    private final Target target;
    private final URI uri;
    final String authority;
    private final List<Conn> open = new ArrayList<>(2);
    private final ArrayDeque<Waiter> waiting = new ArrayDeque<>();
    private int connecting; // connects under way (multiplexed: at most one)

    Endpoints(XnioIoThread thread, Target target, Endpoint endpoint) {
      this.thread = thread;
      this.target = target;
      this.authority = endpoint.authority();
      this.uri = uri(target, endpoint);
    }

    /** Hands {@code w} a connection now, or once one is made. */
    void acquire(Waiter w) {
      for (int i = open.size() - 1; i >= 0; i--) {
        Conn c = open.get(i);
        if (!c.connection.isOpen() || c.retired) {
          if (!c.connection.isOpen()) {
            open.remove(i);
          }
          continue;
        }
        if (target.multiplexed ? c.active < MAX_STREAMS : c.active == 0) {
          take(c);
          w.connected(c);
          return;
        }
      }
      if (waiting.size() >= maxQueueSize) {
        w.queueFull();
        return;
      }
      waiting.add(w);
      if (target.multiplexed
          ? connecting == 0
          : open.size() + connecting < maxConnectionsPerThread) {
        connect();
      }
    }

    /** A waiter gave up (timed out, the client left). */
    void cancel(Waiter w) {
      waiting.remove(w);
    }

    private void take(Conn c) {
      c.active++;
      XnioExecutor.Key k = c.idleTimer;
      if (k != null) {
        k.remove();
        c.idleTimer = null;
      }
    }

    private void connect() {
      connecting++;
      boolean[] over = new boolean[1];
      XnioExecutor.Key timer =
          thread.executeAfter(
              () -> {
                if (!over[0]) {
                  over[0] = true;
                  connecting--;
                  failWaiters(new IOException("upstream connect timed out"), true);
                }
              },
              connectTimeoutMillis,
              TimeUnit.MILLISECONDS);
      UndertowClient.getInstance()
          .connect(
              new ClientCallback<ClientConnection>() {
                @Override
                public void completed(ClientConnection connection) {
                  if (over[0]) {
                    safeClose(connection); // too late: its waiters moved on
                    return;
                  }
                  over[0] = true;
                  timer.remove();
                  connecting--;
                  Conn c = new Conn(connection, Endpoints.this);
                  connection.getCloseSetter().set(ch -> open.remove(c)); // on this IO thread
                  widenConnectionWindow(connection);
                  open.add(c);
                  handOut(c);
                }

                @Override
                public void failed(IOException e) {
                  if (over[0]) {
                    return;
                  }
                  over[0] = true;
                  timer.remove();
                  connecting--;
                  failWaiters(e, false);
                }
              },
              null,
              uri,
              thread,
              target.ssl,
              buffers,
              target.clientOptions);
    }

    /** A new connection: to every waiter it can carry (one without multiplexing). */
    private void handOut(Conn c) {
      while (!waiting.isEmpty() && (target.multiplexed ? c.active < MAX_STREAMS : c.active == 0)) {
        Waiter w = waiting.poll();
        take(c);
        w.connected(c);
      }
      if (c.active == 0) {
        idle(c);
      }
      if (!waiting.isEmpty()
          && (target.multiplexed
              ? connecting == 0
              : open.size() + connecting < maxConnectionsPerThread)) {
        connect();
      }
    }

    private void failWaiters(IOException cause, boolean timedOut) {
      if (target.multiplexed) {
        // One connect served them all: all fail (each may retry, even here: taken out first).
        List<Waiter> all = new ArrayList<>(waiting);
        waiting.clear();
        for (Waiter w : all) {
          w.connectFailed(cause, timedOut);
        }
      } else {
        Waiter w = waiting.poll(); // this connect was for one of them
        if (w != null) {
          w.connectFailed(cause, timedOut);
        }
      }
    }

    void release(Conn c, boolean reusable) {
      c.active--;
      if (!c.connection.isOpen()
          || (!reusable && !target.multiplexed)
          || (c.retired && c.active == 0)) {
        // Broken, an HTTP/1.1 connection out of step, or retired with its last stream. Closed
        // once the releasing call has finished its own ending: a close fails the connection's
        // exchanges at once, that call's included.
        open.remove(c);
        try {
          thread.execute(() -> safeClose(c.connection));
        } catch (RejectedExecutionException stopping) {
          safeClose(c.connection); // the IO thread is shutting down: nothing else runs after us
        }
        if (!waiting.isEmpty() && !target.multiplexed) {
          connect(); // a place is free for a waiter
        }
        return;
      }
      if (c.retired) {
        return; // closes with its last stream
      }
      if (!waiting.isEmpty()) {
        handOut(c);
      } else if (c.active == 0) {
        idle(c);
      }
    }

    private void idle(Conn c) {
      c.idleTimer =
          thread.executeAfter(
              () -> {
                c.idleTimer = null;
                if (c.active == 0) {
                  open.remove(c);
                  safeClose(c.connection);
                }
              },
              idleTimeoutMillis,
              TimeUnit.MILLISECONDS);
    }

    void closeIdle() {
      for (Conn c : List.copyOf(open)) {
        if (c.active == 0) {
          open.remove(c);
          safeClose(c.connection);
        }
      }
    }

    int openCount() {
      return open.size();
    }

    boolean isUnused() {
      return open.isEmpty() && waiting.isEmpty() && connecting == 0;
    }
  }

  /** Extra connection-level receive window granted to each HTTP/2 upstream connection. */
  static final int CONNECTION_WINDOW_CUSHION = MAX_STREAMS * 65_535;

  private static final java.lang.reflect.@Nullable Field HTTP2_CHANNEL = http2ChannelField();

  private static java.lang.reflect.@Nullable Field http2ChannelField() {
    try {
      java.lang.reflect.Field f =
          io.undertow.client.http2.Http2ClientConnection.class.getDeclaredField("http2Channel");
      f.setAccessible(true);
      return f;
    } catch (ReflectiveOperationException | RuntimeException e) {
      LOG.log(System.Logger.Level.WARNING, "HTTP/2 upstream connection window stays at 64 KiB", e);
      return null;
    }
  }

  /**
   * Grants an HTTP/2 connection a receive window as large as all its streams' windows together.
   * Undertow's client leaves the connection window at the protocol's 64 KiB, the size of one
   * stream's window: one stream whose client reads slowly (or left) held all of it, and every other
   * stream on the connection stalled (found by UpstreamH2AndTlsIT). The cushion is never taken back
   * (Undertow's own accounting goes on as before), so unread data of one stream never blocks the
   * others. Through reflection: the channel is private in Undertow 2.3.
   */
  static void widenConnectionWindow(ClientConnection connection) {
    java.lang.reflect.Field f = HTTP2_CHANNEL;
    if (f == null || !(connection instanceof io.undertow.client.http2.Http2ClientConnection)) {
      return;
    }
    try {
      ((io.undertow.protocols.http2.Http2Channel) f.get(connection))
          .sendUpdateWindowSize(0, CONNECTION_WINDOW_CUSHION);
    } catch (IOException | ReflectiveOperationException | RuntimeException e) {
      LOG.log(System.Logger.Level.DEBUG, () -> "widening an HTTP/2 connection window: " + e);
    }
  }

  /** The URI Undertow's client connects to: the target's scheme and the endpoint's address. */
  static URI uri(Target target, Endpoint endpoint) {
    String host = endpoint.host();
    return URI.create(
        target.scheme
            + "://"
            + (host.indexOf(':') >= 0 ? "[" + host + "]" : host)
            + ":"
            + endpoint.port());
  }

  // ---- health checks over the service's own transport

  private final Object probeLock = new Object();
  private org.xnio.@Nullable XnioWorker probeWorker; // made by the first probe
  private boolean closed;

  /**
   * The health probe of {@code service}'s transport, or null for the router's own HTTP/1.1 path
   * (checked by the JDK's client).
   */
  public dev.whaleray.router.core.@Nullable HealthProbe healthProbe(String service) {
    Target t = targetFor(service);
    return t == null ? null : (endpoint, path, timeout) -> probe(t, endpoint, path, timeout);
  }

  private @Nullable XnioIoThread probeThread() {
    synchronized (probeLock) {
      if (closed) {
        return null;
      }
      if (probeWorker == null) {
        try {
          probeWorker =
              Xnio.getInstance(UndertowClient.class.getClassLoader())
                  .createWorker(
                      OptionMap.builder()
                          .set(Options.WORKER_IO_THREADS, 1)
                          .set(Options.WORKER_TASK_CORE_THREADS, 1)
                          .set(Options.WORKER_TASK_MAX_THREADS, 1)
                          .set(Options.WORKER_NAME, "whaleray-health-probe")
                          .getMap());
        } catch (IOException e) {
          throw new java.io.UncheckedIOException(e);
        }
      }
      return probeWorker.getIoThread();
    }
  }

  /** One {@code GET path} on a connection of its own, closed after the status line. */
  private java.util.concurrent.CompletableFuture<Integer> probe(
      Target target, Endpoint endpoint, String path, java.time.Duration timeout) {
    java.util.concurrent.CompletableFuture<Integer> answer =
        new java.util.concurrent.CompletableFuture<>();
    XnioIoThread thread = probeThread();
    if (thread == null) {
      answer.completeExceptionally(new IOException("router closed"));
      return answer;
    }
    ClientConnection[] held = new ClientConnection[1];
    java.util.function.Consumer<Throwable> failed =
        e -> {
          String why = target.rejection(endpoint);
          answer.completeExceptionally(
              why != null ? new IOException("TLS handshake failed: " + why, e) : e);
        };
    thread.execute(
        () -> {
          XnioExecutor.Key timer =
              thread.executeAfter(
                  () ->
                      answer.completeExceptionally(
                          new java.util.concurrent.TimeoutException("health check timed out")),
                  timeout.toMillis(),
                  TimeUnit.MILLISECONDS);
          answer.whenComplete(
              (status, error) -> {
                timer.remove();
                ClientConnection c = held[0];
                if (c != null) {
                  thread.execute(() -> safeClose(c));
                }
              });
          UndertowClient.getInstance()
              .connect(
                  new ClientCallback<ClientConnection>() {
                    @Override
                    public void completed(ClientConnection connection) {
                      held[0] = connection;
                      if (answer.isDone()) {
                        safeClose(connection);
                        return;
                      }
                      io.undertow.client.ClientRequest request =
                          new io.undertow.client.ClientRequest()
                              .setMethod(io.undertow.util.Methods.GET)
                              .setPath(path);
                      request
                          .getRequestHeaders()
                          .put(io.undertow.util.Headers.HOST, endpoint.authority())
                          .put(io.undertow.util.Headers.USER_AGENT, "WhaleRay-HealthCheck");
                      connection.sendRequest(
                          request,
                          new ClientCallback<io.undertow.client.ClientExchange>() {
                            @Override
                            public void completed(io.undertow.client.ClientExchange exchange) {
                              exchange.setResponseListener(
                                  new ClientCallback<io.undertow.client.ClientExchange>() {
                                    @Override
                                    public void completed(io.undertow.client.ClientExchange r) {
                                      answer.complete(r.getResponse().getResponseCode());
                                    }

                                    @Override
                                    public void failed(IOException e) {
                                      failed.accept(e);
                                    }
                                  });
                              try {
                                exchange.getRequestChannel().shutdownWrites();
                                if (!exchange.getRequestChannel().flush()) {
                                  exchange.getRequestChannel().resumeWrites();
                                }
                              } catch (IOException e) {
                                failed.accept(e);
                              }
                            }

                            @Override
                            public void failed(IOException e) {
                              failed.accept(e);
                            }
                          });
                    }

                    @Override
                    public void failed(IOException e) {
                      failed.accept(e);
                    }
                  },
                  null,
                  uri(target, endpoint),
                  thread,
                  target.ssl,
                  buffers,
                  target.clientOptions);
        });
    return answer;
  }

  /** The pool of {@code endpoint} with {@code target} on IO thread {@code thread}. */
  Endpoints pool(XnioIoThread thread, Target target, Endpoint endpoint) {
    Map<String, Endpoints> pools = threads.get(thread);
    if (pools == null) {
      pools = threads.computeIfAbsent(thread, t -> new ConcurrentHashMap<>());
    }
    String key = target.key + endpoint.authority();
    Endpoints p = pools.get(key);
    if (p == null) {
      p = new Endpoints(thread, target, endpoint);
      pools.put(key, p);
    }
    return p;
  }

  /** Connections open now over every thread and endpoint (reads racy counts: for tests). */
  public int openConnections() {
    int n = 0;
    for (Map<String, Endpoints> pools : threads.values()) {
      for (Endpoints p : List.copyOf(pools.values())) {
        n += p.openCount();
      }
    }
    return n;
  }

  /**
   * Drops, on each IO thread, the pools of endpoints no service lists any more once they are unused
   * (their idle connections close after the idle timeout).
   */
  public void retainOnly(java.util.Set<String> authoritiesInUse) {
    for (Map.Entry<XnioIoThread, Map<String, Endpoints>> e : threads.entrySet()) {
      try {
        e.getKey()
            .execute(
                () ->
                    e.getValue()
                        .values()
                        .removeIf(p -> !authoritiesInUse.contains(p.authority) && p.isUnused()));
      } catch (RejectedExecutionException ex) {
        // IO threads gone
      }
    }
  }

  /** Closes idle connections on their IO threads; calls in flight finish. */
  public void close() {
    synchronized (probeLock) {
      closed = true;
      org.xnio.XnioWorker w = probeWorker;
      if (w != null) {
        w.shutdownNow();
      }
    }
    for (Map.Entry<XnioIoThread, Map<String, Endpoints>> e : threads.entrySet()) {
      try {
        e.getKey()
            .execute(
                () -> {
                  for (Endpoints p : e.getValue().values()) {
                    p.closeIdle();
                  }
                });
      } catch (RejectedExecutionException ex) {
        // IO threads gone, and their connections with them
      }
    }
  }

  private static void safeClose(ClientConnection c) {
    try {
      c.close();
    } catch (IOException e) {
      LOG.log(System.Logger.Level.DEBUG, () -> "closing an upstream connection: " + e);
    }
  }
}
