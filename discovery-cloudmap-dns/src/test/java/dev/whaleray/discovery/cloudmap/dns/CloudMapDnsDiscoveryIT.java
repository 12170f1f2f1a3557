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
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The {@code cloudmap-dns} discovery, built by its provider as the router builds it, against a real
 * dnsmasq on a loopback port. dnsmasq answers with TTL 1, so the discovery refreshes about every
 * second; waits are bounded by {@link #WAIT}.
 */
class CloudMapDnsDiscoveryIT {
  private static final Duration WAIT = Duration.ofSeconds(10);
  private static final String NS = "whaleray.local";

  @TempDir Path dir;
  private final ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor();
  private final List<AutoCloseable> resources = new ArrayList<>();

  @BeforeAll
  static void needsDnsmasq() {
    Dnsmasq.assumeInstalled();
  }

  @AfterEach
  void tearDown() throws Exception {
    for (AutoCloseable c : resources) {
      c.close();
    }
    scheduler.shutdownNow();
    assertThat(scheduler.awaitTermination(5, TimeUnit.SECONDS)).isTrue();
  }

  private Dnsmasq dnsmasq(String config, String hosts) throws Exception {
    Dnsmasq d = Dnsmasq.start(dir, NS, config, hosts);
    resources.add(d);
    return d;
  }

  private Discovery discovery(Dnsmasq dns, String... settings) {
    Map<String, String> s = new HashMap<>();
    s.put("namespace", NS);
    s.put("backendPort", "3000");
    s.put("dnsServers", dns.address());
    s.put("dnsTimeout", "1s");
    s.put("dnsBackoff", "200ms");
    s.put("dnsBackoffMax", "1s");
    for (int i = 0; i + 1 < settings.length; i += 2) {
      s.put(settings[i], settings[i + 1]);
    }
    Discovery d =
        DiscoveryProviders.get("cloudmap-dns")
            .newDiscovery(DiscoveryContext.builder().settings(s).scheduler(scheduler).build());
    resources.add(0, d); // closed before the server
    return d;
  }

  private static String srv(String service, String instance, int port, int priority, int weight) {
    return "srv-host="
        + service
        + "."
        + NS
        + ","
        + instance
        + "."
        + service
        + "."
        + NS
        + ","
        + port
        + ","
        + priority
        + ","
        + weight
        + "\n";
  }

  private static String host(String service, String instance, String ip) {
    return "host-record=" + instance + "." + service + "." + NS + "," + ip + "\n";
  }

  private static Endpoint ep(String host, int port, int weight) {
    return Endpoint.builder(host, port).weight(weight).build();
  }

  private static EndpointSet ready(Watch watch) throws Exception {
    return watch.ready().toCompletableFuture().get(WAIT.toSeconds(), TimeUnit.SECONDS);
  }

  @Test
  void srvInstancesOnDistinctPortsAFallbackWithTheBackendPortAndNxdomain() throws Exception {
    Dnsmasq dns =
        dnsmasq(
            srv("orders", "task-1", 31001, 1, 10)
                + srv("orders", "task-2", 31002, 1, 20)
                + srv("orders", "task-3", 31003, 1, 10)
                + srv("orders", "spare", 32000, 5, 10)
                + host("orders", "task-1", "127.0.0.11")
                + host("orders", "task-2", "127.0.0.12")
                + host("orders", "task-3", "127.0.0.11")
                + host("orders", "spare", "127.0.0.19"),
            "127.0.0.21 catalog." + NS + "\n127.0.0.22 catalog." + NS + "\n");
    Discovery discovery = discovery(dns);

    EndpointSet orders = ready(discovery.watch("orders", new RecordingListener()));
    assertThat(orders.isKnown()).isTrue();
    assertThat(orders.endpoints())
        .containsExactly(
            ep("127.0.0.11", 31001, 10), ep("127.0.0.11", 31003, 10), ep("127.0.0.12", 31002, 20));

    EndpointSet catalog = ready(discovery.watch("catalog", new RecordingListener()));
    assertThat(catalog.endpoints())
        .containsExactly(Endpoint.of("127.0.0.21", 3000), Endpoint.of("127.0.0.22", 3000));

    long started = System.nanoTime();
    EndpointSet missing = ready(discovery.watch("missing", new RecordingListener()));
    long millis = (System.nanoTime() - started) / 1_000_000;
    assertThat(missing.isKnown()).isFalse();
    assertThat(millis).as("NXDOMAIN answered fast").isLessThan(1000);
    assertThat(dns.queries("SRV", "missing." + NS)).isEqualTo(1);
  }

  @Test
  void recordsChangedAtRuntimeAreFollowedWithinValidAndRefresh() throws Exception {
    Dnsmasq dns =
        dnsmasq(
            srv("orders", "task-1", 31001, 1, 1) + host("orders", "task-1", "127.0.0.11"),
            "127.0.0.21 catalog." + NS + "\n");
    Discovery discovery = discovery(dns, "dnsValid", "1s");
    RecordingListener catalog = new RecordingListener();
    RecordingListener orders = new RecordingListener();
    ready(discovery.watch("catalog", catalog));
    ready(discovery.watch("orders", orders));

    // A records: dnsmasq re-reads its hosts file on SIGHUP.
    dns.writeHosts("127.0.0.21 catalog." + NS + "\n127.0.0.23 catalog." + NS + "\n");
    dns.reloadHosts();
    long changed = System.nanoTime();
    catalog.awaitLast(s -> s.size() == 2, WAIT);
    long followedMillis = (System.nanoTime() - changed) / 1_000_000;
    assertThat(catalog.last().endpoints())
        .containsExactly(Endpoint.of("127.0.0.21", 3000), Endpoint.of("127.0.0.23", 3000));
    // valid=1s: the next lookup starts within 0.95 s of the last one and takes milliseconds.
    assertThat(followedMillis).isLessThan(2500);

    // SRV records: a new task on a new port (dnsmasq needs a restart for srv-host lines).
    dns.restart(
        srv("orders", "task-1", 31001, 1, 1)
            + srv("orders", "task-2", 31005, 1, 1)
            + host("orders", "task-1", "127.0.0.11")
            + host("orders", "task-2", "127.0.0.12"));
    orders.awaitLast(s -> s.size() == 2, WAIT);
    assertThat(orders.last().endpoints())
        .containsExactly(Endpoint.of("127.0.0.11", 31001), Endpoint.of("127.0.0.12", 31005));

    // A task stops: its record goes, and so does the endpoint.
    dns.restart(srv("orders", "task-2", 31005, 1, 1) + host("orders", "task-2", "127.0.0.12"));
    orders.awaitLast(s -> s.size() == 1, WAIT);
    assertThat(orders.last().endpoints()).containsExactly(Endpoint.of("127.0.0.12", 31005));
    assertThat(orders.maxConcurrentCalls()).isEqualTo(1);
  }

  @Test
  void aStoppedResolverKeepsTheLastGoodEndpointsThenRecovers() throws Exception {
    Dnsmasq dns =
        dnsmasq(srv("orders", "task-1", 31001, 1, 1) + host("orders", "task-1", "127.0.0.11"), "");
    Discovery discovery = discovery(dns);
    RecordingListener orders = new RecordingListener();
    EndpointSet first = ready(discovery.watch("orders", orders));

    dns.stop();
    List<RecordingListener.Failure> errors = orders.awaitErrors(2, WAIT);
    assertThat(errors.get(0).service()).isEqualTo("orders");
    assertThat(errors.get(0).error()).hasMessageContaining("127.0.0.1:" + dns.port());
    // Nothing was published in the meantime: the router keeps using the last good set.
    assertThat(orders.updates()).containsExactly(first);

    int errorsBefore = orders.errors().size();
    dns.restart(
        srv("orders", "task-1", 31001, 1, 1)
            + srv("orders", "task-2", 31002, 1, 1)
            + host("orders", "task-1", "127.0.0.11")
            + host("orders", "task-2", "127.0.0.12"));
    // Backoff is at most 1 s (dnsBackoffMax) plus jitter: recovered well within the wait.
    EndpointSet recovered = orders.awaitLast(s -> s.size() == 2, WAIT);
    assertThat(recovered.endpoints())
        .containsExactly(Endpoint.of("127.0.0.11", 31001), Endpoint.of("127.0.0.12", 31002));
    assertThat(recovered.revision()).isGreaterThan(first.revision());
    // Errors stopped once the server answered again (allow one lookup that was under way).
    int errorsAfter = orders.errors().size();
    assertThat(errorsAfter - errorsBefore).isLessThanOrEqualTo(1);
  }

  @Test
  void aTruncatedUdpAnswerIsRetriedOverTcp() throws Exception {
    // 60 tasks: the SRV answer with its additional A records is far over the 1280-byte EDNS size.
    StringBuilder config = new StringBuilder();
    List<Endpoint> expected = new ArrayList<>();
    for (int i = 1; i <= 60; i++) {
      config.append(srv("big", "task-" + i, 30000 + i, 1, 1));
      config.append(host("big", "task-" + i, "127.0.1." + i));
      expected.add(Endpoint.of("127.0.1." + i, 30000 + i));
    }
    Dnsmasq dns = dnsmasq(config.toString(), "");
    Discovery discovery = discovery(dns, "dnsValid", "1h");

    EndpointSet big = ready(discovery.watch("big", new RecordingListener()));

    assertThat(big.endpoints()).containsExactlyInAnyOrderElementsOf(expected);
    // 60 SRV records and their addresses cannot fit in 1,280 bytes: the full set came over TCP,
    // after the truncated UDP answer (dnsmasq logs both questions).
    assertThat(dns.queries("SRV", "big." + NS)).isGreaterThanOrEqualTo(2);
  }

  @Test
  void manyWatchersMakeOneLookupAndTheLastUnwatchStopsIt() throws Exception {
    Dnsmasq dns =
        dnsmasq(srv("orders", "task-1", 31001, 1, 1) + host("orders", "task-1", "127.0.0.11"), "");
    Discovery discovery = discovery(dns); // TTL 1: refreshed about every second while watched
    List<Watch> watches = new ArrayList<>();
    for (int i = 0; i < 20; i++) {
      watches.add(discovery.watch("orders", new RecordingListener()));
    }
    for (Watch w : watches) {
      ready(w);
    }
    assertThat(dns.queries("SRV", "orders." + NS)).isEqualTo(1);

    // Refreshed in the background while watched...
    long deadline = System.nanoTime() + WAIT.toNanos();
    while (dns.queries("SRV", "orders." + NS) < 3 && System.nanoTime() < deadline) {
      Thread.sleep(50);
    }
    assertThat(dns.queries("SRV", "orders." + NS)).isGreaterThanOrEqualTo(3);

    // ...and not after the last watch closes.
    for (Watch w : watches) {
      w.close();
    }
    Thread.sleep(200); // a lookup under way may still finish
    int after = dns.queries("SRV", "orders." + NS);
    Thread.sleep(1500); // more than the refresh period of a 1 s TTL
    assertThat(dns.queries("SRV", "orders." + NS)).isEqualTo(after);
  }
}
