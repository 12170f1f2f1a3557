package dev.whaleray.reference;

import java.time.Duration;

/** Parses durations the nginx way: {@code 500ms}, {@code 10s}, {@code 2m}, {@code 1h}. */
final class Durations {
  private Durations() {}

  /**
   * @throws IllegalArgumentException naming {@code field} and the expected form
   */
  static Duration parse(String field, String text) {
    String t = text.trim();
    int i = 0;
    while (i < t.length() && Character.isDigit(t.charAt(i))) {
      i++;
    }
    if (i == 0 || i > 12) {
      throw bad(field, text);
    }
    long n = Long.parseLong(t.substring(0, i));
    Duration d;
    switch (t.substring(i).trim()) {
      case "ms":
        d = Duration.ofMillis(n);
        break;
      case "s":
      case "":
        d = Duration.ofSeconds(n);
        break;
      case "m":
        d = Duration.ofMinutes(n);
        break;
      case "h":
        d = Duration.ofHours(n);
        break;
      default:
        throw bad(field, text);
    }
    if (d.compareTo(MAX) > 0) {
      throw new ConfigException(field + ": '" + text + "' (expected: at most 24h)");
    }
    return d;
  }

  /** The longest duration accepted: a day is more than any timeout or grace period needs. */
  static final Duration MAX = Duration.ofHours(24);

  private static ConfigException bad(String field, String text) {
    return new ConfigException(
        field + ": '" + text + "' (expected: a duration such as 500ms, 10s, 2m or 1h)");
  }
}
