package dev.whaleray.discovery.cloudmap.internal;

import static java.util.Objects.requireNonNull;

import dev.whaleray.router.settings.Durations;
import java.time.Duration;
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
   * A duration from {@code min} to {@code max} in the grammar of {@link Durations}, or {@code
   * defaultValue} when unset.
   */
  public Duration duration(String key, Duration defaultValue, Duration min, Duration max) {
    Duration d = optionalDuration(key, min, max);
    return d == null ? defaultValue : d;
  }

  /** A duration from {@code min} to {@code max}, or null when unset. */
  public @Nullable Duration optionalDuration(String key, Duration min, Duration max) {
    String v = optional(key);
    return v == null ? null : Durations.parse(key, v, min, max);
  }
}
