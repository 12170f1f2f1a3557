package dev.whaleray.loadbalancing;

import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.Locale;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * Reads policy options ({@link dev.whaleray.router.lb.LbContext#options()}) on the control plane. A
 * bad value throws {@link IllegalArgumentException} naming the option, the value and what was
 * expected, e.g. {@code slowStart: 'x' (expected: a duration such as 30s)}. Keys a policy does not
 * know are ignored: one options map may serve several policies and the router's own settings.
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
   * A duration: {@code 0}, a whole number with a unit {@code ms}, {@code s}, {@code m} or {@code h}
   * ({@code 500ms}, {@code 30s}, {@code 2m}), or ISO-8601 ({@code PT30S}); never negative.
   */
  static Duration duration(Map<String, String> options, String key, Duration defaultValue) {
    String raw = options.get(key);
    if (raw == null) {
      return defaultValue;
    }
    Duration d = parseDuration(raw.trim());
    if (d == null || d.isNegative()) {
      throw new IllegalArgumentException(
          key + ": '" + raw + "' (expected: a duration such as 30s)");
    }
    return d;
  }

  private static @Nullable Duration parseDuration(String s) {
    if (s.equals("0")) {
      return Duration.ZERO;
    }
    if (!s.isEmpty() && (s.charAt(0) == 'P' || s.charAt(0) == 'p')) {
      try {
        return Duration.parse(s);
      } catch (DateTimeParseException e) {
        return null;
      }
    }
    int digits = 0;
    while (digits < s.length() && s.charAt(digits) >= '0' && s.charAt(digits) <= '9') {
      digits++;
    }
    if (digits == 0 || digits > 12) {
      return null;
    }
    long amount = Long.parseLong(s.substring(0, digits));
    switch (s.substring(digits).toLowerCase(Locale.ROOT)) {
      case "ms":
        return Duration.ofMillis(amount);
      case "s":
        return Duration.ofSeconds(amount);
      case "m":
        return Duration.ofMinutes(amount);
      case "h":
        return Duration.ofHours(amount);
      default:
        return null;
    }
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
