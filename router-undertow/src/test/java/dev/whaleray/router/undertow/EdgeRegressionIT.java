package dev.whaleray.router.undertow;

import static org.assertj.core.api.Assertions.assertThat;

import dev.whaleray.router.Endpoint;
import dev.whaleray.router.Route;
import dev.whaleray.router.Router;
import dev.whaleray.router.undertow.testing.RawHttp;
import dev.whaleray.router.undertow.testing.RecordingBackend;
import dev.whaleray.router.undertow.testing.TestDiscovery;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Regressions found by review of the edge hardening: each test failed before its fix (a WebSocket
 * cut by the head timer, {@code Expect: 100-continue} skipping read-ahead, routing on the raw path
 * while forwarding the normal one, {@code ..;}, an untimed pipelined head, a 503 that kept a
 * connection whose body it never framed).
 */
class EdgeRegressionIT {
  static RecordingBackend rec;
  static RecordingBackend admin;
  static UpgradeBackend ws;
  static TestDiscovery discovery;
  static RouterHandler handler;
  static RouterServer server;

  @BeforeAll
  static void start() throws Exception {
    rec = new RecordingBackend();
    admin = new RecordingBackend();
    ws = new UpgradeBackend();
    discovery =
        new TestDiscovery()
            .set("demo", List.of(Endpoint.parse(rec.address())))
            .set("admin", List.of(Endpoint.parse(admin.address())))
            .set("ws", List.of(Endpoint.parse("127.0.0.1:" + ws.port())));
    Router router =
        Router.builder()
            .route(Route.hostAndPath("shop.test", "/admin").withService("admin"))
            .route(Route.host("shop.test", "demo"))
            .route(Route.path("/services/{service}"))
            .build();
    handler =
        RouterHandler.builder()
            .discovery(discovery)
            .router(router)
            .clientBodyTimeout(Duration.ofMillis(1000))
            .responseTimeout(Duration.ofSeconds(30))
            .retries(0)
            .build();
    server =
        RouterServer.builder(handler)
            .host("127.0.0.1")
            .port(0)
            .clientHeaderTimeout(Duration.ofMillis(1000))
            .start();
  }

  @AfterAll
  static void stop() throws Exception {
    server.close();
    handler.close();
    discovery.close();
    rec.close();
    admin.close();
    ws.close();
  }

  static Socket connect(int port) throws Exception {
    Socket s = new Socket();
    s.connect(new InetSocketAddress("127.0.0.1", port), 5000);
    s.setSoTimeout(15_000);
    return s;
  }

  static void write(Socket s, String text) throws Exception {
    OutputStream out = s.getOutputStream();
    out.write(text.getBytes(StandardCharsets.ISO_8859_1));
    out.flush();
  }

  /** Reads until {@code atLeast} bytes, EOF, or a timeout after some bytes arrived. */
  static String readSome(Socket s, int atLeast) throws Exception {
    ByteArrayOutputStream got = new ByteArrayOutputStream();
    InputStream in = s.getInputStream();
    byte[] b = new byte[4096];
    while (got.size() < atLeast) {
      int n;
      try {
        n = in.read(b);
      } catch (java.net.SocketTimeoutException e) {
        if (got.size() > 0) {
          break;
        }
        throw e;
      }
      if (n < 0) {
        break;
      }
      got.write(b, 0, n);
    }
    return got.toString(StandardCharsets.ISO_8859_1);
  }

  static String firstLine(String s) {
    return s.isEmpty() ? "nothing" : s.split("\r\n")[0];
  }

