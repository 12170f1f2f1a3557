package dev.whaleray.examples.filelines;

import dev.whaleray.router.discovery.Discovery;
import dev.whaleray.router.discovery.DiscoveryContext;
import dev.whaleray.router.discovery.DiscoveryProvider;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.jspecify.annotations.Nullable;

/**
 * The {@code file-lines} discovery ({@code WHALERAY_DISCOVERY=file-lines}): endpoints of service
 * {@code id} are the lines of the file {@code <dir>/id}; see {@link FileLinesDiscovery}.
 *
 * <p>Settings: {@code fileLinesDir} (YAML {@code discovery.settings.fileLinesDir}, or the variable
 * {@code WHALERAY_FILE_LINES_DIR}): the directory, required; {@code fileLinesRefresh} ({@code
 * WHALERAY_FILE_LINES_REFRESH}, default {@code 1s}): how often watched services are re-read.
 *
 * <p>Found by {@link java.util.ServiceLoader} through {@code
 * META-INF/services/dev.whaleray.router.discovery.DiscoveryProvider}: a public class with a public
 * no-argument constructor, stateless and thread-safe.
 */
public final class FileLinesDiscoveryProvider implements DiscoveryProvider {

  /** The provider name: the value of {@code WHALERAY_DISCOVERY}. */
  public static final String NAME = "file-lines";

  @Override
  public String name() {
    return NAME;
  }

  /**
   * {@inheritDoc}
   *
   * @throws IllegalArgumentException naming the setting when the directory is missing or the
   *     refresh is not a duration
   */
  @Override
  public Discovery newDiscovery(DiscoveryContext context) {
    // The router passes its own settings; a plugin may read its own variables too.
    String dir = setting(context, "fileLinesDir", "WHALERAY_FILE_LINES_DIR", null);
    if (dir == null) {
      throw new IllegalArgumentException(
          "fileLinesDir: not set (expected: a directory, e.g. WHALERAY_FILE_LINES_DIR=/etc/whaleray/services)");
    }
    Path path = Path.of(dir);
    if (!Files.isDirectory(path)) {
      throw new IllegalArgumentException("fileLinesDir: '" + dir + "' (expected: a directory)");
    }
    String refresh = setting(context, "fileLinesRefresh", "WHALERAY_FILE_LINES_REFRESH", "1s");
    return new FileLinesDiscovery(
        path, parseDuration("fileLinesRefresh", String.valueOf(refresh)), context.scheduler());
  }

  private static @Nullable String setting(
      DiscoveryContext context, String key, String variable, @Nullable String defaultValue) {
    String v = context.settings().get(key);
    if (v == null || v.isBlank()) {
      v = System.getenv(variable);
    }
    return v == null || v.isBlank() ? defaultValue : v.trim();
  }

  /** {@code 250ms}, {@code 2s}, {@code 1m}. */
  static Duration parseDuration(String key, String text) {
    try {
      Duration d;
      if (text.endsWith("ms")) {
        d = Duration.ofMillis(Long.parseLong(text.substring(0, text.length() - 2)));
      } else if (text.endsWith("s")) {
        d = Duration.ofSeconds(Long.parseLong(text.substring(0, text.length() - 1)));
      } else if (text.endsWith("m")) {
        d = Duration.ofMinutes(Long.parseLong(text.substring(0, text.length() - 1)));
      } else {
        d = Duration.ofSeconds(Long.parseLong(text));
      }
      if (d.toMillis() >= 10) {
        return d;
      }
    } catch (NumberFormatException e) {
      // below
    }
    throw new IllegalArgumentException(
        key + ": '" + text + "' (expected: a duration of at least 10ms, e.g. 500ms, 2s or 1m)");
  }
}
