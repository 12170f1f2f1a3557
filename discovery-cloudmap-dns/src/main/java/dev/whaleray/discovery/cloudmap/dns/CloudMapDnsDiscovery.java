package dev.whaleray.discovery.cloudmap.dns;

import static java.util.Objects.requireNonNull;

import dev.whaleray.discovery.cloudmap.internal.Backoff;
import dev.whaleray.discovery.cloudmap.internal.Watchers;
import dev.whaleray.router.Endpoint;
import dev.whaleray.router.EndpointSet;
import dev.whaleray.router.discovery.AbstractDiscovery;
import dev.whaleray.router.discovery.Discovery;
import dev.whaleray.router.discovery.Watch;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.DoubleSupplier;
import org.jspecify.annotations.Nullable;
import org.xbill.DNS.ARecord;
import org.xbill.DNS.CNAMERecord;
import org.xbill.DNS.DClass;
import org.xbill.DNS.ExtendedResolver;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.Resolver;
import org.xbill.DNS.ResolverConfig;
import org.xbill.DNS.SRVRecord;
import org.xbill.DNS.Section;
import org.xbill.DNS.SimpleResolver;
import org.xbill.DNS.TextParseException;
import org.xbill.DNS.Type;

/**
 * Discovers Cloud Map services through DNS, the way ECS tasks in bridge mode publish them: for
 * service {@code id} it looks up the SRV records of {@code id.<namespace>} (one per task, with the
 * task's dynamic host port) and, when there are none, the A records of the same name with a fixed
 * backend port.
 *
 * <p><b>SRV.</b> Each record of the lowest priority present gives one endpoint per IPv4 address of
 * its target (taken from the additional section of the answer, else looked up), with the record's
 * port and its weight as the endpoint weight. Weight 0 is kept as 0: {@link Endpoint#weight()} 0
 * means "only when every endpoint has weight 0", which is RFC 2782's meaning (when every record has
 * weight 0 they share the traffic equally; a weight-0 record next to weighted ones is a last
 * resort). When no target of the lowest priority resolves, the next priority is used. Targets named
 * {@code .} ("service not available here", RFC 2782) and records with port 0 are skipped.
 *
 * <p><b>Caching.</b> An answer is valid for its smallest TTL, clamped to {@code [minTtl, maxTtl]},
 * or for {@link Builder#valid} when set (nginx's {@code valid=}). A watched service is looked up
 * again in the background at 80 % to 95 % of that time, so its endpoints never expire while it is
 * in use; the request path only ever reads the last snapshot.
 *
 * <p><b>Failures.</b> NXDOMAIN publishes an {@linkplain EndpointSet#unknown unknown} set (the
 * router answers 502 at once) and is checked again after {@link Builder#negativeTtl}; a name that
 * exists without SRV or A records (or whose targets do not resolve) is known and empty (503).
 * SERVFAIL, REFUSED, timeouts and unreachable servers keep the last good endpoints: the error goes
 * to {@link Listener#onError} and the lookup is retried with exponential backoff and jitter until
 * the servers answer again.
 *
 * <p><b>Resources.</b> Nothing is resolved before the first watch of a service, and one lookup at a
 * time runs per service however many watchers it has; the last unwatch stops it. Lookups use
 * dnsjava's asynchronous API (one NIO selector thread for the whole JVM), so no thread blocks on
 * the network; timers and answer processing run on the scheduler given to the builder. Queries go
 * over UDP and are retried over TCP when an answer is truncated.
 *
 * <p><b>Named ports (issue #16).</b> A route to port {@code metrics} of service {@code id} is
 * served by the SRV records of {@code _metrics._tcp.id.<namespace>} (RFC 2782's form), looked up
 * only once such a route is used, then kept fresh like a service: each record is one endpoint at
 * that record's port. No such name, or no record under it, is a known and empty set (the router
 * answers 502 naming the port); there is no A-record fallback, as an A record carries no port. A
 * port given as a number is one of the service's own records' ports (never any other).
 *
 * <p>Thread-safe.
 */
