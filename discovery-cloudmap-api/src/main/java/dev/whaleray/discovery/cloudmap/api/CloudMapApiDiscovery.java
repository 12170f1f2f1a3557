package dev.whaleray.discovery.cloudmap.api;

import static java.util.Objects.requireNonNull;

import dev.whaleray.discovery.cloudmap.internal.Backoff;
import dev.whaleray.discovery.cloudmap.internal.Watchers;
import dev.whaleray.router.Endpoint;
import dev.whaleray.router.EndpointSet;
import dev.whaleray.router.discovery.AbstractDiscovery;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.DoubleSupplier;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.awscore.exception.AwsServiceException;
import software.amazon.awssdk.awscore.retry.AwsRetryStrategy;
import software.amazon.awssdk.core.client.config.ClientOverrideConfiguration;
import software.amazon.awssdk.core.client.config.SdkAdvancedClientOption;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.regions.providers.DefaultAwsRegionProviderChain;
import software.amazon.awssdk.services.servicediscovery.ServiceDiscoveryClient;
import software.amazon.awssdk.services.servicediscovery.ServiceDiscoveryClientBuilder;
import software.amazon.awssdk.services.servicediscovery.model.DiscoverInstancesResponse;
import software.amazon.awssdk.services.servicediscovery.model.HealthStatusFilter;
import software.amazon.awssdk.services.servicediscovery.model.HttpInstanceSummary;
import software.amazon.awssdk.services.servicediscovery.model.NamespaceNotFoundException;
import software.amazon.awssdk.services.servicediscovery.model.ServiceNotFoundException;

/**
 * Discovers Cloud Map services through the {@code DiscoverInstances} API, which carries what DNS
 * cannot: every instance attribute (the port of bridge-mode tasks, the availability zone, custom
 * attributes such as a weight) and the health status kept by ECS or Route 53.
 *
 * <p><b>Polling.</b> A watched service is polled every {@link Builder#refresh} (default 5 s, with ±
 * 10 % jitter) on a small pool of poller threads of its own (the SDK client is synchronous). Each
 * poll first asks {@code DiscoverInstancesRevision}, which is cheap, and calls {@code
 * DiscoverInstances} only when the revision changed, so an unchanged service costs one small call
 * per poll. Cloud Map does not change the revision when only health statuses change, so {@code
 * DiscoverInstances} also runs at least every {@link Builder#fullRefresh} (default 30 s), or
 * unhealthy instances would stay in (or healthy ones out of) the set until the next registration.
 *
 * <p><b>Request.</b> {@code DiscoverInstances(NamespaceName, ServiceName, HealthStatus,
 * MaxResults)}; {@code HealthStatus} is always sent (default {@code HEALTHY_OR_ELSE_ALL}: the
 * healthy instances, or all of them when none is healthy), and {@code MaxResults} defaults to the
 * API's maximum, 1000 (the API's own default is 100).
 *
 * <p><b>Mapping.</b> One endpoint per instance: host {@code AWS_INSTANCE_IPV4} (else {@code
 * AWS_INSTANCE_IPV6}; an instance with neither is skipped), port {@code AWS_INSTANCE_PORT} (else
 * the backend port), zone {@code AVAILABILITY_ZONE}, weight from the attribute named by {@link
 * Builder#weightAttribute} (default {@code WHALERAY_WEIGHT}; missing or invalid: weight 1), and
 * every attribute kept as an endpoint attribute. Named ports (issue #16) come from attributes
 * {@code PORT_<name>=<number>} ({@code PORT_metrics=9100}; the name in lower case, 1-31 of {@code
 * [a-z0-9-]} starting with a letter): a bad one is logged naming the instance and the attribute and
 * left out, the instance kept. The API returns instances in random order; the snapshot is sorted,
 * so an unchanged set is not published again.
 *
 * <p><b>Failures.</b> {@code NamespaceNotFound} and {@code ServiceNotFound} publish an {@linkplain
 * EndpointSet#unknown unknown} set (the router answers 502), checked again after {@link
 * Builder#negativeTtl}. Other errors (throttling, network, credentials) keep the last good
 * endpoints, go to {@link Listener#onError}, and back off exponentially with jitter from the
 * refresh interval up to {@link Builder#backoffMax} (throttling starts one step further). The SDK's
 * own retries are off: a failed poll is simply retried by the next one, and SDK retries would hold
 * a poller thread and spend more of a throttled account's quota.
 *
 * <p><b>Resources.</b> Nothing is polled before the first watch of a service, one poll at a time
 * runs per service however many watchers it has, the last unwatch stops it, and the poller threads
 * end when idle. Thread-safe.
 */
