package dev.whaleray.discovery.cloudmap.dns;

import dev.whaleray.discovery.cloudmap.internal.Settings;
import dev.whaleray.router.Endpoint;
import dev.whaleray.router.discovery.Discovery;
import dev.whaleray.router.discovery.DiscoveryContext;
import dev.whaleray.router.discovery.DiscoveryProvider;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * The {@code cloudmap-dns} discovery ({@code WHALERAY_DISCOVERY=cloudmap-dns}): Cloud Map services
 * through DNS SRV and A records; see {@link CloudMapDnsDiscovery}. Stateless and thread-safe.
 *
 * <p>Settings (the reference router's variable in brackets):
 *
 * <ul>
 *   <li>{@code namespace} ({@code WHALERAY_NAMESPACE}, default {@code whaleray.local});
 *   <li>{@code backendPort} ({@code WHALERAY_BACKEND_PORT}, default 3000): the port for A records;
 *   <li>{@code dnsServers} ({@code WHALERAY_DNS_SERVERS}): comma list of {@code host[:port]} (IPv6
 *       as {@code [::1]:53}), default the system's resolvers;
 *   <li>{@code dnsValid} ({@code WHALERAY_DNS_VALID}): trust answers this long instead of their
 *       TTL, like nginx's {@code valid=};
 *   <li>{@code dnsNegativeTtl} (default 5s): how long NXDOMAIN is trusted;
 *   <li>{@code dnsTimeout} (default 2s) and {@code dnsAttempts} (default 2): per query and server;
 *   <li>{@code dnsMinTtl} (default 1s), {@code dnsMaxTtl} (default 1h): the TTL clamp;
 *   <li>{@code dnsBackoff} (default 1s), {@code dnsBackoffMax} (default 30s): retry delays after
 *       failed lookups.
 * </ul>
 */
public final class CloudMapDnsDiscoveryProvider implements DiscoveryProvider {

  /** The provider name, the config value. */
  public static final String NAME = "cloudmap-dns";

  private static final Set<String> SETTINGS =
      Set.of(
          "namespace",
          "backendPort",
          "dnsServers",
          "dnsValid",
          "dnsNegativeTtl",
          "dnsTimeout",
          "dnsAttempts",
          "dnsMinTtl",
          "dnsMaxTtl",
          "dnsBackoff",
          "dnsBackoffMax");

  private static final Duration MIN = Duration.ofMillis(100);
  private static final Duration DAY = Duration.ofHours(24);

  @Override
  public String name() {
    return NAME;
  }

  /** The artifact that holds this provider, as error messages name it. */
  public static final String ARTIFACT = "dev.whaleray:discovery-cloudmap-dns";

  /** False when dnsjava is not on the class path; {@link #unavailableReason()} then says so. */
  @Override
  public boolean isAvailable() {
    return missing(CloudMapDnsDiscoveryProvider.class.getClassLoader()) == null;
  }

  /** {@inheritDoc} */
  @Override
  public @Nullable String unavailableReason() {
    return missing(CloudMapDnsDiscoveryProvider.class.getClassLoader());
  }

  /** What {@code loader} lacks for this provider, as a message; null when nothing. */
  static @Nullable String missing(@Nullable ClassLoader loader) {
    try {
      Class.forName("org.xbill.DNS.ExtendedResolver", false, loader);
      return null;
    } catch (ClassNotFoundException | LinkageError e) {
      return NAME
          + " discovery needs dnsjava:dnsjava on the classpath (a dependency of "
          + ARTIFACT
          + ")";
    }
  }

  /** The settings above. */
  @Override
  public Set<String> settingNames() {
    return SETTINGS;
  }

  /**
   * {@inheritDoc}
   *
   * <p>Host names in {@code dnsServers} are checked for form only; they are resolved by {@link
   * #newDiscovery}.
   */
  @Override
  public void validate(Map<String, String> settings) {
    DiscoveryProvider.super.validate(settings);
    configure(new Settings(settings), false);
  }

  /**
   * {@inheritDoc}
   *
   * @throws IllegalArgumentException naming the invalid setting
   */
  @Override
  public Discovery newDiscovery(DiscoveryContext context) {
    return configure(new Settings(context.settings()), true).scheduler(context.scheduler()).build();
  }

  /** A builder with every setting applied; {@code resolve}: resolve {@code dnsServers} too. */
  private static CloudMapDnsDiscovery.Builder configure(Settings s, boolean resolve) {
    CloudMapDnsDiscovery.Builder b =
        CloudMapDnsDiscovery.builder()
            .namespace(s.string("namespace", CloudMapDnsDiscovery.DEFAULT_NAMESPACE))
            .backendPort(
                s.integer("backendPort", CloudMapDnsDiscovery.DEFAULT_BACKEND_PORT, 1, 65535))
            .valid(s.optionalDuration("dnsValid", MIN, DAY))
            .negativeTtl(
                s.duration("dnsNegativeTtl", CloudMapDnsDiscovery.DEFAULT_NEGATIVE_TTL, MIN, DAY))
            .timeout(
                s.duration(
                    "dnsTimeout", CloudMapDnsDiscovery.DEFAULT_TIMEOUT, MIN, Duration.ofMinutes(1)))
            .attempts(s.integer("dnsAttempts", CloudMapDnsDiscovery.DEFAULT_ATTEMPTS, 1, 10))
            .ttlRange(
                s.duration("dnsMinTtl", CloudMapDnsDiscovery.DEFAULT_MIN_TTL, MIN, DAY),
                s.duration("dnsMaxTtl", CloudMapDnsDiscovery.DEFAULT_MAX_TTL, MIN, DAY))
            .backoff(
                s.duration("dnsBackoff", CloudMapDnsDiscovery.DEFAULT_BACKOFF, MIN, DAY),
                s.duration("dnsBackoffMax", CloudMapDnsDiscovery.DEFAULT_BACKOFF_MAX, MIN, DAY));
    String servers = s.optional("dnsServers");
    if (servers != null) {
      List<InetSocketAddress> parsed = parseServers(servers, resolve);
      if (resolve) {
        b.servers(parsed);
      }
    }
    return b;
  }

  /**
   * Parses a comma list of {@code host[:port]}: IPv4 addresses, host names (resolved once, now, by
   * the system resolver), IPv6 addresses alone or in brackets with a port ({@code [fd00::2]:53}).
   *
   * @throws IllegalArgumentException naming {@code dnsServers} and the bad entry
   */
  public static List<InetSocketAddress> parseServers(String text) {
    return parseServers(text, true);
  }

  /** Same as {@link #parseServers(String)}; without {@code resolve} host names stay unresolved. */
  private static List<InetSocketAddress> parseServers(String text, boolean resolve) {
    List<InetSocketAddress> result = new ArrayList<>();
    for (String raw : text.split(",", -1)) {
      String entry = raw.trim();
      // Host and port rules are Endpoint's; only the default port (53) and bare IPv6 are ours.
      boolean bracketed = entry.startsWith("[");
      boolean bareIpv6 = !bracketed && entry.indexOf(':') != entry.lastIndexOf(':');
      boolean hasPort = bracketed ? !entry.endsWith("]") : !bareIpv6 && entry.indexOf(':') >= 0;
      Endpoint server;
      try {
        server =
            hasPort
                ? Endpoint.parse(entry)
                : Endpoint.of(bracketed ? entry.substring(1, entry.length() - 1) : entry, 53);
      } catch (IllegalArgumentException e) {
        throw badServer(entry);
      }
      String host = server.host();
      int p = server.port();
      if (bracketed && host.indexOf(':') < 0) {
        throw badServer(entry); // brackets are for IPv6 only
      }
      if (!resolve) {
        result.add(InetSocketAddress.createUnresolved(host, p));
        continue;
      }
      try {
        result.add(new InetSocketAddress(InetAddress.getByName(host), p));
      } catch (UnknownHostException e) {
        throw new IllegalArgumentException(
            "dnsServers: '" + entry + "' (cannot resolve the host: " + e.getMessage() + ")", e);
      }
    }
    return List.copyOf(result);
  }

  private static IllegalArgumentException badServer(String entry) {
    return new IllegalArgumentException(
        "dnsServers: '"
            + entry
            + "' (expected: host[:port], e.g. 169.254.169.253 or 127.0.0.1:5353)");
  }
}