public final class CloudMapDnsDiscovery extends AbstractDiscovery {
  private static final System.Logger LOG = System.getLogger(CloudMapDnsDiscovery.class.getName());

  /** The default namespace. */
  public static final String DEFAULT_NAMESPACE = "whaleray.local";

  /** The default port for A records. */
  public static final int DEFAULT_BACKEND_PORT = 3000;

  /** How long one server may take to answer one query, by default. */
  public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(2);

  /** How many times each server is asked before a lookup fails, by default. */
  public static final int DEFAULT_ATTEMPTS = 2;

  /** The shortest time an answer is trusted, by default (a TTL of 0 would mean a query per use). */
  public static final Duration DEFAULT_MIN_TTL = Duration.ofSeconds(1);

  /** The longest time an answer is trusted, by default. */
  public static final Duration DEFAULT_MAX_TTL = Duration.ofHours(1);

  /** How long an NXDOMAIN (or an empty answer) is trusted, by default. */
  public static final Duration DEFAULT_NEGATIVE_TTL = Duration.ofSeconds(5);

  /** The retry delay after the first failed lookup, by default; doubles up to the maximum. */
  public static final Duration DEFAULT_BACKOFF = Duration.ofSeconds(1);

  /** The longest retry delay after failed lookups, by default. */
  public static final Duration DEFAULT_BACKOFF_MAX = Duration.ofSeconds(30);

  private final Name namespace;
  private final int backendPort;
  private final Resolver resolver;
  private final String servers;
  private final @Nullable Duration valid;
  private final long minTtlNanos;
  private final long maxTtlNanos;
  private final long negativeTtlNanos;
  private final long lookupTimeoutNanos;
  private final Backoff backoff;
  private final ScheduledExecutorService scheduler;
  private final Executor callbacks;
  private final Watchers<Lookup> lookups = new Watchers<>();

  private CloudMapDnsDiscovery(Builder b, ScheduledExecutorService scheduler) {
    super(scheduler);
    this.scheduler = scheduler;
    // Answers are processed on the scheduler; once it is shut down (the router is stopping) they
    // are dropped rather than failing dnsjava's threads.
    this.callbacks =
        task -> {
          try {
            scheduler.execute(task);
          } catch (RejectedExecutionException e) {
            LOG.log(System.Logger.Level.DEBUG, "scheduler stopped; DNS answer dropped");
          }
        };
    this.namespace = b.namespace;
    this.backendPort = b.backendPort;
    this.valid = b.valid;
    this.minTtlNanos = b.minTtl.toNanos();
    this.maxTtlNanos = b.maxTtl.toNanos();
    this.negativeTtlNanos = b.negativeTtl.toNanos();
    this.backoff = new Backoff(b.backoff, b.backoffMax, b.random);
    if (b.resolver != null) {
      this.resolver = b.resolver;
      this.servers = String.valueOf(b.resolver);
      this.lookupTimeoutNanos = Duration.ofSeconds(30).toNanos();
    } else {
      List<InetSocketAddress> addresses =
          b.servers.isEmpty() ? ResolverConfig.getCurrentConfig().servers() : b.servers;
      if (addresses.isEmpty()) {
        addresses = List.of(new InetSocketAddress("127.0.0.1", 53));
      }
      List<Resolver> simple = new ArrayList<>();
      for (InetSocketAddress a : addresses) {
        SimpleResolver r = new SimpleResolver(a);
        r.setTimeout(b.timeout);
        simple.add(r);
      }
      ExtendedResolver extended = new ExtendedResolver(simple);
      extended.setRetries(b.attempts);
      extended.setLoadBalance(false); // the healthiest server first
      // ExtendedResolver stops retrying after this; each attempt has its own timeout above.
      Duration all = b.timeout.multipliedBy((long) b.attempts * simple.size());
      extended.setTimeout(all);
      this.resolver = extended;
      StringBuilder names = new StringBuilder();
      for (InetSocketAddress a : addresses) {
        String host = a.getAddress().getHostAddress();
        names
            .append(names.length() == 0 ? "" : ", ")
            .append(host.indexOf(':') >= 0 ? "[" + host + "]" : host)
            .append(':')
            .append(a.getPort());
      }
      this.servers = names.toString();
      // A lookup is at most two rounds (SRV, then A); dnsjava checks timeouts about once a second.
      this.lookupTimeoutNanos = all.multipliedBy(2).plusSeconds(2).toNanos();
    }
  }

