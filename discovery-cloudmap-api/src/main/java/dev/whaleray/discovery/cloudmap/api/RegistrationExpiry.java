package dev.whaleray.discovery.cloudmap.api;

import dev.whaleray.router.Endpoint;
import dev.whaleray.router.EndpointSet;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * The expiry of instances registered through {@link CloudMapRegistry}: their attribute {@value
 * CloudMapRegistry#EXPIRES_AT_ATTRIBUTE} holds the epoch milliseconds after which no router routes
 * to them, even when the task that registered them died before removing them. Stateless.
 */
final class RegistrationExpiry {
  private RegistrationExpiry() {}

  /**
   * True when the attributes carry an expiry that has passed (a malformed one counts as passed).
   */
  static boolean lapsed(Map<String, String> attributes, long nowMillis) {
    String at = attributes.get(CloudMapRegistry.EXPIRES_AT_ATTRIBUTE);
    if (at == null) {
      return false;
    }
    try {
      return Long.parseLong(at.trim()) <= nowMillis;
    } catch (NumberFormatException e) {
      return true;
    }
  }

  /**
   * True when an endpoint of {@code set} has lapsed since it was fetched: the revision does not
   * change when time passes, so the poll must fetch the instances again.
   */
  static boolean due(@Nullable EndpointSet set, long nowMillis) {
    if (set == null) {
      return false;
    }
    for (Endpoint e : set.endpoints()) {
      if (!e.attributes().isEmpty() && lapsed(e.attributes(), nowMillis)) {
        return true;
      }
    }
    return false;
  }
}
