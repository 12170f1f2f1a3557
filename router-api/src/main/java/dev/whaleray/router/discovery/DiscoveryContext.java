package dev.whaleray.router.discovery;

import static java.util.Objects.requireNonNull;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ScheduledExecutorService;
import org.jspecify.annotations.Nullable;

/**
 * What a {@link DiscoveryProvider} gets to build a discovery: the settings of the router, the
 * config file (if any) and the shared control scheduler. One object rather than parameters, so a
 * new field needs no new method. Immutable and thread-safe; made by {@link #builder()}.
 */
public final class DiscoveryContext {
  private final Map<String, String> settings;
  private final @Nullable Path configFile;
  private final ScheduledExecutorService scheduler;

  private DiscoveryContext(Builder b, ScheduledExecutorService scheduler) {
    this.settings = Map.copyOf(b.settings);
    this.configFile = b.configFile;
    this.scheduler = scheduler;
  }

  /** A builder; only the scheduler is required. */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * A context; the same as {@code builder().settings(settings).configFile(configFile)
   * .scheduler(scheduler).build()}.
   *
   * @param settings flat settings named like the reference router's variables without the prefix,
   *     in camel case ({@code namespace}, {@code backendPort}, {@code dnsServers})
   * @param configFile the YAML file the router was started with, or null
   * @param scheduler the control scheduler for background work; never run blocking IO on it
   */
  public static DiscoveryContext of(
      Map<String, String> settings, @Nullable Path configFile, ScheduledExecutorService scheduler) {
    return builder().settings(settings).configFile(configFile).scheduler(scheduler).build();
  }

  /** Every setting; see {@link Builder#settings}. */
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

  /**
   * Builds a {@link DiscoveryContext}; {@link #build()} copies, so a reused builder never changes a
   * context already built. Not thread-safe.
   */
  public static final class Builder {
    private final Map<String, String> settings = new LinkedHashMap<>();
    private @Nullable Path configFile;
    private @Nullable ScheduledExecutorService scheduler;

    private Builder() {}

    /**
     * Replaces every setting: flat settings named like the reference router's variables without the
     * prefix, in camel case ({@code namespace}, {@code backendPort}, {@code dnsServers}).
     */
    public Builder settings(Map<String, String> settings) {
      Map<String, String> copy = Map.copyOf(requireNonNull(settings, "settings")); // no nulls
      this.settings.clear();
      this.settings.putAll(copy);
      return this;
    }

    /** Adds or replaces one setting. */
    public Builder setting(String name, String value) {
      settings.put(requireNonNull(name, "name"), requireNonNull(value, "value"));
      return this;
    }

    /** The YAML file the router was started with; null (the default) when there is none. */
    public Builder configFile(@Nullable Path configFile) {
      this.configFile = configFile;
      return this;
    }

    /** The control scheduler for background work (required); never run blocking IO on it. */
    public Builder scheduler(ScheduledExecutorService scheduler) {
      this.scheduler = requireNonNull(scheduler, "scheduler");
      return this;
    }

    /**
     * A context with what was set so far.
     *
     * @throws IllegalStateException when no scheduler was set
     */
    public DiscoveryContext build() {
      ScheduledExecutorService s = scheduler;
      if (s == null) {
        throw new IllegalStateException("scheduler: not set (expected: builder().scheduler(...))");
      }
      return new DiscoveryContext(this, s);
    }
  }
}
