package dev.whaleray.router.core;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class RetryBudgetTest {
  static final long SECOND = 1; // the budget counts in whole seconds

  static int retriesAllowed(RetryBudget b, long now, int max) {
    int n = 0;
    while (n < max && b.tryRetry(now)) {
      n++;
    }
    return n;
  }

  @Test
  void aShareOfTheRequestsPlusTheFloor() {
    RetryBudget b = new RetryBudget(20);
    long now = 1_000 * SECOND;
    for (int i = 0; i < 1000; i++) {
      b.onRequest(now);
    }
    // 20 % of 1,000, plus 10 a second over the 10 s window.
    assertThat(retriesAllowed(b, now, 10_000)).isEqualTo(200 + 100);
  }

  @Test
  void aQuietServiceStillGetsTheFloor() {
    RetryBudget b = new RetryBudget(20);
    assertThat(retriesAllowed(b, 5 * SECOND, 10_000)).isEqualTo(100);
  }

  @Test
  void theWindowMovesOn() {
    RetryBudget b = new RetryBudget(0);
    long t0 = 1_000 * SECOND;
    assertThat(retriesAllowed(b, t0, 10_000)).isEqualTo(100);
    assertThat(b.tryRetry(t0 + 5 * SECOND)).isFalse(); // still inside the window
    assertThat(retriesAllowed(b, t0 + 10 * SECOND, 10_000)).isEqualTo(100); // spent ones aged out
  }

  @Test
  void requestsOlderThanTheWindowNoLongerCount() {
    RetryBudget b = new RetryBudget(50);
    long t0 = 1_000 * SECOND;
    for (int i = 0; i < 1000; i++) {
      b.onRequest(t0);
    }
    assertThat(retriesAllowed(b, t0 + 11 * SECOND, 10_000)).isEqualTo(100);
  }
}