public final class CloudMapApiDiscovery extends AbstractDiscovery {
  private static final System.Logger LOG = System.getLogger(CloudMapApiDiscovery.class.getName());

  /** The default namespace. */
  public static final String DEFAULT_NAMESPACE = "whaleray.local";

  /** The default port when an instance has no {@code AWS_INSTANCE_PORT}. */
  public static final int DEFAULT_BACKEND_PORT = 3000;

  /** The default poll interval. */
  public static final Duration DEFAULT_REFRESH = Duration.ofSeconds(5);

  /** The default longest time between two {@code DiscoverInstances} calls of a watched service. */
  public static final Duration DEFAULT_FULL_REFRESH = Duration.ofSeconds(30);

  /** How long a not-found answer is trusted, by default. */
  public static final Duration DEFAULT_NEGATIVE_TTL = Duration.ofSeconds(10);

  /** The longest retry delay after failed polls, by default. */
  public static final Duration DEFAULT_BACKOFF_MAX = Duration.ofSeconds(60);

  /** The default time limit of one API call. */
  public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(5);

  /** The default health filter. */
  public static final HealthStatusFilter DEFAULT_HEALTH_STATUS =
      HealthStatusFilter.HEALTHY_OR_ELSE_ALL;

  /** The default number of instances asked for: the API's maximum. */
  public static final int DEFAULT_MAX_RESULTS = 1000;

  /** The default attribute read as the endpoint weight. */
  public static final String DEFAULT_WEIGHT_ATTRIBUTE = "WHALERAY_WEIGHT";

  /** The default number of poller threads. */
  public static final int DEFAULT_THREADS = 2;

  // Built on a poller thread (the SDK's class loading costs most of a second), so the router
  // starts listening meanwhile; the first poll waits for it there.
  private final CompletableFuture<ServiceDiscoveryClient> client;
  private final boolean ownsClient;
  private final String namespace;
  private final int backendPort;
  private final long refreshNanos;
  private final long fullRefreshNanos;
  private final long negativeTtlNanos;
  private final HealthStatusFilter healthStatus;
  private final int maxResults;
  private final String weightAttribute;
  private final Backoff backoff;
  private final DoubleSupplier random;
  private final ScheduledExecutorService scheduler;
  private final ThreadPoolExecutor pollers;
  private final Watchers<Poll> polls = new Watchers<>();

  private CloudMapApiDiscovery(
      Builder b,
      ScheduledExecutorService scheduler,
      @Nullable ServiceDiscoveryClient given,
      Supplier<ServiceDiscoveryClient> factory) {
    super(scheduler);
    this.scheduler = scheduler;
    this.ownsClient = given == null;
    this.namespace = b.namespace;
    this.backendPort = b.backendPort;
    this.refreshNanos = b.refresh.toNanos();
    this.fullRefreshNanos = b.fullRefresh.toNanos();
    this.negativeTtlNanos = b.negativeTtl.toNanos();
    this.healthStatus = b.healthStatus;
    this.maxResults = b.maxResults;
    this.weightAttribute = b.weightAttribute;
    this.random = b.random;
    this.backoff = new Backoff(b.refresh, b.backoffMax, b.random);
    AtomicInteger threads = new AtomicInteger();
    this.pollers =
        new ThreadPoolExecutor(
            b.threads,
            b.threads,
            30,
            TimeUnit.SECONDS,
            // At most one task per watched service. First lookups go ahead of refreshes, so a
            // new service's first request does not wait behind every other service's poll.
            new java.util.concurrent.PriorityBlockingQueue<Runnable>(
                16, java.util.Comparator.comparingLong(CloudMapApiDiscovery::queueRank)),
            r -> {
              Thread t = new Thread(r, "whaleray-cloudmap-api-" + threads.incrementAndGet());
              t.setDaemon(true);
              return t;
            });
    pollers.allowCoreThreadTimeOut(true);
    this.client =
        given != null
            ? CompletableFuture.completedFuture(given)
            : CompletableFuture.supplyAsync(factory, pollers);
  }

