package dev.whaleray.loadbalancing;

import dev.whaleray.router.EndpointSet;
import dev.whaleray.router.RequestView;
import dev.whaleray.router.lb.LoadBalancer;
import dev.whaleray.router.lb.PickResult;
import dev.whaleray.router.lb.Picker;
import dev.whaleray.router.lb.Tried;
import dev.whaleray.router.lb.Upstream;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Consistent hashing with a Maglev lookup table (Eisenbud et al., NSDI 2016, as in Envoy): requests
 * with the same key ({@link HashKey}: a header, a cookie or the client address) go to the same
 * endpoint, and when one of {@code n} endpoints leaves only about {@code 1/n} of the keys move.
 *
 * <p>{@code update()} fills a table of prime size {@code M} ({@value #SMALL_TABLE} for up to
 * {@value #SMALL_TABLE_MAX_ENDPOINTS} endpoints, else {@value #LARGE_TABLE}): each endpoint has a
 * permutation of the slots, {@code offset + j * skip mod M} with {@code offset} and {@code skip}
 * from a hash of its host and port ({@code skip} in {@code 1..M-1}, so with {@code M} prime the
 * walk visits every slot), and the endpoints take turns claiming the next free slot of their own
 * permutation until the table is full. Worked example, {@code M = 7}, endpoints b0 (offset 3, skip
 * 4: prefers slots 3, 0, 4, 1, 5, 2, 6) and b1 (offset 0, skip 2: 0, 2, 4, 6, 1, 3, 5):
 *
 * <pre>
 *   turn  b0 claims  b1 claims   table
 *    1       3          0        [b1 . . b0 . . .]
 *    2       4 (0 taken) 2       [b1 . b1 b0 b0 . .]
 *    3       1          6        [b1 b0 b1 b0 b0 . b1]
 *    4       5          -        [b1 b0 b1 b0 b0 b0 b1]   (full)
 * </pre>
 *
 * Each endpoint ends with {@code M/n} slots (within one), and since every endpoint keeps walking
 * its own permutation, removing b1 hands b1's slots to others while b0's mostly stay put. A pick
 * hashes the key (64-bit, {@link Hashing}) and reads slot {@code (hash >>> 32) * M >>> 32} (the
 * high half of the hash scaled to {@code [0, M)}): no allocation, no lock. Endpoints with different
 * weights take turns in earliest-deadline-first order ({@code (k + 1) / weight} for an endpoint's
 * {@code k}-th slot), so slot counts follow the weights.
 *
 * <p>Requests without a key fall back to round-robin. Building the table costs about {@code M ln M}
 * probes (2-3 ms at {@code M = 65,537} on a 2-core VM, see {@code jmh/RESULTS.md}): control-plane
 * work, done once per change while the previous picker keeps serving. Moving past {@value
 * #SMALL_TABLE_MAX_ENDPOINTS} endpoints changes {@code M} and so every key's slot, once.
 */
final class ConsistentHashLoadBalancer implements LoadBalancer {
  /** The table size for up to {@link #SMALL_TABLE_MAX_ENDPOINTS} endpoints. Prime. */
  static final int SMALL_TABLE = 65_537;

  /** Keeps at least 32 slots per endpoint (within about 3 % of an equal share). */
  static final int SMALL_TABLE_MAX_ENDPOINTS = 2048;

  /** The table size above that (at least 65 slots per endpoint up to 10,000 endpoints). Prime. */
  static final int LARGE_TABLE = 655_373;

  private static final long SKIP_SEED = 0x9E3779B97F4A7C15L;

  private final HashKey key;
  private final UpstreamTable table = new UpstreamTable();
  private final AtomicInteger fallbackSequence = new AtomicInteger();

  ConsistentHashLoadBalancer(HashKey key) {
    this.key = key;
  }

  @Override
  public Picker update(EndpointSet endpoints) {
    CountingUpstream[] upstreams = table.update(endpoints);
    if (upstreams.length == 0) {
      return EmptyPicker.INSTANCE;
    }
    int size = upstreams.length <= SMALL_TABLE_MAX_ENDPOINTS ? SMALL_TABLE : LARGE_TABLE;
    Upstream[] lookup =
        buildTable(upstreams, UpstreamTable.effectiveWeights(upstreams), size, SKIP_SEED);
    return new MaglevPicker(key, lookup, upstreams, fallbackSequence);
  }

  /** Fills a Maglev table of prime size {@code m}; see the class comment. */
  static Upstream[] buildTable(Upstream[] upstreams, int[] weights, int m, long skipSeed) {
    int n = upstreams.length;
    int[] next = new int[n];
    int[] skip = new int[n];
    boolean equalWeights = true;
    for (int i = 0; i < n; i++) {
      long h = Hashing.endpoint(upstreams[i].endpoint());
      next[i] = (int) ((h >>> 1) % m);
      skip[i] = (int) ((Hashing.fmix64(h ^ skipSeed) >>> 1) % (m - 1)) + 1;
      equalWeights &= weights[i] == weights[0];
    }
    Fill fill = new Fill(upstreams, next, skip, m);
    if (equalWeights) {
      int filled = 0;
      while (true) {
        for (int i = 0; i < n; i++) {
          fill.claim(i);
          if (++filled == m) {
            return fill.lookup;
          }
        }
      }
    }
    // Earliest deadline first: an endpoint's k-th turn is due at (k + 1) / weight. Endpoints of
    // one weight take their turns in index order, so the heap holds groups of equal weight:
    // group g's next turn is member (picks % size)'s, due at (picks / size + 1) / weight.
    WeightGroups groups = WeightGroups.of(weights);
    int count = groups.count();
    Turns turns = new Turns(groups);
    int[] heap = new int[count];
    for (int g = 0; g < count; g++) {
      heap[g] = g;
    }
    for (int g = count / 2 - 1; g >= 0; g--) {
      siftDown(heap, g, count, turns);
    }
    for (int filled = 0; filled < m; filled++) {
      int g = heap[0];
      fill.claim(turns.member(g));
      turns.advance(g);
      siftDown(heap, 0, count, turns);
    }
    return fill.lookup;
  }

  /** The table being filled, with a bitset of taken slots (8 KiB at M = 65,537: stays in L1). */
  private static final class Fill {
    final Upstream[] lookup;
    private final Upstream[] upstreams;
    private final long[] taken;
    private final int[] next;
    private final int[] skip;
    private final int m;

    Fill(Upstream[] upstreams, int[] next, int[] skip, int m) {
      this.lookup = new Upstream[m];
      this.upstreams = upstreams;
      this.taken = new long[(m + 63) >>> 6];
      this.next = next;
      this.skip = skip;
      this.m = m;
    }

    /** Endpoint {@code i} takes the next free slot of its permutation. */
    void claim(int i) {
      int c = next[i];
      int s = skip[i] - m; // c + skip mod m, branch-free: add skip - m, add m back if negative
      while ((taken[c >>> 6] & (1L << c)) != 0) {
        c += s;
        c += (c >> 31) & m;
      }
      taken[c >>> 6] |= 1L << c;
      lookup[c] = upstreams[i];
      c += s;
      c += (c >> 31) & m;
      next[i] = c;
    }
  }

  /** Where each weight group is in its turns: the next member and the rounds completed. */
  private static final class Turns {
    private final WeightGroups groups;
    private final int[] next;
    private final long[] rounds;

    Turns(WeightGroups groups) {
      this.groups = groups;
      this.next = new int[groups.count()];
      this.rounds = new long[groups.count()];
    }

    int member(int g) {
      return groups.members[groups.start[g] + next[g]];
    }

    void advance(int g) {
      if (++next[g] == groups.size[g]) {
        next[g] = 0;
        rounds[g]++;
      }
    }

    /** True when group {@code a}'s next turn is due before {@code b}'s (ties: lower endpoint). */
    boolean earlier(int a, int b) {
      long da = (rounds[a] + 1) * groups.weight[b];
      long db = (rounds[b] + 1) * groups.weight[a];
      return da != db ? da < db : member(a) < member(b);
    }
  }

  private static void siftDown(int[] heap, int at, int size, Turns turns) {
    int item = heap[at];
    while (true) {
      int child = 2 * at + 1;
      if (child >= size) {
        break;
      }
      if (child + 1 < size && turns.earlier(heap[child + 1], heap[child])) {
        child++;
      }
      if (!turns.earlier(heap[child], item)) {
        break;
      }
      heap[at] = heap[child];
      at = child;
    }
    heap[at] = item;
  }

  static final class MaglevPicker implements Picker {
    private final HashKey key;
    private final Upstream[] lookup;
    private final Upstream[] upstreams;
    private final AtomicInteger fallbackSequence;

    MaglevPicker(
        HashKey key, Upstream[] lookup, Upstream[] upstreams, AtomicInteger fallbackSequence) {
      this.key = key;
      this.lookup = lookup;
      this.upstreams = upstreams;
      this.fallbackSequence = fallbackSequence;
    }

    @Override
    public PickResult pick(RequestView request, Tried tried) {
      long h = key.hash(request);
      if (h == HashKey.ABSENT) {
        Upstream u =
            upstreams[(fallbackSequence.getAndIncrement() & Integer.MAX_VALUE) % upstreams.length];
        return Choices.untried(u, tried, upstreams);
      }
      // The high 32 bits scaled to [0, M) by multiply-and-shift: no 64-bit division per pick.
      int slot = FastRandom.scale(h >>> 32, lookup.length);
      Upstream u = lookup[slot];
      if (tried.count() == 0 || !tried.contains(u)) {
        return Choices.of(u);
      }
      // A retry: the next endpoint on the ring, so every retry of this key goes the same way.
      int m = lookup.length;
      for (int k = 1; k < m; k++) {
        Upstream next = lookup[(slot + k) % m];
        if (next != u && !tried.contains(next)) {
          return Choices.of(next);
        }
      }
      return PickResult.none();
    }

    @Override
    public String toString() {
      return "MaglevPicker{"
          + key
          + ", "
          + upstreams.length
          + " upstreams, M="
          + lookup.length
          + "}";
    }
  }
}
