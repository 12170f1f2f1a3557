package dev.whaleray.reference;

import java.util.Locale;

/** Byte sizes as nginx writes them: {@code 1024}, {@code 64k}, {@code 10m}, {@code 1g}. */
final class Sizes {
  private Sizes() {}

  /**
   * Parses a size.
   *
   * @throws IllegalArgumentException with a message quoting the text and saying what is expected
   */
  static long parse(String text) {
    String t = text.trim().toLowerCase(Locale.ROOT);
    long unit = 1;
    if (!t.isEmpty()) {
      switch (t.charAt(t.length() - 1)) {
        case 'k':
          unit = 1L << 10;
          break;
        case 'm':
          unit = 1L << 20;
          break;
        case 'g':
          unit = 1L << 30;
          break;
        default:
          break;
      }
    }
    String digits = unit == 1 ? t : t.substring(0, t.length() - 1);
    if (digits.isEmpty() || digits.length() > 12 || !digits.chars().allMatch(Character::isDigit)) {
      throw new IllegalArgumentException(
          "'" + text + "' (expected: a size such as 1048576, 64k, 10m or 1g)");
    }
    return Long.parseLong(digits) * unit;
  }
}
