package dev.whaleray.discovery.cloudmap.testing;

import static java.util.Objects.requireNonNull;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.PriorityQueue;
import java.util.concurrent.AbstractExecutorService;
import java.util.concurrent.Callable;
import java.util.concurrent.Delayed;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.jspecify.annotations.Nullable;

/**
 * A {@link ScheduledExecutorService} on a manual clock: nothing runs until the test calls {@link
 * #runDue} or {@link #advance}, so timers (refresh, backoff) are asserted exactly and without
 * sleeping. Tasks run on the test's thread. Thread-safe (tasks may be queued from any thread).
 */
public final class ManualScheduler extends AbstractExecutorService
    implements ScheduledExecutorService {
  private final PriorityQueue<Task> queue = new PriorityQueue<>();
  private long now;
  private long seq;
  private boolean shutdown;

  /** The manual clock, in nanoseconds from the start. */
  public synchronized long nanoTime() {
    return now;
  }

  /** Runs every task that is due now, and those they make due now; returns how many ran. */
  public int runDue() {
    int n = 0;
    Task t;
    while ((t = pollDue(nanoTime())) != null) {
      t.run();
      n++;
    }
    return n;
  }

  /** Moves the clock forward, running tasks in time order as their time comes. */
  public int advance(Duration d) {
    long target;
    synchronized (this) {
      target = now + d.toNanos();
    }
    int n = 0;
    Task t;
    while ((t = pollDue(target)) != null) {
      synchronized (this) {
        now = Math.max(now, t.time);
      }
      t.run();
      n++;
    }
    synchronized (this) {
      now = target;
    }
    return n;
  }

  /** The delays (from now) of the timers waiting, soonest first; cancelled ones excluded. */
  public synchronized List<Duration> pendingDelays() {
    List<Task> tasks = new ArrayList<>(queue);
    tasks.sort(null);
    List<Duration> result = new ArrayList<>();
    for (Task t : tasks) {
      if (!t.isCancelled()) {
        result.add(Duration.ofNanos(t.time - now));
      }
    }
    return result;
  }

  private synchronized @Nullable Task pollDue(long until) {
    while (true) {
      Task t = queue.peek();
      if (t == null || t.time > until) {
        return null;
      }
      queue.poll();
      if (!t.isCancelled()) {
        return t;
      }
    }
  }

  private synchronized Task add(Task t) {
    if (shutdown) {
      throw new RejectedExecutionException("shut down");
    }
    queue.add(t);
    return t;
  }

  @Override
  public void execute(Runnable command) {
    schedule(command, 0, TimeUnit.NANOSECONDS);
  }

  @Override
  public ScheduledFuture<?> schedule(Runnable command, long delay, TimeUnit unit) {
    requireNonNull(command, "command");
    return add(newTask(new FutureTask<>(command, null), unit.toNanos(delay), 0));
  }

  @Override
  public <V> ScheduledFuture<V> schedule(Callable<V> callable, long delay, TimeUnit unit) {
    throw new UnsupportedOperationException("schedule(Callable): not needed by the tests");
  }

  @Override
  public ScheduledFuture<?> scheduleAtFixedRate(
      Runnable command, long initialDelay, long period, TimeUnit unit) {
    return scheduleWithFixedDelay(command, initialDelay, period, unit);
  }

  @Override
  public ScheduledFuture<?> scheduleWithFixedDelay(
      Runnable command, long initialDelay, long delay, TimeUnit unit) {
    return add(newTask(command, unit.toNanos(initialDelay), unit.toNanos(delay)));
  }

  private synchronized Task newTask(Runnable body, long delayNanos, long periodNanos) {
    return new Task(body, now + Math.max(0, delayNanos), periodNanos, seq++);
  }

  @Override
  public synchronized void shutdown() {
    shutdown = true;
  }

  @Override
  public synchronized List<Runnable> shutdownNow() {
    shutdown = true;
    List<Runnable> left = new ArrayList<>(queue);
    queue.clear();
    return left;
  }

  @Override
  public synchronized boolean isShutdown() {
    return shutdown;
  }

  @Override
  public synchronized boolean isTerminated() {
    return shutdown;
  }

  @Override
  public boolean awaitTermination(long timeout, TimeUnit unit) {
    return isShutdown();
  }

  private final class Task implements ScheduledFuture<Object>, Runnable {
    final Runnable body;
    final long period;
    final long seq;
    long time;
    volatile boolean cancelled;
    volatile boolean done;

    Task(Runnable body, long time, long period, long seq) {
      this.body = body;
      this.time = time;
      this.period = period;
      this.seq = seq;
    }

    @Override
    public void run() {
      if (cancelled) {
        return;
      }
      body.run();
      if (period > 0 && !cancelled) {
        synchronized (ManualScheduler.this) {
          time = now + period;
        }
        try {
          add(this);
        } catch (RejectedExecutionException e) {
          done = true;
        }
      } else {
        done = true;
      }
    }

    @Override
    public long getDelay(TimeUnit unit) {
      return unit.convert(time - nanoTime(), TimeUnit.NANOSECONDS);
    }

    @Override
    public int compareTo(Delayed o) {
      Task t = (Task) o;
      int c = Long.compare(time, t.time);
      return c != 0 ? c : Long.compare(seq, t.seq);
    }

    @Override
    public boolean cancel(boolean mayInterruptIfRunning) {
      if (done) {
        return false;
      }
      cancelled = true;
      return true;
    }

    @Override
    public boolean isCancelled() {
      return cancelled;
    }

    @Override
    public boolean isDone() {
      return done || cancelled;
    }

    @Override
    public Object get() throws ExecutionException {
      if (body instanceof FutureTask<?> f && f.isDone()) {
        try {
          return f.get();
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
      throw new IllegalStateException("ManualScheduler tasks cannot be waited for");
    }

    @Override
    public Object get(long timeout, TimeUnit unit) throws ExecutionException, TimeoutException {
      return get();
    }
  }
}