  /** A builder; {@link Builder#scheduler} is required. */
  public static Builder builder() {
    return new Builder();
  }

  @Override
  protected void doWatch(String service) {
    polls.watch(service, Poll::new);
  }

  @Override
  protected void doUnwatch(String service) {
    polls.unwatch(service);
  }

  /**
   * Polls the service again soon: at once unless a poll is running or the last one started less
   * than a second ago.
   */
  @Override
  protected void doRefresh(String service) {
    polls.refresh(service);
  }

  @Override
  protected void doClose() {
    polls.close();
    pollers.shutdownNow();
    if (ownsClient) {
      client.whenComplete(
          (c, e) -> {
            if (c != null) {
              c.close();
            }
          });
    }
  }

  /** The number of services being polled; for tests. */
  int activePolls() {
    return polls.size();
  }

  private final java.util.concurrent.atomic.AtomicLong submissions =
      new java.util.concurrent.atomic.AtomicLong();

  /**
   * Queue order: other tasks (building the client) first, then first lookups, then refreshes; first
   * come first served within a rank.
   */
  private static long queueRank(Runnable r) {
    if (!(r instanceof Poll)) {
      return Long.MIN_VALUE;
    }
    Poll p = (Poll) r;
    return (p.firstLookup ? 0 : Long.MAX_VALUE / 2) + p.sequence;
  }

  // ---- one watched service ------------------------------------------------------------------

  private final class Poll implements Runnable, Watchers.Watcher {
    final String service;
    // Guarded by this.
    private boolean active = true;
    private boolean inFlight;
    private @Nullable ScheduledFuture<?> next;
    private long nextAtNanos;
    private long lastStartNanos = System.nanoTime() - TimeUnit.SECONDS.toNanos(1);
    private long lastFullNanos;
    private @Nullable Long revision;
    private int failures;
    private int negatives; // consecutive not-found answers
    // Set before each hand-off to the pollers, read by the queue's comparator.
    volatile boolean firstLookup;
    volatile long sequence;

    Poll(String service) {
      this.service = service;
    }

    /** Hands the poll to a poller thread (from the scheduler: never blocks it). */
    @Override
    public void start() {
      submit();
    }

    synchronized void submit() {
      if (!active || inFlight || polls.isClosed()) {
        return;
      }
      inFlight = true;
      cancelNext();
      firstLookup = revision == null && current(service) == null;
      sequence = submissions.incrementAndGet();
      try {
        pollers.execute(this);
      } catch (RejectedExecutionException e) {
        inFlight = false;
        active = false; // closed
      }
    }

