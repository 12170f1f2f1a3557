package dev.whaleray.reference;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;

/**
 * Extra frontends ({@code listeners: [ { port: 2222, service: ssh, protocol: tcp, maxConnections:
 * 500 } ]}): each a port bound to one service, HTTP (every request to that service, path kept) or
 * raw TCP, with a limit of connections open at once (default {@code limits.maxConnections}), and
 * optionally one of the service's named ports to reach ({@code servicePort: metrics}; {@code port}
 * is the listening port). Immutable.
 */
final class ListenerSettings {
  /** Every request on the port goes to the service. */
  static final String HTTP = "http";

  /** Raw bytes on the port go to one of the service's endpoints. */
  static final String TCP = "tcp";

  /**
   * One listener: its port, service, protocol and connection limit (0: {@code
   * limits.maxConnections}).
   */
  record Listener(
      int port,
      String service,
      String protocol,
      int maxConnections,
      String where,
      @org.jspecify.annotations.Nullable String servicePort) {
    /** The limit of connections open at once, {@code limits.maxConnections} when not its own. */
    int maxConnections(int fallback) {
      return maxConnections > 0 ? maxConnections : fallback;
    }
  }

  private ListenerSettings() {}

  /** The file's {@code listeners:} list, each entry checked; errors name the line and field. */
  static List<Listener> parse(YamlFile.Value section) {
    List<Listener> result = new ArrayList<>();
    Map<Integer, Listener> byPort = new HashMap<>();
    for (YamlFile.Value item : section.list()) {
      Map<String, YamlFile.Value> m =
          item.mapping(
              new LinkedHashSet<>(
                  List.of("port", "service", "protocol", "maxConnections", "servicePort")));
      YamlFile.Value port = m.get("port");
      if (port == null) {
        throw item.error(
            "port missing (expected e.g. { port: 2222, service: ssh, protocol: tcp })");
      }
      YamlFile.Value service = m.get("service");
      if (service == null) {
        throw item.error(
            "service missing (expected e.g. { port: 2222, service: ssh, protocol: tcp })");
      }
      int p = port.integer(1, 65535);
      String s = service.scalar().trim();
      try {
        s = java.util.Objects.requireNonNull(dev.whaleray.router.Route.path("/", s).service());
      } catch (IllegalArgumentException e) {
        throw service.error("'" + s + "' (expected: a DNS label, 1-63 of [a-z0-9-])");
      }
      String protocol = HTTP;
      YamlFile.Value proto = m.get("protocol");
      if (proto != null) {
        protocol = proto.scalar().trim().toLowerCase(java.util.Locale.ROOT);
        if (!protocol.equals(HTTP) && !protocol.equals(TCP)) {
          throw proto.error("'" + proto.scalar() + "' (expected: http or tcp)");
        }
      }
      YamlFile.Value max = m.get("maxConnections");
      int maxConnections = max == null ? 0 : max.integer(1, 1_000_000);
      // The port of the service's endpoints to reach (issue #16); "port" is the listening port.
      YamlFile.Value target = m.get("servicePort");
      String servicePort = null;
      if (target != null) {
        servicePort = target.scalar().trim().toLowerCase(java.util.Locale.ROOT);
        try {
          dev.whaleray.router.Endpoint.checkPortReference(servicePort);
        } catch (IllegalArgumentException e) {
          throw target.error(
              "'"
                  + target.scalar()
                  + "' (expected: a port name of [a-z0-9-] starting with a letter, such as metrics,"
                  + " or a port number 1-65535)");
        }
      }
      Listener l =
          new Listener(
              p,
              s,
              protocol,
              maxConnections,
              String.valueOf(port.error("").getMessage()),
              servicePort);
      Listener before = byPort.putIfAbsent(p, l);
      if (before != null) {
        throw port.error(
            p
                + " is already the port of the listener for "
                + before.service()
                + " (expected: "
                + "a port of its own)");
      }
      result.add(l);
    }
    return List.copyOf(result);
  }

  /**
   * Refuses a listener on the router's {@code port} or {@code adminPort} (0, ephemeral, never
   * clashes).
   */
  static void checkPorts(List<Listener> listeners, int port, int adminPort) {
    for (Listener l : listeners) {
      if (l.port() == port) {
        throw new ConfigException(
            l.where() + l.port() + " is the router's port too (expected: a port of its own)");
      }
      if (l.port() == adminPort) {
        throw new ConfigException(
            l.where() + l.port() + " is the admin port too (expected: a port of its own)");
      }
    }
  }
}
