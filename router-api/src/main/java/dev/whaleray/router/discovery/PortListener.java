package dev.whaleray.router.discovery;

import dev.whaleray.router.EndpointSet;

/**
 * Maps a service's snapshots to one of its ports: each endpoint that has the port, at that port;
 * the others left out. Runs on the discovery's control thread, as the listener it wraps.
 */
final class PortListener implements Discovery.Listener {
  private final String port;
  private final Discovery.Listener delegate;

  PortListener(String port, Discovery.Listener delegate) {
    this.port = port;
    this.delegate = delegate;
  }

  @Override
  public void onUpdate(EndpointSet endpoints) {
    delegate.onUpdate(select(endpoints, port));
  }

  @Override
  public void onError(String service, Throwable error) {
    delegate.onError(service, error);
  }

  static EndpointSet select(EndpointSet set, String port) {
    return set.atPort(set.service(), port);
  }
}
