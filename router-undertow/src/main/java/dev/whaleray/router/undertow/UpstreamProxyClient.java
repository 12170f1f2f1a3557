package dev.whaleray.router.undertow;

import dev.whaleray.router.Endpoint;
import dev.whaleray.router.core.Cluster;
import dev.whaleray.router.lb.Outcome;
import dev.whaleray.router.lb.Tried;
import dev.whaleray.router.lb.Upstream;
import io.undertow.client.UndertowClient;
import io.undertow.server.HttpServerExchange;
import io.undertow.server.handlers.proxy.ConnectionPoolManager;
import io.undertow.server.handlers.proxy.ProxyCallback;
import io.undertow.server.handlers.proxy.ProxyClient;
import io.undertow.server.handlers.proxy.ProxyConnection;
import io.undertow.server.handlers.proxy.ProxyConnectionPool;
import io.undertow.util.AttachmentKey;
import java.net.URI;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;
import org.xnio.IoUtils;
import org.xnio.OptionMap;
import org.xnio.Options;
import org.xnio.XnioIoThread;

/**
 * The {@link ProxyClient} behind Undertow's {@code ProxyHandler}, which the router still uses for
 * WebSocket handshakes (everything else takes {@link ProxyCall}): the target is the upstream the
 * load balancer picked; connections come from one keep-alive {@link ProxyConnectionPool} per
 * endpoint address. It adds what the stock client lacks: a connect timeout, a response timeout
 * (time to the response head, like nginx's {@code proxy_read_timeout} before the first byte), a
 * bounded wait queue instead of instant 503s under load, re-picking on retry, and a record of why
 * an attempt failed so the router can answer 502 or 504 with a JSON body.
 */
final class UpstreamProxyClient implements ProxyClient {

  /** Why proxying failed, for {@link RouterHandler}'s default response listener. */
  enum Failure {
    CONNECT_FAILED,
    CONNECT_TIMEOUT,
    RESPONSE_TIMEOUT,
    QUEUE_FULL
  }

  static final AttachmentKey<Failure> FAILURE = AttachmentKey.create(Failure.class);
  static final AttachmentKey<Attempt> ATTEMPT = AttachmentKey.create(Attempt.class);

  private final ConcurrentHashMap<String, ProxyConnectionPool> pools = new ConcurrentHashMap<>();
  private final ConcurrentHashMap<XnioIoThread, TimeoutList> connectTimeouts =
      new ConcurrentHashMap<>();
  private final ConcurrentHashMap<XnioIoThread, TimeoutList> responseTimeouts =
      new ConcurrentHashMap<>();
  private final PoolManager poolManager;
  private final OptionMap clientOptions;
  private final long connectTimeoutMillis;
  private final long responseTimeoutMillis;

  UpstreamProxyClient(
      int maxConnectionsPerThread,
      int maxQueueSize,
      long idleTimeoutMillis,
      long connectTimeoutMillis,
      long responseTimeoutMillis) {
    this.poolManager = new PoolManager(maxConnectionsPerThread, maxQueueSize, idleTimeoutMillis);
    this.clientOptions = OptionMap.builder().set(Options.TCP_NODELAY, true).getMap();
    this.connectTimeoutMillis = connectTimeoutMillis;
    this.responseTimeoutMillis = responseTimeoutMillis;
  }

