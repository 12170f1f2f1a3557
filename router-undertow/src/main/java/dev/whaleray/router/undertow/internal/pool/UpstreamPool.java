package dev.whaleray.router.undertow.internal.pool;

import io.undertow.connector.PooledByteBuffer;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import org.jspecify.annotations.Nullable;
import org.xnio.ChannelListener;
import org.xnio.IoFuture;
import org.xnio.IoUtils;
import org.xnio.OptionMap;
import org.xnio.StreamConnection;
import org.xnio.conduits.ConduitStreamSinkChannel;
import org.xnio.conduits.ConduitStreamSourceChannel;

/**
 * The keep-alive HTTP/1.1 connections of one IO thread to one endpoint: idle ones (reused most
 * recent first, closed after the idle timeout or when the upstream closes them), a cap on open
 * ones, and a bounded queue of calls waiting for a connection beyond the cap. Confined to its IO
 * thread, so it takes no lock; only the open count is read by other threads.
 */
public final class UpstreamPool {
  /** Told when a connection is ready for it, or that none will be. IO thread only. */
  public interface Waiter {
    /** Tells answers to an older request of the same waiter from the current one. */
    int ticket();

    void connected(Conn conn, boolean reused, int ticket);

    /** A connect was started for this waiter; cancelling it gives up the attempt. */
    void connecting(IoFuture<StreamConnection> future, int ticket);

    void connectFailed(IOException cause, int ticket);

    void queueFull();
  }

  public final String authority;
  private final String host;
  private final int port;
  private final Upstreams.PerThread thread;
  private final ArrayDeque<Conn> idle = new ArrayDeque<>();
  private final ArrayDeque<Waiter> waiters = new ArrayDeque<>();
  private volatile int open; // written by the IO thread only, read by stats
  private final int maxConnections;
  private final int maxQueue;
  private int openHere;

  UpstreamPool(
      String authority,
      String host,
      int port,
      Upstreams.PerThread thread,
      int maxConnections,
      int maxQueue) {
    this.authority = authority;
    this.host = host;
    this.port = port;
    this.thread = thread;
    this.maxConnections = maxConnections;
    this.maxQueue = maxQueue;
  }

  /** Hands {@code w} a connection now, later, or a failure. */
  public void acquire(Waiter w) {
    Conn c;
    while ((c = idle.pollLast()) != null) {
      c.idleTimer.cancel();
      c.isIdle = false;
      if (c.connection.isOpen()) {
        w.connected(c, true, w.ticket());
        return;
      }
      c.discard();
    }
    if (openHere < maxConnections) {
      connect(w);
    } else if (waiters.size() < maxQueue) {
      waiters.addLast(w);
    } else {
      w.queueFull();
    }
  }

  /** Closes the idle connections. IO thread only. */
  void closeIdle() {
    Conn c;
    while ((c = idle.pollLast()) != null) {
      c.idleTimer.cancel();
      c.isIdle = false;
      c.discard();
    }
  }

  /** Forgets a waiter that gave up (its connect timeout passed). */
  public boolean cancel(Waiter w) {
    return waiters.remove(w);
  }

  /** Open connections (idle or in use); any thread. */
  int open() {
    return open;
  }

  /** No connection open and no call waiting: the pool can go. IO thread only. */
  boolean isUnused() {
    return openHere == 0 && waiters.isEmpty();
  }

  /** Starts a connection for {@code w}; when that fails at once, serves the next waiter. */
  private void connect(Waiter w) {
    Waiter next = w;
    while (next != null && !startConnect(next)) {
      next = openHere < maxConnections ? waiters.pollFirst() : null;
    }
  }

  private boolean startConnect(Waiter w) {
    open = ++openHere;
    int ticket = w.ticket();
    IoFuture<StreamConnection> future;
    try {
      // An IP literal needs no lookup; a name is resolved per new connection (the JVM caches
      // answers for 30 s), as Undertow's client did, so a changed DNS answer is picked up.
      InetSocketAddress address = new InetSocketAddress(host, port);
      if (address.isUnresolved()) {
        open = --openHere;
        w.connectFailed(new IOException("unknown host " + host), ticket);
        return false;
      }
      future = thread.ioThread.openStreamConnection(address, null, null, OPTIONS);
    } catch (RuntimeException e) {
      open = --openHere;
      w.connectFailed(new IOException(e.getMessage(), e), ticket);
      return false;
    }
    future.addNotifier(
        new IoFuture.HandlingNotifier<StreamConnection, Waiter>() {
          @Override
          public void handleDone(StreamConnection connection, Waiter waiter) {
            onIoThread(() -> waiter.connected(new Conn(connection), false, ticket));
          }

          @Override
          public void handleFailed(IOException e, Waiter waiter) {
            onIoThread(
                () -> {
                  closed();
                  waiter.connectFailed(e, ticket);
                });
          }

          @Override
          public void handleCancelled(Waiter waiter) {
            handleFailed(new IOException("connect cancelled"), waiter);
          }
        },
        w);
    w.connecting(future, ticket);
    return true;
  }

