package dev.whaleray.router.undertow.testing;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A loopback port that counts the TCP connections it accepts (and closes them): proof that the
 * router never connected somewhere it must not.
 */
public final class CountingListener implements AutoCloseable {
  private final ServerSocket socket;
  private final AtomicInteger accepted = new AtomicInteger();
  private final Thread acceptor;

  private CountingListener() throws IOException {
    this.socket = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    this.acceptor =
        new Thread(
            () -> {
              while (!socket.isClosed()) {
                try (Socket s = socket.accept()) {
                  accepted.incrementAndGet();
                } catch (IOException e) {
                  return; // closed
                }
              }
            },
            "counting-listener");
    acceptor.setDaemon(true);
    acceptor.start();
  }

  /** Starts listening on an ephemeral port of 127.0.0.1. */
  public static CountingListener start() throws IOException {
    return new CountingListener();
  }

  /** The port listened on. */
  public int port() {
    return socket.getLocalPort();
  }

  /** Connections accepted so far. */
  public int accepted() {
    return accepted.get();
  }

  @Override
  public void close() throws IOException {
    socket.close();
  }
}
