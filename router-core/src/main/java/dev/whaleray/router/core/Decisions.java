package dev.whaleray.router.core;

import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.event.Level;

/**
 * The log lines of the cluster's decisions (an endpoint ejected or back, healthy or unhealthy, a
 * circuit opened or closed), through SLF4J with the facts as key-values ({@code event}, {@code
 * service}, {@code endpoint}): a JSON encoder writes them as fields an operator can filter on.
 */
final class Decisions {
  private Decisions() {}

  static void log(
      Logger log,
      Level level,
      String event,
      String service,
      @Nullable String endpoint,
      Supplier<String> message) {
    if (!log.isEnabledForLevel(level)) {
      return;
    }
    var line = log.atLevel(level).addKeyValue("event", event).addKeyValue("service", service);
    if (endpoint != null) {
      line = line.addKeyValue("endpoint", endpoint);
    }
    line.log(message);
  }
}
