package dev.whaleray.reference.soak;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.Properties;
import org.junit.jupiter.api.Test;

/**
 * The soak harness's own logic, fast enough for every build: its bounds, and that its raw client
 * reads responses and names broken connections right (the soak's error counts rest on it).
 */
class SoakHarnessTest {

  @Test
  void minutesAreBoundedToThirty() {
    Properties p = new Properties();
    assertThat(SoakSettings.from(p).minutes()).isEqualTo(30);
    p.setProperty("soak.minutes", "");
    assertThat(SoakSettings.from(p).minutes()).isEqualTo(30);
    p.setProperty("soak.minutes", "2");
    assertThat(SoakSettings.from(p).traffic().toSeconds()).isEqualTo(120);
    p.setProperty("soak.minutes", "31");
    assertThatThrownBy(() -> SoakSettings.from(p))
        .hasMessageContaining("soak.minutes='31'")
        .hasMessageContaining("30");
    p.setProperty("soak.minutes", "2");
    p.setProperty("soak.workers", "many");
    assertThatThrownBy(() -> SoakSettings.from(p)).hasMessageContaining("soak.workers='many'");
  }

  @Test
  void readsContentLengthAndChunkedResponsesOnOneConnection() throws Exception {
    String wire =
        "HTTP/1.1 100 Continue\r\n\r\n"
            + "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello"
            + "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
            + "3;x=y\r\nabc\r\n2\r\nde\r\n0\r\nTrailer: t\r\n\r\n"
            + "HTTP/1.1 502 Bad Gateway\r\nConnection: close\r\nContent-Length: 2\r\n\r\n{}";
    try (Peer peer = new Peer(wire, false);
        HttpConnection c = HttpConnection.open(peer.port(), 1000, 2000)) {
      HttpConnection.Response a = c.read(false);
      assertThat(a.status()).isEqualTo(200);
      assertThat(a.text()).isEqualTo("hello");
      assertThat(a.keepAlive()).isTrue();
      assertThat(c.read(false).text()).isEqualTo("abcde");
      HttpConnection.Response b = c.read(false);
      assertThat(b.status()).isEqualTo(502);
      assertThat(b.keepAlive()).isFalse();
      assertThat(c.exchanges()).isEqualTo(3);
    }
  }

  @Test
  void namesWhereTheConnectionBroke() throws Exception {
    try (Peer peer = new Peer("", false);
        HttpConnection c = HttpConnection.open(peer.port(), 1000, 2000)) {
      Throwable t = catchRead(c);
      assertThat(Failure.kindOf(t)).isEqualTo("closed before the status line");
    }
    try (Peer peer = new Peer("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc", false);
        HttpConnection c = HttpConnection.open(peer.port(), 1000, 2000)) {
      assertThat(Failure.kindOf(catchRead(c))).isEqualTo("closed mid-response");
    }
    try (Peer peer = new Peer("HTTP/1.1 200 OK\r\n", true);
        HttpConnection c = HttpConnection.open(peer.port(), 1000, 2000)) {
      assertThat(Failure.kindOf(catchRead(c))).isEqualTo("reset");
    }
    try (Peer peer = new Peer(null, false);
        HttpConnection c = HttpConnection.open(peer.port(), 1000, 300)) {
      Throwable t = catchRead(c);
      assertThat(t).isInstanceOf(SocketTimeoutException.class);
      assertThat(Failure.kindOf(t)).isEqualTo("timeout");
    }
    int closed;
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      closed = s.getLocalPort();
    }
    assertThat(Failure.kindOf(catchOpen(closed))).isEqualTo("connect refused");
  }

  @Test
  void readsAClassHistogram() {
    String histogram =
        "12345:\n"
            + " num     #instances         #bytes  class name (module)\n"
            + "-------------------------------------------------------\n"
            + "   1:          1000          64000  [B (java.base@17.0.15)\n"
            + "   2:            10            240  java.lang.String (java.base@17.0.15)\n"
            + "Total          1010          64240\n";
    assertThat(ProcessProbe.histogramBytes(histogram))
        .containsEntry("[B", 64000L)
        .containsEntry("java.lang.String", 240L)
        .hasSize(2);
  }

  @Test
  void chunksABody() {
    byte[] wire = HttpConnection.chunked("hello world".getBytes(StandardCharsets.UTF_8), 5);
    assertThat(new String(wire, StandardCharsets.US_ASCII))
        .isEqualTo("5\r\nhello\r\n5\r\n worl\r\n1\r\nd\r\n0\r\n\r\n");
  }

  private static Throwable catchRead(HttpConnection c) {
    try {
      c.read(false);
    } catch (IOException e) {
      return e;
    }
    throw new AssertionError("no exception");
  }

  private static Throwable catchOpen(int port) {
    try {
      HttpConnection.open(port, 1000, 1000).close();
    } catch (IOException e) {
      return e;
    }
    throw new AssertionError("connected to " + port);
  }

  /**
   * A one-connection server that writes {@code wire} (null: nothing, and keeps the connection open)
   * and then closes, with a reset when {@code reset}.
   */
  private static final class Peer implements AutoCloseable {
    private final ServerSocket server;
    private final Thread thread;

    Peer(String wire, boolean reset) throws IOException {
      server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
      thread =
          new Thread(
              () -> {
                try (Socket s = server.accept()) {
                  if (wire == null) {
                    Thread.sleep(2000);
                    return;
                  }
                  if (reset) {
                    // Let the client finish opening first: a reset during open() is another
                    // failure than the one this case names (seen once under load).
                    Thread.sleep(200);
                  }
                  OutputStream out = s.getOutputStream();
                  out.write(wire.getBytes(StandardCharsets.US_ASCII));
                  out.flush();
                  if (reset) {
                    s.setSoLinger(true, 0);
                  }
                } catch (IOException | InterruptedException e) {
                  // the test is over
                }
              });
      thread.setDaemon(true);
      thread.start();
    }

    int port() {
      return server.getLocalPort();
    }

    @Override
    public void close() throws IOException {
      server.close();
    }
  }
}
