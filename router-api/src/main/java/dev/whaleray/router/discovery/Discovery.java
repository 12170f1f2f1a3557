package dev.whaleray.router.discovery;

import dev.whaleray.router.Endpoint;
import dev.whaleray.router.EndpointSet;

/**
 * A source of endpoints for services: static config, DNS, the Cloud Map API, a plugin.
 *
 * <p>Lazy: a service is resolved from its first {@link #watch} on, kept fresh while watched, and
 * forgotten when its last watch closes. Implementations are thread-safe; {@link #watch} may be
 * called from any thread and never blocks (it may start a background lookup).
 */
public interface Discovery extends AutoCloseable {

  /**
   * Starts watching a service. The listener receives the current snapshot as soon as there is one,
   * then every change, serially and never with a lock held.
   *
   * @param service a lower-case DNS label
   * @return the watch; close it when the service is no longer needed
   */
  Watch watch(String service, Listener listener);

  /**
   * Starts watching one port of a service (issue #16): the listener receives the service's
   * endpoints that have {@code port}, each at that port (see {@link Endpoint#resolvePort}): a port
   * name, or a number that is one of the endpoint's ports, never any other. An endpoint without it
   * is left out, so a known service whose endpoints all lack it is an empty set.
   *
   * <p>The default filters {@link #watch(String, Listener)}; a source with per-port records of its
   * own (DNS SRV names per port) may override it. Same threading as {@link #watch(String,
   * Listener)}.
   *
   * @param service a lower-case DNS label
   * @param port a port name or a number 1-65535, as {@link dev.whaleray.router.RouteMatch#port}
   * @return the watch; close it when the port is no longer needed
   */
  default Watch watch(String service, String port, Listener listener) {
    return watch(service, new PortListener(Endpoint.checkPortReference(port), listener));
  }

  /** Stops every watch and releases threads and sockets. Never throws. */
  @Override
  void close();

  /** Receives snapshots of one service. */
  interface Listener {

    /**
     * The full new state of the service (never a delta). Called serially per service on the
     * discovery's control thread; must not block. An exception is logged and contained.
     */
    void onUpdate(EndpointSet endpoints);

    /**
     * A lookup failed. The last snapshot stays in force; this is for logs and metrics. Called like
     * {@link #onUpdate}.
     */
    default void onError(String service, Throwable error) {}
  }
}
