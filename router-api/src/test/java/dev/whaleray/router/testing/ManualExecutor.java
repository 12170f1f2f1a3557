package dev.whaleray.router.testing;

import static java.util.Objects.requireNonNull;

import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executor;

/**
 * An executor that queues tasks until the test calls {@link #runAll}, so the order of asynchronous
 * callbacks is under the test's control. Thread-safe.
 */
public final class ManualExecutor implements Executor {
  private final ConcurrentLinkedQueue<Runnable> tasks = new ConcurrentLinkedQueue<>();

  @Override
  public void execute(Runnable task) {
    tasks.add(requireNonNull(task, "task"));
  }

  /** The number of tasks waiting. */
  public int pending() {
    return tasks.size();
  }

  /** Runs queued tasks, and the tasks they queue, until none is left; returns how many ran. */
  public int runAll() {
    int n = 0;
    Runnable task;
    while ((task = tasks.poll()) != null) {
      task.run();
      n++;
    }
    return n;
  }
}
