package dev.whaleray.discovery.cloudmap.dns;

import static dev.whaleray.discovery.cloudmap.dns.FakeResolver.a;
import static dev.whaleray.discovery.cloudmap.dns.FakeResolver.cname;
import static dev.whaleray.discovery.cloudmap.dns.FakeResolver.srv;
import static org.assertj.core.api.Assertions.assertThat;

import dev.whaleray.discovery.cloudmap.testing.ManualScheduler;
import dev.whaleray.router.Endpoint;
import dev.whaleray.router.EndpointSet;
import dev.whaleray.router.discovery.Watch;
import dev.whaleray.router.testing.RecordingListener;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Type;

/**
 * The DNS discovery's rules on a fake resolver and a manual clock: SRV mapping, priorities, A
 * fallback, CNAMEs, TTL clamping, negative caching, errors and backoff, refresh timing. Jitter is
 * pinned to its low end (random 0), so refreshes come at exactly 80 % of the validity and backoff
 * at 80 % of its base.
 */
class CloudMapDnsDiscoveryTest {
  private static final String SVC = "svc.ns.local";

  private final ManualScheduler scheduler = new ManualScheduler();
  private final FakeResolver dns = new FakeResolver();
  private CloudMapDnsDiscovery discovery = newDiscovery(CloudMapDnsDiscovery.builder());

  private CloudMapDnsDiscovery newDiscovery(CloudMapDnsDiscovery.Builder b) {
    return b.scheduler(scheduler)
        .resolver(dns)
        .namespace("ns.local")
        .backendPort(3000)
        .random(() -> 0.0)
        .build();
  }

  @AfterEach
  void tearDown() {
    discovery.close();
  }

  private RecordingListener watch(String service) {
    RecordingListener listener = new RecordingListener();
    discovery.watch(service, listener);
    scheduler.runDue();
    return listener;
  }

  private static Endpoint ep(String host, int port, int weight) {
    return Endpoint.builder(host, port).weight(weight).build();
  }

  @Test
  void srvRecordsBecomeEndpointsWithTheirPortsAndWeights() {
    dns.answer(
        SVC,
        Type.SRV,
        Rcode.NOERROR,
        List.of(
            srv(SVC, 30, 1, 10, 31001, "i1.svc.ns.local"),
            srv(SVC, 30, 1, 20, 31002, "i2.svc.ns.local"),
            srv(SVC, 30, 1, 0, 31003, "i3.svc.ns.local")),
        List.of(
            a("i1.svc.ns.local", 30, "10.0.0.1"),
            a("i2.svc.ns.local", 30, "10.0.0.2"),
            a("i3.svc.ns.local", 30, "10.0.0.3")));

    RecordingListener listener = watch("svc");

    EndpointSet set = listener.last();
    assertThat(set).isNotNull();
    assertThat(set.isKnown()).isTrue();
    assertThat(set.endpoints())
        .containsExactly(
            ep("10.0.0.1", 31001, 10), ep("10.0.0.2", 31002, 20), ep("10.0.0.3", 31003, 0));
    // The addresses came in the additional section: no A query.
    assertThat(dns.questions).containsExactly("SRV svc.ns.local.");
    // Refreshed at 80 % of the 30 s TTL, before it expires.
    assertThat(scheduler.pendingDelays()).containsExactly(Duration.ofSeconds(24));
  }

  @Test
  void everySrvWeightZeroStaysZeroSoTheyShareTrafficEqually() {
    dns.answer(
        SVC,
        Type.SRV,
        Rcode.NOERROR,
        List.of(srv(SVC, 30, 1, 0, 31001, "i1.ns.local"), srv(SVC, 30, 1, 0, 31002, "i1.ns.local")),
        List.of(a("i1.ns.local", 30, "10.0.0.1")));

    assertThat(watch("svc").last().endpoints())
        .containsExactly(ep("10.0.0.1", 31001, 0), ep("10.0.0.1", 31002, 0));
  }

