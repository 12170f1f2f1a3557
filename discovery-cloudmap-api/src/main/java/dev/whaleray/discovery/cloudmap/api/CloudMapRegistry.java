package dev.whaleray.discovery.cloudmap.api;

import static java.util.Objects.requireNonNull;

import dev.whaleray.router.Endpoint;
import dev.whaleray.router.discovery.Registration;
import dev.whaleray.router.discovery.Registry;
import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import org.jspecify.annotations.Nullable;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.regions.providers.DefaultAwsRegionProviderChain;
import software.amazon.awssdk.services.servicediscovery.ServiceDiscoveryClient;
import software.amazon.awssdk.services.servicediscovery.model.FilterCondition;
import software.amazon.awssdk.services.servicediscovery.model.InstanceNotFoundException;
import software.amazon.awssdk.services.servicediscovery.model.ListNamespacesResponse;
import software.amazon.awssdk.services.servicediscovery.model.ListServicesResponse;
import software.amazon.awssdk.services.servicediscovery.model.NamespaceFilterName;
import software.amazon.awssdk.services.servicediscovery.model.NamespaceSummary;
import software.amazon.awssdk.services.servicediscovery.model.ServiceFilterName;
import software.amazon.awssdk.services.servicediscovery.model.ServiceSummary;

/**
 * A {@link Registry} kept in AWS Cloud Map: a registration is a {@code RegisterInstance} in the
 * namespace's service of that name, a removal a {@code DeregisterInstance}, so every router task
 * whose {@code cloudmap-api} discovery reads the namespace routes it (within its refresh interval);
 * the state shared between tasks lives in Cloud Map only.
 *
 * <p>Instances get the id {@code whaleray-<host>-<port>} and the attributes {@code
 * AWS_INSTANCE_IPV4} (or {@code _IPV6}), {@code AWS_INSTANCE_PORT}, {@code WHALERAY_WEIGHT}, {@code
 * AVAILABILITY_ZONE} (when a zone is given) and {@value #EXPIRES_AT_ATTRIBUTE}: the epoch
 * milliseconds at which the TTL lapses. {@link CloudMapApiDiscovery} skips instances whose expiry
 * has passed, so the TTL holds on every task even when the registering one dies; a live registering
 * task also deregisters a lapsed instance. The service must exist in Cloud Map (it is not created);
 * its id is looked up once ({@code ListNamespaces}, {@code ListServices}). IAM: {@code
 * servicediscovery:RegisterInstance}, {@code DeregisterInstance}, {@code ListNamespaces}, {@code
 * ListServices}.
 *
 * <p>Routers read the registrations back through their {@code cloudmap-api} discovery (this one
 * merges nothing itself: {@link #endpoints} is empty). A local registry mirrors the registrations
 * made through this task, to list them with their expiry and to remove lapsed ones. Thread-safe;
 * {@link #register} and {@link #deregister} block on the API.
 */
public final class CloudMapRegistry implements Registry {
  private static final System.Logger LOG = System.getLogger(CloudMapRegistry.class.getName());

  /** The instance attribute holding the registration's expiry, in epoch milliseconds. */
  public static final String EXPIRES_AT_ATTRIBUTE = "WHALERAY_EXPIRES_AT";

  private final ServiceDiscoveryClient client;
  private final boolean ownClient;
  private final String namespace;
  private final String weightAttribute;
  private final Registry local;
  private final Executor background;
  private final Clock clock;
  private final ConcurrentHashMap<String, String> serviceIds = new ConcurrentHashMap<>();
  private final AutoCloseable subscription;

  private CloudMapRegistry(Builder b, ServiceDiscoveryClient client, boolean ownClient) {
    this.client = client;
    this.ownClient = ownClient;
    this.namespace = b.namespace;
    this.weightAttribute = b.weightAttribute;
    this.local = requireNonNull(b.local, "local");
    this.background = requireNonNull(b.background, "background");
    this.clock = b.clock;
    this.subscription =
        local.subscribe(
            new Listener() {
              @Override
              public void changed(String service) {}

              @Override
              public void expired(Registration r) {
                removeLapsed(r);
              }
            });
  }