  /** A builder; {@link Builder#scheduler} is required. */
  public static Builder builder() {
    return new Builder();
  }

  /** The namespace, e.g. {@code whaleray.local.} (absolute). */
  public String namespace() {
    return namespace.toString();
  }

  /**
   * Watches the SRV records of {@code _<port>._tcp.<service>.<namespace>} for a port name; for a
   * number, the service's own endpoints that have it (see {@link Discovery#watch(String, String,
   * Listener)}).
   */
  @Override
  public Watch watch(String service, String port, Listener listener) {
    Endpoint.checkPortReference(port);
    if (Endpoint.parsePortNumber(port) > 0) {
      return super.watch(service, port, listener);
    }
    // The key is the SRV name's labels: it cannot clash with a service (a label never has '.').
    return watch(portKey(service, port), relabeled(service, listener));
  }

  /** The watch key (and SRV name, less the namespace) of port {@code port} of {@code service}. */
  static String portKey(String service, String port) {
    return "_" + port + "._tcp." + service;
  }

  private static boolean isPortKey(String key) {
    return key.startsWith("_");
  }

  @Override
  protected void doWatch(String service) {
    lookups.watch(service, s -> new Lookup(s, nameOf(s)));
  }

  @Override
  protected void doUnwatch(String service) {
    lookups.unwatch(service);
  }

  /**
   * Looks the service up again soon: at once unless a lookup is running or the last one started
   * less than {@code minTtl} ago (so connect failures cannot turn into a query flood).
   */
  @Override
  protected void doRefresh(String service) {
    lookups.refresh(service);
  }

  @Override
  protected void doClose() {
    lookups.close();
  }

  /** The number of services being resolved; for tests. */
  int activeLookups() {
    return lookups.size();
  }

  private Name nameOf(String service) {
    try {
      return Name.concatenate(Name.fromString(service), namespace);
    } catch (TextParseException | org.xbill.DNS.NameTooLongException e) {
      throw new IllegalArgumentException(
          "service: '" + service + "' (expected: a DNS label): " + e.getMessage(), e);
    }
  }

  // ---- one watched service ------------------------------------------------------------------

  private final class Lookup implements Watchers.Watcher {
    final String service;
    final Name name;
    // Guarded by this.
    private boolean active = true;
    private boolean inFlight;
    private @Nullable ScheduledFuture<?> next;
    private long nextAtNanos;
    private long lastStartNanos = System.nanoTime() - minTtlNanos;
    private int failures;
    private int negatives; // consecutive unknown or empty answers

    Lookup(String service, Name name) {
      this.service = service;
      this.name = name;
    }

    @Override
    public void start() {
      synchronized (this) {
        if (!active || inFlight || lookups.isClosed()) {
          return;
        }
        inFlight = true;
        cancelNext();
        lastStartNanos = System.nanoTime();
      }
      CompletableFuture<Answer> answer;
      try {
        answer = resolve(service, name);
      } catch (RuntimeException e) {
        answer = CompletableFuture.failedFuture(e);
      }
      answer
          .orTimeout(lookupTimeoutNanos, TimeUnit.NANOSECONDS)
          .whenCompleteAsync(this::finish, callbacks);
    }

