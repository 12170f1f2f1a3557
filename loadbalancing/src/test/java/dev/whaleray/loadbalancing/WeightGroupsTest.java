package dev.whaleray.loadbalancing;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class WeightGroupsTest {

  /** Each group as "weight:[indexes]", sorted by weight, whichever path built it. */
  private static List<String> describe(WeightGroups g) {
    List<String> out = new ArrayList<>();
    for (int i = 0; i < g.count(); i++) {
      List<Integer> members = new ArrayList<>();
      for (int k = 0; k < g.size[i]; k++) {
        members.add(g.members[g.start[i] + k]);
      }
      out.add(String.format("%07d:%s", g.weight[i], members));
    }
    out.sort(null);
    return out;
  }

  @Test
  void groupsByWeightWithMembersInSnapshotOrder() {
    WeightGroups g = WeightGroups.of(new int[] {3, 1, 3, 2, 1});
    assertThat(describe(g)).containsExactly("0000001:[1, 4]", "0000002:[3]", "0000003:[0, 2]");
    assertThat(WeightGroups.distinct(new int[] {3, 1, 3, 2, 1})).isEqualTo(3);
  }

  @Test
  void moreThan64DistinctWeightsTakeTheSortedPathWithTheSameResult() {
    Random random = new Random(3);
    int[] weights = new int[500];
    for (int i = 0; i < weights.length; i++) {
      weights[i] = 1 + random.nextInt(200); // ~180 distinct
    }
    WeightGroups g = WeightGroups.of(weights);
    int distinct = WeightGroups.distinct(weights);
    assertThat(distinct).isGreaterThan(64);
    assertThat(g.count()).isEqualTo(distinct);
    int total = 0;
    for (int i = 0; i < g.count(); i++) {
      int previous = -1;
      for (int k = 0; k < g.size[i]; k++) {
        int member = g.members[g.start[i] + k];
        assertThat(weights[member]).isEqualTo(g.weight[i]);
        assertThat(member).isGreaterThan(previous);
        previous = member;
        total++;
      }
    }
    assertThat(total).isEqualTo(weights.length);
  }
}
