package dev.whaleray.discovery.staticlist;

import static java.util.Objects.requireNonNull;

import dev.whaleray.router.Endpoint;
import dev.whaleray.router.EndpointSet;
import dev.whaleray.router.discovery.AbstractDiscovery;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Executor;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;

/**
 * A discovery over a fixed list of endpoints per service, given in code or in the {@code
 * discovery.static} section of the router's YAML file (see {@link StaticConfigParser} for the
 * format).
 *
 * <p>From code:
 *
 * <pre>{@code
 * Discovery discovery =
 *     StaticDiscovery.builder()
 *         .service("demo", Endpoint.of("127.0.0.1", 8081), Endpoint.of("127.0.0.1", 8082))
 *         .build();
 * }</pre>
 *
 * <p>From the file, {@link #fromFile} re-reads it when it changes: every poll interval (1 s by
 * default) it compares the file's modification time and size, and reads it again while they change
 * or are too recent to be trusted; content whose SHA-256 is unchanged is not parsed again. A valid
 * new version is published to every watched service at once (services that left the file become
 * unknown); a broken one is logged with its line and field and ignored, keeping the last good
 * endpoints, until a fixed version appears. Polling works on every filesystem, including bind
 * mounts and network shares where file-watch events are not delivered.
 *
 * <p>A watched service that is not configured is unknown ({@link EndpointSet#isKnown()} false); a
 * service configured with no endpoint is known and empty. Thread-safe.
 */
public final class StaticDiscovery extends AbstractDiscovery {
  private static final System.Logger LOG = System.getLogger(StaticDiscovery.class.getName());

  /** How often {@link #fromFile(Path, ScheduledExecutorService)} checks the file. */
  public static final Duration DEFAULT_POLL_INTERVAL = Duration.ofSeconds(1);

  // A file modified this recently may change again without a visible change of modification time
  // (coarse timestamps: 1 s on ext3 and HFS+, 2 s on FAT), so it is read again until it is older.
  private static final long RACY_MILLIS = 3_000;

  private final @Nullable Path file;
  private final @Nullable ScheduledExecutorService scheduler;
  private volatile Map<String, List<Endpoint>> services;

  // Guards the reload state below and orders publishes: a doWatch() and a reload never interleave,
  // so a service never ends on the older of two configurations.
  private final Object lock = new Object();
  private @Nullable FileTime lastModified;
  private long lastSize = -1;
  private long lastReadMillis;
  private byte @Nullable [] lastDigest;
  private @Nullable String lastProblem;
  private volatile @Nullable ScheduledFuture<?> poller;
  private volatile boolean closed;

  private StaticDiscovery(
      Executor controlExecutor,
      Map<String, List<Endpoint>> services,
      @Nullable Path file,
      @Nullable ScheduledExecutorService scheduler) {
    super(controlExecutor);
    this.services = services;
    this.file = file;
    this.scheduler = scheduler;
  }

