package dev.whaleray.loadbalancing;

import dev.whaleray.router.EndpointSet;
import dev.whaleray.router.RequestView;
import dev.whaleray.router.lb.LoadBalancer;
import dev.whaleray.router.lb.PickResult;
import dev.whaleray.router.lb.Picker;
import dev.whaleray.router.lb.Tried;
import dev.whaleray.router.lb.Upstream;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Weighted round-robin: deterministic, smoothly interleaved, and exact: over every window of {@code
 * S} consecutive picks ({@code S} the sum of the weights divided by their greatest common divisor)
 * each endpoint is picked exactly {@code weight / gcd} times.
 *
 * <p><b>Schedule (the usual case).</b> {@code update()} divides the weights by their GCD and, when
 * their sum {@code S} is at most {@link #MAX_SCHEDULE}, precomputes one period of nginx's smooth
 * weighted round-robin into an array of {@code S} upstreams; a pick is then one atomic increment
 * and one array read, like plain round-robin. nginx's rule, per pick: add each endpoint's weight to
 * its {@code current}; take the endpoint with the largest {@code current} (ties: the first in
 * snapshot order); subtract {@code S} from the winner's {@code current}. Weights 5, 1, 1 ({@code S
 * = 7}) for a, b, c:
 *
 * <pre>
 *   pick  current after adding (a, b, c)  winner  current after subtracting 7
 *    1          ( 5,  1,  1)                a            (-2,  1,  1)
 *    2          ( 3,  2,  2)                a            (-4,  2,  2)
 *    3          ( 1,  3,  3)                b            ( 1, -4,  3)
 *    4          ( 6, -3,  4)                a            (-1, -3,  4)
 *    5          ( 4, -2,  5)                c            ( 4, -2, -2)
 *    6          ( 9, -1, -1)                a            ( 2, -1, -1)
 *    7          ( 7,  0,  0)                a            ( 0,  0,  0)   back to the start
 * </pre>
 *
 * giving {@code a a b a c a a}: each period picks a five times and b and c once, and b and c are
 * spread between the a's rather than bunched at the end. After {@code t} picks an endpoint picked
 * {@code k} times has {@code current = t * weight - S * k}, so endpoints of equal weight take turns
 * in snapshot order; the builder uses that to evaluate one candidate per distinct weight instead of
 * one per endpoint: {@code O(S * distinct weights)} work, at most {@code 2^24} steps (beyond that,
 * or beyond {@link #MAX_SCHEDULE}, the stride below is used).
 *
 * <p><b>Stride (large sums).</b> When {@code S > MAX_SCHEDULE} (e.g. SRV weights 65535 and 3) a
 * schedule would cost too much memory, so picks walk the cumulative weights instead: pick number
 * {@code n} takes position {@code p = n * stride mod S} and binary-searches the endpoint whose
 * cumulative-weight interval holds {@code p}. {@code stride} is coprime with {@code S}, so any
 * {@code S} consecutive picks visit every position once (exact counts again), and it is about
 * {@code 0.618 * S} (golden ratio), so consecutive positions land far apart and endpoints
 * interleave (a Weyl sequence). Weights 3, 1 would give positions 0, 2, 0, 2 ... with stride 2 (not
 * coprime with 4); with stride 3: 0, 3, 2, 1 = a, b, a, a. Cost: one atomic increment and {@code
 * log2(n)} comparisons, no allocation, memory {@code O(n)}.
 *
 * <p>The pick counter survives updates so a new snapshot continues the sequence. Endpoints of
 * weight 0 get traffic only when every weight is 0 (then all share it equally).
 */
final class WeightedRoundRobinLoadBalancer implements LoadBalancer {
  /** The longest precomputed schedule: 65,536 upstream references (256 KiB). */
  static final int MAX_SCHEDULE = 65_536;

  private static final long MAX_SCHEDULE_WORK = 1L << 24;

  private final UpstreamTable table = new UpstreamTable();
  private final AtomicInteger sequence;
  private final AtomicLong strideSequence = new AtomicLong();

  WeightedRoundRobinLoadBalancer(int initialSequence) {
    this.sequence = new AtomicInteger(initialSequence);
  }

  @Override
  public Picker update(EndpointSet endpoints) {
    CountingUpstream[] upstreams = table.update(endpoints);
    int n = upstreams.length;
    if (n == 0) {
      return EmptyPicker.INSTANCE;
    }
    int[] weights = UpstreamTable.effectiveWeights(upstreams);
    int gcd = weights[0];
    for (int w : weights) {
      gcd = gcd(gcd, w);
    }
    long sum = 0;
    for (int i = 0; i < n; i++) {
      weights[i] /= gcd;
      sum += weights[i];
    }
    if (sum == n) {
      // Every weight equal: the schedule is the snapshot itself.
      return new SchedulePicker(upstreams, upstreams, sequence);
    }
    if (sum <= MAX_SCHEDULE) {
      int distinct = WeightGroups.distinct(weights);
      if (sum * distinct <= MAX_SCHEDULE_WORK) {
        return new SchedulePicker(
            smoothSchedule(upstreams, weights, (int) sum), upstreams, sequence);
      }
    }
    return new StridePicker(upstreams, weights, sum, strideSequence);
  }

  /**
   * One period of nginx's smooth weighted round-robin over {@code weights} (already divided by
   * their GCD) summing to {@code total}; see the class comment for the rule and an example.
   */
  static Upstream[] smoothSchedule(Upstream[] upstreams, int[] weights, int total) {
    WeightGroups groups = WeightGroups.of(weights);
    // Within a group the next endpoint is the one picked least (the earliest on ties): member
    // `next` of the group, picked `rounds` times so far (no division in the loop).
    int count = groups.count();
    int[] next = new int[count];
    long[] rounds = new long[count];
    Upstream[] schedule = new Upstream[total];
    for (int t = 1; t <= total; t++) {
      int bestGroup = -1;
      int bestIndex = 0;
      long bestCurrent = 0;
      for (int g = 0; g < count; g++) {
        int index = groups.members[groups.start[g] + next[g]];
        long current = t * (long) groups.weight[g] - total * rounds[g];
        if (bestGroup < 0
            || current > bestCurrent
            || (current == bestCurrent && index < bestIndex)) {
          bestGroup = g;
          bestIndex = index;
          bestCurrent = current;
        }
      }
      schedule[t - 1] = upstreams[bestIndex];
      if (++next[bestGroup] == groups.size[bestGroup]) {
        next[bestGroup] = 0;
        rounds[bestGroup]++;
      }
    }
    return schedule;
  }

  static int gcd(int a, int b) {
    while (b != 0) {
      int t = a % b;
      a = b;
      b = t;
    }
    return a;
  }

  static long gcd(long a, long b) {
    while (b != 0) {
      long t = a % b;
      a = b;
      b = t;
    }
    return a;
  }

  /** A stride near {@code 0.618 * total} that is coprime with {@code total}. */
  static long stride(long total) {
    long s = Math.max(1, (long) (total * 0.6180339887498949));
    while (gcd(s, total) != 1) {
      s++;
    }
    return s;
  }

  /**
   * {@code a * b mod m} for {@code 0 <= a, b < m < 2^52} without overflow. Small moduli multiply
   * directly; larger ones estimate the quotient in floating point (off by at most a few units at
   * these magnitudes) and correct the remainder, which is exact in wrapping {@code long}
   * arithmetic.
   */
  static long mulMod(long a, long b, long m) {
    if (m <= 3_037_000_499L) { // (m - 1)^2 < 2^63
      return a * b % m;
    }
    long q = (long) ((double) a * (double) b / (double) m);
    long r = (a * b - q * m) % m;
    return r < 0 ? r + m : r;
  }

  /** Picks from a precomputed period: one atomic increment and one array read. */
  static final class SchedulePicker implements Picker {
    private final Upstream[] schedule;
    private final Upstream[] upstreams;
    private final AtomicInteger sequence;

    SchedulePicker(Upstream[] schedule, Upstream[] upstreams, AtomicInteger sequence) {
      this.schedule = schedule;
      this.upstreams = upstreams;
      this.sequence = sequence;
    }

    @Override
    public PickResult pick(RequestView request, Tried tried) {
      // Masked so a wrapped counter still gives a valid index (see RoundRobinLoadBalancer).
      Upstream u = schedule[(sequence.getAndIncrement() & Integer.MAX_VALUE) % schedule.length];
      return Choices.untried(u, tried, upstreams);
    }

    @Override
    public String toString() {
      return "SchedulePicker{period " + schedule.length + "}";
    }
  }

  /** Walks the cumulative weights by a coprime stride; for weight sums too large to schedule. */
  static final class StridePicker implements Picker {
    private final Upstream[] upstreams;
    private final long[] cumulative;
    private final long total;
    private final long stride;
    private final AtomicLong sequence;

    StridePicker(Upstream[] upstreams, int[] weights, long total, AtomicLong sequence) {
      this.upstreams = upstreams;
      this.cumulative = new long[weights.length];
      long sum = 0;
      for (int i = 0; i < weights.length; i++) {
        sum += weights[i];
        cumulative[i] = sum;
      }
      this.total = total;
      this.stride = stride(total);
      this.sequence = sequence;
    }

    @Override
    public PickResult pick(RequestView request, Tried tried) {
      long n = sequence.getAndIncrement() & Long.MAX_VALUE;
      long position = mulMod(n % total, stride, total);
      // The first endpoint whose cumulative weight exceeds the position.
      long[] c = cumulative;
      int lo = 0;
      int hi = c.length - 1;
      while (lo < hi) {
        int mid = (lo + hi) >>> 1;
        if (c[mid] > position) {
          hi = mid;
        } else {
          lo = mid + 1;
        }
      }
      return Choices.untried(upstreams[lo], tried, upstreams);
    }

    @Override
    public String toString() {
      return "StridePicker{" + upstreams.length + " upstreams, total " + total + "}";
    }
  }
}
