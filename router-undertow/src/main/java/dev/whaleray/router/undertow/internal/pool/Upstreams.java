package dev.whaleray.router.undertow.internal.pool;

import dev.whaleray.router.Endpoint;
import dev.whaleray.router.undertow.internal.http1.HeadWriter;
import dev.whaleray.router.undertow.internal.http1.ResponseParser;
import io.undertow.connector.ByteBufferPool;
import io.undertow.server.HttpServerExchange;
import java.nio.ByteBuffer;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.RejectedExecutionException;
import org.xnio.XnioIoThread;

/**
 * The upstream side of the router's own HTTP/1.1 proxy path: per IO thread, its connection pools
 * (one per endpoint), its timeout lists and its reusable parser and buffers. Nothing here is shared
 * between IO threads on the request path, so nothing is locked.
 */
public final class Upstreams {
  /**
   * How long an early answer waits, reading and dropping the rest of the upload, before closing.
   */
  public static final long LINGER_MILLIS = 5_000;

  public final int maxConnectionsPerThread;
  public final int maxQueueSize;
  public final long idleTimeoutMillis;
  public final long connectTimeoutMillis;
  public final long responseTimeoutMillis;
  public final boolean preserveHost;
  public final boolean trustForwarded;
  public final int retries;
  public final int requestBufferBytes;
  public final long clientBodyTimeoutMillis;
  public final long minUploadRate;
  public final long minUploadGraceNanos;
  public final long tunnelIdleTimeoutMillis;
  private final ConcurrentHashMap<XnioIoThread, PerThread> threads = new ConcurrentHashMap<>();
  // The upstream side's own 16 KiB buffers: a response head must fit in one, whatever buffer
  // size the server an embedder runs the handler in was given.
  private final ByteBufferPool buffers = new IoThreadBufferPool(16 * 1024, true, 32, 256);

  public Upstreams(
      int maxConnectionsPerThread,
      int maxQueueSize,
      long idleTimeoutMillis,
      long connectTimeoutMillis,
      long responseTimeoutMillis,
      boolean preserveHost,
      boolean trustForwarded,
      int retries,
      int requestBufferBytes,
      long clientBodyTimeoutMillis,
      long minUploadRate,
      long minUploadGraceNanos,
      long tunnelIdleTimeoutMillis) {
    this.maxConnectionsPerThread = maxConnectionsPerThread;
    this.maxQueueSize = maxQueueSize;
    this.idleTimeoutMillis = idleTimeoutMillis;
    this.connectTimeoutMillis = connectTimeoutMillis;
    this.responseTimeoutMillis = responseTimeoutMillis;
    this.preserveHost = preserveHost;
    this.trustForwarded = trustForwarded;
    this.retries = retries;
    this.requestBufferBytes = requestBufferBytes;
    this.clientBodyTimeoutMillis = clientBodyTimeoutMillis;
    this.minUploadRate = minUploadRate;
    this.minUploadGraceNanos = minUploadGraceNanos;
    this.tunnelIdleTimeoutMillis = tunnelIdleTimeoutMillis;
  }

  /** What one IO thread owns. */
  public final class PerThread {
    public final XnioIoThread ioThread;
    public final ByteBufferPool buffers;
    final ConcurrentHashMap<String, UpstreamPool> pools = new ConcurrentHashMap<>();
    public final TimeoutList connectTimeouts;
    public final TimeoutList responseTimeouts;
    public final TimeoutList idleTimeouts;
    public final TimeoutList lingerTimeouts;
    public final TimeoutList clientBodyTimeouts;
    public final TimeoutList tunnelIdleTimeouts;
    public final ByteBuffer scratch = ByteBuffer.allocateDirect(512);
    public final HeadWriter head = new HeadWriter();

    /** Response heads the router writes to clients itself; apart from upstream request heads. */
    public final HeadWriter responseHead = new HeadWriter();

    /** A response head and its first body bytes, for one gathering write. */
    public final ByteBuffer[] pair = new ByteBuffer[2];

    public final ResponseParser parser = new ResponseParser();

    PerThread(XnioIoThread ioThread) {
      this.ioThread = ioThread;
      this.buffers = Upstreams.this.buffers;
      this.connectTimeouts = new TimeoutList(ioThread, connectTimeoutMillis);
      this.responseTimeouts = new TimeoutList(ioThread, responseTimeoutMillis);
      this.idleTimeouts = new TimeoutList(ioThread, idleTimeoutMillis);
      this.lingerTimeouts = new TimeoutList(ioThread, LINGER_MILLIS);
      this.clientBodyTimeouts = new TimeoutList(ioThread, clientBodyTimeoutMillis);
      this.tunnelIdleTimeouts = new TimeoutList(ioThread, tunnelIdleTimeoutMillis);
    }

    /** The pool for {@code endpoint}, made on first use. */
    public UpstreamPool pool(Endpoint endpoint) {
      String authority = endpoint.authority();
      UpstreamPool pool = pools.get(authority);
      if (pool == null) {
        pool =
            new UpstreamPool(
                authority,
                endpoint.host(),
                endpoint.port(),
                this,
                maxConnectionsPerThread,
                maxQueueSize);
        pools.put(authority, pool);
      }
      return pool;
    }

    void closeIdle() {
      for (UpstreamPool p : pools.values()) {
        p.closeIdle();
      }
    }
  }

  /** The calling IO thread's state (the exchange's IO thread). */
  public PerThread thread(HttpServerExchange exchange) {
    return thread(exchange.getIoThread());
  }

  /** The state of IO thread {@code t} (a TCP frontend's connection's thread). */
  public PerThread thread(XnioIoThread t) {
    PerThread p = threads.get(t);
    if (p == null) {
      p = threads.computeIfAbsent(t, PerThread::new);
    }
    return p;
  }

  /** Upstream connections open now (idle or busy), over every thread and endpoint. */
  public int openConnections() {
    int n = 0;
    for (PerThread t : threads.values()) {
      for (UpstreamPool p : t.pools.values()) {
        n += p.open();
      }
    }
    return n;
  }

  /** Endpoints with a pool on some IO thread. */
  public int pools() {
    Set<String> names = new HashSet<>();
    for (PerThread t : threads.values()) {
      names.addAll(t.pools.keySet());
    }
    return names.size();
  }

  /** Closes idle connections (on their IO threads); calls in flight finish as they are. */
  public void close() {
    for (PerThread t : threads.values()) {
      try {
        t.ioThread.execute(t::closeIdle);
      } catch (RejectedExecutionException e) {
        // IO threads gone, and their connections with them
      }
    }
  }

  /**
   * Drops, on each IO thread, the pools of endpoints no service lists any more once they are unused
   * (idle connections close after the idle timeout).
   */
  public void retainOnly(Set<String> authoritiesInUse) {
    for (PerThread t : threads.values()) {
      try {
        t.ioThread.execute(
            () ->
                t.pools
                    .entrySet()
                    .removeIf(
                        e -> !authoritiesInUse.contains(e.getKey()) && e.getValue().isUnused()));
      } catch (RejectedExecutionException e) {
        // IO threads gone
      }
    }
  }
}
