package dev.whaleray.discovery.cloudmap.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.whaleray.discovery.cloudmap.api.testing.CloudMapStub;
import dev.whaleray.discovery.cloudmap.api.testing.CloudMapStub.Instance;
import dev.whaleray.router.Endpoint;
import dev.whaleray.router.EndpointSet;
import dev.whaleray.router.discovery.Discovery;
import dev.whaleray.router.discovery.DiscoveryContext;
import dev.whaleray.router.discovery.DiscoveryProviders;
import dev.whaleray.router.discovery.Watch;
import dev.whaleray.router.testing.RecordingListener;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.servicediscovery.ServiceDiscoveryClient;
import software.amazon.awssdk.services.servicediscovery.model.HealthStatusFilter;
import software.amazon.awssdk.services.servicediscovery.model.RequestLimitExceededException;
import software.amazon.awssdk.services.servicediscovery.model.ServiceDiscoveryException;

/**
 * The {@code cloudmap-api} discovery with the real AWS SDK (JSON 1.1 protocol, SigV4 signing, error
 * unmarshalling, the url-connection HTTP client) against {@link CloudMapStub} on 127.0.0.1. Polls
 * run every 50-100 ms here; waits are bounded by {@link #WAIT}.
 */
class CloudMapApiDiscoveryIT {
  private static final Duration WAIT = Duration.ofSeconds(10);
  private static final String NS = "whaleray.local";

  private final ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor();
  private CloudMapStub stub;
  private CloudMapApiDiscovery discovery;

  @BeforeEach
  void setUp() throws Exception {
    stub = CloudMapStub.start();
  }

  @AfterEach
  void tearDown() throws Exception {
    if (discovery != null) {
      discovery.close();
    }
    stub.close();
    scheduler.shutdownNow();
    assertThat(scheduler.awaitTermination(5, TimeUnit.SECONDS)).isTrue();
    assertThat(stub.problems()).as("protocol violations seen by the stub").isEmpty();
  }

  private CloudMapApiDiscovery.Builder builder() {
    return CloudMapApiDiscovery.builder()
        .scheduler(scheduler)
        .namespace(NS)
        .backendPort(3000)
        .endpoint(stub.endpoint())
        .region(Region.US_EAST_1)
        .credentialsProvider(
            StaticCredentialsProvider.create(AwsBasicCredentials.create("AKIDTEST", "secret")))
        .refresh(Duration.ofMillis(100))
        .fullRefresh(Duration.ofHours(1));
  }

  private static EndpointSet ready(Watch watch) throws Exception {
    return watch.ready().toCompletableFuture().get(WAIT.toSeconds(), TimeUnit.SECONDS);
  }

