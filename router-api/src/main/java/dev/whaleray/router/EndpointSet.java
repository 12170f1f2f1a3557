package dev.whaleray.router;

import static java.util.Objects.requireNonNull;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.TreeSet;
import org.jspecify.annotations.Nullable;

/**
 * An immutable snapshot of a service's endpoints, as one discovery source saw it at one time.
 *
 * <p>Endpoints are sorted and exact duplicates removed, so two snapshots with the same content are
 * equal whatever order the source listed them in. A snapshot is <em>unknown</em> when the source
 * says the service does not exist (NXDOMAIN, {@code ServiceNotFound}): the router answers 502. A
 * known but empty snapshot means the service exists with no endpoint: the router answers 503.
 * Thread-safe.
 */
public final class EndpointSet {

  private final String service;
  private final long revision;
  private final boolean known;
  private final List<Endpoint> endpoints;
  private final int hash;

  private EndpointSet(String service, long revision, boolean known, List<Endpoint> endpoints) {
    this.service = service;
    this.revision = revision;
    this.known = known;
    this.endpoints = endpoints;
    this.hash = (service.hashCode() * 31 + Boolean.hashCode(known)) * 31 + endpoints.hashCode();
  }

  /** A snapshot of a known service; endpoints are copied, sorted and deduplicated. */
  public static EndpointSet of(String service, long revision, Collection<Endpoint> endpoints) {
    requireNonNull(service, "service");
    requireNonNull(endpoints, "endpoints");
    List<Endpoint> sorted = new ArrayList<>(new TreeSet<>(endpoints));
    return new EndpointSet(service, revision, true, List.copyOf(sorted));
  }

  /** A snapshot that says the service does not exist. */
  public static EndpointSet unknown(String service, long revision) {
    return new EndpointSet(requireNonNull(service, "service"), revision, false, List.of());
  }

  /**
   * The endpoints that have port {@code port} (a port name, or a number that is one of an
   * endpoint's ports: see {@link Endpoint#resolvePort}), each at that port, under the name {@code
   * service}; an unknown set stays unknown. What a route to one port of a service is served by.
   */
  public EndpointSet atPort(String service, String port) {
    requireNonNull(service, "service");
    Endpoint.checkPortReference(port);
    if (!known) {
      return unknown(service, revision);
    }
    List<Endpoint> selected = new ArrayList<>(endpoints.size());
    for (Endpoint e : endpoints) {
      int number = e.resolvePort(port);
      if (number > 0) {
        selected.add(e.atPort(number));
      }
    }
    return of(service, revision, selected);
  }

  /** A copy named {@code service}, or this set when the name is the same. */
  public EndpointSet withService(String service) {
    requireNonNull(service, "service");
    return service.equals(this.service)
        ? this
        : new EndpointSet(service, revision, known, endpoints);
  }

  /** The service these endpoints belong to. */
  public String service() {
    return service;
  }

  /** Increases with every change the source publishes; for logs and metrics, not for equality. */
  public long revision() {
    return revision;
  }

  /** False when the source says the service does not exist. */
  public boolean isKnown() {
    return known;
  }

  /** True when there is no endpoint (unknown, or known and empty). */
  public boolean isEmpty() {
    return endpoints.isEmpty();
  }

  /** The endpoints, sorted, without duplicates. */
  public List<Endpoint> endpoints() {
    return endpoints;
  }

  /** The number of endpoints. */
  public int size() {
    return endpoints.size();
  }

  /** A copy with another revision, or this snapshot when the revision is the same. */
  public EndpointSet withRevision(long revision) {
    return revision == this.revision ? this : new EndpointSet(service, revision, known, endpoints);
  }

  /** True when both describe the same service state, whatever their revisions. */
  public boolean sameContent(EndpointSet other) {
    return hash == other.hash
        && known == other.known
        && service.equals(other.service)
        && endpoints.equals(other.endpoints);
  }

  /** Equal when service, revision, existence and every endpoint field are equal. */
  @Override
  public boolean equals(@Nullable Object o) {
    if (this == o) {
      return true;
    }
    if (!(o instanceof EndpointSet)) {
      return false;
    }
    EndpointSet s = (EndpointSet) o;
    return revision == s.revision && sameContent(s);
  }

  @Override
  public int hashCode() {
    return hash * 31 + Long.hashCode(revision);
  }

  @Override
  public String toString() {
    return known
        ? "EndpointSet{" + service + " r" + revision + " " + endpoints + "}"
        : "EndpointSet{" + service + " r" + revision + " unknown}";
  }
}
