package dev.whaleray.router;

import org.jspecify.annotations.Nullable;

/** Service-name rules shared by routes and the route table. */
final class ServiceNames {
  private ServiceNames() {}

  /**
   * The lower-case service name when {@code s} is a valid RFC 1123 DNS label (1-63 characters of
   * letters, digits and '-', not starting or ending with '-'), else null. Allocates only when
   * {@code s} holds upper-case letters.
   */
  static @Nullable String normalize(String s) {
    int n = s.length();
    if (n == 0 || n > 63 || s.charAt(0) == '-' || s.charAt(n - 1) == '-') {
      return null;
    }
    boolean upper = false;
    for (int i = 0; i < n; i++) {
      char c = s.charAt(i);
      if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-') {
        continue;
      }
      if (c >= 'A' && c <= 'Z') {
        upper = true;
        continue;
      }
      return null;
    }
    return upper ? s.toLowerCase(java.util.Locale.ROOT) : s;
  }
}
