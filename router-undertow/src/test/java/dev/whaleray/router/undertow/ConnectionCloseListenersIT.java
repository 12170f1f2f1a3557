package dev.whaleray.router.undertow;

import static org.assertj.core.api.Assertions.assertThat;

import io.undertow.util.AttachmentKey;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A client connection's close runs Undertow's close handling once: the connection guard adds its
 * own close listener to Undertow's (XNIO merges close listeners) and must not call Undertow's
 * again. Undertow's runs the connection's {@code ServerConnection.CloseListener}s and ends a
 * running exchange; twice, it ran every registered close listener twice.
 */
class ConnectionCloseListenersIT {
  private static final AttachmentKey<Boolean> REGISTERED = AttachmentKey.create(Boolean.class);

  private final AtomicInteger closes = new AtomicInteger();
  private RouterServer server;

  @BeforeEach
  void start() {
    server =
        RouterServer.builder(
                exchange -> {
                  if (exchange.getConnection().getAttachment(REGISTERED) == null) {
                    exchange.getConnection().putAttachment(REGISTERED, true);
                    exchange.getConnection().addCloseListener(c -> closes.incrementAndGet());
                  }
                  exchange.getResponseSender().send("ok");
                })
            .host("127.0.0.1")
            .port(0)
            .ioThreads(1)
            .start();
  }

  @AfterEach
  void stop() {
    server.close();
  }

  @Test
  void eachClosedConnectionRunsItsCloseListenersOnce() throws Exception {
    int connections = 5;
    for (int i = 0; i < connections; i++) {
      try (Socket s = new Socket()) {
        s.connect(new InetSocketAddress("127.0.0.1", server.port()), 5000);
        s.setSoTimeout(5000);
        s.getOutputStream()
            .write("GET / HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
        InputStream in = s.getInputStream();
        byte[] buf = new byte[512];
        String got = "";
        while (!got.endsWith("ok")) {
          int n = in.read(buf);
          assertThat(n).as("response before the end of the stream").isPositive();
          got += new String(buf, 0, n, StandardCharsets.ISO_8859_1);
        }
      }
    }
    long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
    while (server.openConnections() > 0 && System.nanoTime() < deadline) {
      Thread.sleep(10);
    }
    assertThat(server.openConnections()).isZero();
    Thread.sleep(200); // a second run of the listeners, if any, comes right after the first
    assertThat(closes.get()).isEqualTo(connections);
  }
}
