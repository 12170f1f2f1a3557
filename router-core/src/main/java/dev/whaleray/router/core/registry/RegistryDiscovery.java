package dev.whaleray.router.core.registry;

import static java.util.Objects.requireNonNull;

import dev.whaleray.router.Endpoint;
import dev.whaleray.router.EndpointSet;
import dev.whaleray.router.discovery.AbstractDiscovery;
import dev.whaleray.router.discovery.Discovery;
import dev.whaleray.router.discovery.Registry;
import dev.whaleray.router.discovery.Watch;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import org.jspecify.annotations.Nullable;

/**
 * A {@link Discovery} that merges the endpoints of a {@link Registry} into those of another
 * discovery, service by service, and publishes a new snapshot when either changes, so a registered
 * endpoint is routed as soon as the registry has it.
 *
 * <p>Merging: the configured discovery's endpoints, plus each registered endpoint whose {@code
 * host:port} it does not list already (the discovery's copy wins: with {@code CloudMapRegistry} it
 * is the same registration read back). A service unknown to the configured discovery but with
 * registered endpoints is known; with neither it stays unknown (502). Until the configured
 * discovery has answered, nothing is published, unless its first lookup failed (then registered
 * endpoints alone are served).
 *
 * <p>Each registry change also asks the configured discovery for a fresh lookup, so a shared
 * registry's removal is seen at once by this task. Thread-safe; it owns the configured discovery
 * (closes it), not the registry.
 */
public final class RegistryDiscovery extends AbstractDiscovery {
  private final Discovery delegate;
  private final Registry registry;
  private final ConcurrentHashMap<String, Source> sources = new ConcurrentHashMap<>();
  private final AutoCloseable subscription;

  private RegistryDiscovery(Discovery delegate, Registry registry, Executor control) {
    super(control);
    this.delegate = requireNonNull(delegate, "delegate");
    this.registry = requireNonNull(registry, "registry");
    this.subscription = registry.subscribe(this::registryChanged);
  }

  /**
   * {@code delegate}'s endpoints merged with {@code registry}'s; listener calls run on {@code
   * control} (serially per service).
   */
  public static RegistryDiscovery of(Discovery delegate, Registry registry, Executor control) {
    return new RegistryDiscovery(delegate, registry, control);
  }

  /** The registry whose endpoints are merged in. */
  public Registry registry() {
    return registry;
  }

  /**
   * One watched service, or one port of it: the configured discovery's last snapshot. {@code key}
   * is what the watch is kept under: the service, or {@code service:port}.
   */
  private final class Source implements Discovery.Listener {
    final String key;
    final String service;
    final @Nullable String port;
    volatile @Nullable EndpointSet base;
    volatile boolean failedFirst;
    volatile @Nullable Watch watch;

    Source(String key, String service, @Nullable String port) {
      this.key = key;
      this.service = service;
      this.port = port;
    }

    @Override
    public void onUpdate(EndpointSet endpoints) {
      base = endpoints.withService(key);
      merge(this);
    }

    @Override
    public void onError(String s, Throwable error) {
      if (base == null) {
        failedFirst = true;
        merge(this); // registered endpoints go out before the error, so ready() completes
      }
      publishError(key, error);
    }
  }

  /**
   * One port of a service (issue #16): the configured discovery's view of that port (its own
   * per-port records, e.g. DNS SRV names), merged with the registered endpoints that have the port,
   * each at it.
   */
  @Override
  public Watch watch(String service, String port, Listener listener) {
    dev.whaleray.router.Endpoint.checkPortReference(port);
    // ':' is in neither a service name nor a port: the key never clashes with a service's.
    return watch(service + ':' + port, relabeled(service, listener));
  }

  @Override
  protected void doWatch(String key) {
    int colon = key.indexOf(':');
    String service = colon < 0 ? key : key.substring(0, colon);
    String port = colon < 0 ? null : key.substring(colon + 1);
    Source s = new Source(key, service, port);
    sources.put(key, s);
    Watch w = port == null ? delegate.watch(service, s) : delegate.watch(service, port, s);
    s.watch = w;
    w.ready()
        .whenComplete(
            (set, error) -> {
              if (error != null && s.base == null) {
                s.failedFirst = true;
                merge(s);
              }
            });
  }

  @Override
  protected void doUnwatch(String service) {
    Source s = sources.remove(service);
    Watch w = s == null ? null : s.watch;
    if (w != null) {
      w.close();
    }
  }

  @Override
  protected void doRefresh(String service) {
    Source s = sources.get(service);
    Watch w = s == null ? null : s.watch;
    if (w != null) {
      w.refresh();
    }
  }

  private void registryChanged(String service) {
    for (Source s : sources.values()) {
      if (!s.service.equals(service)) {
        continue; // the service's own watch and those of its ports
      }
      merge(s);
      Watch w = s.watch;
      if (w != null) {
        w.refresh();
      }
    }
  }

  /**
   * Publishes the merged state of one service. Under the source's lock, so that two merges racing
   * (a discovery update and a registration) publish in the order they read their inputs.
   */
  private void merge(Source s) {
    synchronized (s) {
      EndpointSet base = s.base;
      List<Endpoint> everyRegistered = registry.endpoints(s.service);
      List<Endpoint> registered = everyRegistered;
      String port = s.port;
      if (port != null && !registered.isEmpty()) {
        registered = EndpointSet.of(s.key, 0, registered).atPort(s.key, port).endpoints();
      }
      if (base == null) {
        if (s.failedFirst && !everyRegistered.isEmpty()) {
          publish(EndpointSet.of(s.key, 0, registered));
        }
        return;
      }
      if (registered.isEmpty()) {
        // A service known only through its registrations, none of which has the port: known and
        // empty (the router names the port), not unknown.
        publish(
            !base.isKnown() && !everyRegistered.isEmpty()
                ? EndpointSet.of(s.key, 0, List.of())
                : base);
        return;
      }
      Set<String> listed = new HashSet<>();
      List<Endpoint> all = new ArrayList<>(base.endpoints());
      for (Endpoint e : base.endpoints()) {
        listed.add(e.authority());
      }
      for (Endpoint e : registered) {
        if (listed.add(e.authority())) {
          all.add(e);
        }
      }
      publish(EndpointSet.of(s.key, 0, all));
    }
  }

  @Override
  protected void doClose() {
    try {
      subscription.close();
    } catch (Exception e) {
      // a subscription's close does not fail
    }
    sources.clear();
    delegate.close();
  }
}
