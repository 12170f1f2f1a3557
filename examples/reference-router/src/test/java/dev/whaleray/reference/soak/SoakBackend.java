package dev.whaleray.reference.soak;

import io.undertow.Handlers;
import io.undertow.Undertow;
import io.undertow.UndertowOptions;
import io.undertow.server.HttpHandler;
import io.undertow.server.HttpServerExchange;
import io.undertow.util.Headers;
import io.undertow.util.HttpString;
import io.undertow.util.Methods;
import io.undertow.websockets.core.AbstractReceiveListener;
import io.undertow.websockets.core.BufferedBinaryMessage;
import io.undertow.websockets.core.BufferedTextMessage;
import io.undertow.websockets.core.WebSocketChannel;
import io.undertow.websockets.core.WebSockets;
import io.undertow.websockets.spi.WebSocketHttpExchange;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.jspecify.annotations.Nullable;

/**
 * One soak backend: a real Undertow server on a loopback port, which it keeps across a stop and
 * start (as a restarted container behind a static port mapping) unless {@link #moveTo moved} (as an
 * ECS task replaced in bridge mode, on a new dynamic host port). It answers {@code GET} with a line
 * naming itself and the request, {@code GET /stream/...} the same in three chunks, echoes {@code
 * POST} bodies byte for byte, and echoes WebSocket messages on {@code /ws}. It knows which requests
 * (by {@code X-Soak-Id}) and WebSocket sessions it has in flight, so a restart can drain it and a
 * forced stop can name what it cut.
 */
final class SoakBackend {
  static final HttpString SOAK_ID = new HttpString("X-Soak-Id");
  private static final HttpString BACKEND = new HttpString("X-Backend");

  private final String name;
  private volatile int port;
  private final KilledRequests killed;
  private final Map<String, Boolean> requestsInFlight = new ConcurrentHashMap<>();
  private final Map<String, Boolean> sessionsOpen = new ConcurrentHashMap<>();
  private final HttpHandler websocket = Handlers.websocket(this::onWebSocket);
  private final AtomicLong requests = new AtomicLong();
  private final AtomicLong lateArrivals = new AtomicLong();
  private final AtomicLong anonymous = new AtomicLong();
  private volatile @Nullable String firstLateArrival;
  private volatile long outOfDiscoverySince; // System.nanoTime(), 0 while listed
  private @Nullable Undertow server;

  SoakBackend(String name, int port, KilledRequests killed) {
    this.name = name;
    this.port = port;
    this.killed = killed;
  }

  String name() {
    return name;
  }

  String address() {
    return "127.0.0.1:" + port;
  }

  /** Listens on {@code newPort} from the next {@link #start}; only while stopped. */
  synchronized void moveTo(int newPort) {
    if (server != null) {
      throw new IllegalStateException(name + " is running");
    }
    port = newPort;
  }

  /**
   * Starts listening; retries for up to 10 s while the port is still held (a socket of the previous
   * run in TIME_WAIT, or a stray client).
   */
  synchronized void start() throws InterruptedException {
    long deadline = System.nanoTime() + 10_000_000_000L;
    while (true) {
      Undertow s =
          Undertow.builder()
              .addHttpListener(port, "127.0.0.1")
              .setIoThreads(1)
              .setWorkerThreads(4)
              .setServerOption(UndertowOptions.MAX_ENTITY_SIZE, 8L * 1024 * 1024)
              .setHandler(this::handle)
              .build();
      try {
        s.start();
        server = s;
        return;
      } catch (RuntimeException e) {
        s.stop();
        if (System.nanoTime() > deadline) {
          throw new IllegalStateException(name + ": cannot listen on " + address(), e);
        }
        Thread.sleep(200);
      }
    }
  }

  /**
   * Stops at once. What is still in flight is recorded as killed, so the clients' failures on it
   * count as expected.
   *
   * @return how many requests and sessions were cut
   */
  synchronized int stop() {
    int cut = 0;
    for (String id : requestsInFlight.keySet()) {
      killed.add(id, name);
      cut++;
    }
    for (String id : sessionsOpen.keySet()) {
      killed.add(id, name);
      cut++;
    }
    Undertow s = server;
    server = null;
    if (s != null) {
      s.stop();
    }
    requestsInFlight.clear();
    sessionsOpen.clear();
    return cut;
  }

