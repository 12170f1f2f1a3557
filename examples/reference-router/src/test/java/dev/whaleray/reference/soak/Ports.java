package dev.whaleray.reference.soak;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Loopback ports for the router and the backends, below Linux's ephemeral range (32768+) so that no
 * outgoing connection of another process takes a backend's port while it restarts. Every port
 * handed out for a backend is remembered, to tell upstream sockets in the router's fd table.
 */
final class Ports {
  private final Random random = new Random();
  private final Set<Integer> given = ConcurrentHashMap.newKeySet();
  private final Set<Integer> backends = ConcurrentHashMap.newKeySet();

  /** A free port never handed out before. */
  int next() {
    for (int tries = 0; tries < 10_000; tries++) {
      int port = 20_000 + random.nextInt(10_000);
      if (!given.contains(port) && free(port)) {
        given.add(port);
        return port;
      }
    }
    throw new IllegalStateException("no free port in 20000-29999");
  }

  /** A free port for a backend. */
  int nextForBackend() {
    int port = next();
    backends.add(port);
    return port;
  }

  /** Every port a backend ever listened on (a live view). */
  Set<Integer> backendPorts() {
    return backends;
  }

  private static boolean free(int port) {
    try {
      new ServerSocket(port, 1, InetAddress.getLoopbackAddress()).close();
      return true;
    } catch (IOException e) {
      return false;
    }
  }
}
