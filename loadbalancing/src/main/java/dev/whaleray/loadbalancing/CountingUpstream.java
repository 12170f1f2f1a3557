package dev.whaleray.loadbalancing;

import dev.whaleray.router.Endpoint;
import dev.whaleray.router.lb.Outcome;
import dev.whaleray.router.lb.PickResult;
import dev.whaleray.router.lb.Upstream;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * An upstream that counts attempts in flight. Thread-safe and lock-free.
 *
 * <p>The counter is a {@code volatile int} updated through a {@link VarHandle} rather than an
 * {@code AtomicInteger}: least-connections reads it on every pick, and this saves the pointer chase
 * to a second object (and that object's allocation in every {@code update()}).
 */
final class CountingUpstream implements Upstream {
  private static final VarHandle IN_FLIGHT;

  static {
    try {
      IN_FLIGHT =
          MethodHandles.lookup().findVarHandle(CountingUpstream.class, "inFlight", int.class);
    } catch (ReflectiveOperationException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  // Volatile: a snapshot may bring the same address with another weight, zone or attributes; the
  // upstream (and its in-flight count) stays, and only the endpoint it reports changes.
  private volatile Endpoint endpoint;

  /** This upstream as a pick: built once, so picks do not allocate. */
  final PickResult result = PickResult.of(this);

  @SuppressWarnings("unused") // read and written through IN_FLIGHT
  private volatile int inFlight;

  CountingUpstream(Endpoint endpoint) {
    this.endpoint = endpoint;
  }

  @Override
  public Endpoint endpoint() {
    return endpoint;
  }

  /** Called from {@code update()} only: the same address, described anew. */
  void endpoint(Endpoint endpoint) {
    this.endpoint = endpoint;
  }

  @Override
  public void onStart() {
    IN_FLIGHT.getAndAdd(this, 1);
  }

  @Override
  public void onEnd(Outcome outcome, int status, long latencyNanos) {
    IN_FLIGHT.getAndAdd(this, -1);
  }

  @Override
  public int inFlight() {
    return inFlight;
  }

  @Override
  public String toString() {
    return endpoint + " inFlight=" + inFlight;
  }
}
