package dev.whaleray.router.undertow.internal.proxy;

import static java.util.Objects.requireNonNull;

import dev.whaleray.router.RequestView;
import dev.whaleray.router.core.Cluster;
import dev.whaleray.router.core.ClusterManager;
import dev.whaleray.router.lb.Outcome;
import dev.whaleray.router.lb.Upstream;
import dev.whaleray.router.undertow.internal.pool.TimeoutList;
import dev.whaleray.router.undertow.internal.pool.Upstreams;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.jspecify.annotations.Nullable;
import org.xnio.ChannelListener;
import org.xnio.IoFuture;
import org.xnio.IoUtils;
import org.xnio.OptionMap;
import org.xnio.Options;
import org.xnio.StreamConnection;

/**
 * The path of a TCP frontend: for each accepted client connection, picks an endpoint of the bound
 * service through its {@link Cluster} (so discovery, load balancing, health checks and outlier
 * ejection apply), connects under the connect timeout, tries another endpoint not tried yet when a
 * connect fails, then copies bytes both ways through an {@link UpgradeTunnel} (backpressure,
 * half-close, idle timeout). When no endpoint can be reached the client connection is closed.
 *
 * <p>One per frontend, shared by its IO threads: thread-safe. Each connection stays on the IO
 * thread that accepted it.
 */
public final class TcpProxy implements ChannelListener<StreamConnection> {
  private static final System.Logger LOG = System.getLogger(TcpProxy.class.getName());
  private static final OptionMap OPTIONS = OptionMap.create(Options.TCP_NODELAY, true);

  private final ClusterManager services;
  private final String service;
  private final @Nullable String servicePort; // null: the endpoints' default port
  private final Upstreams upstreams;
  private final int retries;
  private final long discoveryTimeoutMillis;
  private final int maxConnections;
  private final AtomicInteger open = new AtomicInteger();
  private final AtomicInteger failed = new AtomicInteger();
  private final AtomicInteger refused = new AtomicInteger();
  // Refusals are logged at most once per LOG_EVERY: a flood of connections makes one line.
  private static final long LOG_EVERY = TimeUnit.SECONDS.toNanos(10);
  private final java.util.concurrent.atomic.AtomicLong nextRefusalLog =
      new java.util.concurrent.atomic.AtomicLong(System.nanoTime());
  private final AtomicInteger refusedSinceLog = new AtomicInteger();
  // Set once the port is bound, before the first accept.
  private volatile @Nullable TcpMeters meters;
  private volatile int port;

  /**
   * A proxy to {@code service}; {@code upstreams} holds the connect and idle timeouts (its tunnel
   * idle timeout is the connection's idle timeout) and the buffers; at most {@code maxConnections}
   * client connections are proxied at once, more are closed at once.
   */
  public TcpProxy(
      ClusterManager services,
      String service,
      Upstreams upstreams,
      int retries,
      long discoveryTimeoutMillis,
      int maxConnections) {
    this(services, service, null, upstreams, retries, discoveryTimeoutMillis, maxConnections);
  }

  /**
   * A proxy to port {@code servicePort} of {@code service} (a port name or number, which must be
   * one of each endpoint's ports; null: the default port); otherwise as above.
   */
  public TcpProxy(
      ClusterManager services,
      String service,
      @Nullable String servicePort,
      Upstreams upstreams,
      int retries,
      long discoveryTimeoutMillis,
      int maxConnections) {
    this.servicePort = servicePort;
    this.services = services;
    this.maxConnections = maxConnections;
    this.service = service;
    this.upstreams = upstreams;
    this.retries = retries;
    this.discoveryTimeoutMillis = discoveryTimeoutMillis;
  }

  /** Client connections proxied now (connecting or tunnelling). */
  public int openConnections() {
    return open.get();
  }

  /** Client connections closed because no endpoint could be reached, since the start. */
  public int failedConnections() {
    return failed.get();
  }

  /** Client connections closed at once because the limit was reached, since the start. */
  public int refusedConnections() {
    return refused.get();
  }

  /** The listener is bound to {@code port}; its meters (null: none) count from now on. */
  public void bound(int port, @Nullable TcpMeters meters) {
    this.port = port;
    this.meters = meters;
  }

  @Override
  public void handleEvent(StreamConnection client) {
    client.getSourceChannel().suspendReads(); // nothing is read before an upstream is there
    if (open.incrementAndGet() > maxConnections) {
      open.decrementAndGet();
      refuse(client);
      return;
    }
    TcpMeters m = meters;
    if (m != null) {
      m.accepted.increment();
    }
    new Call(client, m).begin();
  }