    private void finish(@Nullable Answer answer, @Nullable Throwable error) {
      int failed;
      synchronized (this) {
        inFlight = false;
        if (!active) {
          return;
        }
        failed = failures;
        failures = answer == null ? failures + 1 : 0;
      }
      if (answer == null) {
        Throwable cause = describe(unwrap(requireNonNull(error, "error")));
        LOG.log(
            System.Logger.Level.DEBUG,
            () -> "DNS lookup of " + name + " failed (" + (failed + 1) + " in a row): " + cause);
        publishError(service, cause);
        schedule(backoff.failureDelayNanos(failed + 1));
        return;
      }
      if (failed > 0) {
        LOG.log(
            System.Logger.Level.INFO,
            "DNS lookup of " + name + " answers again after " + failed + " failure(s)");
      }
      publish(answer.endpoints);
      int negative;
      synchronized (this) {
        negative = answer.endpoints.isEmpty() ? ++negatives : (negatives = 0);
      }
      // A name that does not exist (or has no record) is checked again less and less often, so a
      // burst of random ids does not become a steady flood of queries to the resolver.
      schedule(backoff.refreshDelayNanos(Backoff.negativeDelayNanos(answer.validNanos, negative)));
    }

    @Override
    public synchronized void refreshSoon() {
      if (!active || inFlight) {
        return; // a running lookup is as fresh as it gets
      }
      long now = System.nanoTime();
      long delay = Math.max(0, lastStartNanos + minTtlNanos - now);
      if (next != null && nextAtNanos - now <= delay) {
        return; // already due as soon
      }
      schedule(delay);
    }