  @Test
  void aWebSocketOutlivesTheClientHeaderTimeout() throws Exception {
    try (Socket s = connect(server.port())) {
      write(
          s,
          "GET /services/ws/chat HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\n"
              + "Upgrade: websocket\r\nSec-WebSocket-Version: 13\r\n"
              + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n");
      String head = readSome(s, 1);
      while (!head.contains("\r\n\r\n")) {
        head += readSome(s, 1);
      }
      assertThat(head).startsWith("HTTP/1.1 101");
      write(s, "ping1");
      assertThat(readSome(s, 5)).isEqualTo("ping1");
      Thread.sleep(2000); // past the 1 s client header timeout
      write(s, "ping2");
      assertThat(readSome(s, 5)).isEqualTo("ping2");
    }
  }

  @Test
  void expectContinueIsAnsweredByTheRouterAndTheBodyReadAhead() throws Exception {
    rec.reset();
    try (Socket s = connect(server.port())) {
      write(
          s,
          "POST /services/demo/up HTTP/1.1\r\nHost: x\r\nContent-Length: 50000\r\n"
              + "Expect: 100-continue\r\n\r\n");
      String cont = readSome(s, 10);
      assertThat(cont).startsWith("HTTP/1.1 100");
      write(s, "0123456789"); // then nothing: the body idle timeout, not a backend, ends it
      String got = new String(s.getInputStream().readAllBytes(), StandardCharsets.ISO_8859_1);
      assertThat(got).contains("HTTP/1.1 408");
    }
    assertThat(rec.received()).isEmpty();
  }

  @Test
  void expectContinueIsNotPassedOn() throws Exception {
    rec.reset();
    try (Socket s = connect(server.port())) {
      write(
          s,
          "POST /services/demo/up HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n"
              + "Expect: 100-continue\r\n\r\n");
      assertThat(readSome(s, 10)).startsWith("HTTP/1.1 100");
      write(s, "hello");
      String got = readSome(s, 20);
      assertThat(got).contains("HTTP/1.1 200");
    }
    assertThat(rec.received()).contains("\r\n\r\nhello").doesNotContainIgnoringCase("expect");
  }

  @Test
  void theRouteIsChosenOnTheNormalisedPath() throws Exception {
    rec.reset();
    admin.reset();
    try (RawHttp http = new RawHttp(server.port())) {
      // Decoded unreserved characters name /admin: routed to the admin service, as a decoding
      // backend would read it.
      assertThat(http.send("GET /%61dmin/secret HTTP/1.1\r\nHost: shop.test\r\n\r\n").status)
          .isEqualTo(200);
      // A ".." that climbs into the /admin prefix from elsewhere is refused.
      RawHttp.Response climbed =
          http.send("GET /x/../admin/secret HTTP/1.1\r\nHost: shop.test\r\n\r\n");
      assertThat(climbed.status).isEqualTo(400);
      assertThat(climbed.body).contains("climbs out of the route");
      // Dots inside the route are fine.
      assertThat(http.send("GET /admin/a/../b HTTP/1.1\r\nHost: shop.test\r\n\r\n").status)
          .isEqualTo(200);
    }
    // The route's fixed prefix is stripped, as for any fixed-prefix route.
    assertThat(admin.received()).contains("GET /secret HTTP/1.1", "GET /b HTTP/1.1");
    assertThat(rec.received()).isEmpty();
  }

  @Test
  void aDotSegmentWithParametersIsRefused() throws Exception {
    rec.reset();
    try (RawHttp http = new RawHttp(server.port())) {
      RawHttp.Response r = http.send("GET /services/demo/a/..;/..;/b HTTP/1.1\r\nHost: x\r\n\r\n");
      assertThat(r.status).isEqualTo(400);
      assertThat(r.body).contains("..;");
    }
    assertThat(rec.received()).isEmpty();
  }

  @Test
  void anAbsoluteFormTargetOnTheWebSocketPathKeepsItsNormalPath() throws Exception {
    try (Socket s = connect(server.port())) {
      write(
          s,
          "GET http://h.test/services/ws/./a//b/c HTTP/1.1\r\nHost: h.test\r\n"
              + "Connection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\n"
              + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n");
      String head = readSome(s, 1);
      while (!head.contains("\r\n\r\n")) {
        head += readSome(s, 1);
      }
      assertThat(head).startsWith("HTTP/1.1 101");
    }
    assertThat(ws.lastRequestLine).isEqualTo("GET /a//b/c HTTP/1.1");
  }

  @Test
  void aPipelinedPartialHeadIsTimedToo() throws Exception {
    try (Socket s = connect(server.port())) {
      long start = System.nanoTime();
      write(
          s,
          "POST /services/demo/up HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
              + "5\r\nhello\r\n0\r\n\r\nGET /services/demo/second HTTP/1.1\r\nHost: x\r\n");
      ByteArrayOutputStream got = new ByteArrayOutputStream();
      try {
        s.getInputStream().transferTo(got);
      } catch (java.io.IOException e) {
        // reset after the answer
      }
      long ms = (System.nanoTime() - start) / 1_000_000;
      assertThat(got.toString(StandardCharsets.ISO_8859_1)).contains("HTTP/1.1 408");
      assertThat(ms).isLessThan(4000);
    }
  }

  @Test
  void theInFlightCap503ClosesTheConnection() throws Exception {
    RouterServer capped =
        RouterServer.builder(handler).host("127.0.0.1").port(0).maxRequests(1).start();
    try (Socket slow = connect(capped.port());
        Socket s = connect(capped.port())) {
      write(slow, "POST /services/demo/slow HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n01");
      Thread.sleep(200);
      write(
          s,
          "POST /services/demo/a HTTP/1.1\r\nHost: x\r\nContent-Length: 18446744073709551626\r\n\r\n"
              + "helloworldGET /services/demo/smuggled HTTP/1.1\r\nHost: x\r\n\r\n");
      String got = new String(s.getInputStream().readAllBytes(), StandardCharsets.ISO_8859_1);
      assertThat(got.split("HTTP/1.1 ", -1).length - 1)
          .as("answers on the connection")
          .isEqualTo(1);
      assertThat(got).startsWith("HTTP/1.1 503");
    } finally {
      capped.close();
    }
  }

  /** Answers any request 101 and then echoes bytes. */
  static final class UpgradeBackend implements AutoCloseable {
    final ServerSocket server;

    UpgradeBackend() throws Exception {
      server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
      Thread t =
          new Thread(
              () -> {
                while (!server.isClosed()) {
                  try {
                    Socket s = server.accept();
                    Thread c = new Thread(() -> serve(s));
                    c.setDaemon(true);
                    c.start();
                  } catch (Exception e) {
                    return;
                  }
                }
              });
      t.setDaemon(true);
      t.start();
    }

    int port() {
      return server.getLocalPort();
    }

    volatile String lastRequestLine;

    void serve(Socket s) {
      try (s) {
        InputStream in = s.getInputStream();
        StringBuilder head = new StringBuilder();
        while (head.indexOf("\r\n\r\n") < 0) {
          int c = in.read();
          if (c < 0) {
            return;
          }
          head.append((char) c);
        }
        lastRequestLine = head.substring(0, head.indexOf("\r\n"));
        OutputStream out = s.getOutputStream();
        out.write(
            ("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                    + "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n")
                .getBytes(StandardCharsets.ISO_8859_1));
        out.flush();
        byte[] b = new byte[4096];
        for (int n; (n = in.read(b)) > 0; ) {
          out.write(b, 0, n);
          out.flush();
        }
      } catch (Exception e) {
        // gone
      }
    }

    @Override
    public void close() throws Exception {
      server.close();
    }
  }
}