  /** Requests and WebSocket sessions in flight. */
  int inFlight() {
    return requestsInFlight.size() + sessionsOpen.size();
  }

  /** Waits until nothing is in flight, up to {@code millis}; true when drained. */
  boolean awaitDrained(long millis) throws InterruptedException {
    long deadline = System.nanoTime() + millis * 1_000_000;
    while (inFlight() > 0) {
      if (System.nanoTime() > deadline) {
        return false;
      }
      Thread.sleep(50);
    }
    return true;
  }

  /** Called by the churn when the backend leaves (true) or re-enters (false) the file. */
  void outOfDiscovery(boolean out) {
    outOfDiscoverySince = out ? System.nanoTime() : 0;
  }

  long requests() {
    return requests.get();
  }

  /**
   * Requests that arrived more than 5 s after the backend left the discovery file: the router
   * should have stopped sending them here (it polls the file every second).
   */
  long lateArrivals() {
    return lateArrivals.get();
  }

  @Nullable String firstLateArrival() {
    return firstLateArrival;
  }

  private void handle(HttpServerExchange exchange) throws Exception {
    String header = exchange.getRequestHeaders().getFirst(SOAK_ID);
    String id = header != null ? header : name + "-anon-" + anonymous.incrementAndGet();
    requests.incrementAndGet();
    long out = outOfDiscoverySince;
    if (out != 0 && System.nanoTime() - out > 5_000_000_000L) {
      if (lateArrivals.incrementAndGet() == 1) {
        firstLateArrival = id + " " + exchange.getRequestMethod() + " " + exchange.getRequestURI();
      }
    }
    requestsInFlight.put(id, Boolean.TRUE);
    exchange.addExchangeCompleteListener(
        (ex, next) -> {
          requestsInFlight.remove(id);
          next.proceed();
        });
    exchange.getResponseHeaders().put(BACKEND, name);
    String path = exchange.getRequestPath();
    if (path.startsWith("/ws")) {
      websocket.handleRequest(exchange);
    } else if (exchange.getRequestMethod().equals(Methods.POST)) {
      exchange
          .getRequestReceiver()
          .receiveFullBytes(
              (ex, body) -> {
                ex.getResponseHeaders().put(Headers.CONTENT_LENGTH, body.length);
                ex.getResponseSender().send(ByteBuffer.wrap(body));
              },
              (ex, e) -> ex.endExchange());
    } else if (path.startsWith("/stream")) {
      exchange.dispatch(() -> stream(exchange, id));
    } else {
      exchange.getResponseSender().send(name + " " + id + " " + path);
    }
  }

  /** Three flushed pieces and no Content-Length: a chunked response the router must re-frame. */
  private void stream(HttpServerExchange exchange, String id) {
    exchange.startBlocking();
    try (OutputStream out = exchange.getOutputStream()) {
      for (int i = 0; i < 3; i++) {
        out.write((name + " " + id + " part " + i + "\n").getBytes(StandardCharsets.UTF_8));
        out.flush();
      }
    } catch (java.io.IOException e) {
      exchange.endExchange(); // the router went away: nothing to answer
    }
  }

  private void onWebSocket(WebSocketHttpExchange exchange, WebSocketChannel channel) {
    String header = exchange.getRequestHeader(SOAK_ID.toString());
    String id = header != null ? header : name + "-ws-" + anonymous.incrementAndGet();
    sessionsOpen.put(id, Boolean.TRUE);
    channel.addCloseTask(c -> sessionsOpen.remove(id));
    channel.getReceiveSetter().set(new Echo());
    channel.resumeReceives();
  }

  /** Sends every message back as it came; the close handshake is the listener's default. */
  private static final class Echo extends AbstractReceiveListener {
    @Override
    protected void onFullTextMessage(WebSocketChannel channel, BufferedTextMessage message) {
      WebSockets.sendText(message.getData(), channel, null);
    }

    @Override
    protected void onFullBinaryMessage(WebSocketChannel channel, BufferedBinaryMessage message) {
      try (var data = message.getData()) { // an org.xnio.Pooled (deprecated type, live API)
        int size = 0;
        for (ByteBuffer b : data.getResource()) {
          size += b.remaining();
        }
        ByteBuffer copy = ByteBuffer.allocate(size);
        for (ByteBuffer b : data.getResource()) {
          copy.put(b);
        }
        WebSockets.sendBinary(copy.flip(), channel, null);
      }
    }
  }
}
