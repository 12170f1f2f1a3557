package dev.whaleray.router;

import static java.util.Objects.requireNonNull;

import java.util.Collections;
import java.util.Map;
import java.util.TreeMap;
import org.jspecify.annotations.Nullable;

/**
 * One network address of a service: host, default port, named ports, weight, zone and free-form
 * attributes.
 *
 * <p>Named ports are the other ports the same task serves (metrics on 9100, gRPC on 50051) beside
 * its default port; a route may ask for one by name or number (see {@link Route#withPort}). A name
 * is 1-31 of {@code [a-z0-9-]} starting with a letter, so a name is never read as a number.
 *
 * <p>Immutable and thread-safe. {@link #equals} compares every field (weight, zone, ports and
 * attributes included) so that a change of weight is a change of the endpoint set. Endpoints sort
 * by host, port, weight, zone, named ports, then attributes, which gives every {@link EndpointSet}
 * a stable order.
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
  private final Map<String, Integer> ports;
  // The same named ports as two sorted arrays: port(name) and hasPort(number) walk them without
  // boxing or iterators (a handful of entries: a loop beats a hash lookup).
  private final String[] portNames;
  private final int[] portNumbers;
  private final int hash;
  private final String authority;

  private static final String[] NO_NAMES = new String[0];
  private static final int[] NO_NUMBERS = new int[0];

  private Endpoint(
      String host, int port, int weight, @Nullable String zone, Map<String, String> attributes) {
    this(host, port, weight, zone, attributes, Map.of(), NO_NAMES, NO_NUMBERS);
  }

  private Endpoint(
      String host,
      int port,
      int weight,
      @Nullable String zone,
      Map<String, String> attributes,
      Map<String, Integer> ports,
      String[] portNames,
      int[] portNumbers) {
    this.host = host;
    this.port = port;
    this.weight = weight;
    this.zone = zone;
    this.attributes = attributes;
    this.ports = ports;
    this.portNames = portNames;
    this.portNumbers = portNumbers;
    int h = host.hashCode();
    h = 31 * h + port;
    h = 31 * h + weight;
    h = 31 * h + (zone == null ? 0 : zone.hashCode());
    h = 31 * h + attributes.hashCode();
    h = 31 * h + ports.hashCode();
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
    return new Builder(host, port).weight(weight).zone(zone).attributes(attributes).ports(ports);
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

  /** The named ports, sorted by name; empty when the endpoint has none. */
  public Map<String, Integer> ports() {
    return ports;
  }

  /**
   * The number of the named port {@code name}, or -1 when the endpoint has no port of that name.
   * Allocation-free: the request path calls it.
   */
  public int port(String name) {
    String[] names = portNames;
    for (int i = 0; i < names.length; i++) {
      if (names[i].equals(name)) {
        return portNumbers[i];
      }
    }
    return -1;
  }

  /** True when {@code number} is the default port or one of the named ports. */
  public boolean hasPort(int number) {
    if (number == port) {
      return true;
    }
    int[] numbers = portNumbers;
    for (int i = 0; i < numbers.length; i++) {
      if (numbers[i] == number) {
        return true;
      }
    }
    return false;
  }

  /**
   * The port a route's port reference means on this endpoint: a name's number, a number when it is
   * one of this endpoint's ports, else -1 (never an arbitrary number: a client must not be able to
   * make the router connect anywhere but where discovery said). {@code null} means the default.
   */
  public int resolvePort(@Nullable String nameOrNumber) {
    if (nameOrNumber == null) {
      return port;
    }
    int number = parsePortNumber(nameOrNumber);
    if (number > 0) {
      return hasPort(number) ? number : -1;
    }
    return port(nameOrNumber);
  }

  /**
   * True when {@code name} is a valid port name: 1-31 of {@code [a-z0-9-]}, starting with a letter
   * (so that a name is never a number).
   */
  public static boolean isPortName(String name) {
    int n = name.length();
    if (n < 1 || n > MAX_PORT_NAME_LENGTH) {
      return false;
    }
    char first = name.charAt(0);
    if (first < 'a' || first > 'z') {
      return false;
    }
    for (int i = 1; i < n; i++) {
      char c = name.charAt(i);
      if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-')) {
        return false;
      }
    }
    return true;
  }

  /** The longest port name accepted. */
  public static final int MAX_PORT_NAME_LENGTH = 31;

  /**
   * {@code text} as a port number 1-65535 (decimal digits only, no sign or leading zero), or -1
   * when it is not one. Allocation-free.
   */
  public static int parsePortNumber(String text) {
    int n = text.length();
    if (n < 1 || n > 5 || text.charAt(0) == '0') {
      return -1;
    }
    int v = 0;
    for (int i = 0; i < n; i++) {
      char c = text.charAt(i);
      if (c < '0' || c > '9') {
        return -1;
      }
      v = v * 10 + (c - '0');
    }
    return v <= 65535 ? v : -1;
  }

  /**
   * Checks a route's or a request's port reference: a port name or a number 1-65535.
   *
   * @throws IllegalArgumentException naming the value
   */
  public static String checkPortReference(String nameOrNumber) {
    requireNonNull(nameOrNumber, "port");
    if (parsePortNumber(nameOrNumber) < 0 && !isPortName(nameOrNumber)) {
      throw new IllegalArgumentException(
          "port: '"
              + nameOrNumber
              + "' (expected: a port name of 1-31 [a-z0-9-] starting with a letter, or a number"
              + " 1-65535)");
    }
    return nameOrNumber;
  }

  /** {@code host:port}, IPv6 hosts in brackets. */
  public String authority() {
    return authority; // built once: the proxy looks its connection pool up by it per request
  }

  /** A copy with another weight, or this endpoint when the weight is the same. */
  public Endpoint withWeight(int weight) {
    return weight == this.weight
        ? this
        : new Endpoint(
            host, port, checkWeight(weight), zone, attributes, ports, portNames, portNumbers);
  }

  /** A copy with another zone (null or empty: unknown), or this endpoint when it is the same. */
  public Endpoint withZone(@Nullable String zone) {
    if (zone != null && zone.isEmpty()) {
      zone = null;
    }
    return java.util.Objects.equals(zone, this.zone)
        ? this
        : new Endpoint(host, port, weight, zone, attributes, ports, portNames, portNumbers);
  }

  /**
   * This endpoint at another port of the same host, with its weight, zone and attributes and no
   * named ports: what a route to one of its named ports connects to.
   */
  public Endpoint atPort(int number) {
    checkPort(number);
    return number == port && ports.isEmpty()
        ? this
        : new Endpoint(host, number, weight, zone, attributes);
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
    c = comparePorts(o);
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

  private int comparePorts(Endpoint o) {
    int n = Math.min(portNames.length, o.portNames.length);
    for (int i = 0; i < n; i++) {
      int c = portNames[i].compareTo(o.portNames[i]);
      if (c != 0) {
        return c;
      }
      c = Integer.compare(portNumbers[i], o.portNumbers[i]);
      if (c != 0) {
        return c;
      }
    }
    return Integer.compare(portNames.length, o.portNames.length);
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
        && ports.equals(e.ports)
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
    if (portNames.length > 0) {
      // The static config's syntax: "127.0.0.1:8080 ports=metrics:9100,grpc:50051".
      sb.append(" ports=");
      for (int i = 0; i < portNames.length; i++) {
        if (i > 0) {
          sb.append(',');
        }
        sb.append(portNames[i]).append(':').append(portNumbers[i]);
      }
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
    private final TreeMap<String, Integer> ports = new TreeMap<>();

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

    /**
     * Adds (or replaces) the named port {@code name} at {@code number}.
     *
     * @throws IllegalArgumentException naming the bad name or number
     */
    public Builder port(String name, int number) {
      requireNonNull(name, "name");
      if (!isPortName(name)) {
        throw new IllegalArgumentException(
            "port name: '"
                + name
                + "' (expected: 1-"
                + MAX_PORT_NAME_LENGTH
                + " of [a-z0-9-] starting with a letter)");
      }
      if (number < 1 || number > 65535) {
        throw new IllegalArgumentException("port " + name + ": " + number + " (expected: 1-65535)");
      }
      ports.put(name, number);
      return this;
    }

    /** Adds every named port of the map; see {@link #port(String, int)}. */
    public Builder ports(Map<String, Integer> ports) {
      ports.forEach(this::port);
      return this;
    }

    /** An endpoint with the values set so far. */
    public Endpoint build() {
      Map<String, String> attrs =
          attributes.isEmpty() ? Map.of() : Collections.unmodifiableMap(new TreeMap<>(attributes));
      if (ports.isEmpty()) {
        return new Endpoint(host, port, weight, zone, attrs);
      }
      String[] names = new String[ports.size()];
      int[] numbers = new int[ports.size()];
      int i = 0;
      for (Map.Entry<String, Integer> e : ports.entrySet()) {
        names[i] = e.getKey();
        numbers[i] = e.getValue();
        i++;
      }
      return new Endpoint(
          host,
          port,
          weight,
          zone,
          attrs,
          Collections.unmodifiableMap(new TreeMap<>(ports)),
          names,
          numbers);
    }
  }
}