    @Override
    public void run() {
      Long known;
      boolean full;
      synchronized (this) {
        if (!active) {
          inFlight = false;
          return;
        }
        lastStartNanos = System.nanoTime();
        known = revision;
        full =
            known == null
                || lastStartNanos - lastFullNanos >= fullRefreshNanos
                || RegistrationExpiry.due(current(service), System.currentTimeMillis());
      }
      try {
        ServiceDiscoveryClient client = CloudMapApiDiscovery.this.client.join();
        if (!full) {
          Long now =
              client
                  .discoverInstancesRevision(r -> r.namespaceName(namespace).serviceName(service))
                  .instancesRevision();
          if (java.util.Objects.equals(known, now)) {
            succeeded(null, null, refreshNanos);
            return;
          }
        }
        DiscoverInstancesResponse response =
            client.discoverInstances(
                r ->
                    r.namespaceName(namespace)
                        .serviceName(service)
                        .healthStatus(healthStatus)
                        .maxResults(maxResults));
        EndpointSet set = EndpointSet.of(service, 0, endpoints(response.instances()));
        synchronized (this) {
          lastFullNanos = lastStartNanos;
        }
        synchronized (this) {
          negatives = 0;
        }
        succeeded(set, response.instancesRevision(), refreshNanos);
      } catch (NamespaceNotFoundException | ServiceNotFoundException e) {
        LOG.log(System.Logger.Level.DEBUG, () -> service + " not found in Cloud Map: " + e);
        int negative;
        synchronized (this) {
          negative = ++negatives;
        }
        // Checked again less and less often: random ids must not become a steady flood of calls.
        succeeded(
            EndpointSet.unknown(service, 0),
            null,
            Backoff.negativeDelayNanos(negativeTtlNanos, negative));
      } catch (CompletionException e) { // building the client failed
        failed(e.getCause() instanceof RuntimeException ? (RuntimeException) e.getCause() : e);
      } catch (RuntimeException e) { // SdkException and anything unexpected
        failed(e);
      } catch (Error e) {
        // A linkage or initialization error must not stop this service's polling for good.
        failed(new IllegalStateException("Cloud Map poll failed: " + e, e));
      }
    }

    private void succeeded(@Nullable EndpointSet set, @Nullable Long newRevision, long delay) {
      int failed;
      synchronized (this) {
        inFlight = false;
        if (!active) {
          return;
        }
        failed = failures;
        failures = 0;
        if (set != null) {
          revision = set.isKnown() ? newRevision : null;
        }
      }
      if (failed > 0) {
        LOG.log(
            System.Logger.Level.INFO,
            "Cloud Map answers again for " + service + " after " + failed + " failure(s)");
      }
      if (set != null) {
        publish(set);
      }
      schedule(jitter(delay));
    }

    private void failed(Exception e) {
      boolean throttled =
          e instanceof AwsServiceException && ((AwsServiceException) e).isThrottlingException();
      int n;
      synchronized (this) {
        inFlight = false;
        if (!active) {
          return;
        }
        n = ++failures;
      }
      long delay = backoff.failureDelayNanos(throttled ? n + 1 : n);
      LOG.log(
          System.Logger.Level.DEBUG,
          () ->
              "Cloud Map poll of "
                  + service
                  + " failed ("
                  + n
                  + " in a row"
                  + (throttled ? ", throttled" : "")
                  + "), retrying in "
                  + delay / 1_000_000
                  + " ms: "
                  + e);
      publishError(service, e);
      schedule(delay);
    }

    @Override
    public synchronized void refreshSoon() {
      if (!active || inFlight) {
        return;
      }
      long now = System.nanoTime();
      long delay = Math.max(0, lastStartNanos + TimeUnit.SECONDS.toNanos(1) - now);
      if (next != null && nextAtNanos - now <= delay) {
        return;
      }
      schedule(delay);
    }

    synchronized void schedule(long delayNanos) {
      if (!active || polls.isClosed()) {
        return;
      }
      cancelNext();
      try {
        next = scheduler.schedule(this::submit, delayNanos, TimeUnit.NANOSECONDS);
        nextAtNanos = System.nanoTime() + delayNanos;
      } catch (RejectedExecutionException e) {
        active = false;
      }
    }

    @Override
    public synchronized void stop() {
      active = false;
      cancelNext();
    }

    private void cancelNext() {
      ScheduledFuture<?> n = next;
      if (n != null) {
        n.cancel(false);
        next = null;
      }
    }
  }