  private static void await(BooleanSupplier condition, String what) throws InterruptedException {
    long deadline = System.nanoTime() + WAIT.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("timed out waiting for " + what);
      }
      Thread.sleep(10);
    }
  }

  @Test
  void portAttributesBecomeNamedPortsAndABadOneIsSkippedAlone() throws Exception {
    stub.service(
        NS,
        "demo",
        1,
        Instance.healthy(
            "task-1",
            "127.0.0.11",
            3000,
            "PORT_metrics",
            "9100",
            "PORT_GRPC",
            "50051",
            "PORT_bad",
            "abc",
            "PORT_9x",
            "80"),
        Instance.healthy("task-2", "127.0.0.12", 3001));
    discovery = builder().build();

    EndpointSet set = ready(discovery.watch("demo", new RecordingListener()));
    assertThat(set.endpoints()).hasSize(2); // a bad port attribute never drops the instance
    Endpoint task1 = set.endpoints().get(0);
    assertThat(task1.ports()).containsExactly(Map.entry("grpc", 50051), Map.entry("metrics", 9100));
    assertThat(set.endpoints().get(1).ports()).isEmpty();

    RecordingListener metrics = new RecordingListener();
    EndpointSet metricsSet = ready(discovery.watch("demo", "metrics", metrics));
    await(() -> metrics.last() != null, "the metrics port's set");
    assertThat(metrics.last().endpoints())
        .containsExactly(task1.atPort(9100)); // task-2 has no metrics port
    assertThat(metricsSet.isKnown()).isTrue();
  }

  @Test
  void instancesAndTheirAttributesBecomeEndpoints() throws Exception {
    stub.service(
        NS,
        "orders",
        7,
        Instance.healthy(
            "task-1",
            "127.0.0.11",
            31001,
            "AVAILABILITY_ZONE",
            "us-east-1a",
            "ECS_SERVICE_NAME",
            "orders",
            "WHALERAY_WEIGHT",
            "5"),
        Instance.healthy("task-2", "127.0.0.12", 31002, "AVAILABILITY_ZONE", "us-east-1b"),
        new Instance("task-3", "HEALTHY", Map.of("AWS_INSTANCE_IPV4", "127.0.0.13")),
        new Instance("no-address", "HEALTHY", Map.of("AWS_INSTANCE_PORT", "31004")),
        Instance.healthy("bad-weight", "127.0.0.15", 31005, "WHALERAY_WEIGHT", "heavy"));
    discovery = builder().build();

    EndpointSet set = ready(discovery.watch("orders", new RecordingListener()));

    assertThat(set.isKnown()).isTrue();
    assertThat(set.endpoints())
        .containsExactly(
            Endpoint.builder("127.0.0.11", 31001)
                .weight(5)
                .zone("us-east-1a")
                .attribute("AWS_INSTANCE_IPV4", "127.0.0.11")
                .attribute("AWS_INSTANCE_PORT", "31001")
                .attribute("AVAILABILITY_ZONE", "us-east-1a")
                .attribute("ECS_SERVICE_NAME", "orders")
                .attribute("WHALERAY_WEIGHT", "5")
                .build(),
            Endpoint.builder("127.0.0.12", 31002)
                .zone("us-east-1b")
                .attribute("AWS_INSTANCE_IPV4", "127.0.0.12")
                .attribute("AWS_INSTANCE_PORT", "31002")
                .attribute("AVAILABILITY_ZONE", "us-east-1b")
                .build(),
            // No AWS_INSTANCE_PORT: the backend port.
            Endpoint.builder("127.0.0.13", 3000)
                .attribute("AWS_INSTANCE_IPV4", "127.0.0.13")
                .build(),
            // An unreadable weight: the default weight, attributes kept.
            Endpoint.builder("127.0.0.15", 31005)
                .attribute("AWS_INSTANCE_IPV4", "127.0.0.15")
                .attribute("AWS_INSTANCE_PORT", "31005")
                .attribute("WHALERAY_WEIGHT", "heavy")
                .build());

    CloudMapStub.Request first = stub.requests().get(0);
    assertThat(first.operation()).isEqualTo("DiscoverInstances");
    assertThat(first.body())
        .containsEntry("NamespaceName", NS)
        .containsEntry("ServiceName", "orders")
        .containsEntry("HealthStatus", "HEALTHY_OR_ELSE_ALL")
        .containsEntry("MaxResults", 1000L);
    // Exactly the endpoint override: no "data-" host prefix.
    assertThat(first.host()).isEqualTo("127.0.0.1:" + stub.port());
    // Signed for the region and service given.
    assertThat(first.auth())
        .startsWith("AWS4-HMAC-SHA256 Credential=AKIDTEST/")
        .contains("/us-east-1/servicediscovery/aws4_request");
  }

  @Test
  void withoutDisablingHostPrefixInjectionTheSdkWouldCallDataPrefixedHost() {
    // Why the discovery sets DISABLE_HOST_PREFIX_INJECTION: the API model gives DiscoverInstances
    // the host prefix "data-", and the SDK puts it in front of an endpoint override too.
    stub.service(NS, "orders", 1, Instance.healthy("task-1", "127.0.0.11", 31001));
    try (ServiceDiscoveryClient plain =
        ServiceDiscoveryClient.builder()
            .endpointOverride(java.net.URI.create("http://localhost:" + stub.port()))
            .region(Region.US_EAST_1)
            .credentialsProvider(
                StaticCredentialsProvider.create(AwsBasicCredentials.create("AKIDTEST", "secret")))
            .httpClientBuilder(
                software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient.builder())
            .build()) {
      assertThatThrownBy(
              () ->
                  plain.discoverInstances(
                      r -> r.namespaceName(NS).serviceName("orders").healthStatus("ALL")))
          .isInstanceOf(SdkClientException.class)
          .hasRootCauseInstanceOf(UnknownHostException.class)
          .hasStackTraceContaining("data-localhost");
    }
    assertThat(stub.requests()).isEmpty();
  }

  @Test
  void anUnchangedRevisionSkipsDiscoverInstances() throws Exception {
    stub.service(NS, "orders", 1, Instance.healthy("task-1", "127.0.0.11", 31001));
    discovery = builder().build();
    RecordingListener listener = new RecordingListener();
    ready(discovery.watch("orders", listener));

    await(() -> stub.revisionCalls() >= 5, "5 revision polls");
    assertThat(stub.discoverInstancesCalls()).isEqualTo(1);
    assertThat(listener.updates()).hasSize(1);

    // A new task registers: the revision changes and the instances are fetched once.
    stub.service(
        NS,
        "orders",
        2,
        Instance.healthy("task-1", "127.0.0.11", 31001),
        Instance.healthy("task-2", "127.0.0.12", 31002));
    listener.awaitLast(s -> s.size() == 2, WAIT);
    int revisions = stub.revisionCalls();
    await(() -> stub.revisionCalls() >= revisions + 5, "5 more revision polls");
    assertThat(stub.discoverInstancesCalls()).isEqualTo(2);
    for (CloudMapStub.Request r : stub.requests()) {
      assertThat(r.body())
          .containsEntry("NamespaceName", NS)
          .containsEntry("ServiceName", "orders");
      assertThat(r.host()).isEqualTo("127.0.0.1:" + stub.port());
    }
  }

  @Test
  void aFullRefreshCatchesHealthChangesThatKeepTheRevision() throws Exception {
    // Cloud Map does not bump InstancesRevision for health status changes.
    stub.service(
        NS,
        "orders",
        1,
        Instance.healthy("task-1", "127.0.0.11", 31001),
        Instance.healthy("task-2", "127.0.0.12", 31002));
    discovery =
        builder()
            .healthStatus(HealthStatusFilter.HEALTHY)
            .fullRefresh(Duration.ofMillis(500))
            .build();
    RecordingListener listener = new RecordingListener();
    assertThat(ready(discovery.watch("orders", listener)).size()).isEqualTo(2);

    stub.service(
        NS,
        "orders",
        1,
        Instance.healthy("task-1", "127.0.0.11", 31001),
        Instance.of("task-2", "UNHEALTHY", "127.0.0.12", 31002));

    EndpointSet set = listener.awaitLast(s -> s.size() == 1, WAIT);
    assertThat(set.endpoints().get(0).port()).isEqualTo(31001);
  }

  @Test
  void theHealthStatusFilterIsAlwaysSent() throws Exception {
    stub.service(
        NS,
        "orders",
        1,
        Instance.healthy("task-1", "127.0.0.11", 31001),
        Instance.of("task-2", "UNHEALTHY", "127.0.0.12", 31002));
    stub.service(NS, "sick", 1, Instance.of("task-9", "UNHEALTHY", "127.0.0.19", 31009));

    // Default HEALTHY_OR_ELSE_ALL: the healthy ones, or all when none is healthy.
    discovery = builder().build();
    assertThat(ready(discovery.watch("orders", new RecordingListener())).size()).isEqualTo(1);
    assertThat(ready(discovery.watch("sick", new RecordingListener())).size()).isEqualTo(1);
    discovery.close();

    discovery = builder().healthStatus(HealthStatusFilter.ALL).build();
    assertThat(ready(discovery.watch("orders", new RecordingListener())).size()).isEqualTo(2);
    discovery.close();

    discovery = builder().healthStatus(HealthStatusFilter.HEALTHY).build();
    assertThat(ready(discovery.watch("sick", new RecordingListener())).isEmpty()).isTrue();

    assertThat(
            stub.requests().stream()
                .filter(r -> r.operation().equals("DiscoverInstances"))
                .map(r -> r.body().get("HealthStatus"))
                .toList())
        .startsWith("HEALTHY_OR_ELSE_ALL", "HEALTHY_OR_ELSE_ALL", "ALL", "HEALTHY");
  }

  @Test
  void throttlingKeepsTheLastEndpointsAndBacksOff() throws Exception {
    stub.service(NS, "orders", 1, Instance.healthy("task-1", "127.0.0.11", 31001));
    discovery = builder().refresh(Duration.ofMillis(50)).backoffMax(Duration.ofMillis(400)).build();
    RecordingListener listener = new RecordingListener();
    EndpointSet first = ready(discovery.watch("orders", listener));

    stub.throttle(1_000_000, "ThrottlingException");
    int before = stub.revisionCalls() + stub.discoverInstancesCalls();
    Thread.sleep(1500);
    int during = stub.revisionCalls() + stub.discoverInstancesCalls() - before;
    // Polling every 50 ms would make about 30 calls; backing off from 100 ms to 400 ms, 5 to 8.
    assertThat(during).isBetween(2, 10);
    List<RecordingListener.Failure> errors = listener.errors();
    assertThat(errors).isNotEmpty();
    assertThat(errors.get(0).error())
        .isInstanceOf(ServiceDiscoveryException.class)
        .hasMessageContaining("Rate exceeded");
    assertThat(((ServiceDiscoveryException) errors.get(0).error()).isThrottlingException())
        .isTrue();
    assertThat(listener.updates()).containsExactly(first);

    // Cloud Map's own throttling code, then the throttling ends: polls resume and see changes.
    stub.throttle(2, "RequestLimitExceeded");
    listener.awaitErrors(errors.size() + 2, WAIT);
    assertThat(listener.errors().get(listener.errors().size() - 1).error())
        .isInstanceOf(RequestLimitExceededException.class);
    stub.service(
        NS,
        "orders",
        2,
        Instance.healthy("task-1", "127.0.0.11", 31001),
        Instance.healthy("task-2", "127.0.0.12", 31002));
    listener.awaitLast(s -> s.size() == 2, WAIT);
  }

  @Test
  void notFoundErrorsAreUnknownAndCachedNegatively() throws Exception {
    stub.namespace(NS);
    discovery =
        builder().refresh(Duration.ofMillis(50)).negativeTtl(Duration.ofMillis(700)).build();
    RecordingListener listener = new RecordingListener();

    EndpointSet missing = ready(discovery.watch("missing", listener));
    assertThat(missing.isKnown()).isFalse();
    assertThat(listener.errors()).isEmpty();

    // Not asked again before the negative TTL (polls every 50 ms would be about 10 calls).
    Thread.sleep(500);
    assertThat(stub.discoverInstancesCalls()).isEqualTo(1);

    // The service is created: found after the negative TTL.
    stub.service(NS, "missing", 1, Instance.healthy("task-1", "127.0.0.11", 31001));
    EndpointSet found = listener.awaitLast(EndpointSet::isKnown, WAIT);
    assertThat(found.endpoints())
        .containsExactly(
            Endpoint.builder("127.0.0.11", 31001)
                .attribute("AWS_INSTANCE_IPV4", "127.0.0.11")
                .attribute("AWS_INSTANCE_PORT", "31001")
                .build());

    // Deleted again: unknown again (the revision poll says ServiceNotFound).
    stub.remove(NS, "missing");
    listener.awaitLast(s -> !s.isKnown(), WAIT);

    // A namespace that does not exist: unknown too.
    RecordingListener other = new RecordingListener();
    CloudMapApiDiscovery elsewhere = builder().namespace("nowhere.local").build();
    try {
      assertThat(ready(elsewhere.watch("orders", other)).isKnown()).isFalse();
    } finally {
      elsewhere.close();
    }
    assertThat(stub.requests().get(stub.requests().size() - 1).body())
        .containsEntry("NamespaceName", "nowhere.local");
  }

  @Test
  void pollingStopsWhenTheLastWatchCloses() throws Exception {
    stub.service(NS, "orders", 1, Instance.healthy("task-1", "127.0.0.11", 31001));
    discovery = builder().refresh(Duration.ofMillis(50)).build();
    Watch w1 = discovery.watch("orders", new RecordingListener());
    Watch w2 = discovery.watch("orders", new RecordingListener());
    ready(w1);
    ready(w2);
    await(() -> stub.revisionCalls() >= 3, "3 polls");
    assertThat(stub.discoverInstancesCalls()).isEqualTo(1);

    w1.close();
    int calls = stub.revisionCalls();
    await(() -> stub.revisionCalls() >= calls + 2, "polls go on while one watch is left");
    w2.close();
    await(() -> discovery.activePolls() == 0, "the poll to stop");
    Thread.sleep(150); // a poll under way may finish
    int after = stub.revisionCalls();
    Thread.sleep(300);
    assertThat(stub.revisionCalls()).isEqualTo(after);
  }

  @Test
  void theProviderUsesTheSdkDefaultChainsAndTheSettings() throws Exception {
    stub.service(NS, "orders", 3, Instance.healthy("task-1", "127.0.0.11", 31001));
    // What AWS_REGION, AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY do in production.
    System.setProperty("aws.region", "eu-west-1");
    System.setProperty("aws.accessKeyId", "AKIDCHAIN");
    System.setProperty("aws.secretAccessKey", "secret");
    try {
      Discovery d =
          DiscoveryProviders.get("cloudmap-api")
              .newDiscovery(
                  DiscoveryContext.builder()
                      .setting("namespace", NS)
                      .setting("cloudmapEndpoint", stub.endpoint().toString())
                      .setting("cloudmapRefresh", "100ms")
                      .setting("cloudmapHealthStatus", "all")
                      .scheduler(scheduler)
                      .build());
      try {
        EndpointSet set = ready(d.watch("orders", new RecordingListener()));
        assertThat(set.endpoints()).extracting(Endpoint::port).containsExactly(31001);
      } finally {
        d.close();
      }
    } finally {
      System.clearProperty("aws.region");
      System.clearProperty("aws.accessKeyId");
      System.clearProperty("aws.secretAccessKey");
    }
    CloudMapStub.Request r = stub.requests().get(0);
    assertThat(r.body()).containsEntry("HealthStatus", "ALL");
    assertThat(r.auth()).contains("AKIDCHAIN/").contains("/eu-west-1/servicediscovery/");
    assertThat(r.host()).isEqualTo("127.0.0.1:" + stub.port());
  }
}
