package dev.whaleray.router.undertow.testing;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/** Free loopback ports for tests that need a port number before anything listens on it. */
public final class Ports {
  /** Ports handed out in this JVM: the kernel may offer a just-closed one again (CI saw it). */
  private static final Set<Integer> HANDED_OUT = ConcurrentHashMap.newKeySet();

  private Ports() {}

  /**
   * A loopback port that was free a moment ago and that no earlier call in this JVM returned, so
   * two calls in one test never name the same port. Nothing listens on it: connections are refused
   * until something binds it.
   */
  public static int free() throws IOException {
    while (true) {
      try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
        if (HANDED_OUT.add(s.getLocalPort())) {
          return s.getLocalPort();
        }
      }
    }
  }
}