  /**
   * The state of one proxied request: its service entry, the upstream of the current attempt and
   * that attempt's callback. IO thread only.
   */
  static final class Attempt
      implements ProxyTarget,
          io.undertow.server.ResponseCommitListener,
          io.undertow.server.ExchangeCompletionListener {
    final Cluster cluster;
    final dev.whaleray.router.RequestView view;
    final HttpServerExchange exchange;
    Upstream upstream;
    boolean handedOut;
    boolean requestEnded;
    @Nullable AttemptCallback current;

    Attempt(
        Cluster cluster,
        dev.whaleray.router.RequestView view,
        Upstream upstream,
        HttpServerExchange exchange) {
      this.cluster = cluster;
      this.view = view;
      this.upstream = upstream;
      this.exchange = exchange;
    }

    /** The whole request body has been read from the client (and handed to the upstream). */
    void onRequestEnd() {
      requestEnded = true;
      AttemptCallback c = current;
      if (c != null) {
        c.armResponseTimer();
      }
    }

    /**
     * The response head is being sent to the client: the response timeout no longer applies, and
     * hop-by-hop headers the upstream sent are dropped.
     */
    @Override
    public void beforeCommit(HttpServerExchange ex) {
      AttemptCallback c = current;
      if (c != null) {
        c.cancelResponseTimer();
      }
      HopByHop.strip(ex.getResponseHeaders(), ex.getStatusCode() == 101);
    }

    /** The exchange is over: end the current attempt's accounting. */
    @Override
    public void exchangeEvent(HttpServerExchange ex, NextListener nextListener) {
      AttemptCallback c = current;
      if (c != null) {
        c.cancelResponseTimer();
        c.end(
            exchange.getAttachment(FAILURE) == Failure.RESPONSE_TIMEOUT
                ? Outcome.TIMEOUT
                : Outcome.SUCCESS);
      }
      nextListener.proceed();
    }
  }

  @Override
  public @Nullable ProxyTarget findTarget(HttpServerExchange exchange) {
    Attempt attempt = exchange.getAttachment(ATTEMPT);
    if (attempt == null) {
      return null;
    }
    if (!attempt.handedOut) {
      attempt.handedOut = true;
      return attempt;
    }
    // A retry: never after a response timeout (the upstream may be working on it), else re-pick.
    if (exchange.getAttachment(FAILURE) == Failure.RESPONSE_TIMEOUT) {
      return null;
    }
    Upstream failed = attempt.upstream;
    Upstream next =
        attempt
            .cluster
            .pick(
                attempt.view,
                new Tried() {
                  @Override
                  public int count() {
                    return 1;
                  }

                  @Override
                  public boolean contains(Upstream u) {
                    return u.endpoint().authority().equals(failed.endpoint().authority());
                  }
                })
            .upstream();
    if (next == null) {
      return null;
    }
    attempt.upstream = next;
    return attempt;
  }

  @Override
  public void getConnection(
      ProxyTarget target,
      HttpServerExchange exchange,
      ProxyCallback<ProxyConnection> callback,
      long timeout,
      TimeUnit timeUnit) {
    Attempt attempt = (Attempt) target;
    AttemptCallback previous = attempt.current;
    if (previous != null) {
      // A retry after the previous attempt failed in transit: close its books first.
      previous.abandon();
    }
    Upstream upstream = attempt.upstream;
    ProxyConnectionPool pool;
    try {
      pool = pool(upstream.endpoint());
    } catch (IllegalArgumentException e) {
      exchange.putAttachment(FAILURE, Failure.CONNECT_FAILED);
      callback.failed(exchange);
      return;
    }
    upstream.onStart();
    AttemptCallback wrapped = new AttemptCallback(attempt, upstream, callback);
    attempt.current = wrapped;
    if (connectTimeoutMillis > 0) {
      connectTimeouts(exchange).add(wrapped.connectTimer);
    }
    pool.connect(target, exchange, wrapped, timeout, timeUnit, false);
  }

  private TimeoutList connectTimeouts(HttpServerExchange exchange) {
    XnioIoThread thread = exchange.getIoThread();
    TimeoutList list = connectTimeouts.get(thread);
    if (list == null) {
      list = connectTimeouts.computeIfAbsent(thread, t -> new TimeoutList(t, connectTimeoutMillis));
    }
    return list;
  }

  private TimeoutList responseTimeouts(HttpServerExchange exchange) {
    XnioIoThread thread = exchange.getIoThread();
    TimeoutList list = responseTimeouts.get(thread);
    if (list == null) {
      list =
          responseTimeouts.computeIfAbsent(thread, t -> new TimeoutList(t, responseTimeoutMillis));
    }
    return list;
  }

