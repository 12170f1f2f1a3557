package dev.whaleray.loadbalancing;

import java.util.Arrays;

/**
 * Endpoints grouped by weight, each group's members in snapshot order: endpoints of equal weight
 * behave alike in weighted round-robin and Maglev's weighted fill, so those loops can walk groups
 * (usually a handful) instead of endpoints. Control plane only; not thread-safe.
 */
final class WeightGroups {
  /** Group weights, in order of first appearance. */
  final int[] weight;

  /** Where each group's members start in {@link #members}. */
  final int[] start;

  /** How many members each group has. */
  final int[] size;

  /** Endpoint indexes, grouped, ascending within a group. */
  final int[] members;

  private final int count;

  private WeightGroups(int[] weight, int[] start, int[] size, int[] members, int count) {
    this.weight = weight;
    this.start = start;
    this.size = size;
    this.members = members;
    this.count = count;
  }

  /** The number of groups. */
  int count() {
    return count;
  }

  /**
   * Groups {@code weights}. With up to 64 distinct weights (nearly always) a scan of the groups
   * found so far assigns each endpoint in {@code O(n * groups)} without sorting; beyond that the
   * indexes are sorted by weight.
   */
  static WeightGroups of(int[] weights) {
    int n = weights.length;
    int[] groupOf = new int[n];
    int[] weight = new int[Math.min(n, 64)];
    int[] size = new int[weight.length];
    int count = 0;
    for (int i = 0; i < n; i++) {
      int w = weights[i];
      int g = 0;
      while (g < count && weight[g] != w) {
        g++;
      }
      if (g == count) {
        if (count == weight.length) {
          return sorted(weights);
        }
        weight[count++] = w;
      }
      groupOf[i] = g;
      size[g]++;
    }
    int[] start = new int[count];
    for (int g = 1; g < count; g++) {
      start[g] = start[g - 1] + size[g - 1];
    }
    int[] fill = start.clone();
    int[] members = new int[n];
    for (int i = 0; i < n; i++) {
      members[fill[groupOf[i]]++] = i;
    }
    return new WeightGroups(weight, start, size, members, count);
  }

  private static WeightGroups sorted(int[] weights) {
    int n = weights.length;
    long[] keys = new long[n];
    for (int i = 0; i < n; i++) {
      keys[i] = ((long) weights[i] << 32) | i;
    }
    Arrays.sort(keys);
    int[] members = new int[n];
    int[] start = new int[n];
    int[] size = new int[n];
    int[] weight = new int[n];
    int count = 0;
    for (int i = 0; i < n; i++) {
      members[i] = (int) keys[i];
      int w = (int) (keys[i] >>> 32);
      if (count == 0 || weight[count - 1] != w) {
        start[count] = i;
        weight[count] = w;
        count++;
      }
      size[count - 1]++;
    }
    return new WeightGroups(weight, start, size, members, count);
  }

  /** The number of distinct weights. */
  static int distinct(int[] weights) {
    int[] seen = new int[Math.min(weights.length, 64)];
    int count = 0;
    for (int w : weights) {
      int g = 0;
      while (g < count && seen[g] != w) {
        g++;
      }
      if (g == count) {
        if (count == seen.length) {
          int[] sorted = weights.clone();
          Arrays.sort(sorted);
          int d = 1;
          for (int i = 1; i < sorted.length; i++) {
            if (sorted[i] != sorted[i - 1]) {
              d++;
            }
          }
          return d;
        }
        seen[count++] = w;
      }
    }
    return count;
  }
}
