package dev.whaleray.reference;

import java.time.Duration;

/**
 * The router's durations: router-api's one grammar ({@code 500ms}, {@code 10s}, {@code 2m}, {@code
 * 1h}, a bare number of seconds, ISO-8601), capped at a day, with errors as {@link
 * ConfigException}s.
 */
final class Durations {
  private Durations() {}

  /** The longest duration accepted: a day is more than any timeout or grace period needs. */
  static final Duration MAX = Duration.ofHours(24);

  /**
   * @throws ConfigException naming {@code field} and the expected form
   */
  static Duration parse(String field, String text) {
    Duration d;
    try {
      d = dev.whaleray.router.settings.Durations.parse(field, text);
    } catch (IllegalArgumentException e) {
      throw new ConfigException(String.valueOf(e.getMessage()), e);
    }
    if (d.compareTo(MAX) > 0) {
      throw new ConfigException(field + ": '" + text + "' (expected: at most 24h)");
    }
    return d;
  }
}
