package dev.whaleray.router.undertow.internal.proxy;

import dev.whaleray.router.RequestView;
import dev.whaleray.router.core.Cluster;
import dev.whaleray.router.lb.Outcome;
import dev.whaleray.router.lb.Upstream;
import dev.whaleray.router.undertow.internal.pool.TimeoutList;
import dev.whaleray.router.undertow.internal.pool.UpstreamPool;
import io.undertow.util.StatusCodes;
import java.io.IOException;
import org.jspecify.annotations.Nullable;
import org.xnio.IoFuture;
import org.xnio.StreamConnection;

/**
 * The attempts of one call: each takes a connection from its endpoint's pool under the connect
 * timeout, failures before anything was sent retry on an endpoint the request has not tried ({@link
 * Tried}, so a retry never re-picks one), and each attempt's end goes to the cluster with its
 * status and latency.
 *
 * <p>One per call, and that call's connect timer too. IO thread only.
 */
final class Attempts extends TimeoutList.Node implements UpstreamPool.Waiter {
  private static final System.Logger LOG = System.getLogger(Attempts.class.getName());

  private final ProxyCall call;
  private final Cluster cluster;
  private final RequestView view;
  private final int retries;

  Upstream upstream;
  private @Nullable UpstreamPool pool;
  private @Nullable IoFuture<StreamConnection> connecting;
  private int tries;
  private @Nullable TriedUpstreams tried; // the upstreams of earlier attempts, from the first retry
  private boolean ended = true; // no attempt started yet: nothing to report to the balancer
  private long attemptStart;
  private long headNanos; // when the response head arrived: the attempt's latency
  private int status; // the response's status code, 0 until its head

  private final @Nullable RequestRecord record; // null: no metrics, no access log

  Attempts(
      ProxyCall call,
      Cluster cluster,
      RequestView view,
      Upstream first,
      int retries,
      @Nullable RequestRecord record) {
    this.record = record;
    this.call = call;
    this.cluster = cluster;
    this.view = view;
    this.upstream = first;
    this.retries = retries;
  }

  /** Starts an attempt on {@link #upstream}: a pooled connection, or a wait for one. */
  void start() {
    start(System.nanoTime());
  }

  /** {@link #start()} at {@code nowNanos}, a clock read just made. */
  void start(long nowNanos) {
    call.state = ProxyCall.CONNECTING;
    ended = false;
    attemptStart = nowNanos;
    cluster.attemptStarted(upstream);
    RequestRecord r = record;
    if (r != null) {
      r.endpoint = upstream.endpoint().authority();
      r.retries = tries;
    }
    UpstreamPool p = call.thread.pool(upstream.endpoint());
    pool = p;
    call.thread.connectTimeouts.add(this);
    p.acquire(this);
  }

  @Override
  public int ticket() {
    return tries;
  }

  @Override
  public void connecting(IoFuture<StreamConnection> future, int ticket) {
    if (call.state == ProxyCall.CONNECTING && ticket == tries) {
      connecting = future;
    }
  }

  @Override
  public void connected(UpstreamPool.Conn c, boolean reused, int ticket) {
    if (call.state != ProxyCall.CONNECTING || ticket != tries || c.pool() != pool) {
      // Late: this attempt timed out or moved on. The connection is clean; let others use it.
      c.release(true);
      return;
    }
    connecting = null;
    cancel();
    call.connected(c, reused);
  }

  @Override
  public void connectFailed(IOException cause, int ticket) {
    if (call.state == ProxyCall.CONNECTING && ticket == tries) {
      connecting = null;
      cancel();
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
    cancel();
    failedBeforeSending(
        Outcome.CONNECT_FAILURE,
        StatusCodes.SERVICE_UNAVAILABLE,
        "upstream connection queue full",
        false);
  }

  /** The connect timeout passed. */
  @Override
  protected void expired() {
    if (call.state != ProxyCall.CONNECTING) {
      return;
    }
    leavePool();
    call.state = 0; // the cancelled connect's failure callback is not this attempt's any more
    cancelConnect();
    failedBeforeSending(
        Outcome.CONNECT_FAILURE, StatusCodes.GATEWAY_TIME_OUT, "upstream connect timed out", false);
  }

  /** Stops waiting in the pool's queue, if this call waits there. */
  void leavePool() {
    UpstreamPool p = pool;
    if (p != null) {
      p.cancel(this);
    }
  }

  /** Gives up a pending connect, which frees its place in the pool. */
  void cancelConnect() {
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
  void failedBeforeSending(Outcome outcome, int status, String error, boolean refreshDiscovery) {
    end(outcome);
    call.state = 0;
    Upstream failed = upstream;
    if (tries < retries && !call.exchange.isComplete()) {
      TriedUpstreams t = tried;
      if (t == null) {
        t = tried = new TriedUpstreams(); // most requests never retry: none for them
      }
      t.add(failed, outcome != Outcome.CONNECT_FAILURE);
      tries++;
      Upstream next = cluster.pick(view, t).upstream();
      if (next != null) {
        upstream = next;
        rewindBody();
        start();
        return;
      }
    }
    if (refreshDiscovery) {
      cluster.refresh();
    }
    call.fail(status, error);
  }

  /** A retry after (part of) the body was sent: from its first byte again. */
  private void rewindBody() {
    RequestPump body = call.request;
    if (body != null && body.isFramed() && body.rewind()) {
      call.requestSent = false;
    }
  }

  /** The response head arrived (or a 101): the attempt's latency and status. */
  void headArrived(int status) {
    headNanos = System.nanoTime();
    this.status = status;
  }

  /** Reports the current attempt's end to the cluster, once. */
  void end(Outcome outcome) {
    if (!ended) {
      ended = true;
      long latency = (headNanos != 0 ? headNanos : System.nanoTime()) - attemptStart;
      cluster.attemptEnded(upstream, outcome, status, latency);
      RequestRecord r = record;
      if (r != null) {
        r.upstreamNanos += latency;
      }
    }
  }
}
