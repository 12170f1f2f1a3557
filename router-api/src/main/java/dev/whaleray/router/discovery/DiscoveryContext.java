package dev.whaleray.router.discovery;

import static java.util.Objects.requireNonNull;

import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.ScheduledExecutorService;
import org.jspecify.annotations.Nullable;

/**
 * What a {@link DiscoveryProvider} gets to build a discovery: the settings of the router, the
 * config file (if any) and the shared control scheduler. One object rather than parameters, so a
 * new field needs no new method. Immutable and thread-safe.
 */
public final class DiscoveryContext {
  private final Map<String, String> settings;
  private final @Nullable Path configFile;
  private final ScheduledExecutorService scheduler;

  private DiscoveryContext(
      Map<String, String> settings, @Nullable Path configFile, ScheduledExecutorService scheduler) {
    this.settings = settings;
    this.configFile = configFile;
    this.scheduler = scheduler;
  }

  /**
   * A context.
   *
   * @param settings flat settings named like the reference router's variables without the prefix,
   *     in camel case ({@code namespace}, {@code backendPort}, {@code dnsServers})
   * @param configFile the YAML file the router was started with, or null
   * @param scheduler the control scheduler for background work; never run blocking IO on it
   */
  public static DiscoveryContext of(
      Map<String, String> settings, @Nullable Path configFile, ScheduledExecutorService scheduler) {
    return new DiscoveryContext(
        Map.copyOf(requireNonNull(settings, "settings")),
        configFile,
        requireNonNull(scheduler, "scheduler"));
  }

  /** Every setting; see {@link #of}. */
  public Map<String, String> settings() {
    return settings;
  }

  /** One setting, or {@code defaultValue} when unset. */
  public String setting(String name, String defaultValue) {
    return settings.getOrDefault(name, defaultValue);
  }

  /** The YAML config file, or null when the router runs without one. */
  public @Nullable Path configFile() {
    return configFile;
  }

  /** The control scheduler shared by discovery and load balancing. */
  public ScheduledExecutorService scheduler() {
    return scheduler;
  }
}
