package dev.whaleray.loadbalancing;

import dev.whaleray.router.settings.Durations;
import java.time.Duration;
import java.util.Map;

/**
 * Reads policy options ({@link dev.whaleray.router.lb.LbContext#options()}) on the control plane. A
 * bad value throws {@link IllegalArgumentException} naming the option, the value and what was
 * expected, e.g. {@code slowStart: 'x' (expected: a duration such as 500ms, 10s, 2m or 1h)}. Keys a
 * policy does not know are ignored: one options map may serve several policies and the router's own
 * settings.
 */
final class LbOptions {
  /** The duration before a newly added endpoint gets its full share; {@code 0s} disables. */
  static final String SLOW_START = "slowStart";

  /** {@code false} turns zone-aware routing off even when the router knows its zone. */
  static final String ZONE_AWARE = "zoneAware";

  /** How much of an average zone's endpoints the local zone must keep to take all the traffic. */
  static final String ZONE_MIN_FRACTION = "zoneMinFraction";

  /** What {@code consistent-hash} hashes: {@code header:NAME}, {@code cookie:NAME}, client-ip. */
  static final String HASH_KEY = "hashKey";

  private LbOptions() {}

  /**
   * A duration in the one grammar of {@link Durations} ({@code 0}, {@code 500ms}, {@code PT30S}).
   */
  static Duration duration(Map<String, String> options, String key, Duration defaultValue) {
    String raw = options.get(key);
    return raw == null ? defaultValue : Durations.parse(key, raw);
  }

  /** {@code true} or {@code false}, any case. */
  static boolean bool(Map<String, String> options, String key, boolean defaultValue) {
    String raw = options.get(key);
    if (raw == null) {
      return defaultValue;
    }
    String s = raw.trim();
    if (s.equalsIgnoreCase("true")) {
      return true;
    }
    if (s.equalsIgnoreCase("false")) {
      return false;
    }
    throw new IllegalArgumentException(key + ": '" + raw + "' (expected: true or false)");
  }

  /** A number from 0 to 1, e.g. {@code 0.5}. */
  static double fraction(Map<String, String> options, String key, double defaultValue) {
    String raw = options.get(key);
    if (raw == null) {
      return defaultValue;
    }
    double d;
    try {
      d = Double.parseDouble(raw.trim());
    } catch (NumberFormatException e) {
      d = Double.NaN;
    }
    if (!(d >= 0 && d <= 1)) { // also rejects NaN
      throw new IllegalArgumentException(
          key + ": '" + raw + "' (expected: a number from 0 to 1, e.g. 0.5)");
    }
    return d;
  }
}
