package dev.whaleray.loadbalancing;

import dev.whaleray.router.Endpoint;
import dev.whaleray.router.EndpointSet;
import dev.whaleray.router.RequestView;
import dev.whaleray.router.lb.LoadBalancer;
import dev.whaleray.router.lb.PickResult;
import dev.whaleray.router.lb.Picker;
import dev.whaleray.router.lb.Tried;
import dev.whaleray.router.lb.Upstream;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.LongSupplier;
import org.jspecify.annotations.Nullable;

/**
 * Slow start over any policy: an endpoint that joins the service gets a share of traffic that ramps
 * up linearly over a window, so a cold JVM behind a scale-out is not flooded at once.
 *
 * <p>The SPI has no way to push a new picker between updates, so the ramp lives in the picker: it
 * asks the inner picker, and when the answer is an endpoint added {@code elapsed} nanoseconds ago
 * (less than the window), accepts it with probability {@code elapsed / window}; otherwise it asks
 * again, up to {@value #MAX_ATTEMPTS} times. When every attempt was refused it answers the last
 * warm upstream this picker handed out (for policies that keep answering the same endpoint, such as
 * least-connections with a new, idle endpoint), or the refused one when it has none yet. A new
 * endpoint's effective weight thus grows from about 0 to its full value: with {@code random} over
 * four endpoints, one of them a quarter into its window, it gets {@code q p (1 + r + r^2)} of the
 * picks where {@code q = 1/4}, {@code p = 1/4} and {@code r = q (1 - p)}: 7.6 % instead of 25 %.
 *
 * <p>Join times are kept per address (host and port) in the load balancer and survive updates: an
 * endpoint whose weight or zone changes keeps its ramp. Endpoints of the very first non-empty
 * snapshot count as warm (the router just started; they were serving before). While no endpoint is
 * warm (all of them new) the inner picker is used as is: there is nowhere else to send traffic. An
 * endpoint that leaves and comes back ramps again.
 *
 * <p>Cost: when nothing is ramping, {@code update()} returns the inner picker itself (no overhead).
 * A ramping picker reads the clock ({@link dev.whaleray.router.lb.LbContext#nanoClock()}) once per
 * pick and looks the answer up in a small map, until the last ramp ends; then it delegates
 * directly. No allocation per pick. {@code update()} is serial (control thread); pickers are
 * thread-safe.
 */
final class SlowStartLoadBalancer implements LoadBalancer, LoadBalancers.Decorated {
  /** Inner picks per request before giving up on avoiding ramping endpoints. */
  static final int MAX_ATTEMPTS = 3;

  /** The join time of an endpoint that is not ramping. */
  private static final long WARM = Long.MIN_VALUE;

  private final LoadBalancer inner;
  private final long windowNanos;
  private final LongSupplier clock;
  // The last snapshot's endpoints (sorted by host, then port, as every EndpointSet is) and their
  // join times, index for index. An update merges the new snapshot against them by address in
  // one pass: no hash map, no per-endpoint allocation.
  private List<Endpoint> previous = List.of();
  private long[] previousSince = new long[0];
  private boolean seenEndpoints;

  SlowStartLoadBalancer(LoadBalancer inner, long windowNanos, LongSupplier clock) {
    if (windowNanos <= 0) {
      throw new IllegalArgumentException("windowNanos: " + windowNanos + " (expected: > 0)");
    }
    this.inner = inner;
    this.windowNanos = windowNanos;
    this.clock = clock;
  }