  private ProxyConnectionPool pool(Endpoint endpoint) {
    String authority = endpoint.authority();
    ProxyConnectionPool pool = pools.get(authority);
    if (pool == null) {
      URI uri;
      try {
        uri = new URI("http", null, endpoint.host(), endpoint.port(), "/", null, null);
      } catch (java.net.URISyntaxException e) {
        throw new IllegalArgumentException("endpoint " + authority + ": " + e.getMessage(), e);
      }
      if (uri.getHost() == null) {
        throw new IllegalArgumentException("endpoint " + authority + ": not a usable host name");
      }
      pool =
          pools.computeIfAbsent(
              authority,
              a ->
                  new ProxyConnectionPool(
                      poolManager, uri, UndertowClient.getInstance(), clientOptions));
    }
    return pool;
  }

  /** Total upstream connections open now, over every pool. */
  int openConnections() {
    int n = 0;
    for (ProxyConnectionPool p : pools.values()) {
      n += p.getOpenConnections();
    }
    return n;
  }

  /**
   * Drops the pools of endpoints no service lists any more, once their connections are gone (idle
   * ones close after the pool's idle timeout), so endpoint churn does not grow the map forever.
   */
  void retainOnly(java.util.Set<String> authoritiesInUse) {
    for (var e : pools.entrySet()) {
      ProxyConnectionPool pool = e.getValue();
      if (!authoritiesInUse.contains(e.getKey())
          && pool.getOpenConnections() == 0
          && pools.remove(e.getKey(), pool)) {
        try {
          pool.close();
        } catch (java.util.concurrent.RejectedExecutionException ignored) {
          // IO threads gone
        }
      }
    }
  }

  /** The number of endpoint pools. */
  int pools() {
    return pools.size();
  }

  void close() {
    for (ProxyConnectionPool p : pools.values()) {
      try {
        p.close();
      } catch (java.util.concurrent.RejectedExecutionException e) {
        // The IO threads are gone already, and their connections with them.
      }
    }
    pools.clear();
  }

  static @Nullable String attemptService(HttpServerExchange exchange) {
    Attempt attempt = exchange.getAttachment(ATTEMPT);
    return attempt == null ? null : attempt.cluster.service();
  }

  /**
   * Wraps ProxyHandler's callback for one attempt: enforces the connect timeout, records the
   * outcome on the upstream exactly once, and runs the response timeout from the end of the request
   * body to the response head. IO thread only.
   */
  final class AttemptCallback extends TimeoutList.Node implements ProxyCallback<ProxyConnection> {
    private final Attempt attempt;
    private final Upstream upstream;
    private final ProxyCallback<ProxyConnection> delegate;
    final TimeoutList.Node connectTimer =
        new TimeoutList.Node() {
          @Override
          void expired() {
            connectTimedOut();
          }
        };
    private @Nullable ProxyConnection connection;
    private boolean settled; // the connect step is over (connected, failed or timed out)
    private boolean ended; // upstream.onEnd() has been called
    private boolean responseTimerArmed;

    AttemptCallback(Attempt attempt, Upstream upstream, ProxyCallback<ProxyConnection> delegate) {
      this.attempt = attempt;
      this.upstream = upstream;
      this.delegate = delegate;
    }

    private boolean settle() {
      if (settled) {
        return false;
      }
      settled = true;
      connectTimer.cancel();
      return true;
    }

    void end(Outcome outcome) {
      if (!ended) {
        ended = true;
        upstream.onEnd(outcome, 0, 0);
      }
    }

    /** Superseded by a retry: the request failed in transit on this attempt's connection. */
    void abandon() {
      settle();
      cancelResponseTimer();
      end(Outcome.ERROR);
    }