  /** Over the limit: closed before anything is read, counted, and logged now and then. */
  private void refuse(StreamConnection client) {
    IoUtils.safeClose(client);
    refused.incrementAndGet();
    TcpMeters m = meters;
    if (m != null) {
      m.refusedOverLimit.increment();
    }
    refusedSinceLog.incrementAndGet();
    long now = System.nanoTime();
    long next = nextRefusalLog.get();
    if (now - next >= 0 && nextRefusalLog.compareAndSet(next, now + LOG_EVERY)) {
      int n = refusedSinceLog.getAndSet(0);
      LOG.log(
          System.Logger.Level.WARNING,
          "tcp :"
              + port
              + " (service "
              + service
              + "): refused "
              + n
              + " connection(s) over the limit of "
              + maxConnections
              + " open at once (logged at most every 10 s)");
    }
  }

  /** One client connection until its tunnel starts (then the tunnel's until it ends). */
  private final class Call extends TimeoutList.Node implements UpgradeTunnel.Ended {
    private final StreamConnection client;
    private final Upstreams.PerThread thread;
    private final RequestView view;
    private final @Nullable TcpMeters meters;
    private @Nullable Cluster cluster;
    private @Nullable Upstream upstream;
    private @Nullable IoFuture<StreamConnection> connecting;
    private final TriedUpstreams tried = new TriedUpstreams();
    private int tries;
    private long attemptStart;
    private long connectNanos;
    private boolean attempting; // an attempt was reported started and not yet ended
    private boolean done;
    private boolean admitted; // the first pick passed: the circuit breaker awaits this one's end

    Call(StreamConnection client, @Nullable TcpMeters meters) {
      this.client = client;
      this.meters = meters;
      this.thread = upstreams.thread(client.getIoThread());
      java.net.SocketAddress peer = client.getPeerAddress();
      String remote =
          peer instanceof InetSocketAddress
              ? ((InetSocketAddress) peer).getAddress().getHostAddress()
              : null;
      this.view = new TcpView(service, remote);
      client.setCloseListener(c -> clientClosed());
    }

    void begin() {
      Cluster c;
      try {
        c = services.get(service, null, servicePort);
      } catch (RuntimeException e) {
        fail("service " + service + ": " + e.getMessage());
        return;
      }
      cluster = c;
      FirstLookup first = FirstLookup.of(c.snapshot(), c);
      if (first == FirstLookup.FAILED) {
        fail(discoveryUnavailable(c, null));
        return;
      }
      if (first == FirstLookup.WAIT) {
        // The first lookup: wait off the IO thread's stack, then come back to it.
        c.ready()
            .copy()
            .orTimeout(discoveryTimeoutMillis, TimeUnit.MILLISECONDS)
            .whenComplete(
                (set, error) ->
                    thread.ioThread.execute(
                        () -> {
                          if (done) {
                            return; // the client left while discovery answered
                          }
                          if (c.snapshot() == null) {
                            fail(discoveryUnavailable(c, error));
                          } else {
                            pickAndConnect();
                          }
                        }));
        return;
      }
      pickAndConnect();
    }

    /** Why a connection waited for discovery in vain: a timeout, or the lookup's error. */
    private String discoveryUnavailable(Cluster c, @Nullable Throwable waited) {
      Throwable error = c.lastError();
      if (error == null && waited != null) {
        error = waited;
      }
      return (waited instanceof java.util.concurrent.TimeoutException
              ? "discovery timed out for "
              : "discovery unavailable for ")
          + service
          + (error == null ? "" : ": " + error);
    }

    private void pickAndConnect() {
      Cluster c = cluster;
      if (done || c == null) {
        return;
      }
      if (!requireNonNull(c.snapshot()).endpoints().isKnown()) {
        fail("unknown service " + service);
        return;
      }
      Upstream u = c.pick(view, tried).upstream();
      if (u == null && servicePort != null && requireNonNull(c.snapshot()).endpoints().isEmpty()) {
        fail("no endpoint of service '" + service + "' has port '" + servicePort + "'");
        return;
      }
      if (u == null) {
        fail("no endpoint to pick for " + service);
        return;
      }
      admitted = true;
      connect(c, u);
    }

    private void connect(Cluster c, Upstream u) {
      upstream = u;
      attemptStart = System.nanoTime();
      attempting = true;
      c.attemptStarted(u);
      IoFuture<StreamConnection> future;
      try {
        InetSocketAddress address = new InetSocketAddress(u.endpoint().host(), u.endpoint().port());
        if (address.isUnresolved()) {
          connectFailed(new IOException("unknown host " + u.endpoint().host()));
          return;
        }
        future = thread.ioThread.openStreamConnection(address, null, null, OPTIONS);
      } catch (RuntimeException e) {
        connectFailed(new IOException(e.getMessage(), e));
        return;
      }
      connecting = future;
      thread.connectTimeouts.add(this);
      future.addNotifier(NOTIFIER, this);
    }