  @Test
  void theLowestPriorityWinsAndTheNextIsUsedWhenItsTargetsDoNotResolve() {
    dns.answer(
        SVC,
        Type.SRV,
        Rcode.NOERROR,
        List.of(
            srv(SVC, 30, 2, 1, 32000, "backup.ns.local"),
            srv(SVC, 30, 1, 1, 31001, "main.ns.local")),
        List.of(a("backup.ns.local", 30, "10.0.0.9"), a("main.ns.local", 30, "10.0.0.1")));

    RecordingListener listener = watch("svc");
    assertThat(listener.last().endpoints()).containsExactly(Endpoint.of("10.0.0.1", 31001));

    // The main target has no address any more (NXDOMAIN): the backup priority takes over.
    dns.answer(
        SVC,
        Type.SRV,
        Rcode.NOERROR,
        List.of(
            srv(SVC, 30, 2, 1, 32000, "backup.ns.local"),
            srv(SVC, 30, 1, 1, 31001, "gone.ns.local")),
        List.of(a("backup.ns.local", 30, "10.0.0.9")));
    scheduler.advance(Duration.ofSeconds(24));

    assertThat(listener.last().endpoints()).containsExactly(Endpoint.of("10.0.0.9", 32000));
    assertThat(dns.asked("gone.ns.local", Type.A)).isEqualTo(1);
  }

  @Test
  void targetsMissingFromTheAdditionalSectionAreLookedUpFollowingCnames() {
    dns.answer(
        SVC,
        Type.SRV,
        srv(SVC, 60, 1, 1, 31001, "i1.ns.local"),
        srv(SVC, 60, 1, 1, 31002, "i2.ns.local"));
    dns.answer("i1.ns.local", Type.A, a("i1.ns.local", 20, "10.0.0.1"));
    dns.answer(
        "i2.ns.local",
        Type.A,
        cname("i2.ns.local", 40, "host-b.ns.local"),
        a("host-b.ns.local", 50, "10.0.0.2"),
        a("host-b.ns.local", 50, "10.0.0.3"),
        a("unrelated.ns.local", 5, "10.9.9.9"));

    assertThat(watch("svc").last().endpoints())
        .containsExactly(
            Endpoint.of("10.0.0.1", 31001),
            Endpoint.of("10.0.0.2", 31002),
            Endpoint.of("10.0.0.3", 31002));
    assertThat(dns.asked("i1.ns.local", Type.A)).isEqualTo(1);
    assertThat(dns.asked("i2.ns.local", Type.A)).isEqualTo(1);
    // Valid for the smallest TTL used (20 s), refreshed at 16 s.
    assertThat(scheduler.pendingDelays()).containsExactly(Duration.ofSeconds(16));
  }

  @Test
  void unusableSrvRecordsAreSkipped() {
    dns.answer(
        SVC,
        Type.SRV,
        Rcode.NOERROR,
        List.of(
            srv(SVC, 30, 1, 1, 31001, "."), // "not available here" (RFC 2782)
            srv(SVC, 30, 1, 1, 0, "i1.ns.local"), // port 0
            srv(SVC, 30, 1, 1, 31003, "i1.ns.local")),
        List.of(a("i1.ns.local", 30, "10.0.0.1")));

    assertThat(watch("svc").last().endpoints()).containsExactly(Endpoint.of("10.0.0.1", 31003));
  }

  @Test
  void withoutSrvRecordsTheARecordsAreUsedWithTheBackendPort() {
    dns.answer(SVC, Type.SRV); // NOERROR, no data
    dns.answer(SVC, Type.A, a(SVC, 0, "10.0.0.2"), a(SVC, 0, "10.0.0.1"));

    RecordingListener listener = watch("svc");

    assertThat(listener.last().endpoints())
        .containsExactly(Endpoint.of("10.0.0.1", 3000), Endpoint.of("10.0.0.2", 3000));
    // TTL 0 is clamped to the 1 s minimum: refreshed at 800 ms, not in a loop.
    assertThat(scheduler.pendingDelays()).containsExactly(Duration.ofMillis(800));
  }

  @Test
  void longTtlsAreClampedToTheMaximum() {
    dns.answer(SVC, Type.SRV);
    dns.answer(SVC, Type.A, a(SVC, 7 * 86400, "10.0.0.1"));

    watch("svc");

    assertThat(scheduler.pendingDelays()).containsExactly(Duration.ofMinutes(48)); // 80 % of 1 h
  }

