package dev.whaleray.router.undertow;

import dev.whaleray.router.Endpoint;
import dev.whaleray.router.lb.Outcome;
import dev.whaleray.router.lb.Picker;
import dev.whaleray.router.lb.Upstream;
import io.undertow.client.UndertowClient;
import io.undertow.server.HttpServerExchange;
import io.undertow.server.handlers.proxy.ConnectionPoolManager;
import io.undertow.server.handlers.proxy.ProxyCallback;
import io.undertow.server.handlers.proxy.ProxyClient;
import io.undertow.server.handlers.proxy.ProxyConnection;
import io.undertow.server.handlers.proxy.ProxyConnectionPool;
import io.undertow.util.AttachmentKey;
import io.undertow.util.WorkerUtils;
import java.net.URI;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;
import org.xnio.IoUtils;
import org.xnio.OptionMap;
import org.xnio.Options;
import org.xnio.XnioExecutor;

/**
 * The {@link ProxyClient} behind Undertow's {@code ProxyHandler}: the target is the upstream the
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

  /** The state of one proxied request: its service entry and the upstream of the last attempt. */
  static final class Attempt implements ProxyTarget {
    final ServiceTable.Entry entry;
    final dev.whaleray.router.RequestView view;
    Upstream upstream;
    boolean handedOut;

    Attempt(ServiceTable.Entry entry, dev.whaleray.router.RequestView view, Upstream upstream) {
      this.entry = entry;
      this.view = view;
      this.upstream = upstream;
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
    Picker picker = attempt.entry.picker;
    Upstream next = picker == null ? null : picker.pick(attempt.view);
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
    Upstream upstream = attempt.upstream;
    ProxyConnectionPool pool = pool(upstream.endpoint());
    upstream.onStart();
    AttemptCallback wrapped = new AttemptCallback(exchange, upstream, callback);
    if (connectTimeoutMillis > 0) {
      wrapped.timer =
          WorkerUtils.executeAfter(
              exchange.getIoThread(),
              wrapped::connectTimedOut,
              connectTimeoutMillis,
              TimeUnit.MILLISECONDS);
    }
    pool.connect(target, exchange, wrapped, timeout, timeUnit, false);
  }

  private ProxyConnectionPool pool(Endpoint endpoint) {
    String authority = endpoint.authority();
    ProxyConnectionPool pool = pools.get(authority);
    if (pool == null) {
      pool =
          pools.computeIfAbsent(
              authority,
              a ->
                  new ProxyConnectionPool(
                      poolManager,
                      URI.create("http://" + a + "/"),
                      UndertowClient.getInstance(),
                      clientOptions));
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
    return attempt == null ? null : attempt.entry.service;
  }

  /**
   * Wraps ProxyHandler's callback for one attempt: enforces the connect timeout, records the
   * outcome on the upstream exactly once, and arms the response timeout once connected.
   */
  private final class AttemptCallback implements ProxyCallback<ProxyConnection> {
    private final HttpServerExchange exchange;
    private final Upstream upstream;
    private final ProxyCallback<ProxyConnection> delegate;
    XnioExecutor.@Nullable Key timer;
    private boolean done; // IO thread only

    AttemptCallback(
        HttpServerExchange exchange, Upstream upstream, ProxyCallback<ProxyConnection> delegate) {
      this.exchange = exchange;
      this.upstream = upstream;
      this.delegate = delegate;
    }

    private boolean finish() {
      if (done) {
        return false;
      }
      done = true;
      if (timer != null) {
        timer.remove();
      }
      return true;
    }

    void connectTimedOut() {
      if (finish()) {
        exchange.putAttachment(FAILURE, Failure.CONNECT_TIMEOUT);
        upstream.onEnd(Outcome.CONNECT_FAILURE);
        delegate.failed(exchange);
      }
    }

    @Override
    public void completed(HttpServerExchange exchange, ProxyConnection connection) {
      if (!finish()) {
        return; // timed out already; the pool takes the connection back when the exchange ends
      }
      exchange.removeAttachment(FAILURE);
      exchange.addExchangeCompleteListener(
          (ex, next) -> {
            Failure f = ex.getAttachment(FAILURE);
            upstream.onEnd(f == Failure.RESPONSE_TIMEOUT ? Outcome.TIMEOUT : Outcome.SUCCESS);
            next.proceed();
          });
      if (responseTimeoutMillis > 0) {
        XnioExecutor.Key key =
            WorkerUtils.executeAfter(
                exchange.getIoThread(),
                () -> {
                  if (!exchange.isResponseStarted() && !exchange.isComplete()) {
                    exchange.putAttachment(FAILURE, Failure.RESPONSE_TIMEOUT);
                    // Closed, the connection never returns to the pool with a response pending.
                    // Undertow closes it cleanly (it drains the upstream first), so its failure
                    // reaches ProxyHandler late: answer now, and close the client connection after
                    // the answer so that late failure has nothing left to break.
                    IoUtils.safeClose(connection.getConnection());
                    exchange.setPersistent(false);
                    JsonErrors.send(exchange, 504, "upstream timed out", attemptService(exchange));
                  }
                },
                responseTimeoutMillis,
                TimeUnit.MILLISECONDS);
        exchange.addResponseCommitListener(ex -> key.remove());
        exchange.addExchangeCompleteListener(
            (ex, next) -> {
              key.remove();
              next.proceed();
            });
      }
      delegate.completed(exchange, connection);
    }

    @Override
    public void failed(HttpServerExchange exchange) {
      if (finish()) {
        exchange.putAttachment(FAILURE, Failure.CONNECT_FAILED);
        upstream.onEnd(Outcome.CONNECT_FAILURE);
        delegate.failed(exchange);
      }
    }

    @Override
    public void queuedRequestFailed(HttpServerExchange exchange) {
      if (finish()) {
        exchange.putAttachment(FAILURE, Failure.QUEUE_FULL);
        upstream.onEnd(Outcome.CONNECT_FAILURE);
        delegate.queuedRequestFailed(exchange);
      }
    }

    @Override
    public void couldNotResolveBackend(HttpServerExchange exchange) {
      if (finish()) {
        upstream.onEnd(Outcome.CONNECT_FAILURE);
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
