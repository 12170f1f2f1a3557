package dev.whaleray.router.internal;

import static org.assertj.core.api.Assertions.assertThat;

import dev.whaleray.router.testing.ManualExecutor;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class SerialExecutorTest {

  @Test
  void runsTasksInOrderInOneDrain() {
    ManualExecutor delegate = new ManualExecutor();
    SerialExecutor serial = new SerialExecutor(delegate);
    List<Integer> ran = new ArrayList<>();

    serial.execute(() -> ran.add(1));
    serial.execute(() -> ran.add(2));
    serial.execute(() -> ran.add(3));

    assertThat(delegate.pending()).isEqualTo(1); // one drain task for the three
    delegate.runAll();
    assertThat(ran).containsExactly(1, 2, 3);
  }

  @Test
  void aThrowingTaskDoesNotStopTheQueue() {
    ManualExecutor delegate = new ManualExecutor();
    SerialExecutor serial = new SerialExecutor(delegate);
    List<Integer> ran = new ArrayList<>();

    serial.execute(
        () -> {
          throw new IllegalStateException("task bug (expected by the test)");
        });
    serial.execute(() -> ran.add(2));
    delegate.runAll();
    serial.execute(() -> ran.add(3));
    delegate.runAll();

    assertThat(ran).containsExactly(2, 3);
  }

  @Test
  void tasksQueuedByATaskRunAfterIt() {
    SerialExecutor serial = new SerialExecutor(Runnable::run);
    List<String> ran = new ArrayList<>();

    serial.execute(
        () -> {
          serial.execute(() -> ran.add("inner"));
          ran.add("outer");
        });

    assertThat(ran).containsExactly("outer", "inner");
  }
}