  /** A builder; {@link Builder#local} and {@link Builder#background} are required. */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * {@inheritDoc}
   *
   * @throws IllegalArgumentException when the host is not an IP address ({@code host: ...}) or the
   *     service does not exist in the namespace ({@code service: ...})
   */
  @Override
  public Registration register(String service, Endpoint endpoint, Duration ttl) {
    requireNonNull(endpoint, "endpoint");
    String ipAttribute = ipAttribute(endpoint.host());
    String serviceId = serviceId(service);
    Map<String, String> attributes = new LinkedHashMap<>();
    attributes.put(ipAttribute, endpoint.host());
    attributes.put("AWS_INSTANCE_PORT", Integer.toString(endpoint.port()));
    attributes.put(weightAttribute, Integer.toString(endpoint.weight()));
    // Named ports as CloudMapApiDiscovery reads them back: PORT_metrics=9100.
    endpoint
        .ports()
        .forEach(
            (name, number) ->
                attributes.put(
                    CloudMapApiDiscovery.PORT_ATTRIBUTE_PREFIX + name, Integer.toString(number)));
    if (endpoint.zone() != null) {
      attributes.put("AVAILABILITY_ZONE", endpoint.zone());
    }
    long expiresAt = clock.millis() + ttl.toMillis();
    attributes.put(EXPIRES_AT_ATTRIBUTE, Long.toString(expiresAt));
    client.registerInstance(
        r -> r.serviceId(serviceId).instanceId(instanceId(endpoint)).attributes(attributes));
    return local.register(service, endpoint, ttl);
  }

  @Override
  public boolean deregister(String service, Endpoint endpoint) {
    String serviceId;
    try {
      serviceId = serviceId(service);
    } catch (IllegalArgumentException e) {
      return local.deregister(service, endpoint);
    }
    boolean remote = true;
    try {
      client.deregisterInstance(r -> r.serviceId(serviceId).instanceId(instanceId(endpoint)));
    } catch (InstanceNotFoundException e) {
      remote = false;
    }
    return local.deregister(service, endpoint) || remote;
  }

  /** A lapsed local registration: its Cloud Map instance goes too, unless renewed meanwhile. */
  private void removeLapsed(Registration r) {
    try {
      background.execute(
          () -> {
            for (Endpoint e : local.endpoints(r.service())) {
              if (e.authority().equals(r.endpoint().authority())) {
                return; // registered again since
              }
            }
            try {
              String serviceId = serviceId(r.service());
              client.deregisterInstance(
                  d -> d.serviceId(serviceId).instanceId(instanceId(r.endpoint())));
            } catch (RuntimeException e) {
              // Routers skip it anyway once its expiry has passed.
              LOG.log(System.Logger.Level.INFO, "deregistering lapsed " + r + ": " + e);
            }
          });
    } catch (RejectedExecutionException e) {
      // shutting down
    }
  }

  @Override
  public List<Registration> registrations() {
    return local.registrations();
  }

  /**
   * None: the registrations come back through the {@code cloudmap-api} discovery of every task,
   * this one included (each change here asks it for a fresh lookup), so a removal made through
   * another task is not kept alive by this task's mirror.
   */
  @Override
  public List<Endpoint> endpoints(String service) {
    return List.of();
  }

  @Override
  public AutoCloseable subscribe(Listener listener) {
    return local.subscribe(listener);
  }

  /** Stops mirroring; closes the client when this registry built it. The local registry stays. */
  @Override
  public void close() {
    try {
      subscription.close();
    } catch (Exception e) {
      // a subscription's close does not fail
    }
    if (ownClient) {
      client.close();
    }
  }

  /**
   * {@code whaleray-<host>-<port>}: within Cloud Map's 64 characters of {@code [0-9a-zA-Z_/:.@-]}.
   */
  static String instanceId(Endpoint endpoint) {
    return "whaleray-" + endpoint.host() + "-" + endpoint.port();
  }

  private static String ipAttribute(String host) {
    if (host.indexOf(':') >= 0) {
      return "AWS_INSTANCE_IPV6";
    }
    String[] parts = host.split("\\.", -1);
    boolean ipv4 = parts.length == 4;
    for (String p : parts) {
      ipv4 &= !p.isEmpty() && p.length() <= 3 && p.chars().allMatch(Character::isDigit);
      ipv4 &= ipv4 && Integer.parseInt(p) <= 255;
    }
    if (!ipv4) {
      throw new IllegalArgumentException(
          "host: '"
              + host
              + "' (expected: an IP address; Cloud Map instances carry AWS_INSTANCE_IPV4 or"
              + " AWS_INSTANCE_IPV6)");
    }
    return "AWS_INSTANCE_IPV4";
  }

