package dev.whaleray.reference.soak;

import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;

/**
 * The soak run's knobs, read from {@code soak.*} system properties (an empty value means the
 * default, so the Maven profile can forward every property unconditionally). Every duration and
 * count is bounded: the run can never take more than {@link #MAX_MINUTES} of traffic.
 */
record SoakSettings(
    double minutes,
    int warmupSeconds,
    int quietSeconds,
    int workers,
    int slowClients,
    int stallers,
    int backends,
    int churnMillis,
    int restartEverySeconds,
    int drainSeconds,
    int thinkMillis,
    int stallLimitSeconds,
    Path jar,
    Path outputDir,
    List<String> routerJvmArgs) {

  /** The bound on one soak run's traffic phase. */
  static final double MAX_MINUTES = 30;

  /** Reads the settings from {@code props}; throws naming the property when one is out of range. */
  static SoakSettings from(Properties props) {
    Reader r = new Reader(props);
    double minutes = r.decimal("soak.minutes", 30, 0.1, MAX_MINUTES);
    return new SoakSettings(
        minutes,
        r.integer("soak.warmupSeconds", 30, 5, 300),
        // Above the router's 30 s upstream idle timeout and XNIO's 60 s worker keep-alive, so
        // pooled
        // connections and surplus worker threads are gone when the figures are taken.
        r.integer("soak.quietSeconds", 75, 0, 600),
        r.integer("soak.workers", 16, 1, 64),
        r.integer("soak.slowClients", 24, 0, 100),
        r.integer("soak.stallers", 4, 0, 20),
        r.integer("soak.backends", 6, 3, 20),
        r.integer("soak.churnMillis", 1000, 200, 10_000),
        r.integer("soak.restartEverySeconds", 25, 5, 600),
        r.integer("soak.drainSeconds", 20, 1, 120),
        r.integer("soak.thinkMillis", 10, 0, 1000),
        r.integer("soak.stallLimitSeconds", 90, 10, 300),
        Path.of(r.text("soak.jar", "target/whaleray-router.jar")),
        Path.of(r.text("soak.outputDir", "target/soak")),
        // SoftRefLRUPolicyMSPerMB=0: every GC clears soft references, so the heap after a full GC
        // counts live data, not JDK caches (reflection) that a GC keeps or drops by their age.
        List.of(
            r.text(
                    "soak.routerJvmArgs",
                    "-Xmx128m -XX:+ExitOnOutOfMemoryError -XX:SoftRefLRUPolicyMSPerMB=0")
                .split("\\s+")));
  }

  Duration traffic() {
    return Duration.ofMillis((long) (minutes * 60_000));
  }

  /** The settings as {@code name = value} lines, for the report. */
  Map<String, String> describe() {
    Map<String, String> m = new LinkedHashMap<>();
    m.put("soak.minutes", fmt(minutes));
    m.put("soak.warmupSeconds", Integer.toString(warmupSeconds));
    m.put("soak.quietSeconds", Integer.toString(quietSeconds));
    m.put("soak.workers", Integer.toString(workers));
    m.put("soak.slowClients", Integer.toString(slowClients));
    m.put("soak.stallers", Integer.toString(stallers));
    m.put("soak.backends", Integer.toString(backends));
    m.put("soak.churnMillis", Integer.toString(churnMillis));
    m.put("soak.restartEverySeconds", Integer.toString(restartEverySeconds));
    m.put("soak.drainSeconds", Integer.toString(drainSeconds));
    m.put("soak.thinkMillis", Integer.toString(thinkMillis));
    m.put("soak.stallLimitSeconds", Integer.toString(stallLimitSeconds));
    m.put("soak.routerJvmArgs", String.join(" ", routerJvmArgs));
    return m;
  }

  private static String fmt(double d) {
    return d == Math.rint(d) ? Long.toString((long) d) : Double.toString(d);
  }

  /** Property parsing with the property's name in every error. */
  private static final class Reader {
    private final Properties props;

    Reader(Properties props) {
      this.props = props;
    }

    String text(String name, String fallback) {
      String v = props.getProperty(name);
      return v == null || v.isBlank() ? fallback : v.trim();
    }

    int integer(String name, int fallback, int min, int max) {
      String v = text(name, Integer.toString(fallback));
      try {
        int n = Integer.parseInt(v);
        if (n >= min && n <= max) {
          return n;
        }
      } catch (NumberFormatException e) {
        // fall through
      }
      throw new IllegalArgumentException(
          name + "='" + v + "' (expected a whole number from " + min + " to " + max + ")");
    }

    double decimal(String name, double fallback, double min, double max) {
      String v = text(name, Double.toString(fallback));
      try {
        double d = Double.parseDouble(v);
        if (d >= min && d <= max) {
          return d;
        }
      } catch (NumberFormatException e) {
        // fall through
      }
      throw new IllegalArgumentException(
          name + "='" + v + "' (expected a number from " + min + " to " + max + ")");
    }
  }
}
