package dev.whaleray.examples.filelines;

import dev.whaleray.router.discovery.Discovery;
import dev.whaleray.router.discovery.DiscoveryContext;
import dev.whaleray.router.discovery.DiscoveryProvider;
import dev.whaleray.router.settings.Durations;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * The {@code file-lines} discovery ({@code WHALERAY_DISCOVERY=file-lines}): endpoints of service
 * {@code id} are the lines of the file {@code <dir>/id}; see {@link FileLinesDiscovery}.
 *
 * <p>Settings: {@code fileLinesDir} (YAML {@code discovery.settings.fileLinesDir}, or the variable
 * {@code WHALERAY_FILE_LINES_DIR}): the directory, required; {@code fileLinesRefresh} ({@code
 * WHALERAY_FILE_LINES_REFRESH}, default {@code 1s}): how often watched services are re-read, a
 * duration in the router's grammar ({@link Durations}). Any other setting name given for it is
 * refused at start-up ({@link #settingNames()}).
 *
 * <p>Found by {@link java.util.ServiceLoader} through {@code
 * META-INF/services/dev.whaleray.router.discovery.DiscoveryProvider}: a public class with a public
 * no-argument constructor, stateless and thread-safe.
 */
public final class FileLinesDiscoveryProvider implements DiscoveryProvider {

  /** The provider name: the value of {@code WHALERAY_DISCOVERY}. */
  public static final String NAME = "file-lines";

  private static final String DIR = "fileLinesDir";
  private static final String REFRESH = "fileLinesRefresh";
  private static final Set<String> SETTINGS = Set.of(DIR, REFRESH);
  private static final Duration DEFAULT_REFRESH = Duration.ofSeconds(1);

  @Override
  public String name() {
    return NAME;
  }

  /** {@code fileLinesDir} and {@code fileLinesRefresh}: the router refuses any other name. */
  @Override
  public Set<String> settingNames() {
    return SETTINGS;
  }

  /**
   * {@inheritDoc}
   *
   * <p>Checks what {@link #newDiscovery} reads, variables included: the directory is set and
   * exists, the refresh is a duration from 10ms to 24h.
   */
  @Override
  public void validate(Map<String, String> settings) {
    DiscoveryProvider.super.validate(settings);
    directory(settings);
    refresh(settings);
  }

  /**
   * {@inheritDoc}
   *
   * @throws IllegalArgumentException naming the setting when the directory is missing or the
   *     refresh is not a duration
   */
  @Override
  public Discovery newDiscovery(DiscoveryContext context) {
    Map<String, String> settings = context.settings();
    return new FileLinesDiscovery(directory(settings), refresh(settings), context.scheduler());
  }

  private static Path directory(Map<String, String> settings) {
    String dir = setting(settings, DIR, "WHALERAY_FILE_LINES_DIR");
    if (dir == null) {
      throw new IllegalArgumentException(
          "fileLinesDir: not set (expected: a directory, e.g. WHALERAY_FILE_LINES_DIR=/etc/whaleray/services)");
    }
    Path path = Path.of(dir);
    if (!Files.isDirectory(path)) {
      throw new IllegalArgumentException("fileLinesDir: '" + dir + "' (expected: a directory)");
    }
    return path;
  }

  private static Duration refresh(Map<String, String> settings) {
    String refresh = setting(settings, REFRESH, "WHALERAY_FILE_LINES_REFRESH");
    // The router's duration grammar, so 500ms, 2s or PT1S mean here what they mean elsewhere.
    return refresh == null
        ? DEFAULT_REFRESH
        : Durations.parse(REFRESH, refresh, Duration.ofMillis(10), Duration.ofHours(24));
  }

  /** The router passes its own settings; a plugin may read its own variables too. */
  private static @Nullable String setting(
      Map<String, String> settings, String key, String variable) {
    String v = settings.get(key);
    if (v == null || v.isBlank()) {
      v = System.getenv(variable);
    }
    return v == null || v.isBlank() ? null : v.trim();
  }
}