  private long jitter(long nanos) {
    return (long) (nanos * (0.9 + 0.2 * random.getAsDouble()));
  }

  // ---- mapping --------------------------------------------------------------------------------

  private List<Endpoint> endpoints(List<HttpInstanceSummary> instances) {
    List<Endpoint> result = new ArrayList<>(instances.size());
    for (HttpInstanceSummary instance : instances) {
      Endpoint e = endpoint(instance);
      if (e != null) {
        result.add(e);
      }
    }
    return result;
  }

  /** The endpoint of one instance, or null (logged) when it has no usable address or port. */
  @Nullable Endpoint endpoint(HttpInstanceSummary instance) {
    Map<String, String> attributes = instance.attributes();
    String host = attributes.get("AWS_INSTANCE_IPV4");
    if (host == null || host.isBlank()) {
      host = attributes.get("AWS_INSTANCE_IPV6");
    }
    if (host == null || host.isBlank()) {
      skip(instance, "no AWS_INSTANCE_IPV4 or AWS_INSTANCE_IPV6 attribute");
      return null;
    }
    if (RegistrationExpiry.lapsed(attributes, System.currentTimeMillis())) {
      skip(instance, CloudMapRegistry.EXPIRES_AT_ATTRIBUTE + " has passed");
      return null;
    }
    int port = backendPort;
    String portText = attributes.get("AWS_INSTANCE_PORT");
    if (portText != null) {
      port = parse(portText.trim(), 1, 65535);
      if (port < 0) {
        skip(instance, "AWS_INSTANCE_PORT: '" + portText + "' (expected: 1-65535)");
        return null;
      }
    }
    try {
      Endpoint.Builder b = Endpoint.builder(host.trim(), port);
      String weight = attributes.get(weightAttribute);
      if (weight != null) {
        int w = parse(weight.trim(), 0, Endpoint.MAX_WEIGHT);
        if (w >= 0) {
          b.weight(w);
        } else {
          LOG.log(
              System.Logger.Level.DEBUG,
              () ->
                  "instance "
                      + instance.instanceId()
                      + ": "
                      + weightAttribute
                      + ": '"
                      + weight
                      + "' (expected: 0-"
                      + Endpoint.MAX_WEIGHT
                      + "); using weight 1");
        }
      }
      b.zone(attributes.get("AVAILABILITY_ZONE"));
      namedPorts(instance, b);
      for (Map.Entry<String, String> a : attributes.entrySet()) {
        if (a.getKey() != null && a.getValue() != null) {
          b.attribute(a.getKey(), a.getValue());
        }
      }
      return b.build();
    } catch (IllegalArgumentException e) {
      skip(instance, e.getMessage());
      return null;
    }
  }

  /** The prefix of the attributes that name a port: {@code PORT_metrics=9100}. */
  static final String PORT_ATTRIBUTE_PREFIX = "PORT_";

  /** Adds the instance's {@code PORT_<name>} attributes as named ports; a bad one is skipped. */
  private static void namedPorts(HttpInstanceSummary instance, Endpoint.Builder b) {
    for (Map.Entry<String, String> a : instance.attributes().entrySet()) {
      String key = a.getKey();
      if (key == null || !key.startsWith(PORT_ATTRIBUTE_PREFIX)) {
        continue;
      }
      String name = key.substring(PORT_ATTRIBUTE_PREFIX.length()).toLowerCase(Locale.ROOT);
      String value = a.getValue() == null ? "" : a.getValue().trim();
      int number = parse(value, 1, 65535);
      if (!Endpoint.isPortName(name) || number < 0) {
        LOG.log(
            System.Logger.Level.WARNING,
            () ->
                "Cloud Map instance "
                    + instance.instanceId()
                    + ": attribute "
                    + key
                    + "='"
                    + a.getValue()
                    + "' skipped (expected: PORT_<name>=<1-65535>, the name 1-31 of [a-z0-9-]"
                    + " starting with a letter); the instance's other ports are kept");
        continue;
      }
      b.port(name, number);
    }
  }

