package dev.whaleray.reference;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.whaleray.router.Endpoint;
import dev.whaleray.router.EndpointSet;
import dev.whaleray.router.RequestView;
import dev.whaleray.router.core.Cluster;
import dev.whaleray.router.core.ClusterSnapshot;
import dev.whaleray.router.discovery.Registration;
import dev.whaleray.router.discovery.Registry;
import dev.whaleray.router.lb.PickResult;
import dev.whaleray.router.lb.Picker;
import dev.whaleray.router.lb.Tried;
import dev.whaleray.router.lb.Upstream;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * {@code GET /admin/services}: every service in use (and every registered one), each endpoint with
 * its weight, zone, health, requests in flight and source. Built on demand from the clusters'
 * snapshots; stateless.
 *
 * <p>Health, from the cluster: {@code healthy}; {@code ejected} (outlier detection); {@code
 * unhealthy} (failing its active checks, or not yet routed); {@code unknown} for a registered
 * endpoint of a service no request has used yet. In flight comes from the picker's upstreams, found
 * by asking the picker for every upstream not tried yet (a round-robin turn moves on by that many
 * picks: a listing is rare).
 */
final class ServiceListing {
  /** The Cloud Map attribute that marks an endpoint registered through an admin API. */
  private static final String REGISTERED_ATTRIBUTE = "WHALERAY_EXPIRES_AT";

  private final ObjectMapper json;
  private final String discoveryName;

  ServiceListing(ObjectMapper json, String discoveryName) {
    this.json = json;
    this.discoveryName = discoveryName;
  }

  ObjectNode list(List<Cluster> clusters, Registry registry) {
    Map<String, Map<String, Registration>> registered = new TreeMap<>();
    for (Registration r : registry.registrations()) {
      registered
          .computeIfAbsent(r.service(), s -> new HashMap<>())
          .put(r.endpoint().authority(), r);
    }
    // One entry per service: a service reached through routes with policies of their own has
    // several clusters; their in-flight counts add up.
    Map<String, ObjectNode> services = new TreeMap<>();
    Map<String, Map<String, Integer>> inFlight = new HashMap<>();
    Map<String, Cluster> first = new TreeMap<>();
    // Ports in use (issue #16) have clusters of their own, whose endpoints sit at the port: the
    // service's entry shows its default port's cluster, and names the ports in use.
    Map<String, java.util.Set<String>> portsInUse = new HashMap<>();
    for (Cluster c : clusters) {
      if (c.port() == null) {
        first.putIfAbsent(c.service(), c);
      } else {
        portsInUse.computeIfAbsent(c.service(), x -> new java.util.TreeSet<>()).add(c.port());
      }
    }
    for (Cluster c : clusters) {
      first.putIfAbsent(c.service(), c); // reached only through its ports so far
      Map<String, Integer> counts = inFlight.computeIfAbsent(c.service(), s -> new HashMap<>());
      ClusterSnapshot s = c.snapshot();
      if (s != null) {
        for (Upstream u : upstreams(s.picker())) {
          counts.merge(u.endpoint().authority(), u.inFlight(), Integer::sum);
        }
      }
    }
    for (Cluster c : first.values()) {
      ObjectNode node =
          service(
              c,
              inFlight.getOrDefault(c.service(), Map.of()),
              registered.getOrDefault(c.service(), Map.of()));
      java.util.Set<String> ports = portsInUse.get(c.service());
      if (ports != null) {
        ArrayNode names = node.putArray("portsInUse");
        ports.forEach(names::add);
      }
      services.put(c.service(), node);
    }
    for (Map.Entry<String, Map<String, Registration>> e : registered.entrySet()) {
      if (!services.containsKey(e.getKey())) {
        ObjectNode node = json.createObjectNode().put("service", e.getKey()).put("known", true);
        node.put("inUse", false);
        ArrayNode endpoints = node.putArray("endpoints");
        for (Registration r : new TreeMap<>(e.getValue()).values()) {
          ObjectNode ep = endpoint(r.endpoint(), "unknown", 0, "registry");
          ep.put("expiresAt", r.expiresAt().toString());
          endpoints.add(ep);
        }
        services.put(e.getKey(), node);
      }
    }
    ObjectNode root = json.createObjectNode();
    root.putArray("services").addAll(services.values());
    return root;
  }

  private ObjectNode service(
      Cluster c, Map<String, Integer> inFlight, Map<String, Registration> registered) {
    ObjectNode node = json.createObjectNode().put("service", c.service());
    ClusterSnapshot s = c.snapshot();
    EndpointSet set = s == null ? c.endpoints() : s.endpoints();
    node.put("known", set != null && set.isKnown());
    node.put("inUse", true);
    if (s != null && s.panic()) {
      node.put("panic", true);
    }
    ArrayNode endpoints = node.putArray("endpoints");
    if (set == null) {
      return node;
    }
    for (Endpoint e : set.endpoints()) {
      String authority = e.authority();
      // As the cluster sees it: failing its active checks, ejected, or healthy.
      String health = c.endpointState(authority);
      Registration r = registered.get(authority);
      String source =
          r != null || e.attributes().containsKey(REGISTERED_ATTRIBUTE)
              ? "registry"
              : discoveryName;
      ObjectNode ep = endpoint(e, health, inFlight.getOrDefault(authority, 0), source);
      if (r != null) {
        ep.put("expiresAt", r.expiresAt().toString());
      }
      endpoints.add(ep);
    }
    return node;
  }

  private ObjectNode endpoint(Endpoint e, String health, int inFlight, String source) {
    ObjectNode ep = json.createObjectNode();
    ep.put("address", e.authority());
    ep.put("host", e.host());
    ep.put("port", e.port());
    ep.put("weight", e.weight());
    if (e.zone() == null) {
      ep.putNull("zone");
    } else {
      ep.put("zone", e.zone());
    }
    if (!e.ports().isEmpty()) {
      ObjectNode ports = ep.putObject("ports");
      e.ports().forEach(ports::put);
    }
    ep.put("health", health);
    ep.put("inFlight", inFlight);
    ep.put("source", source);
    return ep;
  }

  private static final RequestView PROBE = RequestView.of("GET", "admin", "/");

  /**
   * The upstreams the picker chooses among: it is asked again and again with every upstream it gave
   * so far as tried, until it has none left (the retry contract of {@link Picker}). Bounded.
   */
  static List<Upstream> upstreams(Picker picker) {
    Map<String, Upstream> found = new java.util.LinkedHashMap<>();
    Tried tried =
        new Tried() {
          @Override
          public int count() {
            return found.size();
          }

          @Override
          public boolean contains(Upstream upstream) {
            return found.containsKey(upstream.endpoint().authority());
          }
        };
    Set<Upstream> seen = new HashSet<>();
    for (int i = 0; i < 10_000; i++) {
      PickResult r;
      try {
        r = picker.pick(PROBE, found.isEmpty() ? Tried.NONE : tried);
      } catch (RuntimeException e) {
        break;
      }
      Upstream u = r.upstream();
      if (u == null || !seen.add(u) || found.containsKey(u.endpoint().authority())) {
        break;
      }
      found.put(u.endpoint().authority(), u);
    }
    return List.copyOf(found.values());
  }
}
