package dev.whaleray.loadbalancing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;

/**
 * The test helper itself: it must reject what is not uniform, or the policy tests prove nothing.
 */
class ChiSquareTest {

  @Test
  void tableAgreesWithWilsonHilferty() {
    // The approximation is within 1.5 % of the tabulated quantile from 5 degrees of freedom on
    // (slightly above it: conservative), and closer as they grow.
    for (int df : new int[] {5, 10, 20, 30}) {
      double table = ChiSquare.critical999(df);
      assertThat(ChiSquare.wilsonHilferty(df, 3.090232))
          .as("df %d", df)
          .isCloseTo(table, within(table * (df >= 20 ? 0.005 : 0.015)))
          .isGreaterThan(table);
    }
    assertThat(ChiSquare.critical999(100)).isCloseTo(149.449, within(0.5));
  }

  @Test
  void statisticOfAPerfectFitIsZeroAndOfASkewIsLarge() {
    assertThat(ChiSquare.statistic(new long[] {100, 200, 300}, new double[] {1, 2, 3})).isZero();
    // 1,100 vs 900 where 1,000 each is expected: 10 + 10 = 20 > 10.828 (df 1).
    assertThat(ChiSquare.statistic(new long[] {1100, 900}, new double[] {1, 1})).isEqualTo(20.0);
    assertThatThrownBy(() -> ChiSquare.assertFits(new long[] {1100, 900}, ChiSquare.uniform(2)))
        .isInstanceOf(AssertionError.class);
    // A 3 % skew over 100k picks among five endpoints is caught too: 18 + 4 * 1.125 = 22.5.
    assertThatThrownBy(
            () ->
                ChiSquare.assertFits(
                    new long[] {20_600, 19_850, 19_850, 19_850, 19_850}, ChiSquare.uniform(5)))
        .isInstanceOf(AssertionError.class);
  }
}
