package dev.whaleray.router.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class RateLimiterTest {
  static final long MS = 1_000_000L;

  @Test
  void aBurstThenTheRate() {
    RateLimiter l = new RateLimiter(RateLimit.of(100, 50));
    long t = 1_000_000 * MS;
    int let = 0;
    while (l.acquire(t) == 0) {
      let++;
    }
    assertThat(let).isEqualTo(50);
    long wait = l.acquire(t);
    assertThat(wait).isBetween(9 * MS, 10 * MS); // one request's share of a second
    assertThat(l.acquire(t + 10 * MS)).isZero();
    assertThat(l.acquire(t + 10 * MS)).isPositive();
  }

  @Test
  void overASecondTheRateHolds() {
    RateLimiter l = new RateLimiter(RateLimit.of(100, 1));
    long t = 5_000_000 * MS;
    int let = 0;
    for (long now = t; now < t + 1000 * MS; now += MS / 4) { // 4,000 tries a second
      if (l.acquire(now) == 0) {
        let++;
      }
    }
    assertThat(let).isBetween(99, 101);
  }

  @Test
  void parsesTheVariableForm() {
    assertThat(RateLimit.parse("100/s")).isEqualTo(RateLimit.of(100, 100));
    assertThat(RateLimit.parse(" 2.5/s burst=5 ")).isEqualTo(RateLimit.of(2.5, 5));
    assertThat(RateLimit.parse("0.5/s").burst()).isEqualTo(1);
    assertThatThrownBy(() -> RateLimit.parse("100")).hasMessageContaining("expected: e.g. 100/s");
    assertThatThrownBy(() -> RateLimit.parse("100/s burst=0")).hasMessageContaining("burst");
    assertThatThrownBy(() -> RateLimit.parse("-1/s")).hasMessageContaining("requestsPerSecond");
    assertThatThrownBy(() -> RateLimit.parse("fast/s")).hasMessageContaining("'fast/s'");
  }
}