  private void onIoThread(Runnable r) {
    if (Thread.currentThread() == thread.ioThread) {
      r.run();
    } else {
      thread.ioThread.execute(r);
    }
  }

  /** One connection fewer: start one for the first waiter, if any. */
  private void closed() {
    open = --openHere;
    Waiter w = waiters.pollFirst();
    if (w != null) {
      connect(w);
    }
  }

  private static final OptionMap OPTIONS =
      OptionMap.builder().set(org.xnio.Options.TCP_NODELAY, true).getMap();

  /**
   * One upstream connection. Reads stay enabled for its whole life (no epoll change per request):
   * the owner of the current exchange gets the events, and an idle connection that becomes readable
   * was closed by the upstream or sent something unasked for, and is dropped.
   */
  public final class Conn implements ChannelListener<ConduitStreamSourceChannel> {
    public final StreamConnection connection;
    public final ConduitStreamSourceChannel source;
    public final ConduitStreamSinkChannel sink;
    public @Nullable Owner owner;
    @Nullable PooledByteBuffer pooled;
    boolean isIdle;
    private boolean closed;
    final TimeoutList.Node idleTimer =
        new TimeoutList.Node() {
          @Override
          protected void expired() {
            isIdle = false;
            idle.remove(Conn.this);
            discard();
          }
        };

    public UpstreamPool pool() {
      return UpstreamPool.this;
    }

    Conn(StreamConnection connection) {
      this.connection = connection;
      this.source = connection.getSourceChannel();
      this.sink = connection.getSinkChannel();
      source.getReadSetter().set(this);
      source.resumeReads();
    }

    /** The read buffer (in read mode: position to limit is unread data), borrowed on demand. */
    public ByteBuffer buffer() {
      PooledByteBuffer p = pooled;
      if (p == null) {
        p = pooled = thread.buffers.allocate();
        p.getBuffer().clear().flip();
      }
      return p.getBuffer();
    }

    private void freeBuffer() {
      PooledByteBuffer p = pooled;
      if (p != null) {
        pooled = null;
        p.close();
      }
    }

    @Override
    public void handleEvent(ConduitStreamSourceChannel channel) {
      Owner o = owner;
      if (o != null) {
        o.upstreamReadable();
        return;
      }
      // Idle: an EOF, an error or bytes nobody asked for all end the connection.
      ByteBuffer scratch = thread.scratch;
      scratch.clear();
      try {
        int n = channel.read(scratch);
        if (n == 0) {
          return;
        }
      } catch (IOException ignored) {
        // closed below
      }
      if (isIdle) {
        isIdle = false;
        idle.remove(this);
        idleTimer.cancel();
      }
      discard();
    }

    /**
     * The exchange is done with the connection. A reusable one (the response was read to its end,
     * the request sent in full, nothing extra arrived) goes to the next waiter or the idle list.
     */
    public void release(boolean reusable) {
      owner = null;
      if (!reusable || closed || !connection.isOpen()) {
        discard();
        return;
      }
      ByteBuffer b = pooled == null ? null : pooled.getBuffer();
      if (b != null && b.hasRemaining()) {
        discard(); // bytes beyond the response: the connection is out of step
        return;
      }
      freeBuffer();
      if (!source.isReadResumed()) {
        source.resumeReads();
      }
      Waiter w = waiters.pollFirst();
      if (w != null) {
        w.connected(this, true, w.ticket());
        return;
      }
      isIdle = true;
      idle.addLast(this);
      thread.idleTimeouts.add(idleTimer);
    }

    /**
     * Hands the connection over for good (an upgrade to a tunnel): it leaves the pool's count, so a
     * long-lived WebSocket never holds a pooled slot, and is never reused. Returns the read buffer
     * (bytes after the response head may be in it), or null; the caller closes both.
     */
    public @Nullable PooledByteBuffer detach() {
      owner = null;
      PooledByteBuffer p = pooled;
      pooled = null;
      if (!closed) {
        closed = true;
        closed();
      }
      return p;
    }

    /** Closes the connection; the pool may then open one for a waiter. */
    void discard() {
      owner = null;
      freeBuffer();
      if (!closed) {
        closed = true;
        IoUtils.safeClose(connection);
        closed();
      }
    }
  }

  /** The exchange that uses a connection. */
  public interface Owner {
    void upstreamReadable();
  }
}
