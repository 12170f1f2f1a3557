package dev.whaleray.reference.soak;

import java.net.URI;
import java.net.http.WebSocket;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.Arrays;
import java.util.Random;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * One short WebSocket session through the router with the JDK's client: handshake, two text
 * messages and one binary message (up to 16 KB) echoed back and compared, then a clean close (1000)
 * answered by the backend. Sessions are short so that a backend drains within seconds.
 */
final class WebSocketProbe {
  static final String OP = "WebSocket";
  private static final long STEP_SECONDS = 15;

  private final Traffic traffic;
  private final Random random;

  WebSocketProbe(Traffic traffic, Random random) {
    this.traffic = traffic;
    this.random = random;
  }

  void session(String id) throws InterruptedException {
    long start = System.nanoTime();
    Listener listener = new Listener();
    WebSocket ws = null;
    String step = "handshake";
    try {
      ws =
          traffic
              .webSockets
              .newWebSocketBuilder()
              .header("X-Soak-Id", id)
              .connectTimeout(Duration.ofSeconds(5))
              .buildAsync(
                  URI.create("ws://127.0.0.1:" + traffic.port + "/services/soak/ws/" + id),
                  listener)
              .get(STEP_SECONDS, TimeUnit.SECONDS);
      for (int i = 0; i < 2; i++) {
        step = "text echo " + (i + 1);
        String text = id + " " + "x".repeat(random.nextInt(16 * 1024));
        ws.sendText(text, true).get(STEP_SECONDS, TimeUnit.SECONDS);
        Object echo = listener.next();
        if (!text.equals(echo)) {
          fail(id, wrongEcho(id, echo), step);
          ws.abort();
          return;
        }
      }
      step = "binary echo";
      byte[] bytes = new byte[1 + random.nextInt(16 * 1024)];
      random.nextBytes(bytes);
      ws.sendBinary(ByteBuffer.wrap(bytes), true).get(STEP_SECONDS, TimeUnit.SECONDS);
      Object echo = listener.next();
      if (!(echo instanceof byte[] b) || !Arrays.equals(b, bytes)) {
        fail(id, wrongEcho(id, echo), step);
        ws.abort();
        return;
      }
      step = "close";
      ws.sendClose(WebSocket.NORMAL_CLOSURE, "bye").get(STEP_SECONDS, TimeUnit.SECONDS);
      int code = listener.closed.get(STEP_SECONDS, TimeUnit.SECONDS);
      if (code != WebSocket.NORMAL_CLOSURE) {
        fail(id, Failure.unexpected("websocket closed with " + code), step);
        return;
      }
      traffic.tally.ok(OP, start);
    } catch (InterruptedException e) {
      throw e;
    } catch (Exception e) {
      if (ws != null) {
        ws.abort();
      }
      Throwable cause = Failure.unwrap(e);
      String kind = Failure.kindOf(cause);
      Failure f =
          traffic.killed.contains(id)
              ? Failure.expected("websocket " + kind, "its backend was stopped with it open")
              : Failure.unexpected("websocket " + kind);
      fail(id, f, step + ": " + cause);
    }
  }

  /** A message that is not the echo: the peer's close (an {@code Integer} code) or other bytes. */
  private Failure wrongEcho(String id, Object echo) {
    if (echo instanceof Integer code) {
      return traffic.killed.contains(id)
          ? Failure.expected("websocket closed early", "its backend was stopped with it open")
          : Failure.unexpected("websocket closed early with " + code);
    }
    return Failure.unexpected("websocket wrong echo");
  }

  private void fail(String id, Failure f, String detail) {
    traffic.tally.fail(OP, f, id + " at " + detail);
  }

  /** Collects whole messages, the close code, and an error. */
  private static final class Listener implements WebSocket.Listener {
    final BlockingQueue<Object> messages = new LinkedBlockingQueue<>();
    final CompletableFuture<Integer> closed = new CompletableFuture<>();
    private final StringBuilder text = new StringBuilder();
    private final java.io.ByteArrayOutputStream binary = new java.io.ByteArrayOutputStream();

    @Override
    public CompletionStage<?> onText(WebSocket ws, CharSequence data, boolean last) {
      text.append(data);
      if (last) {
        messages.add(text.toString());
        text.setLength(0);
      }
      ws.request(1);
      return null;
    }

    @Override
    public CompletionStage<?> onBinary(WebSocket ws, ByteBuffer data, boolean last) {
      byte[] b = new byte[data.remaining()];
      data.get(b);
      binary.writeBytes(b);
      if (last) {
        messages.add(binary.toByteArray());
        binary.reset();
      }
      ws.request(1);
      return null;
    }

    @Override
    public CompletionStage<?> onClose(WebSocket ws, int statusCode, String reason) {
      messages.add(statusCode); // ends a wait for an echo at once
      closed.complete(statusCode);
      return null;
    }

    @Override
    public void onError(WebSocket ws, Throwable error) {
      closed.completeExceptionally(error);
      messages.add(error);
    }

    /** The next message (an {@code Integer} for the peer's close); an error seen is thrown. */
    Object next() throws Exception {
      Object m = messages.poll(STEP_SECONDS, TimeUnit.SECONDS);
      if (m == null) {
        throw new TimeoutException("no echo within " + STEP_SECONDS + " s");
      }
      if (m instanceof Exception e) {
        throw e;
      }
      if (m instanceof Throwable t) {
        throw new java.io.IOException(t);
      }
      return m;
    }
  }
}
