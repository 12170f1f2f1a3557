package dev.whaleray.reference;

import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * The admin API's settings ({@code admin: { token: null, registry: memory }}, {@code
 * WHALERAY_ADMIN_TOKEN}, {@code WHALERAY_REGISTRY}): the bearer token writes need (none: writes
 * answer 403) and where registrations live. Immutable.
 */
final class AdminSettings {
  /** Registrations in this task's memory, routed by this task only. */
  static final String MEMORY = "memory";

  /** Registrations as Cloud Map instances, routed by every task whose discovery reads Cloud Map. */
  static final String CLOUDMAP = "cloudmap";

  static final AdminSettings DEFAULTS = new AdminSettings(null, MEMORY);

  final @Nullable String token;
  final String registry;

  private AdminSettings(@Nullable String token, String registry) {
    this.token = token;
    this.registry = registry;
  }

  /** These settings overridden by the file's {@code admin:} section. */
  AdminSettings withFile(YamlFile.Value section) {
    Map<String, YamlFile.Value> m =
        section.mapping(new LinkedHashSet<>(List.of("token", "registry")));
    String t = token;
    String r = registry;
    YamlFile.Value v;
    if ((v = m.get("token")) != null) {
      try {
        t = v.isNull() ? null : token(v.scalar());
      } catch (IllegalArgumentException e) {
        throw v.error(String.valueOf(e.getMessage()));
      }
    }
    if ((v = m.get("registry")) != null) {
      try {
        r = registry(v.scalar());
      } catch (IllegalArgumentException e) {
        throw v.error(String.valueOf(e.getMessage()));
      }
    }
    return new AdminSettings(t, r);
  }

  /** These settings overridden by {@code WHALERAY_ADMIN_TOKEN} and {@code WHALERAY_REGISTRY}. */
  AdminSettings withEnv(Map<String, String> env) {
    String t = token;
    String r = registry;
    String v;
    if ((v = env.get("WHALERAY_ADMIN_TOKEN")) != null) {
      try {
        t = v.isEmpty() ? null : token(v);
      } catch (IllegalArgumentException e) {
        throw new ConfigException("WHALERAY_ADMIN_TOKEN: " + e.getMessage(), e);
      }
    }
    if ((v = env.get("WHALERAY_REGISTRY")) != null) {
      try {
        r = registry(v);
      } catch (IllegalArgumentException e) {
        throw new ConfigException("WHALERAY_REGISTRY: " + e.getMessage(), e);
      }
    }
    return new AdminSettings(t, r);
  }

  /**
   * A token must fit an {@code Authorization} header as one word: visible ASCII, no space. The
   * message never repeats it (it is a secret).
   */
  private static String token(String text) {
    if (text.isEmpty() || text.length() > 4096) {
      throw new IllegalArgumentException("expected 1 to 4096 characters, found " + text.length());
    }
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (c <= 0x20 || c >= 0x7f) {
        throw new IllegalArgumentException(
            "character " + (i + 1) + " is not visible ASCII (expected: no space or control byte)");
      }
    }
    return text;
  }

  private static String registry(String text) {
    String r = text.trim();
    if (!r.equals(MEMORY) && !r.equals(CLOUDMAP)) {
      throw new IllegalArgumentException("'" + text + "' (expected: memory or cloudmap)");
    }
    return r;
  }

  @Override
  public String toString() {
    return "admin{token " + (token == null ? "none" : "set") + ", registry " + registry + "}";
  }
}
