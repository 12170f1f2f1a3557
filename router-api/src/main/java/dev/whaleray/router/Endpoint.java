package dev.whaleray.router;

import static java.util.Objects.requireNonNull;

import java.util.Collections;
import java.util.Map;
import java.util.TreeMap;
import org.jspecify.annotations.Nullable;

/**
 * One network address of a service: host, port, weight, zone and free-form attributes.
 *
 * <p>Immutable and thread-safe. {@link #equals} compares every field (weight, zone and attributes
 * included) so that a change of weight is a change of the endpoint set. Endpoints sort by host,
 * port, weight, zone, then attributes, which gives every {@link EndpointSet} a stable order.
 */
public final class Endpoint implements Comparable<Endpoint> {

  /** The weight of an endpoint created without one. */
  public static final int DEFAULT_WEIGHT = 1;

  /** The largest weight accepted; keeps sums of weights of large sets within a {@code long}. */
  public static final int MAX_WEIGHT = 1_000_000;

  private final String host;
  private final int port;
  private final int weight;
  private final @Nullable String zone;
  private final Map<String, String> attributes;
  private final int hash;
  private final String authority;

  private Endpoint(
      String host, int port, int weight, @Nullable String zone, Map<String, String> attributes) {
    this.host = host;
    this.port = port;
    this.weight = weight;
    this.zone = zone;
    this.attributes = attributes;
    int h = host.hashCode();
    h = 31 * h + port;
    h = 31 * h + weight;
    h = 31 * h + (zone == null ? 0 : zone.hashCode());
    h = 31 * h + attributes.hashCode();
    this.hash = h;
    this.authority = host.indexOf(':') >= 0 ? "[" + host + "]:" + port : host + ":" + port;
  }

  /** An endpoint with the default weight, no zone and no attributes. */
  public static Endpoint of(String host, int port) {
    return new Endpoint(checkHost(host), checkPort(port), DEFAULT_WEIGHT, null, Map.of());
  }

  /**
   * Parses {@code host:port} (IPv6 as {@code [::1]:8080}).
   *
   * @throws IllegalArgumentException naming the part that is wrong
   */
  public static Endpoint parse(String hostAndPort) {
    requireNonNull(hostAndPort, "hostAndPort");
    int scheme = hostAndPort.indexOf("://");
    if (scheme > 0) {
      // A URL where an address belongs: TLS and HTTP/2 are a service's upstream options.
      throw new IllegalArgumentException(
          "address: '"
              + hostAndPort
              + "' (expected: host:port without a scheme; for TLS or HTTP/2 to a service's"
              + " endpoints set its upstream options, e.g. services.<name>.upstream.tls: true)");
    }
    int colon = hostAndPort.lastIndexOf(':');
    if (colon <= 0 || colon == hostAndPort.length() - 1) {
      throw new IllegalArgumentException(
          "address: '" + hostAndPort + "' (expected: host:port, e.g. 127.0.0.1:8081)");
    }
    String host = hostAndPort.substring(0, colon);
    if (host.startsWith("[") && host.endsWith("]")) {
      host = host.substring(1, host.length() - 1);
    } else if (host.indexOf(':') >= 0) {
      // "::1:8080" is ambiguous: the port cannot be told from the address.
      throw new IllegalArgumentException(
          "address: '" + hostAndPort + "' (expected: host:port, IPv6 as [::1]:8080)");
    }
    String portText = hostAndPort.substring(colon + 1);
    int port;
    try {
      port = Integer.parseInt(portText);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(
          "port: '" + portText + "' (expected: a number from 1 to 65535)");
    }
    return of(host, port);
  }

  /** A builder starting from this endpoint's values. */
  public Builder toBuilder() {
    return new Builder(host, port).weight(weight).zone(zone).attributes(attributes);
  }

  /** A builder for an endpoint at {@code host:port}. */
  public static Builder builder(String host, int port) {
    return new Builder(host, port);
  }

  /** The host name or IP address literal (IPv6 without brackets). */
  public String host() {
    return host;
  }

  /** The TCP port, 1 to 65535. */
  public int port() {
    return port;
  }

  /** The relative weight, 0 to {@link #MAX_WEIGHT}; 0 means "send nothing unless nothing else". */
  public int weight() {
    return weight;
  }

  /** The availability zone, or null when unknown. */
  public @Nullable String zone() {
    return zone;
  }

  /** Every attribute the discovery source gave, sorted by key. */
  public Map<String, String> attributes() {
    return attributes;
  }

  /** {@code host:port}, IPv6 hosts in brackets. */
  public String authority() {
    return authority; // built once: the proxy looks its connection pool up by it per request
  }

  /** A copy with another weight, or this endpoint when the weight is the same. */
  public Endpoint withWeight(int weight) {
    return weight == this.weight
        ? this
        : new Endpoint(host, port, checkWeight(weight), zone, attributes);
  }

  /** A copy with another zone (null or empty: unknown), or this endpoint when it is the same. */
  public Endpoint withZone(@Nullable String zone) {
    if (zone != null && zone.isEmpty()) {
      zone = null;
    }
    return java.util.Objects.equals(zone, this.zone)
        ? this
        : new Endpoint(host, port, weight, zone, attributes);
  }