  @Override
  public Picker update(EndpointSet endpoints) {
    long now = clock.getAsLong();
    List<Endpoint> list = endpoints.endpoints();
    int n = list.size();
    long[] since = new long[n];
    boolean anyWarm = false;
    int ramping = 0;
    int j = 0;
    int previousSize = previous.size();
    for (int i = 0; i < n; i++) {
      Endpoint e = list.get(i);
      while (j < previousSize && compareAddress(previous.get(j), e) < 0) {
        j++;
      }
      long t;
      if (j < previousSize && compareAddress(previous.get(j), e) == 0) {
        // Present before, possibly with another weight or zone: keeps its join time.
        t = previousSince[j];
      } else {
        t = seenEndpoints ? now : WARM;
      }
      if (t != WARM && now - t >= windowNanos) {
        t = WARM;
      }
      since[i] = t;
      if (t == WARM) {
        anyWarm = true;
      } else {
        ramping++;
      }
    }
    previous = list;
    previousSince = since;
    seenEndpoints |= n > 0;
    Picker picker = inner.update(endpoints);
    if (ramping == 0 || !anyWarm) {
      return picker;
    }
    Map<Endpoint, Long> rampStart = new HashMap<>(ramping * 2);
    long lastRampEnd = now;
    for (int i = 0; i < n; i++) {
      if (since[i] != WARM) {
        rampStart.put(list.get(i), since[i]);
        lastRampEnd = Math.max(lastRampEnd, since[i] + windowNanos);
      }
    }
    Upstream[] warm = new Upstream[0];
    if (picker instanceof UpstreamsPicker) {
      List<Upstream> warmList = new java.util.ArrayList<>();
      for (Upstream u : ((UpstreamsPicker) picker).upstreams()) {
        if (!rampStart.containsKey(u.endpoint())) {
          warmList.add(u);
        }
      }
      warm = warmList.toArray(warm);
    }
    return new SlowStartPicker(picker, rampStart, windowNanos, lastRampEnd, clock, warm);
  }

  /** Orders by host, then port: the prefix of {@link Endpoint#compareTo}. */
  private static int compareAddress(Endpoint a, Endpoint b) {
    int c = a.host().compareTo(b.host());
    return c != 0 ? c : Integer.compare(a.port(), b.port());
  }

  @Override
  public void close() {
    inner.close();
  }

  @Override
  public String toString() {
    return "SlowStart{" + windowNanos / 1_000_000 + "ms, " + inner + "}";
  }

  /** Refuses ramping endpoints with probability {@code 1 - elapsed / window}. */
  static final class SlowStartPicker implements Picker {
    private final Upstream[] warm;
    private final Picker inner;
    private final Map<Endpoint, Long> ramping;
    private final long windowNanos;
    private final long lastRampEnd;
    private final LongSupplier clock;
    // Plain fields written racily on purpose: a stale read only costs one more clock read or an
    // older warm upstream of this same snapshot, both harmless.
    private boolean done;
    private @Nullable PickResult lastWarm;

    SlowStartPicker(
        Picker inner,
        Map<Endpoint, Long> ramping,
        long windowNanos,
        long lastRampEnd,
        LongSupplier clock,
        Upstream[] warm) {
      this.warm = warm;
      this.inner = inner;
      this.ramping = ramping;
      this.windowNanos = windowNanos;
      this.lastRampEnd = lastRampEnd;
      this.clock = clock;
    }

    @Override
    public PickResult pick(RequestView request, Tried tried) {
      if (done || tried.count() > 0) {
        return inner.pick(request, tried); // a retry goes to any endpoint not tried yet
      }
      long now = clock.getAsLong();
      if (now - lastRampEnd >= 0) {
        done = true;
        return inner.pick(request, tried);
      }
      PickResult candidate = PickResult.none();
      for (int attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
        candidate = inner.pick(request, tried);
        Upstream chosen = candidate.upstream();
        if (chosen == null) {
          return candidate;
        }
        Long since = ramping.get(chosen.endpoint());
        if (since == null) {
          // Refreshed now and then rather than on every pick: a write per pick to a field all
          // threads read would bounce its cache line between cores.
          if (lastWarm == null || (ThreadLocalRandom.current().nextInt() & 63) == 0) {
            lastWarm = candidate;
          }
          return candidate;
        }
        long elapsed = now - since;
        if (elapsed >= windowNanos
            || (elapsed > 0 && ThreadLocalRandom.current().nextLong(windowNanos) < elapsed)) {
          return candidate;
        }
      }
      // Every try was refused. A policy that keeps choosing the idle newcomer (least-connections
      // over a few endpoints) would otherwise flood it: spread these over the warm endpoints.
      if (warm.length > 0) {
        return Choices.of(warm[FastRandom.index(warm.length)]);
      }
      PickResult last = lastWarm;
      return last != null ? last : candidate;
    }

    @Override
    public String toString() {
      return "SlowStartPicker{ramping " + ramping.keySet() + ", " + inner + "}";
    }
  }
}
