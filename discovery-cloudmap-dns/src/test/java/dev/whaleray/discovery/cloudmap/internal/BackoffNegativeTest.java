package dev.whaleray.discovery.cloudmap.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class BackoffNegativeTest {
  static final long TTL = TimeUnit.SECONDS.toNanos(5);

  @Test
  void aNameThatKeepsNotExistingIsCheckedLessAndLessOftenUpToAMinute() {
    assertThat(Backoff.negativeDelayNanos(TTL, 0)).isEqualTo(TTL);
    assertThat(Backoff.negativeDelayNanos(TTL, 1)).isEqualTo(TTL);
    assertThat(Backoff.negativeDelayNanos(TTL, 2)).isEqualTo(2 * TTL);
    assertThat(Backoff.negativeDelayNanos(TTL, 3)).isEqualTo(4 * TTL);
    assertThat(Backoff.negativeDelayNanos(TTL, 4)).isEqualTo(8 * TTL);
    assertThat(Backoff.negativeDelayNanos(TTL, 5)).isEqualTo(Backoff.MAX_NEGATIVE_DELAY_NANOS);
    assertThat(Backoff.negativeDelayNanos(TTL, 1000)).isEqualTo(Backoff.MAX_NEGATIVE_DELAY_NANOS);
    long longTtl = TimeUnit.MINUTES.toNanos(5); // a configured TTL above the cap stays
    assertThat(Backoff.negativeDelayNanos(longTtl, 3)).isEqualTo(longTtl);
  }
}
