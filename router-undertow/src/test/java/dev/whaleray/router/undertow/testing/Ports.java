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

  /** Whether {@link #free()} returned {@code port} in this JVM. */
  public static boolean handedOut(int port) {
    return HANDED_OUT.contains(port);
  }

  /**
   * A listening loopback socket on a port {@link #free()} never returned: a server bound after a
   * test took a "refusing" port could otherwise get that same port from the kernel, and the
   * refusing endpoint would answer.
   */
  public static ServerSocket listen(int backlog) throws IOException {
    while (true) {
      ServerSocket s = new ServerSocket(0, backlog, InetAddress.getLoopbackAddress());
      if (!HANDED_OUT.contains(s.getLocalPort())) {
        return s;
      }
      s.close();
    }
  }
}
