package dev.whaleray.router.undertow.internal.pool;

import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;
import org.xnio.XnioIoThread;

/**
 * Timeouts of one length on one IO thread, as an intrusive doubly-linked list in deadline order
 * (all share the length, so appending keeps the order). Adding and cancelling are O(1) and allocate
 * nothing; one XNIO timer, re-armed for the head's deadline, expires what is due. It replaces an
 * XNIO timer per request (a TreeSet insert and remove each) on the request path.
 *
 * <p>IO thread only: not thread-safe, by design.
 */
public final class TimeoutList implements Runnable {

  /** One timeout; subclass it, or embed one per timer an object needs. */
  public abstract static class Node {
    @Nullable Node prev;
    @Nullable Node next;
    @Nullable TimeoutList list;
    long deadline;

    /** The deadline passed while the node was still in its list. Runs on the IO thread. */
    protected abstract void expired();

    public final boolean isArmed() {
      return list != null;
    }

    /** Removes the node from its list, if it is in one. */
    public final void cancel() {
      TimeoutList l = list;
      if (l != null) {
        l.unlink(this);
      }
    }
  }

  private final XnioIoThread thread;
  private final long timeoutNanos;
  private @Nullable Node head;
  private @Nullable Node tail;
  private boolean timerArmed;
  private boolean running; // in run(): it arms the timer itself at the end

  public TimeoutList(XnioIoThread thread, long timeoutMillis) {
    this.thread = thread;
    this.timeoutNanos = TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
  }

  /** Arms {@code node} to expire one timeout from now; a node already armed is re-armed. */
  public void add(Node node) {
    node.cancel();
    node.deadline = System.nanoTime() + timeoutNanos;
    node.list = this;
    node.prev = tail;
    node.next = null;
    if (tail == null) {
      head = node;
    } else {
      tail.next = node;
    }
    tail = node;
    if (!timerArmed && !running) {
      armTimer(timeoutNanos);
    }
  }

  private void unlink(Node node) {
    Node p = node.prev;
    Node n = node.next;
    if (p == null) {
      head = n;
    } else {
      p.next = n;
    }
    if (n == null) {
      tail = p;
    } else {
      n.prev = p;
    }
    node.prev = null;
    node.next = null;
    node.list = null;
  }

  private void armTimer(long delayNanos) {
    timerArmed = true;
    // Round up to whole milliseconds: never fire before the head is due.
    long millis = Math.max(1, (delayNanos + 999_999) / 1_000_000);
    thread.executeAfter(this, millis, TimeUnit.MILLISECONDS);
  }

  @Override
  public void run() {
    timerArmed = false;
    running = true;
    long now = System.nanoTime();
    try {
      Node n;
      while ((n = head) != null && n.deadline - now <= 0) {
        unlink(n);
        try {
          n.expired();
        } catch (RuntimeException e) {
          System.getLogger(TimeoutList.class.getName())
              .log(System.Logger.Level.ERROR, "a timeout handler failed", e);
        }
      }
    } finally {
      running = false;
      // Nodes added by the handlers above are covered here: one timer chain, never two; and
      // the rest stay armed even if a handler threw an Error.
      if (head != null && !timerArmed) {
        armTimer(Math.max(0, head.deadline - now));
      }
    }
  }

  /** The number of armed nodes, for tests. */
  int size() {
    int size = 0;
    for (Node n = head; n != null; n = n.next) {
      size++;
    }
    return size;
  }
}
