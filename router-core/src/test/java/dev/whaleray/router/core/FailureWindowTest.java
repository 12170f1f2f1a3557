package dev.whaleray.router.core;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class FailureWindowTest {

  @Test
  void tripsAtTheRateOnceTheMinimumIsReached() {
    FailureWindow w = new FailureWindow(100); // 10 s in 100 ms ticks: 10 buckets of 1 s
    for (int i = 0; i < 9; i++) {
      w.record(1_000, true);
    }
    assertThat(w.tripped(1_000, 10, 50)).as("9 results, minimum 10").isFalse();
    w.record(1_000, false);
    assertThat(w.tripped(1_000, 10, 50)).as("9 of 10 failed").isTrue();
    assertThat(w.tripped(1_000, 10, 91)).as("90 % is under 91 %").isFalse();
  }

  @Test
  void successesKeepTheRateUnderTheThreshold() {
    FailureWindow w = new FailureWindow(100);
    for (int i = 0; i < 100; i++) {
      w.record(1_000 + i % 10, i % 3 == 0); // 34 of 100 fail
    }
    assertThat(w.tripped(1_009, 20, 50)).isFalse();
    assertThat(w.tripped(1_009, 20, 34)).isTrue();
  }

  @Test
  void resultsOlderThanTheWindowNoLongerCount() {
    FailureWindow w = new FailureWindow(100);
    for (int i = 0; i < 20; i++) {
      w.record(1_000, true);
    }
    assertThat(w.tripped(1_050, 20, 50)).as("5 s later").isTrue();
    assertThat(w.tripped(1_100, 20, 50)).as("10 s later: out of the window").isFalse();
    // A new turn of the ring starts its bucket again instead of adding to the old counts.
    w.record(1_100, false);
    assertThat(w.tripped(1_100, 1, 50)).isFalse();
    assertThat(w.tripped(1_100, 2, 1)).as("one result in the window").isFalse();
  }

  @Test
  void clearForgetsEverything() {
    FailureWindow w = new FailureWindow(100);
    for (int i = 0; i < 20; i++) {
      w.record(1_000, true);
    }
    w.clear();
    assertThat(w.tripped(1_000, 1, 1)).isFalse();
  }

  @Test
  void aWindowShorterThanATickIsOneBucket() {
    FailureWindow w = new FailureWindow(0);
    w.record(7, true);
    assertThat(w.tripped(7, 1, 100)).isTrue();
    assertThat(w.tripped(8, 1, 100)).isFalse();
  }
}
