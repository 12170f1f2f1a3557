package dev.whaleray.loadbalancing;

import java.time.Duration;
import java.util.function.LongSupplier;

/** A nanosecond clock that moves only when told; starts at an arbitrary non-zero value. */
final class ManualClock implements LongSupplier {
  private volatile long now = 1_000_000_000_000L;

  @Override
  public long getAsLong() {
    return now;
  }

  ManualClock advance(Duration d) {
    now += d.toNanos();
    return this;
  }
}