  @Override
  public int compareTo(Endpoint o) {
    int c = host.compareTo(o.host);
    if (c != 0) {
      return c;
    }
    c = Integer.compare(port, o.port);
    if (c != 0) {
      return c;
    }
    c = Integer.compare(weight, o.weight);
    if (c != 0) {
      return c;
    }
    c = compareNullable(zone, o.zone);
    if (c != 0) {
      return c;
    }
    return compareAttributes(attributes, o.attributes);
  }

  // Entry by entry (both maps iterate in key order), not by toString(): {a="b, c=d"} and
  // {a=b, c=d} print alike, and an EndpointSet would then drop one of them as a duplicate.
  private static int compareAttributes(Map<String, String> a, Map<String, String> b) {
    var i = a.entrySet().iterator();
    var j = b.entrySet().iterator();
    while (i.hasNext() && j.hasNext()) {
      Map.Entry<String, String> x = i.next();
      Map.Entry<String, String> y = j.next();
      int c = x.getKey().compareTo(y.getKey());
      if (c != 0) {
        return c;
      }
      c = x.getValue().compareTo(y.getValue());
      if (c != 0) {
        return c;
      }
    }
    return Boolean.compare(i.hasNext(), j.hasNext());
  }

  private static int compareNullable(@Nullable String a, @Nullable String b) {
    if (a == null) {
      return b == null ? 0 : -1;
    }
    return b == null ? 1 : a.compareTo(b);
  }

  @Override
  public boolean equals(@Nullable Object o) {
    if (this == o) {
      return true;
    }
    if (!(o instanceof Endpoint)) {
      return false;
    }
    Endpoint e = (Endpoint) o;
    return hash == e.hash
        && port == e.port
        && weight == e.weight
        && host.equals(e.host)
        && java.util.Objects.equals(zone, e.zone)
        && attributes.equals(e.attributes);
  }

  @Override
  public int hashCode() {
    return hash;
  }

  @Override
  public String toString() {
    StringBuilder sb = new StringBuilder(authority());
    if (weight != DEFAULT_WEIGHT) {
      sb.append(" weight=").append(weight);
    }
    if (zone != null) {
      sb.append(" zone=").append(zone);
    }
    if (!attributes.isEmpty()) {
      sb.append(' ').append(attributes);
    }
    return sb.toString();
  }

  /**
   * A host must be usable in a URI: a DNS name (letters, digits, '-' and '.'), an IPv4 address, or
   * an IPv6 literal (hex digits, ':' and '.', without brackets).
   */
  private static String checkHost(String host) {
    requireNonNull(host, "host");
    if (host.isEmpty() || host.length() > 253) {
      throw badHost(host);
    }
    boolean ipv6 = host.indexOf(':') >= 0;
    for (int i = 0; i < host.length(); i++) {
      char c = host.charAt(i);
      boolean ok =
          ipv6
              ? (c >= '0' && c <= '9')
                  || (c >= 'a' && c <= 'f')
                  || (c >= 'A' && c <= 'F')
                  || c == ':'
                  || c == '.'
              : (c >= '0' && c <= '9')
                  || (c >= 'a' && c <= 'z')
                  || (c >= 'A' && c <= 'Z')
                  || c == '-'
                  || c == '.';
      if (!ok) {
        throw badHost(host);
      }
    }
    if (!ipv6 && (host.startsWith(".") || host.startsWith("-") || host.contains(".."))) {
      throw badHost(host);
    }
    return host;
  }

  private static IllegalArgumentException badHost(String host) {
    return new IllegalArgumentException(
        "host: '"
            + host
            + "' (expected: a host name of letters, digits, '-' and '.', or an IP address)");
  }

  private static int checkPort(int port) {
    if (port < 1 || port > 65535) {
      throw new IllegalArgumentException("port: " + port + " (expected: 1-65535)");
    }
    return port;
  }

  private static int checkWeight(int weight) {
    if (weight < 0 || weight > MAX_WEIGHT) {
      throw new IllegalArgumentException("weight: " + weight + " (expected: 0-" + MAX_WEIGHT + ")");
    }
    return weight;
  }

  /**
   * Builds an {@link Endpoint}. Not thread-safe; {@link #build()} copies, so a reused builder never
   * changes an endpoint it built.
   */
  public static final class Builder {
    private final String host;
    private final int port;
    private int weight = DEFAULT_WEIGHT;
    private @Nullable String zone;
    private final TreeMap<String, String> attributes = new TreeMap<>();

    private Builder(String host, int port) {
      this.host = checkHost(host);
      this.port = checkPort(port);
    }

    /** Sets the weight, 0 to {@link #MAX_WEIGHT}. */
    public Builder weight(int weight) {
      this.weight = checkWeight(weight);
      return this;
    }

    /** Sets the zone; null or empty means unknown. */
    public Builder zone(@Nullable String zone) {
      this.zone = zone == null || zone.isEmpty() ? null : zone;
      return this;
    }

    /** Adds one attribute. */
    public Builder attribute(String key, String value) {
      attributes.put(requireNonNull(key, "key"), requireNonNull(value, "value"));
      return this;
    }

    /** Adds every attribute of the map. */
    public Builder attributes(Map<String, String> attributes) {
      attributes.forEach(this::attribute);
      return this;
    }

    /** An endpoint with the values set so far. */
    public Endpoint build() {
      Map<String, String> attrs =
          attributes.isEmpty() ? Map.of() : Collections.unmodifiableMap(new TreeMap<>(attributes));
      return new Endpoint(host, port, weight, zone, attrs);
    }
  }
}
