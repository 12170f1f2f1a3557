package dev.whaleray.router.internal;

import static java.util.Objects.requireNonNull;

import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Runs tasks one at a time, in submission order, on a shared executor (like gRPC's
 * SynchronizationContext). A task that throws is logged and the queue goes on. Thread-safe.
 */
public final class SerialExecutor implements Executor {
  private static final System.Logger LOG = System.getLogger(SerialExecutor.class.getName());

  private final Executor delegate;
  private final ConcurrentLinkedQueue<Runnable> queue = new ConcurrentLinkedQueue<>();
  private final AtomicBoolean running = new AtomicBoolean();

  /** Serializes tasks over {@code delegate}. */
  public SerialExecutor(Executor delegate) {
    this.delegate = requireNonNull(delegate, "delegate");
  }

  @Override
  public void execute(Runnable task) {
    queue.add(requireNonNull(task, "task"));
    schedule();
  }

  private void schedule() {
    if (!queue.isEmpty() && running.compareAndSet(false, true)) {
      try {
        delegate.execute(this::drain);
      } catch (RuntimeException e) {
        running.set(false);
        throw e;
      }
    }
  }

  private void drain() {
    try {
      Runnable task;
      while ((task = queue.poll()) != null) {
        try {
          task.run();
        } catch (RuntimeException | Error e) {
          LOG.log(System.Logger.Level.ERROR, "a serialized task failed", e);
        }
      }
    } finally {
      running.set(false);
    }
    schedule();
  }
}