  @Test
  void validOverridesTheTtlLikeNginx() {
    discovery.close();
    discovery = newDiscovery(CloudMapDnsDiscovery.builder().valid(Duration.ofSeconds(10)));
    dns.answer(SVC, Type.SRV);
    dns.answer(SVC, Type.A, a(SVC, 300, "10.0.0.1"));

    watch("svc");

    assertThat(scheduler.pendingDelays()).containsExactly(Duration.ofSeconds(8));
  }

  @Test
  void changedRecordsArePublishedAtTheNextRefresh() {
    dns.answer(SVC, Type.SRV);
    dns.answer(SVC, Type.A, a(SVC, 5, "10.0.0.1"));
    RecordingListener listener = watch("svc");
    assertThat(listener.last().endpoints()).containsExactly(Endpoint.of("10.0.0.1", 3000));

    dns.answer(SVC, Type.A, a(SVC, 5, "10.0.0.1"), a(SVC, 5, "10.0.0.7"));
    scheduler.advance(Duration.ofSeconds(4)); // 80 % of 5 s

    assertThat(listener.last().endpoints())
        .containsExactly(Endpoint.of("10.0.0.1", 3000), Endpoint.of("10.0.0.7", 3000));
    assertThat(listener.updates()).hasSize(2);

    // The same answer again publishes nothing.
    scheduler.advance(Duration.ofSeconds(4));
    assertThat(dns.asked(SVC, Type.A)).isEqualTo(3);
    assertThat(listener.updates()).hasSize(2);
  }

  @Test
  void nxdomainIsUnknownAndCheckedAgainAfterTheNegativeTtl() {
    discovery.close();
    discovery = newDiscovery(CloudMapDnsDiscovery.builder().negativeTtl(Duration.ofSeconds(5)));

    RecordingListener listener = watch("nope");

    EndpointSet set = listener.last();
    assertThat(set.isKnown()).isFalse();
    assertThat(dns.questions).containsExactly("SRV nope.ns.local.");
    assertThat(scheduler.pendingDelays()).containsExactly(Duration.ofSeconds(4));

    // The service appears: found at the next check.
    dns.answer("nope.ns.local", Type.SRV);
    dns.answer("nope.ns.local", Type.A, a("nope.ns.local", 30, "10.0.0.5"));
    scheduler.advance(Duration.ofSeconds(4));
    assertThat(listener.last().endpoints()).containsExactly(Endpoint.of("10.0.0.5", 3000));
  }

  @Test
  void aNameWithoutAddressesIsKnownAndEmpty() {
    dns.answer(SVC, Type.SRV);
    dns.answer(SVC, Type.A);

    EndpointSet set = watch("svc").last();

    assertThat(set.isKnown()).isTrue();
    assertThat(set.isEmpty()).isTrue();
  }

  @Test
  void servfailFailsTheFirstLookupAndBacksOffWithJitterUntilTheServerAnswers() throws Exception {
    dns.rcode(SVC, Type.SRV, Rcode.SERVFAIL);
    RecordingListener listener = new RecordingListener();
    Watch watch = discovery.watch("svc", listener);
    scheduler.runDue();

    assertThat(listener.updates()).isEmpty();
    assertThat(listener.errors()).hasSize(1);
    assertThat(listener.errors().get(0).error()).hasMessageContaining("SERVFAIL");
    CompletableFuture<EndpointSet> ready = watch.ready().toCompletableFuture();
    assertThat(ready).isCompletedExceptionally();
    // 1 s base backoff, times 0.8 (jitter pinned low), doubling.
    assertThat(scheduler.pendingDelays()).containsExactly(Duration.ofMillis(800));
    scheduler.advance(Duration.ofMillis(800));
    assertThat(scheduler.pendingDelays()).containsExactly(Duration.ofMillis(1600));
    scheduler.advance(Duration.ofMillis(1600));
    assertThat(scheduler.pendingDelays()).containsExactly(Duration.ofMillis(3200));
    assertThat(listener.errors()).hasSize(3);

    dns.answer(SVC, Type.SRV);
    dns.answer(SVC, Type.A, a(SVC, 30, "10.0.0.1"));
    scheduler.advance(Duration.ofMillis(3200));
    assertThat(listener.last().endpoints()).containsExactly(Endpoint.of("10.0.0.1", 3000));
    assertThat(scheduler.pendingDelays()).containsExactly(Duration.ofSeconds(24));
  }