  private static void skip(HttpInstanceSummary instance, @Nullable String why) {
    LOG.log(
        System.Logger.Level.DEBUG,
        () -> "skipping Cloud Map instance " + instance.instanceId() + ": " + why);
  }

  /** The number, or -1 when it is not one from min to max. */
  private static int parse(String text, int min, int max) {
    try {
      int n = Integer.parseInt(text);
      return n >= min && n <= max ? n : -1;
    } catch (NumberFormatException e) {
      return -1;
    }
  }

  @Override
  public String toString() {
    return "CloudMapApiDiscovery{namespace="
        + namespace
        + ", healthStatus="
        + healthStatus
        + ", refresh="
        + Duration.ofNanos(refreshNanos)
        + "}";
  }

  /**
   * Builds a {@link CloudMapApiDiscovery}. Not thread-safe; {@link #build()} copies, so a reused
   * builder never changes a discovery it built.
   */
  public static final class Builder {
    private String namespace = DEFAULT_NAMESPACE;
    private int backendPort = DEFAULT_BACKEND_PORT;
    private Duration refresh = DEFAULT_REFRESH;
    private Duration fullRefresh = DEFAULT_FULL_REFRESH;
    private Duration negativeTtl = DEFAULT_NEGATIVE_TTL;
    private Duration backoffMax = DEFAULT_BACKOFF_MAX;
    private Duration timeout = DEFAULT_TIMEOUT;
    private HealthStatusFilter healthStatus = DEFAULT_HEALTH_STATUS;
    private int maxResults = DEFAULT_MAX_RESULTS;
    private String weightAttribute = DEFAULT_WEIGHT_ATTRIBUTE;
    private int threads = DEFAULT_THREADS;
    private @Nullable URI endpoint;
    private @Nullable Region region;
    private @Nullable AwsCredentialsProvider credentials;
    private @Nullable ServiceDiscoveryClient client;
    private @Nullable ScheduledExecutorService scheduler;
    private DoubleSupplier random = () -> ThreadLocalRandom.current().nextDouble();

    private Builder() {}

    /** The Cloud Map namespace name (default {@code whaleray.local}). */
    public Builder namespace(String namespace) {
      requireNonNull(namespace, "namespace");
      if (namespace.isBlank() || namespace.length() > 1024) {
        throw new IllegalArgumentException(
            "namespace: '" + namespace + "' (expected: a Cloud Map namespace name)");
      }
      this.namespace = namespace.trim();
      return this;
    }

    /** The port of instances without an {@code AWS_INSTANCE_PORT} attribute (default 3000). */
    public Builder backendPort(int port) {
      if (port < 1 || port > 65535) {
        throw new IllegalArgumentException("backendPort: " + port + " (expected: 1-65535)");
      }
      this.backendPort = port;
      return this;
    }

    /** How often a watched service is polled (default 5 s); also the first retry delay. */
    public Builder refresh(Duration refresh) {
      this.refresh = positive("cloudmapRefresh", refresh);
      return this;
    }

    /**
     * The longest time between two {@code DiscoverInstances} calls of a watched service (default 30
     * s), which catch health status changes that do not change the revision.
     */
    public Builder fullRefresh(Duration fullRefresh) {
      this.fullRefresh = positive("cloudmapFullRefresh", fullRefresh);
      return this;
    }

    /** How long a not-found answer is trusted before the service is asked for again (10 s). */
    public Builder negativeTtl(Duration negativeTtl) {
      this.negativeTtl = positive("cloudmapNegativeTtl", negativeTtl);
      return this;
    }

    /** The longest retry delay after failed polls (default 60 s). */
    public Builder backoffMax(Duration backoffMax) {
      this.backoffMax = positive("cloudmapBackoffMax", backoffMax);
      return this;
    }

    /** The time limit of one API call (default 5 s). */
    public Builder timeout(Duration timeout) {
      this.timeout = positive("cloudmapTimeout", timeout);
      return this;
    }