    synchronized void schedule(long delayNanos) {
      if (!active || lookups.isClosed()) {
        return;
      }
      cancelNext();
      try {
        next = scheduler.schedule(this::start, delayNanos, TimeUnit.NANOSECONDS);
        nextAtNanos = System.nanoTime() + delayNanos;
      } catch (RejectedExecutionException e) {
        active = false; // the scheduler is shutting down, and with it the router
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

  // ---- resolving ------------------------------------------------------------------------------

  /** A snapshot and how long it may be trusted. */
  private record Answer(EndpointSet endpoints, long validNanos) {}

  private CompletableFuture<Answer> resolve(String service, Name name) {
    return query(name, Type.SRV)
        .thenCompose(
            srv -> {
              int rcode = srv.getRcode();
              if (rcode == Rcode.NXDOMAIN) {
                // For a port's SRV name: the service has no such port (known, empty: 502 naming
                // the port), not an unknown service.
                return CompletableFuture.completedFuture(
                    isPortKey(service)
                        ? answer(service, List.of(), 0)
                        : new Answer(EndpointSet.unknown(service, 0), negativeTtlNanos));
              }
              if (rcode != Rcode.NOERROR) {
                throw new CompletionException(new DnsLookupException(name, Type.SRV, rcode));
              }
              List<SRVRecord> records = new ArrayList<>();
              for (Record r : srv.getSection(Section.ANSWER)) {
                if (r instanceof SRVRecord) {
                  records.add((SRVRecord) r);
                }
              }
              if (records.isEmpty()) {
                if (isPortKey(service)) {
                  return CompletableFuture.completedFuture(answer(service, List.of(), 0));
                }
                return query(name, Type.A).thenApply(a -> fromA(service, name, a));
              }
              return fromSrv(service, srv, records);
            });
  }

  private CompletableFuture<Message> query(Name name, int type) {
    Message query = Message.newQuery(Record.newRecord(name, type, DClass.IN));
    return resolver.sendAsync(query, callbacks).toCompletableFuture();
  }

  private Answer fromA(String service, Name name, Message message) {
    int rcode = message.getRcode();
    if (rcode == Rcode.NXDOMAIN) {
      return new Answer(EndpointSet.unknown(service, 0), negativeTtlNanos);
    }
    if (rcode != Rcode.NOERROR) {
      throw new CompletionException(new DnsLookupException(name, Type.A, rcode));
    }
    long[] ttl = {Long.MAX_VALUE};
    List<Endpoint> endpoints = new ArrayList<>();
    for (ARecord a : addresses(message, name, ttl)) {
      endpoints.add(Endpoint.of(a.getAddress().getHostAddress(), backendPort));
    }
    return answer(service, endpoints, ttl[0]);
  }

  private CompletableFuture<Answer> fromSrv(
      String service, Message message, List<SRVRecord> records) {
    // Addresses the server sent along (Route 53 and dnsmasq do), then queries for the others.
    Map<Name, List<ARecord>> known = new HashMap<>();
    for (Record r : message.getSection(Section.ADDITIONAL)) {
      if (r instanceof ARecord) {
        known.computeIfAbsent(r.getName(), n -> new ArrayList<>()).add((ARecord) r);
      }
    }
    Map<Name, CompletableFuture<Message>> lookups = new LinkedHashMap<>();
    for (SRVRecord srv : records) {
      Name target = srv.getTarget();
      if (!target.equals(Name.root) && !known.containsKey(target)) {
        lookups.computeIfAbsent(target, t -> query(t, Type.A));
      }
    }
    return CompletableFuture.allOf(lookups.values().toArray(new CompletableFuture<?>[0]))
        .thenApply(
            done -> {
              Map<Name, List<ARecord>> addresses = new HashMap<>(known);
              Map<Name, Long> ttls = new HashMap<>();
              for (Map.Entry<Name, CompletableFuture<Message>> e : lookups.entrySet()) {
                Message m = e.getValue().join();
                int rcode = m.getRcode();
                if (rcode != Rcode.NOERROR && rcode != Rcode.NXDOMAIN) {
                  // Not "no such target" but "cannot say": keep the last good endpoints.
                  throw new CompletionException(new DnsLookupException(e.getKey(), Type.A, rcode));
                }
                long[] ttl = {Long.MAX_VALUE};
                addresses.put(e.getKey(), addresses(m, e.getKey(), ttl));
                ttls.put(e.getKey(), ttl[0]);
              }
              return chooseSrv(service, records, addresses, ttls);
            });
  }

  /** The endpoints of the lowest priority whose targets resolve; see the class doc. */
  private Answer chooseSrv(
      String service,
      List<SRVRecord> records,
      Map<Name, List<ARecord>> addresses,
      Map<Name, Long> lookedUpTtls) {
    TreeMap<Integer, List<SRVRecord>> byPriority = new TreeMap<>();
    for (SRVRecord srv : records) {
      byPriority.computeIfAbsent(srv.getPriority(), p -> new ArrayList<>()).add(srv);
    }
    for (List<SRVRecord> group : byPriority.values()) {
      long ttl = Long.MAX_VALUE;
      List<Endpoint> endpoints = new ArrayList<>();
      for (SRVRecord srv : group) {
        if (srv.getPort() == 0 || srv.getTarget().equals(Name.root)) {
          continue;
        }
        List<ARecord> as = addresses.getOrDefault(srv.getTarget(), List.of());
        for (ARecord a : as) {
          endpoints.add(
              Endpoint.builder(a.getAddress().getHostAddress(), srv.getPort())
                  .weight(srv.getWeight())
                  .build());
          ttl = Math.min(ttl, a.getTTL());
        }
        if (!as.isEmpty()) {
          ttl = Math.min(ttl, srv.getTTL());
          ttl = Math.min(ttl, lookedUpTtls.getOrDefault(srv.getTarget(), Long.MAX_VALUE));
        }
      }
      if (!endpoints.isEmpty()) {
        return answer(service, endpoints, ttl);
      }
    }
    return answer(service, List.of(), 0);
  }

  private Answer answer(String service, List<Endpoint> endpoints, long ttlSeconds) {
    if (endpoints.isEmpty()) {
      return new Answer(EndpointSet.of(service, 0, List.of()), negativeTtlNanos);
    }
    long nanos;
    if (valid != null) {
      nanos = valid.toNanos();
    } else {
      long ttl = Math.min(ttlSeconds, TimeUnit.NANOSECONDS.toSeconds(Long.MAX_VALUE) - 1);
      nanos = Math.max(minTtlNanos, Math.min(maxTtlNanos, TimeUnit.SECONDS.toNanos(ttl)));
    }
    return new Answer(EndpointSet.of(service, 0, endpoints), nanos);
  }

  /**
   * The A records of {@code name} in the answer section, following CNAMEs; lowers {@code ttl[0]} to
   * the smallest TTL on the way.
   */
  private static List<ARecord> addresses(Message message, Name name, long[] ttl) {
    List<Record> answer = message.getSection(Section.ANSWER);
    Set<Name> names = new HashSet<>();
    names.add(name);
    // CNAME chains are short; a few passes resolve them whatever their order in the section.
    for (int pass = 0; pass < 8; pass++) {
      boolean grew = false;
      for (Record r : answer) {
        if (r instanceof CNAMERecord && names.contains(r.getName())) {
          if (names.add(((CNAMERecord) r).getTarget())) {
            ttl[0] = Math.min(ttl[0], r.getTTL());
            grew = true;
          }
        }
      }
      if (!grew) {
        break;
      }
    }
    List<ARecord> result = new ArrayList<>();
    for (Record r : answer) {
      if (r instanceof ARecord && names.contains(r.getName())) {
        result.add((ARecord) r);
        ttl[0] = Math.min(ttl[0], r.getTTL());
      }
    }
    return result;
  }

  private static Throwable unwrap(Throwable t) {
    Throwable e = t;
    while ((e instanceof CompletionException || e instanceof ExecutionException)
        && e.getCause() != null) {
      e = e.getCause();
    }
    return e;
  }

  private Throwable describe(Throwable e) {
    if (e instanceof TimeoutException) {
      return new DnsLookupException("no DNS answer in time from " + servers, e);
    }
    if (e instanceof DnsLookupException) {
      return e;
    }
    return new DnsLookupException("DNS lookup via " + servers + " failed: " + e, e);
  }

  @Override
  public String toString() {
    return "CloudMapDnsDiscovery{namespace="
        + namespace
        + ", servers="
        + servers
        + (valid == null ? "" : ", valid=" + valid)
        + "}";
  }

  /** A lookup that got no usable answer: an error code, a timeout or an unreachable server. */
  static final class DnsLookupException extends IOException {
    private static final long serialVersionUID = 1L;

    DnsLookupException(Name name, int type, int rcode) {
      super(Type.string(type) + " " + name + ": " + Rcode.string(rcode));
    }

    DnsLookupException(String message, Throwable cause) {
      super(message, cause);
    }
  }

  /**
   * Builds a {@link CloudMapDnsDiscovery}. Not thread-safe; {@link #build()} copies, so a reused
   * builder never changes a discovery it built.
   */
  public static final class Builder {
    private Name namespace = Name.fromConstantString(DEFAULT_NAMESPACE + ".");
    private int backendPort = DEFAULT_BACKEND_PORT;
    private List<InetSocketAddress> servers = List.of();
    private @Nullable Resolver resolver;
    private Duration timeout = DEFAULT_TIMEOUT;
    private int attempts = DEFAULT_ATTEMPTS;
    private @Nullable Duration valid;
    private Duration minTtl = DEFAULT_MIN_TTL;
    private Duration maxTtl = DEFAULT_MAX_TTL;
    private Duration negativeTtl = DEFAULT_NEGATIVE_TTL;
    private Duration backoff = DEFAULT_BACKOFF;
    private Duration backoffMax = DEFAULT_BACKOFF_MAX;
    private @Nullable ScheduledExecutorService scheduler;
    private DoubleSupplier random = () -> ThreadLocalRandom.current().nextDouble();

    private Builder() {}

    /**
     * The Cloud Map namespace the services live in (default {@code whaleray.local}).
     *
     * @throws IllegalArgumentException when it is not a DNS domain
     */
    public Builder namespace(String namespace) {
      requireNonNull(namespace, "namespace");
      String n = namespace.endsWith(".") ? namespace : namespace + ".";
      try {
        Name parsed = Name.fromString(n);
        if (namespace.isBlank() || parsed.equals(Name.root) || namespace.contains("..")) {
          throw new TextParseException("empty label");
        }
        this.namespace = parsed;
      } catch (TextParseException e) {
        throw new IllegalArgumentException(
            "namespace: '" + namespace + "' (expected: a DNS domain such as whaleray.local)", e);
      }
      return this;
    }

    /** The port of endpoints found by A records, which carry none (default 3000). */
    public Builder backendPort(int port) {
      if (port < 1 || port > 65535) {
        throw new IllegalArgumentException("backendPort: " + port + " (expected: 1-65535)");
      }
      this.backendPort = port;
      return this;
    }

    /** The DNS servers, tried in order (default: the system's, from {@code /etc/resolv.conf}). */
    public Builder servers(List<InetSocketAddress> servers) {
      this.servers = List.copyOf(requireNonNull(servers, "servers"));
      return this;
    }

    /**
     * A resolver to use instead of servers (e.g. dnsjava's {@code DohResolver}); its timeouts and
     * retries are its own. Must answer asynchronously: {@code sendAsync} must not block.
     */
    public Builder resolver(Resolver resolver) {
      this.resolver = requireNonNull(resolver, "resolver");
      return this;
    }

    /** How long one server may take to answer one query (default 2 s). */
    public Builder timeout(Duration timeout) {
      this.timeout = positive("dnsTimeout", timeout);
      return this;
    }

    /** How many times each server is asked before a lookup fails (default 2). */
    public Builder attempts(int attempts) {
      if (attempts < 1 || attempts > 10) {
        throw new IllegalArgumentException("dnsAttempts: " + attempts + " (expected: 1-10)");
      }
      this.attempts = attempts;
      return this;
    }

    /**
     * Trusts every answer with endpoints for this long whatever its TTL, like nginx's {@code
     * valid=}; null (the default) uses the TTLs.
     */
    public Builder valid(@Nullable Duration valid) {
      this.valid = valid == null ? null : positive("dnsValid", valid);
      return this;
    }

    /** The range TTLs are clamped to (default 1 s to 1 h). */
    public Builder ttlRange(Duration min, Duration max) {
      positive("dnsMinTtl", min);
      positive("dnsMaxTtl", max);
      if (max.compareTo(min) < 0) {
        throw new IllegalArgumentException(
            "dnsMaxTtl: " + max + " (expected: at least dnsMinTtl, " + min + ")");
      }
      this.minTtl = min;
      this.maxTtl = max;
      return this;
    }

    /** How long NXDOMAIN and empty answers are trusted before the name is checked again (5 s). */
    public Builder negativeTtl(Duration negativeTtl) {
      this.negativeTtl = positive("dnsNegativeTtl", negativeTtl);
      return this;
    }

    /** The retry delay after a first failed lookup and its cap (default 1 s, doubling to 30 s). */
    public Builder backoff(Duration initial, Duration max) {
      positive("dnsBackoff", initial);
      positive("dnsBackoffMax", max);
      this.backoff = initial;
      this.backoffMax = max.compareTo(initial) < 0 ? initial : max;
      return this;
    }

    /**
     * Runs timers, answer processing and listener callbacks (serially per service); never shut down
     * by the discovery. Required.
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

    /** A discovery with the values set so far; resolves nothing until a service is watched. */
    public CloudMapDnsDiscovery build() {
      ScheduledExecutorService s = scheduler;
      if (s == null) {
        throw new IllegalStateException("scheduler: not set");
      }
      return new CloudMapDnsDiscovery(this, s);
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
