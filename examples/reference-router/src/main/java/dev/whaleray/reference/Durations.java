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
        throw bad(field, text);
    }
  }

  private static IllegalArgumentException bad(String field, String text) {
    return new IllegalArgumentException(
        field + ": '" + text + "' (expected: a duration such as 500ms, 10s, 2m or 1h)");
  }
}