    /** Which instances to ask for (default {@code HEALTHY_OR_ELSE_ALL}); always sent. */
    public Builder healthStatus(HealthStatusFilter healthStatus) {
      requireNonNull(healthStatus, "healthStatus");
      if (healthStatus == HealthStatusFilter.UNKNOWN_TO_SDK_VERSION) {
        throw new IllegalArgumentException(
            "cloudmapHealthStatus: " + healthStatus + " (expected: one of " + knownFilters() + ")");
      }
      this.healthStatus = healthStatus;
      return this;
    }

    /**
     * Parses a health filter name, case-insensitive.
     *
     * @throws IllegalArgumentException naming {@code cloudmapHealthStatus}
     */
    public static HealthStatusFilter parseHealthStatus(String text) {
      HealthStatusFilter f =
          HealthStatusFilter.fromValue(text.trim().toUpperCase(java.util.Locale.ROOT));
      if (f == null || f == HealthStatusFilter.UNKNOWN_TO_SDK_VERSION) {
        throw new IllegalArgumentException(
            "cloudmapHealthStatus: '" + text + "' (expected: one of " + knownFilters() + ")");
      }
      return f;
    }

    private static String knownFilters() {
      return String.join(
          ", ", HealthStatusFilter.knownValues().stream().map(Object::toString).sorted().toList());
    }

    /** How many instances to ask for, 1 to 1000 (default 1000). */
    public Builder maxResults(int maxResults) {
      if (maxResults < 1 || maxResults > 1000) {
        throw new IllegalArgumentException(
            "cloudmapMaxResults: " + maxResults + " (expected: 1-1000)");
      }
      this.maxResults = maxResults;
      return this;
    }

    /** The instance attribute read as the endpoint weight (default {@code WHALERAY_WEIGHT}). */
    public Builder weightAttribute(String attribute) {
      requireNonNull(attribute, "attribute");
      if (attribute.isBlank()) {
        throw new IllegalArgumentException(
            "cloudmapWeightAttribute: '' (expected: an attribute name)");
      }
      this.weightAttribute = attribute.trim();
      return this;
    }

    /** The number of poller threads, which end when idle (default 2). */
    public Builder threads(int threads) {
      if (threads < 1 || threads > 64) {
        throw new IllegalArgumentException("cloudmapThreads: " + threads + " (expected: 1-64)");
      }
      this.threads = threads;
      return this;
    }

    /**
     * Sends every call to exactly this URL (a VPC endpoint, a test server) instead of the SDK's
     * regional endpoint. The SDK would put the API model's {@code data-} host prefix in front of an
     * override too; it is turned off here, so {@code https://vpce-1.example.com} is the host
     * reached.
     *
     * @throws IllegalArgumentException when it is not an absolute http(s) URL with a host
     */
    public Builder endpoint(@Nullable URI endpoint) {
      if (endpoint != null) {
        String scheme = endpoint.getScheme();
        if (scheme == null
            || !(scheme.equalsIgnoreCase("http") || scheme.equalsIgnoreCase("https"))
            || endpoint.getHost() == null) {
          throw new IllegalArgumentException(
              "cloudmapEndpoint: '"
                  + endpoint
                  + "' (expected: an http(s) URL such as https://servicediscovery.us-east-1.amazonaws.com)");
        }
      }
      this.endpoint = endpoint;
      return this;
    }

    /** The region (default: the SDK's chain: {@code AWS_REGION}, profile, instance metadata). */
    public Builder region(@Nullable Region region) {
      this.region = region;
      return this;
    }

    /**
     * The credentials (default: the SDK's chain: environment, profile, ECS task role, instance
     * role).
     */
    public Builder credentialsProvider(@Nullable AwsCredentialsProvider credentials) {
      this.credentials = credentials;
      return this;
    }