    void connectTimedOut() {
      if (settle()) {
        attempt.exchange.putAttachment(FAILURE, Failure.CONNECT_TIMEOUT);
        end(Outcome.CONNECT_FAILURE);
        delegate.failed(attempt.exchange);
      }
    }

    void armResponseTimer() {
      if (connection == null || responseTimerArmed || responseTimeoutMillis <= 0 || ended) {
        return;
      }
      responseTimerArmed = true;
      responseTimeouts(attempt.exchange).add(this);
    }

    /** The response timeout: no response head within the time after the request body. */
    @Override
    void expired() {
      HttpServerExchange exchange = attempt.exchange;
      ProxyConnection c = connection;
      if (c != null && !exchange.isResponseStarted() && !exchange.isComplete()) {
        exchange.putAttachment(FAILURE, Failure.RESPONSE_TIMEOUT);
        // Closed, the connection never returns to the pool with a response pending. Undertow
        // closes it cleanly (it drains the upstream first), so its failure reaches ProxyHandler
        // late: answer now, and close the client connection after the answer so that late
        // failure has nothing left to break.
        IoUtils.safeClose(c.getConnection());
        exchange.setPersistent(false);
        JsonErrors.send(exchange, 504, "upstream timed out", attempt.cluster.service());
      }
    }

    void cancelResponseTimer() {
      cancel();
    }

    @Override
    public void completed(HttpServerExchange exchange, ProxyConnection connection) {
      if (!settle()) {
        // Connected after the connect timeout (and maybe a retry elsewhere): not wanted.
        IoUtils.safeClose(connection.getConnection());
        return;
      }
      this.connection = connection;
      exchange.removeAttachment(FAILURE);
      if (attempt.requestEnded || exchange.isRequestComplete()) {
        armResponseTimer();
      }
      delegate.completed(exchange, connection);
    }

    @Override
    public void failed(HttpServerExchange exchange) {
      if (settle()) {
        exchange.putAttachment(FAILURE, Failure.CONNECT_FAILED);
        end(Outcome.CONNECT_FAILURE);
        delegate.failed(exchange);
      }
    }

    @Override
    public void queuedRequestFailed(HttpServerExchange exchange) {
      if (settle()) {
        exchange.putAttachment(FAILURE, Failure.QUEUE_FULL);
        end(Outcome.CONNECT_FAILURE);
        delegate.queuedRequestFailed(exchange);
      }
    }

    @Override
    public void couldNotResolveBackend(HttpServerExchange exchange) {
      if (settle()) {
        end(Outcome.CONNECT_FAILURE);
        delegate.couldNotResolveBackend(exchange);
      }
    }
  }

  /**
   * Pool sizing: up to {@code maxConnections} per IO thread and endpoint, a bounded wait queue
   * beyond that (Undertow's default is no queue: instant 503s under load), idle connections closed
   * after {@code ttl}. A failed connect never marks the endpoint down here; ejection is the load
   * balancer's job.
   */
  private static final class PoolManager implements ConnectionPoolManager {
    private final int maxConnections;
    private final int maxQueueSize;
    private final long ttl;

    PoolManager(int maxConnections, int maxQueueSize, long ttl) {
      this.maxConnections = maxConnections;
      this.maxQueueSize = maxQueueSize;
      this.ttl = ttl;
    }

    @Override
    public int getProblemServerRetry() {
      return -1;
    }

    @Override
    public int getMaxConnections() {
      return maxConnections;
    }

    @Override
    public int getMaxCachedConnections() {
      return maxConnections;
    }

    @Override
    public int getSMaxConnections() {
      return 0;
    }

    @Override
    public long getTtl() {
      return ttl;
    }

    @Override
    public int getMaxQueueSize() {
      return maxQueueSize;
    }

    @Override
    public boolean isAvailable() {
      return true;
    }

    @Override
    public boolean handleError() {
      return true;
    }

    @Override
    public boolean clearError() {
      return true;
    }
  }
}
