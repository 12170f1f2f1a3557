package dev.whaleray.discovery.cloudmap.dns;

import static org.assertj.core.api.Assertions.assertThat;

import dev.whaleray.discovery.cloudmap.testing.Dnsmasq;
import dev.whaleray.router.Endpoint;
import dev.whaleray.router.EndpointSet;
import dev.whaleray.router.discovery.Discovery;
import dev.whaleray.router.discovery.DiscoveryContext;
import dev.whaleray.router.discovery.DiscoveryProviders;
import dev.whaleray.router.discovery.Watch;
import dev.whaleray.router.testing.RecordingListener;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Named ports through DNS (issue #16): {@code _<name>._tcp.<service>.<namespace>} SRV records in a
 * real dnsmasq, looked up only once a port is watched.
 */
class CloudMapDnsPortsIT {
  private static final Duration WAIT = Duration.ofSeconds(10);
  private static final String NS = "whaleray.local";

  @TempDir Path dir;
  private final ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor();
  private Dnsmasq dns;
  private Discovery discovery;

  @BeforeAll
  static void needsDnsmasq() {
    Dnsmasq.assumeInstalled();
  }

  @AfterEach
  void tearDown() throws Exception {
    if (discovery != null) {
      discovery.close();
    }
    if (dns != null) {
      dns.close();
    }
    scheduler.shutdownNow();
    assertThat(scheduler.awaitTermination(5, TimeUnit.SECONDS)).isTrue();
  }

  private static String srv(String name, String target, int port) {
    return "srv-host=" + name + "." + NS + "," + target + "." + NS + "," + port + ",1,1\n";
  }

  private static String host(String target, String ip) {
    return "host-record=" + target + "." + NS + "," + ip + "\n";
  }

  private static EndpointSet ready(Watch watch) throws Exception {
    return watch.ready().toCompletableFuture().get(WAIT.toSeconds(), TimeUnit.SECONDS);
  }

  @Test
  void eachPortHasItsOwnSrvNameLookedUpOnlyWhenWatched() throws Exception {
    dns =
        Dnsmasq.start(
            dir,
            NS,
            srv("demo", "task-1.demo", 31001)
                + srv("demo", "task-2.demo", 31002)
                + srv("_metrics._tcp.demo", "task-1.demo", 9100)
                + srv("_metrics._tcp.demo", "task-2.demo", 9101)
                + srv("_grpc._tcp.demo", "task-1.demo", 50051)
                + host("task-1.demo", "127.0.0.11")
                + host("task-2.demo", "127.0.0.12"),
            "");
    discovery =
        DiscoveryProviders.get("cloudmap-dns")
            .newDiscovery(
                DiscoveryContext.builder()
                    .settings(
                        Map.of(
                            "namespace",
                            NS,
                            "backendPort",
                            "3000",
                            "dnsServers",
                            dns.address(),
                            "dnsTimeout",
                            "1s"))
                    .scheduler(scheduler)
                    .build());

    EndpointSet base = ready(discovery.watch("demo", new RecordingListener()));
    assertThat(base.endpoints())
        .containsExactly(Endpoint.of("127.0.0.11", 31001), Endpoint.of("127.0.0.12", 31002));
    // Lazy: no route asked for a port yet, so no per-port name was queried.
    assertThat(dns.queries("SRV", "_metrics._tcp.demo." + NS)).isZero();

    RecordingListener metrics = new RecordingListener();
    discovery.watch("demo", "metrics", metrics);
    EndpointSet m = metrics.awaitLast(s -> !s.isEmpty(), WAIT);
    assertThat(m.service()).isEqualTo("demo");
    assertThat(m.endpoints())
        .containsExactly(Endpoint.of("127.0.0.11", 9100), Endpoint.of("127.0.0.12", 9101));
    assertThat(dns.queries("SRV", "_metrics._tcp.demo." + NS)).isPositive();
    assertThat(dns.queries("SRV", "_grpc._tcp.demo." + NS)).isZero();

    RecordingListener grpc = new RecordingListener();
    discovery.watch("demo", "grpc", grpc);
    assertThat(grpc.awaitLast(s -> !s.isEmpty(), WAIT).endpoints())
        .containsExactly(Endpoint.of("127.0.0.11", 50051));

    // A port without an SRV name: known and empty (the router answers 502 naming the port), never
    // an A-record fallback to the backend port.
    RecordingListener admin = new RecordingListener();
    discovery.watch("demo", "admin", admin);
    EndpointSet none = admin.awaitLast(s -> true, WAIT);
    assertThat(none.isKnown()).isTrue();
    assertThat(none.isEmpty()).isTrue();
    assertThat(none.service()).isEqualTo("demo");

    // A number: only one of the service's own records' ports.
    RecordingListener byNumber = new RecordingListener();
    discovery.watch("demo", "31002", byNumber);
    assertThat(byNumber.awaitLast(s -> true, WAIT).endpoints())
        .containsExactly(Endpoint.of("127.0.0.12", 31002));
    RecordingListener ssh = new RecordingListener();
    discovery.watch("demo", "22", ssh);
    assertThat(ssh.awaitLast(s -> true, WAIT).isEmpty()).isTrue();
  }
}
