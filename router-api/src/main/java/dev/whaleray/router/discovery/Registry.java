package dev.whaleray.router.discovery;

import dev.whaleray.router.Endpoint;
import java.time.Duration;
import java.util.List;

/**
 * Endpoints registered at run time (the reference router's admin API), each kept until its TTL
 * lapses; registering again renews it (the heartbeat). A router routes them as one more discovery
 * source, merged with the configured one (router-core's {@code RegistryDiscovery}).
 *
 * <p>Implementations are thread-safe. {@link #register} and {@link #deregister} may block on a
 * remote store (Cloud Map): call them off IO threads.
 */
public interface Registry extends AutoCloseable {

  /**
   * Registers {@code endpoint} (host, port, weight, zone) for {@code service} for {@code ttl}, or
   * renews and replaces the registration at the same {@code host:port}.
   *
   * @param service a lower-case DNS label
   * @throws IllegalArgumentException when this registry cannot hold the endpoint (message names the
   *     field, e.g. {@code host: ...})
   * @throws RuntimeException when a remote store fails; nothing changed then
   */
  Registration register(String service, Endpoint endpoint, Duration ttl);

  /**
   * Removes the registration of {@code service} at {@code endpoint}'s {@code host:port} (its
   * weight, zone and attributes are not compared).
   *
   * @return false when there was none
   */
  boolean deregister(String service, Endpoint endpoint);

  /** The live registrations of every service, sorted by service, then endpoint. */
  List<Registration> registrations();

  /**
   * The live registered endpoints of {@code service} to merge into discovery, sorted; empty when
   * none, or when the registrations come back through the configured discovery itself (Cloud Map).
   */
  List<Endpoint> endpoints(String service);

  /**
   * Calls {@code listener} after each change (registration, renewal with other values, removal,
   * expiry), on the thread that made it; the listener must not block.
   *
   * @return closing it stops the calls
   */
  AutoCloseable subscribe(Listener listener);

  /** Releases timers and clients. Never throws. */
  @Override
  void close();

  /** Told about changes of a {@link Registry}. */
  interface Listener {
    /** The registered endpoints of {@code service} changed. */
    void changed(String service);

    /** A registration lapsed without renewal (after which {@link #changed} is called too). */
    default void expired(Registration registration) {}
  }
}