  /** A builder for a discovery over endpoints given in code. */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * A discovery over the {@code discovery.static} section of a YAML file, checked for changes every
   * {@link #DEFAULT_POLL_INTERVAL}.
   *
   * @param scheduler runs the file checks and the listener callbacks; never shut down by this
   *     discovery
   * @throws IllegalArgumentException when the file cannot be read or is invalid, naming the line
   *     and field
   */
  public static StaticDiscovery fromFile(Path yamlFile, ScheduledExecutorService scheduler) {
    return fromFile(yamlFile, scheduler, DEFAULT_POLL_INTERVAL);
  }

  /**
   * Like {@link #fromFile(Path, ScheduledExecutorService)}, checking the file every {@code
   * pollInterval}.
   */
  public static StaticDiscovery fromFile(
      Path yamlFile, ScheduledExecutorService scheduler, Duration pollInterval) {
    requireNonNull(yamlFile, "yamlFile");
    requireNonNull(scheduler, "scheduler");
    requireNonNull(pollInterval, "pollInterval");
    if (pollInterval.isNegative() || pollInterval.isZero()) {
      throw new IllegalArgumentException("pollInterval: " + pollInterval + " (expected: > 0)");
    }
    String name = yamlFile.toString();
    long readMillis = System.currentTimeMillis();
    BasicFileAttributes attributes;
    byte[] content;
    try {
      attributes = Files.readAttributes(yamlFile, BasicFileAttributes.class);
      content = StaticConfigParser.read(yamlFile);
    } catch (IOException e) {
      throw new IllegalArgumentException(name + ": cannot read the file (" + e + ")", e);
    }
    Map<String, List<Endpoint>> services =
        StaticConfigParser.parse(StaticConfigParser.decode(content, name), name);
    StaticDiscovery discovery = new StaticDiscovery(scheduler, services, yamlFile, scheduler);
    synchronized (discovery.lock) {
      discovery.lastModified = attributes.lastModifiedTime();
      discovery.lastSize = attributes.size();
      discovery.lastReadMillis = readMillis;
      discovery.lastDigest = sha256(content);
    }
    long nanos = pollInterval.toNanos();
    discovery.poller =
        scheduler.scheduleWithFixedDelay(discovery::poll, nanos, nanos, TimeUnit.NANOSECONDS);
    return discovery;
  }

  /** The configured services and their endpoints, as of the last valid version of the config. */
  public Map<String, List<Endpoint>> services() {
    return services;
  }

  @Override
  protected void doWatch(String service) {
    if (file == null) {
      // Fixed services: no reload to order against, and no lock around a callback that a
      // direct executor would run right here.
      publish(stateOf(service, services));
      return;
    }
    synchronized (lock) {
      publish(stateOf(service, services));
    }
  }

  /** Checks the file now (on the scheduler) instead of at the next poll. */
  @Override
  protected void doRefresh(String service) {
    ScheduledExecutorService s = scheduler;
    if (s != null && !closed) {
      try {
        s.execute(this::poll);
      } catch (RejectedExecutionException e) {
        // The scheduler is shutting down: so is the router.
      }
    }
  }

  @Override
  protected void doClose() {
    closed = true;
    ScheduledFuture<?> p = poller;
    if (p != null) {
      p.cancel(false);
    }
  }

  /** Checks the file now, on the calling thread; for tests. */
  void pollNow() {
    poll();
  }

  private void poll() {
    try {
      synchronized (lock) {
        if (!closed) {
          reloadIfChanged(requireNonNull(file, "file"));
        }
      }
    } catch (RuntimeException e) {
      // Never let an exception end the fixed-delay schedule.
      LOG.log(System.Logger.Level.ERROR, "checking " + file + " failed", e);
    }
  }

  private void reloadIfChanged(Path path) {
    long now = System.currentTimeMillis();
    BasicFileAttributes attributes;
    byte[] content;
    try {
      attributes = Files.readAttributes(path, BasicFileAttributes.class);
      if (attributes.lastModifiedTime().equals(lastModified)
          && attributes.size() == lastSize
          && lastReadMillis - attributes.lastModifiedTime().toMillis() > RACY_MILLIS) {
        return; // unchanged since a read made well after its last modification
      }
      content = StaticConfigParser.read(path);
    } catch (IOException e) {
      // An editor may be replacing the file; keep serving and try again on the next poll.
      problem(path + ": cannot read the file (" + e + "); keeping the last good endpoints");
      return;
    }
    lastModified = attributes.lastModifiedTime();
    lastSize = attributes.size();
    lastReadMillis = now;
    byte[] digest = sha256(content);
    if (Arrays.equals(digest, lastDigest)) {
      return; // the same bytes: nothing new (or the same broken version, already reported)
    }
    lastDigest = digest;
    Map<String, List<Endpoint>> next;
    try {
      next =
          StaticConfigParser.parse(
              StaticConfigParser.decode(content, path.toString()), path.toString());
    } catch (IllegalArgumentException e) {
      problem(e.getMessage() + "; keeping the last good endpoints");
      return;
    }
    if (lastProblem != null) {
      LOG.log(System.Logger.Level.INFO, path + " is valid again");
      lastProblem = null;
    }
    if (next.equals(services)) {
      return; // e.g. only a comment or another section changed
    }
    services = next;
    LOG.log(
        System.Logger.Level.INFO,
        "reloaded " + path + ": " + next.size() + " static service(s) " + next.keySet());
    for (String service : watchedServices()) {
      publish(stateOf(service, next));
    }
  }

  private void problem(String message) {
    if (!message.equals(lastProblem)) {
      LOG.log(System.Logger.Level.WARNING, message);
      lastProblem = message;
    }
  }

  private static EndpointSet stateOf(String service, Map<String, List<Endpoint>> services) {
    List<Endpoint> endpoints = services.get(service.toLowerCase(Locale.ROOT));
    return endpoints == null
        ? EndpointSet.unknown(service, 0)
        : EndpointSet.of(service, 0, endpoints);
  }

  private static byte[] sha256(byte[] content) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(content);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every JDK has SHA-256", e);
    }
  }

  @Override
  public String toString() {
    return "StaticDiscovery{"
        + (file == null ? "" : "file=" + file + ", ")
        + "services="
        + services.keySet()
        + "}";
  }

  /**
   * Builds a {@link StaticDiscovery} over endpoints given in code. Not thread-safe; {@link
   * #build()} copies, so a reused builder never changes a discovery it built.
   */
  public static final class Builder {
    private final Map<String, List<Endpoint>> services = new LinkedHashMap<>();
    private @Nullable Executor executor;

    private Builder() {}

    /**
     * Adds endpoints to a service (none: the service exists with no endpoint).
     *
     * @param service a DNS label (1-63 of {@code [a-z0-9-]}), case-insensitive
     * @throws IllegalArgumentException when the name is not a DNS label
     */
    public Builder service(String service, Endpoint... endpoints) {
      return service(service, Arrays.asList(requireNonNull(endpoints, "endpoints")));
    }

    /** Adds endpoints to a service; see {@link #service(String, Endpoint...)}. */
    public Builder service(String service, Collection<Endpoint> endpoints) {
      requireNonNull(service, "service");
      requireNonNull(endpoints, "endpoints");
      String name = StaticConfigParser.normalizeServiceName(service);
      if (name == null) {
        throw new IllegalArgumentException(
            "service: '" + service + "' (expected: a DNS label, 1-63 of [a-z0-9-])");
      }
      List<Endpoint> list = services.computeIfAbsent(name, n -> new ArrayList<>());
      for (Endpoint e : endpoints) {
        list.add(requireNonNull(e, "endpoint"));
      }
      return this;
    }

    /**
     * Runs listener callbacks on {@code executor} (serially per service). Defaults to {@link
     * ForkJoinPool#commonPool()}, so that a listener never runs inside the caller's {@code watch()}
     * and whatever lock the caller holds there.
     */
    public Builder executor(Executor executor) {
      this.executor = requireNonNull(executor, "executor");
      return this;
    }

    /** A discovery over the services added so far. */
    public StaticDiscovery build() {
      Map<String, List<Endpoint>> copy = new TreeMap<>();
      services.forEach((name, endpoints) -> copy.put(name, List.copyOf(endpoints)));
      Executor e = executor != null ? executor : ForkJoinPool.commonPool();
      return new StaticDiscovery(e, Collections.unmodifiableMap(copy), null, null);
    }
  }
}
