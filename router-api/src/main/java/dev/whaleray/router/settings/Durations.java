package dev.whaleray.router.settings;

import static java.util.Objects.requireNonNull;

import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.Locale;
import org.jspecify.annotations.Nullable;

/**
 * The one duration grammar of WhaleRay settings, so {@code 30s} means the same in the YAML file, a
 * variable, a discovery setting and a load-balancing option. Stateless and thread-safe.
 *
 * <p>Accepted, surrounding spaces ignored, letters in any case: a whole number with a unit {@code
 * ms}, {@code s}, {@code m} or {@code h} ({@code 250ms}, {@code 30s}, {@code 2m}, {@code 1h}); a
 * bare whole number, read as seconds like nginx does ({@code 0}, {@code 10}); ISO-8601 ({@code
 * PT30S}). Never negative. Anything else throws an {@link IllegalArgumentException} naming the
 * setting, the text and the forms expected, e.g. {@code slowStart: '5 parsecs' (expected: a
 * duration such as 500ms, 10s, 2m or 1h)}.
 */
public final class Durations {
  private static final String EXPECTED = "(expected: a duration such as 500ms, 10s, 2m or 1h)";

  private Durations() {}

  /**
   * Parses {@code text}.
   *
   * @param name the setting, for the error message
   * @throws IllegalArgumentException naming the setting and the text when it is not a duration
   */
  public static Duration parse(String name, String text) {
    requireNonNull(name, "name");
    Duration d = parseOrNull(requireNonNull(text, "text").trim());
    if (d == null || d.isNegative()) {
      throw new IllegalArgumentException(name + ": '" + text + "' " + EXPECTED);
    }
    return d;
  }

  /**
   * Parses {@code text} and checks it is from {@code min} to {@code max}, both included.
   *
   * @throws IllegalArgumentException naming the setting, the text and the range
   */
  public static Duration parse(String name, String text, Duration min, Duration max) {
    Duration d = parse(name, text);
    if (d.compareTo(min) < 0 || d.compareTo(max) > 0) {
      throw new IllegalArgumentException(
          name + ": '" + text + "' (expected: from " + format(min) + " to " + format(max) + ")");
    }
    return d;
  }

  /**
   * {@code d} when it is above zero, for settings given as a {@link Duration} in code.
   *
   * @throws IllegalArgumentException naming the setting, e.g. {@code interval: PT0S (expected: >
   *     0)}
   */
  public static Duration requirePositive(String name, Duration d) {
    requireNonNull(d, name);
    if (d.isNegative() || d.isZero()) {
      throw new IllegalArgumentException(name + ": " + d + " (expected: > 0)");
    }
    return d;
  }

  /**
   * The shortest exact form in this grammar: {@code 500ms}, {@code 10s}, {@code 2m}, {@code 1h}.
   */
  public static String format(Duration duration) {
    long ms = duration.toMillis();
    if (ms != 0 && ms % 3_600_000 == 0) {
      return ms / 3_600_000 + "h";
    }
    if (ms != 0 && ms % 60_000 == 0) {
      return ms / 60_000 + "m";
    }
    if (ms % 1000 == 0) {
      return ms / 1000 + "s";
    }
    return ms + "ms";
  }

  private static @Nullable Duration parseOrNull(String s) {
    if (!s.isEmpty() && (s.charAt(0) == 'P' || s.charAt(0) == 'p')) {
      try {
        Duration d = Duration.parse(s);
        d.toMillis(); // callers count in millis: refuse what they cannot
        return d;
      } catch (DateTimeParseException | ArithmeticException e) {
        return null;
      }
    }
    int digits = 0;
    while (digits < s.length() && s.charAt(digits) >= '0' && s.charAt(digits) <= '9') {
      digits++;
    }
    if (digits == 0 || digits > 12) { // 12 digits of hours still fit a Duration's millis
      return null;
    }
    long amount = Long.parseLong(s.substring(0, digits));
    switch (s.substring(digits).toLowerCase(Locale.ROOT)) {
      case "ms":
        return Duration.ofMillis(amount);
      case "":
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
}
