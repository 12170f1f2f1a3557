package dev.whaleray.router.discovery;

import dev.whaleray.router.Endpoint;
import dev.whaleray.router.EndpointSet;
import java.util.ArrayList;
import java.util.List;

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

  /** The endpoints of {@code set} that have {@code port}, at that port; unknown stays unknown. */
  static EndpointSet select(EndpointSet set, String port) {
    if (!set.isKnown()) {
      return set;
    }
    List<Endpoint> selected = new ArrayList<>(set.size());
    for (Endpoint e : set.endpoints()) {
      int number = e.resolvePort(port);
      if (number > 0) {
        selected.add(e.atPort(number));
      }
    }
    return EndpointSet.of(set.service(), set.revision(), selected);
  }
}
