package dev.whaleray.loadbalancing;

import dev.whaleray.router.Endpoint;
import dev.whaleray.router.lb.Outcome;
import dev.whaleray.router.lb.Upstream;
import java.util.concurrent.atomic.AtomicInteger;

/** An upstream that counts attempts in flight. Thread-safe and lock-free. */
final class CountingUpstream implements Upstream {
  private final Endpoint endpoint;
  private final AtomicInteger inFlight = new AtomicInteger();

  CountingUpstream(Endpoint endpoint) {
    this.endpoint = endpoint;
  }

  @Override
  public Endpoint endpoint() {
    return endpoint;
  }

  @Override
  public void onStart() {
    inFlight.incrementAndGet();
  }

  @Override
  public void onEnd(Outcome outcome) {
    inFlight.decrementAndGet();
  }

  @Override
  public int inFlight() {
    return inFlight.get();
  }

  @Override
  public String toString() {
    return endpoint + " inFlight=" + inFlight.get();
  }
}