  @Test
  void timeoutsAndFailedTargetsKeepTheLastGoodEndpoints() {
    dns.answer(SVC, Type.SRV, srv(SVC, 5, 1, 1, 31001, "i1.ns.local"));
    dns.answer("i1.ns.local", Type.A, a("i1.ns.local", 5, "10.0.0.1"));
    RecordingListener listener = watch("svc");
    assertThat(listener.last().endpoints()).containsExactly(Endpoint.of("10.0.0.1", 31001));

    // The target's lookup fails: that is "cannot say", not "gone".
    dns.rcode("i1.ns.local", Type.A, Rcode.SERVFAIL);
    scheduler.advance(Duration.ofSeconds(4));
    assertThat(listener.errors()).hasSize(1);
    assertThat(listener.errors().get(0).error()).hasMessageContaining("A i1.ns.local.: SERVFAIL");

    // The server stops answering.
    dns.fail(SVC, Type.SRV, new IOException("Timed out while trying to resolve"));
    scheduler.advance(Duration.ofMillis(800));
    assertThat(listener.errors()).hasSize(2);
    assertThat(listener.errors().get(1).error()).hasMessageContaining("Timed out");

    // Nothing new was published: the last good endpoints stay in force.
    assertThat(listener.updates()).hasSize(1);
    assertThat(listener.last().endpoints()).containsExactly(Endpoint.of("10.0.0.1", 31001));
  }

  @Test
  void oneLookupPerServiceHoweverManyWatchersAndNoneAfterTheLastUnwatch() {
    dns.answer(SVC, Type.SRV);
    dns.answer(SVC, Type.A, a(SVC, 5, "10.0.0.1"));
    RecordingListener l1 = new RecordingListener();
    RecordingListener l2 = new RecordingListener();
    Watch w1 = discovery.watch("svc", l1);
    Watch w2 = discovery.watch("svc", l2);
    Watch w3 = discovery.watch("svc", new RecordingListener());
    scheduler.runDue();

    assertThat(dns.asked(SVC, Type.SRV)).isEqualTo(1);
    assertThat(l1.last()).isEqualTo(l2.last());
    assertThat(discovery.activeLookups()).isEqualTo(1);

    w1.close();
    w2.close();
    scheduler.runDue();
    assertThat(discovery.activeLookups()).isEqualTo(1);
    w3.close();
    scheduler.runDue();
    assertThat(discovery.activeLookups()).isZero();
    assertThat(scheduler.pendingDelays()).isEmpty();
    scheduler.advance(Duration.ofMinutes(1));
    assertThat(dns.asked(SVC, Type.SRV)).isEqualTo(1);
  }

  @Test
  void refreshRequestsAreRateLimitedToTheMinimumTtl() {
    dns.answer(SVC, Type.SRV);
    dns.answer(SVC, Type.A, a(SVC, 30, "10.0.0.1"));
    RecordingListener listener = new RecordingListener();
    Watch watch = discovery.watch("svc", listener);
    scheduler.runDue();
    assertThat(dns.asked(SVC, Type.SRV)).isEqualTo(1);

    // Right after a lookup: the next one waits for the 1 s minimum, once however often asked.
    for (int i = 0; i < 10; i++) {
      watch.refresh();
    }
    scheduler.runDue();
    assertThat(dns.asked(SVC, Type.SRV)).isEqualTo(1);
    List<Duration> pending = scheduler.pendingDelays();
    assertThat(pending).hasSize(1);
    assertThat(pending.get(0)).isLessThanOrEqualTo(Duration.ofSeconds(1));

    scheduler.advance(Duration.ofSeconds(1));
    assertThat(dns.asked(SVC, Type.SRV)).isEqualTo(2);
  }

  @Test
  void closingStopsEverything() {
    dns.answer(SVC, Type.SRV);
    dns.answer(SVC, Type.A, a(SVC, 5, "10.0.0.1"));
    watch("svc");
    watch("other");

    discovery.close();

    assertThat(scheduler.pendingDelays()).isEmpty();
    assertThat(discovery.activeLookups()).isZero();
  }
}