  /** The service's id in the namespace, looked up once. */
  private String serviceId(String service) {
    String id = serviceIds.get(service);
    if (id != null) {
      return id;
    }
    String namespaceId = null;
    String token = null;
    do {
      String t = token;
      ListNamespacesResponse page =
          client.listNamespaces(
              r ->
                  r.nextToken(t)
                      .filters(
                          f ->
                              f.name(NamespaceFilterName.NAME)
                                  .values(namespace)
                                  .condition(FilterCondition.EQ)));
      for (NamespaceSummary ns : page.namespaces()) {
        if (namespace.equals(ns.name())) {
          namespaceId = ns.id();
        }
      }
      token = page.nextToken();
    } while (namespaceId == null && token != null);
    if (namespaceId == null) {
      throw new IllegalStateException("Cloud Map namespace " + namespace + " not found");
    }
    String nsId = namespaceId;
    token = null;
    do {
      String t = token;
      ListServicesResponse page =
          client.listServices(
              r ->
                  r.nextToken(t)
                      .filters(
                          f ->
                              f.name(ServiceFilterName.NAMESPACE_ID)
                                  .values(nsId)
                                  .condition(FilterCondition.EQ)));
      for (ServiceSummary s : page.services()) {
        if (service.equals(s.name())) {
          serviceIds.put(service, s.id());
          return s.id();
        }
      }
      token = page.nextToken();
    } while (token != null);
    throw new IllegalArgumentException(
        "service: '"
            + service
            + "' (expected: a service of the Cloud Map namespace "
            + namespace
            + "; create it first)");
  }

  /** Settings of a {@link CloudMapRegistry}; not thread-safe. */
  public static final class Builder {
    private String namespace = CloudMapApiDiscovery.DEFAULT_NAMESPACE;
    private String weightAttribute = CloudMapApiDiscovery.DEFAULT_WEIGHT_ATTRIBUTE;
    private @Nullable URI endpoint;
    private @Nullable Region region;
    private @Nullable AwsCredentialsProvider credentials;
    private @Nullable ServiceDiscoveryClient client;
    private @Nullable Registry local;
    private @Nullable Executor background;
    private Duration timeout = CloudMapApiDiscovery.DEFAULT_TIMEOUT;
    private Clock clock = Clock.systemUTC();

    private Builder() {}

    /** The namespace whose services hold the registrations (default {@code whaleray.local}). */
    public Builder namespace(String namespace) {
      this.namespace = requireNonNull(namespace, "namespace");
      return this;
    }

    /** The attribute that carries the weight (default {@code WHALERAY_WEIGHT}). */
    public Builder weightAttribute(String attribute) {
      this.weightAttribute = requireNonNull(attribute, "attribute");
      return this;
    }

    /** An endpoint override for the Cloud Map API (VPC endpoint, tests). */
    public Builder endpoint(@Nullable URI endpoint) {
      this.endpoint = endpoint;
      return this;
    }

    /** The region (default: the SDK's chain). */
    public Builder region(@Nullable Region region) {
      this.region = region;
      return this;
    }

    /** The credentials (default: the SDK's chain, e.g. the ECS task role). */
    public Builder credentialsProvider(@Nullable AwsCredentialsProvider credentials) {
      this.credentials = credentials;
      return this;
    }

    /** A client to use instead of building one; the caller closes it. */
    public Builder client(@Nullable ServiceDiscoveryClient client) {
      this.client = client;
      return this;
    }

    /** The per-call timeout of a built client (default 5 s). */
    public Builder timeout(Duration timeout) {
      this.timeout = requireNonNull(timeout, "timeout");
      return this;
    }

    /**
     * Mirrors this task's registrations and times their TTLs (e.g. router-core's MemoryRegistry).
     */
    public Builder local(Registry local) {
      this.local = requireNonNull(local, "local");
      return this;
    }

    /** Runs the removal of lapsed instances off the timer thread. */
    public Builder background(Executor background) {
      this.background = requireNonNull(background, "background");
      return this;
    }

    /** The clock of expiry times (default UTC system clock); for tests. */
    public Builder clock(Clock clock) {
      this.clock = requireNonNull(clock, "clock");
      return this;
    }

    /**
     * The registry.
     *
     * @throws IllegalArgumentException when the SDK finds no region
     */
    public CloudMapRegistry build() {
      if (client != null) {
        return new CloudMapRegistry(this, client, false);
      }
      Region r = region;
      if (r == null) {
        try {
          r = DefaultAwsRegionProviderChain.builder().build().getRegion();
        } catch (SdkException e) {
          throw new IllegalArgumentException(
              "AWS region: not found (" + e.getMessage() + "); set AWS_REGION", e);
        }
      }
      ServiceDiscoveryClient built =
          CloudMapApiDiscovery.Builder.newClient(
              new CloudMapApiDiscovery.Builder.ClientConfig(r, credentials, endpoint, timeout),
              true);
      return new CloudMapRegistry(this, built, true);
    }
  }
}
