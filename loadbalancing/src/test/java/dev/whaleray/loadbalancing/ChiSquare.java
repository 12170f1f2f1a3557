package dev.whaleray.loadbalancing;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Pearson's chi-square goodness-of-fit test at p = 0.001: the statistic {@code sum (O - E)^2 / E}
 * against the 0.999 quantile of the chi-square distribution with {@code k - 1} degrees of freedom.
 * A correct uniform or proportional picker fails it once in a thousand runs.
 */
final class ChiSquare {
  /** 0.999 quantiles of chi-square for 1 to 30 degrees of freedom (standard tables). */
  private static final double[] CRITICAL_999 = {
    10.828, 13.816, 16.266, 18.467, 20.515, 22.458, 24.322, 26.124, 27.877, 29.588, //
    31.264, 32.909, 34.528, 36.123, 37.697, 39.252, 40.790, 42.312, 43.820, 45.315, //
    46.797, 48.268, 49.728, 51.179, 52.620, 54.052, 55.476, 56.892, 58.301, 59.703
  };

  /** The standard normal quantile for 0.999. */
  private static final double Z_999 = 3.090232;

  private ChiSquare() {}

  /** The statistic for observed counts against expected proportions (normalized here). */
  static double statistic(long[] observed, double[] weights) {
    long n = 0;
    double weightSum = 0;
    for (int i = 0; i < observed.length; i++) {
      n += observed[i];
      weightSum += weights[i];
    }
    double chi = 0;
    for (int i = 0; i < observed.length; i++) {
      double expected = n * weights[i] / weightSum;
      double d = observed[i] - expected;
      chi += d * d / expected;
    }
    return chi;
  }

  /** The 0.999 quantile: the table up to 30 degrees of freedom, Wilson–Hilferty above. */
  static double critical999(int degreesOfFreedom) {
    if (degreesOfFreedom <= CRITICAL_999.length) {
      return CRITICAL_999[degreesOfFreedom - 1];
    }
    return wilsonHilferty(degreesOfFreedom, Z_999);
  }

  static double wilsonHilferty(int k, double z) {
    double a = 2.0 / (9.0 * k);
    double c = 1 - a + z * Math.sqrt(a);
    return k * c * c * c;
  }

  /** Asserts that {@code observed} fits {@code weights} at p = 0.001. */
  static void assertFits(long[] observed, double[] weights) {
    double chi = statistic(observed, weights);
    double critical = critical999(observed.length - 1);
    assertThat(chi)
        .as(
            "chi-square %.2f vs critical %.2f (df %d) for counts %s",
            chi, critical, observed.length - 1, java.util.Arrays.toString(observed))
        .isLessThan(critical);
  }

  static double[] uniform(int n) {
    double[] w = new double[n];
    java.util.Arrays.fill(w, 1);
    return w;
  }
}