    /**
     * A client to use instead of building one (then endpoint, region, credentials and timeout are
     * the client's); the caller closes it.
     */
    public Builder client(@Nullable ServiceDiscoveryClient client) {
      this.client = client;
      return this;
    }

    /**
     * Runs timers and listener callbacks (serially per service); never blocked by API calls and
     * never shut down by the discovery. Required.
     */
    public Builder scheduler(ScheduledExecutorService scheduler) {
      this.scheduler = requireNonNull(scheduler, "scheduler");
      return this;
    }

    /** The source of jitter, uniform doubles in [0, 1); for tests. */
    Builder random(DoubleSupplier random) {
      this.random = requireNonNull(random, "random");
      return this;
    }

    /**
     * A discovery with the values set so far; polls nothing until a service is watched.
     *
     * @throws IllegalArgumentException when the SDK finds no region
     */
    public CloudMapApiDiscovery build() {
      ScheduledExecutorService s = scheduler;
      if (s == null) {
        throw new IllegalStateException("scheduler: not set");
      }
      ServiceDiscoveryClient c = client;
      if (c != null) {
        return new CloudMapApiDiscovery(this, s, c, () -> c);
      }
      // The region is resolved now, so a missing one stops the router at start-up; the client
      // itself is built in the background.
      Region r = region != null ? region : defaultRegion();
      ClientConfig config = new ClientConfig(r, credentials, endpoint, timeout);
      return new CloudMapApiDiscovery(this, s, null, () -> newClient(config));
    }

    private static Region defaultRegion() {
      try {
        return DefaultAwsRegionProviderChain.builder().build().getRegion();
      } catch (SdkException e) {
        throw new IllegalArgumentException(
            "AWS region: not found ("
                + e.getMessage()
                + "); set AWS_REGION, e.g. AWS_REGION=us-east-1",
            e);
      }
    }

    /** What the client is built from: a copy, so the builder may be reused. */
    record ClientConfig(
        Region region,
        @Nullable AwsCredentialsProvider credentials,
        @Nullable URI endpoint,
        Duration timeout) {}

    private static ServiceDiscoveryClient newClient(ClientConfig config) {
      return newClient(config, false); // a failed lookup is retried by the next refresh
    }

    /**
     * A Cloud Map client with short timeouts over the JDK's HTTP client; with {@code retries}, the
     * SDK's standard retries (for writes: a registration must not be lost to a throttle).
     */
    static ServiceDiscoveryClient newClient(ClientConfig config, boolean retries) {
      Duration timeout = config.timeout();
      URI endpoint = config.endpoint();
      ClientOverrideConfiguration.Builder override =
          ClientOverrideConfiguration.builder()
              .retryStrategy(
                  retries
                      ? AwsRetryStrategy.standardRetryStrategy()
                      : AwsRetryStrategy.doNotRetry())
              .apiCallTimeout(timeout);
      ServiceDiscoveryClientBuilder b =
          ServiceDiscoveryClient.builder()
              .httpClientBuilder(
                  UrlConnectionHttpClient.builder()
                      .connectionTimeout(
                          timeout.compareTo(Duration.ofSeconds(2)) < 0
                              ? timeout
                              : Duration.ofSeconds(2))
                      .socketTimeout(timeout));
      if (endpoint != null) {
        // DiscoverInstances and DiscoverInstancesRevision carry the host prefix "data-" in the
        // API model; without this the SDK would send them to data-<override host>.
        override.putAdvancedOption(SdkAdvancedClientOption.DISABLE_HOST_PREFIX_INJECTION, true);
        b.endpointOverride(endpoint);
      }
      b.region(config.region());
      if (config.credentials() != null) {
        b.credentialsProvider(config.credentials());
      }
      b.overrideConfiguration(override.build());
      return b.build();
    }

    private static Duration positive(String field, Duration d) {
      requireNonNull(d, field);
      if (d.isNegative() || d.isZero()) {
        throw new IllegalArgumentException(field + ": " + d + " (expected: > 0)");
      }
      return d;
    }
  }
}
