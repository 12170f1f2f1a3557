package dev.whaleray.discovery.cloudmap.internal;

import static java.util.Objects.requireNonNull;

import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * Reads the flat settings of a {@link dev.whaleray.router.discovery.DiscoveryContext}: every error
 * is an {@link IllegalArgumentException} naming the setting, the value and what was expected, e.g.
 * {@code dnsTimeout: 'abc' (expected: a duration such as 500ms, 10s, 2m or 1h)}. Immutable and
 * thread-safe.
 */
public final class Settings {
  private final Map<String, String> values;

  /** Settings over a copy of {@code values}. */
  public Settings(Map<String, String> values) {
    this.values = Map.copyOf(requireNonNull(values, "values"));
  }

  /** The trimmed value, or null when unset or blank. */
  public @Nullable String optional(String key) {
    String v = values.get(key);
    if (v == null) {
      return null;
    }
    v = v.trim();
    return v.isEmpty() ? null : v;
  }

  /** The trimmed value, or {@code defaultValue} when unset or blank. */
  public String string(String key, String defaultValue) {
    String v = optional(key);
    return v == null ? defaultValue : v;
  }

  /** An integer from {@code min} to {@code max}, or {@code defaultValue} when unset. */
  public int integer(String key, int defaultValue, int min, int max) {
    String v = optional(key);
    if (v == null) {
      return defaultValue;
    }
    try {
      int n = Integer.parseInt(v);
      if (n >= min && n <= max) {
        return n;
      }
    } catch (NumberFormatException e) {
      // below
    }
    throw new IllegalArgumentException(
        key + ": '" + v + "' (expected: a number from " + min + " to " + max + ")");
  }

  /**
   * A duration from {@code min} to {@code max}, or {@code defaultValue} when unset; see {@link
   * #parseDuration}.
   */
  public Duration duration(String key, Duration defaultValue, Duration min, Duration max) {
    Duration d = optionalDuration(key, min, max);
    return d == null ? defaultValue : d;
  }

  /** A duration from {@code min} to {@code max}, or null when unset. */
  public @Nullable Duration optionalDuration(String key, Duration min, Duration max) {
    String v = optional(key);
    if (v == null) {
      return null;
    }
    Duration d = parseDuration(key, v);
    if (d.compareTo(min) < 0 || d.compareTo(max) > 0) {
      throw new IllegalArgumentException(
          key + ": '" + v + "' (expected: from " + format(min) + " to " + format(max) + ")");
    }
    return d;
  }

  /**
   * Parses a duration the nginx way, as the reference router does: {@code 500ms}, {@code 10s},
   * {@code 2m}, {@code 1h}; a bare number is seconds.
   *
   * @throws IllegalArgumentException naming {@code key}
   */
  public static Duration parseDuration(String key, String text) {
    String t = text.trim().toLowerCase(Locale.ROOT);
    int i = 0;
    while (i < t.length() && Character.isDigit(t.charAt(i))) {
      i++;
    }
    if (i == 0 || i > 12) {
      throw badDuration(key, text);
    }
    long n = Long.parseLong(t.substring(0, i));
    switch (t.substring(i).trim()) {
      case "ms":
        return Duration.ofMillis(n);
      case "s":
      case "":
        return Duration.ofSeconds(n);
      case "m":
        return Duration.ofMinutes(n);
      case "h":
        return Duration.ofHours(n);
      default:
        throw badDuration(key, text);
    }
  }

  /** {@code 500ms}, {@code 10s}, {@code 2m}, {@code 1h}: the shortest exact form. */
  public static String format(Duration d) {
    long ms = d.toMillis();
    if (ms % 3_600_000 == 0 && ms > 0) {
      return ms / 3_600_000 + "h";
    }
    if (ms % 60_000 == 0 && ms > 0) {
      return ms / 60_000 + "m";
    }
    if (ms % 1000 == 0) {
      return ms / 1000 + "s";
    }
    return ms + "ms";
  }

  private static IllegalArgumentException badDuration(String key, String text) {
    return new IllegalArgumentException(
        key + ": '" + text + "' (expected: a duration such as 500ms, 10s, 2m or 1h)");
  }
}