    /** On the IO thread: the connect of {@code future} ended one way or another. */
    void settled(IoFuture<? extends StreamConnection> future) {
      IoFuture.Status status = future.getStatus();
      if (future != connecting || done) {
        if (status == IoFuture.Status.DONE) {
          IoUtils.safeClose(result(future)); // late, after a timeout or the client left
        }
        return;
      }
      connecting = null;
      cancel();
      if (status == IoFuture.Status.DONE) {
        StreamConnection up = result(future);
        if (up == null) {
          connectFailed(new IOException("connect ended without a connection"));
          return;
        }
        connectNanos = System.nanoTime() - attemptStart;
        requestEnded(false); // connected: for the circuit breaker, this connection succeeded
        UpgradeTunnel tunnel = new UpgradeTunnel(thread, up, null, this);
        client.getSourceChannel().resumeReads();
        tunnel.start(client);
      } else if (status == IoFuture.Status.FAILED) {
        connectFailed(future.getException());
      } else {
        connectFailed(new IOException("connect cancelled"));
      }
    }

    private void connectFailed(IOException cause) {
      Cluster c = cluster;
      Upstream u = upstream;
      if (done || c == null || u == null) {
        return;
      }
      LOG.log(
          System.Logger.Level.DEBUG,
          () ->
              "tcp " + service + ": connect to " + u.endpoint() + " failed: " + cause.getMessage());
      endAttempt(Outcome.CONNECT_FAILURE);
      if (tries < retries) {
        tried.add(u, false); // only connect failures are retried: they add no load
        tries++;
        Upstream next = c.pick(view, tried).upstream();
        if (next != null) {
          connect(c, next);
          return;
        }
      }
      c.refresh();
      requestEnded(true); // a 502 for HTTP: a failure for the circuit breaker
      fail("no endpoint of " + service + " reachable (" + (tries + 1) + " tried)");
    }

    /** The connect timeout passed. */
    @Override
    protected void expired() {
      IoFuture<StreamConnection> f = connecting;
      connecting = null;
      if (f != null) {
        f.cancel();
        connectFailed(new IOException("connect timed out"));
      }
    }

    private void endAttempt(Outcome outcome) {
      Cluster c = cluster;
      Upstream u = upstream;
      if (attempting && c != null && u != null) {
        attempting = false;
        long latency = connectNanos != 0 ? connectNanos : System.nanoTime() - attemptStart;
        c.attemptEnded(u, outcome, 0, latency);
      }
    }

    /** Nothing reachable: the client connection closes, nothing having been read from it. */
    private void fail(String why) {
      LOG.log(System.Logger.Level.DEBUG, () -> "tcp: closing a client connection: " + why);
      failed.incrementAndGet();
      TcpMeters m = meters;
      if (m != null) {
        m.unavailable.increment();
      }
      IoUtils.safeClose(client);
    }

    @Override
    public void moved(boolean toUpstream, int bytes) {
      TcpMeters m = meters;
      if (m != null) {
        (toUpstream ? m.bytesIn : m.bytesOut).increment(bytes);
      }
    }

    @Override
    public void tunnelEnded(Outcome outcome) {
      // An idle timeout or a reset is the session's end, not the endpoint's failure: the connect
      // succeeded, which is what a TCP frontend can know of an endpoint's health.
      endAttempt(Outcome.SUCCESS);
    }

    private void clientClosed() {
      if (done) {
        return;
      }
      done = true;
      open.decrementAndGet();
      cancel();
      IoFuture<StreamConnection> f = connecting;
      connecting = null;
      if (f != null) {
        f.cancel(); // a connect in flight is the client's no more
        endAttempt(Outcome.CLIENT_ABORT);
      }
      requestEnded(false);
    }

    /** Tells the circuit breaker once how an admitted connection ended. */
    private void requestEnded(boolean failed) {
      Cluster c = cluster;
      if (admitted && c != null) {
        admitted = false;
        c.requestEnded(failed);
      }
    }
  }

  private static final IoFuture.Notifier<StreamConnection, Call> NOTIFIER =
      (future, call) -> onThread(call, () -> call.settled(future));

  /** The connection of a future that is done (never blocks then). */
  private static @Nullable StreamConnection result(IoFuture<? extends StreamConnection> future) {
    try {
      return future.get();
    } catch (IOException e) {
      return null;
    }
  }

  private static void onThread(Call call, Runnable r) {
    if (Thread.currentThread() == call.thread.ioThread) {
      r.run();
    } else {
      call.thread.ioThread.execute(r);
    }
  }

  /** What a load balancer sees of a TCP connection: the service and the client's address. */
  private static final class TcpView implements RequestView {
    private final String service;
    private final @Nullable String remote;

    TcpView(String service, @Nullable String remote) {
      this.service = service;
      this.remote = remote;
    }

    @Override
    public String method() {
      return "CONNECT";
    }

    @Override
    public String host() {
      return service;
    }

    @Override
    public String path() {
      return "/";
    }

    @Override
    public @Nullable String header(String name) {
      return null;
    }

    @Override
    public @Nullable String remoteAddress() {
      return remote;
    }
  }
}
