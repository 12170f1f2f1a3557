package dev.whaleray.router.undertow.internal.pool;

import io.undertow.connector.ByteBufferPool;
import io.undertow.connector.PooledByteBuffer;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import org.jspecify.annotations.Nullable;
import org.xnio.XnioIoThread;

/**
 * A {@link ByteBufferPool} with a plain free list per thread and a bounded shared overflow.
 * Undertow's {@code DefaultByteBufferPool} finds its per-thread cache through a synchronized map, a
 * lock taken several times per proxied request; here the IO threads, which do nearly all allocating
 * and freeing, never contend. Buffers freed on another thread than the one that took them go back
 * through the shared queue.
 */
public final class IoThreadBufferPool implements ByteBufferPool {
  private final int bufferSize;
  private final boolean direct;
  private final int perThread;
  private final int maxShared;
  // Per IO thread, by its number; other threads use the shared queue. (A ThreadLocal probe
  // showed up at 8 % of the IO thread's samples: its map holds many entries on XNIO threads.)
  private final Slot[] slots = new Slot[64];
  private final ConcurrentLinkedQueue<ByteBuffer> shared = new ConcurrentLinkedQueue<>();
  private final AtomicInteger sharedSize = new AtomicInteger();
  private volatile boolean closed;
  private volatile @Nullable IoThreadBufferPool arrayBacked;

  /**
   * @param bufferSize bytes per buffer
   * @param direct direct (off-heap) buffers, as the sockets want
   * @param perThread buffers each thread keeps for reuse
   * @param maxShared buffers kept in the shared overflow
   */
  public IoThreadBufferPool(int bufferSize, boolean direct, int perThread, int maxShared) {
    this.bufferSize = bufferSize;
    this.direct = direct;
    this.perThread = perThread;
    this.maxShared = maxShared;
  }

  private static final class Slot {
    final Thread owner;
    final ArrayDeque<ByteBuffer> free = new ArrayDeque<>();

    Slot(Thread owner) {
      this.owner = owner;
    }
  }

  /** The calling IO thread's free list, or null on any other thread. */
  private @Nullable ArrayDeque<ByteBuffer> mine() {
    Thread t = Thread.currentThread();
    if (!(t instanceof XnioIoThread)) {
      return null;
    }
    int n = ((XnioIoThread) t).getNumber();
    if (n < 0 || n >= slots.length) {
      return null;
    }
    Slot s = slots[n];
    if (s == null) {
      s = slots[n] = new Slot(t); // only thread n writes slot n
    }
    return s.owner == t ? s.free : null;
  }

  @Override
  public PooledByteBuffer allocate() {
    ArrayDeque<ByteBuffer> mine = mine();
    ByteBuffer b = mine == null ? null : mine.pollLast();
    if (b == null) {
      b = shared.poll();
      if (b != null) {
        sharedSize.decrementAndGet();
      } else {
        b = direct ? ByteBuffer.allocateDirect(bufferSize) : ByteBuffer.allocate(bufferSize);
      }
    }
    return new Pooled(b);
  }

  private void free(ByteBuffer b) {
    if (closed) {
      return;
    }
    b.clear();
    ArrayDeque<ByteBuffer> mine = mine();
    if (mine != null && mine.size() < perThread) {
      mine.addLast(b);
    } else if (sharedSize.incrementAndGet() <= maxShared) {
      shared.offer(b);
    } else {
      sharedSize.decrementAndGet(); // dropped: the GC frees it
    }
  }

  @Override
  public ByteBufferPool getArrayBackedPool() {
    if (!direct) {
      return this;
    }
    IoThreadBufferPool a = arrayBacked;
    if (a == null) {
      synchronized (this) {
        a = arrayBacked;
        if (a == null) {
          a = arrayBacked = new IoThreadBufferPool(bufferSize, false, perThread, maxShared);
        }
      }
    }
    return a;
  }

  @Override
  public void close() {
    closed = true;
    shared.clear();
  }

  @Override
  public int getBufferSize() {
    return bufferSize;
  }

  @Override
  public boolean isDirect() {
    return direct;
  }

  private final class Pooled implements PooledByteBuffer {
    private @Nullable ByteBuffer buffer;

    Pooled(ByteBuffer buffer) {
      this.buffer = buffer;
    }

    @Override
    public ByteBuffer getBuffer() {
      ByteBuffer b = buffer;
      if (b == null) {
        throw new IllegalStateException("buffer already freed");
      }
      return b;
    }

    @Override
    public void close() {
      ByteBuffer b = buffer;
      if (b != null) {
        buffer = null;
        free(b);
      }
    }

    @Override
    public boolean isOpen() {
      return buffer != null;
    }

    @Override
    public String toString() {
      return "IoThreadBufferPool.Pooled[" + buffer + "]";
    }
  }
}
