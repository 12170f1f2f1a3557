package dev.whaleray.router.undertow;

import static org.assertj.core.api.Assertions.assertThat;

import dev.whaleray.router.Endpoint;
import dev.whaleray.router.undertow.testing.TestDiscovery;
import io.undertow.Undertow;
import io.undertow.server.HttpServerExchange;
import io.undertow.util.AttachmentKey;
import io.undertow.util.HeaderMap;
import io.undertow.websockets.WebSocketProtocolHandshakeHandler;
import io.undertow.websockets.core.AbstractReceiveListener;
import io.undertow.websockets.core.BufferedBinaryMessage;
import io.undertow.websockets.core.BufferedTextMessage;
import io.undertow.websockets.core.CloseMessage;
import io.undertow.websockets.core.WebSocketChannel;
import io.undertow.websockets.core.WebSockets;
import io.undertow.websockets.core.protocol.version13.Hybi13Handshake;
import io.undertow.websockets.spi.WebSocketHttpExchange;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * WebSocket through the router, black box: a real Undertow WebSocket echo backend, the router built
 * from its public builders, and the JDK's {@link java.net.http.WebSocket} client. Proves that
 * messages keep their order and bytes, that close codes and reasons cross in both directions, that
 * the handshake's answer headers reach the client and the backend sees the rewritten path and
 * {@code X-Forwarded-For}, and (once issue 10 lands) that an idle tunnel is closed.
 *
 * <p>Uses nothing below the public API, so it runs unchanged against a router whose upgrade path
 * moves from Undertow's ProxyHandler to its own HTTP/1.1 client.
 */
class WebSocketIT {
  /** Every wait for one step (handshake, an echo, a close) ends after this. */
  static final long STEP_SECONDS = 15;

  static final int MESSAGES = 10_000;
  static final int BINARY_BYTES = 1_000_000;

  /** The code the backend answers any client-initiated close with: not the client's own. */
  static final int BACKEND_CLOSE_ANSWER = 4011;

  static final String SESSION = "X-Test-Session";

  static EchoBackend backend;
  static TestDiscovery discovery;
  static RouterHandler handler;
  static RouterServer server;
  static HttpClient client;

  @BeforeAll
  static void start() {
    backend = new EchoBackend();
    discovery = new TestDiscovery().set("ws", List.of(Endpoint.of("127.0.0.1", backend.port())));
    // One endpoint, and tests that end tunnels abruptly on purpose. Ejection is not what these
    // tests are about (tunnelsResetByTheirClientsDoNotEjectTheBackend is, with a router of its
    // own).
    handler =
        RouterHandler.builder()
            .discovery(discovery)
            .outlierDetection(dev.whaleray.router.core.OutlierDetection.off())
            .build();
    server = RouterServer.builder(handler).host("127.0.0.1").port(0).ioThreads(2).start();
    client = HttpClient.newHttpClient();
  }

  @AfterAll
  static void stop() {
    server.close();
    handler.close();
    discovery.close();
    backend.close();
  }

  static URI uri(RouterServer server, String pathBelowService) {
    return URI.create("ws://127.0.0.1:" + server.port() + "/services/ws" + pathBelowService);
  }

  static WebSocket open(RouterServer server, String path, String session, Collector listener)
      throws Exception {
    return client
        .newWebSocketBuilder()
        .header(SESSION, session)
        .connectTimeout(Duration.ofSeconds(5))
        .buildAsync(uri(server, path), listener)
        .get(STEP_SECONDS, TimeUnit.SECONDS);
  }

  @Test
  void tenThousandTextMessagesComeBackInOrder() throws Exception {
    Collector listener = new Collector();
    WebSocket ws = open(server, "/echo", "ordered", listener);
    List<String> sent = new ArrayList<>(MESSAGES);
    for (int i = 0; i < MESSAGES; i++) {
      // Lengths vary from 1 to 300 characters so frames of several sizes share the tunnel.
      sent.add(i + ":" + "x".repeat(i % 300));
    }
    long start = System.nanoTime();
    CompletableFuture<Void> allSent = new SendChain(ws, sent).start();
    allSent.get(60, TimeUnit.SECONDS);
    List<String> received = new ArrayList<>(MESSAGES);
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (received.size() < MESSAGES) {
      long left = deadline - System.nanoTime();
      Object m = left > 0 ? listener.messages.poll(left, TimeUnit.NANOSECONDS) : null;
      if (m == null) {
        break; // fails below on the count
      }
      if (!(m instanceof String)) {
        throw new AssertionError(
            "after " + received.size() + " echoes: expected text, got " + describe(m));
      }
      received.add((String) m);
    }
    long ms = (System.nanoTime() - start) / 1_000_000;
    System.out.printf(
        "WebSocket: %d text messages sent, %d echoed in %d ms (%.0f messages/s)%n",
        MESSAGES, received.size(), ms, received.size() * 1000.0 / Math.max(1, ms));
    assertThat(received).as("echoes received within 60 s").hasSize(MESSAGES);
    int firstDifference = -1;
    for (int i = 0; i < MESSAGES && firstDifference < 0; i++) {
      if (!sent.get(i).equals(received.get(i))) {
        firstDifference = i;
      }
    }
    assertThat(firstDifference)
        .as(
            "first echo out of order or changed (%s)",
            firstDifference < 0
                ? "none"
                : "sent " + sent.get(firstDifference) + ", got " + received.get(firstDifference))
        .isEqualTo(-1);
    ws.sendClose(WebSocket.NORMAL_CLOSURE, "done").get(STEP_SECONDS, TimeUnit.SECONDS);
    assertThat(listener.closed.get(STEP_SECONDS, TimeUnit.SECONDS).code)
        .isEqualTo(BACKEND_CLOSE_ANSWER);
  }

  @Test
  void aOneMegabyteBinaryMessageComesBackByteIdentical() throws Exception {
    byte[] payload = new byte[BINARY_BYTES];
    new Random(20261130L).nextBytes(payload);
    Collector listener = new Collector();
    WebSocket ws = open(server, "/binary", "binary", listener);
    long start = System.nanoTime();
    ws.sendBinary(ByteBuffer.wrap(payload), true).get(STEP_SECONDS, TimeUnit.SECONDS);
    Object echo = listener.next();
    long ms = (System.nanoTime() - start) / 1_000_000;
    System.out.printf(
        "WebSocket: %d-byte binary message echoed in %d ms, in %d parts on the client%n",
        payload.length, ms, listener.binaryParts);
    assertThat(echo).as("the echo of the binary message").isInstanceOf(byte[].class);
    byte[] got = (byte[]) echo;
    assertThat(got.length).isEqualTo(payload.length);
    assertThat(java.util.Arrays.mismatch(got, payload)).as("first differing byte").isEqualTo(-1);
    EchoBackend.Session session = backend.session("binary");
    assertThat(session.binaryBytes).as("bytes the backend received").isEqualTo(BINARY_BYTES);
    ws.sendClose(WebSocket.NORMAL_CLOSURE, "done").get(STEP_SECONDS, TimeUnit.SECONDS);
    assertThat(listener.closed.get(STEP_SECONDS, TimeUnit.SECONDS).code)
        .isEqualTo(BACKEND_CLOSE_ANSWER);
  }

  @Test
  void aClientCloseReachesTheBackendAndItsAnswerReachesTheClient() throws Exception {
    Collector listener = new Collector();
    WebSocket ws = open(server, "/close", "client-closes", listener);
    ws.sendText("hello", true).get(STEP_SECONDS, TimeUnit.SECONDS);
    assertThat(listener.next()).isEqualTo("hello");
    ws.sendClose(4001, "client leaves").get(STEP_SECONDS, TimeUnit.SECONDS);

    EchoBackend.Session session = backend.session("client-closes");
    CloseMessage seen = session.closeReceived.get(STEP_SECONDS, TimeUnit.SECONDS);
    assertThat(seen.getCode()).as("close code the backend received").isEqualTo(4001);
    assertThat(seen.getReason()).isEqualTo("client leaves");

    Closed closed = listener.closed.get(STEP_SECONDS, TimeUnit.SECONDS);
    System.out.printf(
        "WebSocket: client closed 4001, backend saw %d \"%s\", client's onClose %d \"%s\"%n",
        seen.getCode(), seen.getReason(), closed.code, closed.reason);
    // The backend answers with a code of its own, so a close the router made up cannot pass.
    assertThat(closed.code).isEqualTo(BACKEND_CLOSE_ANSWER);
    assertThat(closed.reason).isEqualTo("backend answers 4001");
    session.closed.get(STEP_SECONDS, TimeUnit.SECONDS); // the backend's connection ends too
  }

  @Test
  void aBackendCloseReachesTheClient() throws Exception {
    Collector listener = new Collector();
    WebSocket ws = open(server, "/close", "backend-closes", listener);
    ws.sendText("please close 4002", true).get(STEP_SECONDS, TimeUnit.SECONDS);
    Closed closed = listener.closed.get(STEP_SECONDS, TimeUnit.SECONDS);
    EchoBackend.Session session = backend.session("backend-closes");
    // The JDK client answers the close; the backend then sees its reply and its connection end.
    CloseMessage reply = session.closeReceived.get(STEP_SECONDS, TimeUnit.SECONDS);
    System.out.printf(
        "WebSocket: backend closed 4002, client's onClose %d \"%s\", backend got reply %d%n",
        closed.code, closed.reason, reply.getCode());
    assertThat(closed.code).isEqualTo(4002);
    assertThat(closed.reason).isEqualTo("backend says bye");
    assertThat(listener.messages).as("nothing but the close arrived").isEmpty();
    session.closed.get(STEP_SECONDS, TimeUnit.SECONDS);
    assertThat(ws.isInputClosed()).isTrue();
  }

  @Test
  void theHandshakeAnswerReachesTheClientAndTheBackendSeesTheRewrittenRequest() throws Exception {
    Collector listener = new Collector();
    WebSocket ws =
        client
            .newWebSocketBuilder()
            .header(SESSION, "handshake")
            .subprotocols("chat.v9", "chat.v2")
            .connectTimeout(Duration.ofSeconds(5))
            .buildAsync(uri(server, "/chat"), listener)
            .get(STEP_SECONDS, TimeUnit.SECONDS);
    // The JDK client checks Sec-WebSocket-Accept itself (the handshake fails without the right
    // one); the subprotocol it reports is the one the backend chose from the client's list.
    assertThat(ws.getSubprotocol()).isEqualTo("chat.v2");
    EchoBackend.Session session = backend.session("handshake");
    assertThat(session.path).as("path the backend saw").isEqualTo("/chat");
    assertThat(session.headers.getFirst("X-Forwarded-For")).isEqualTo("127.0.0.1");
    assertThat(session.headers.getFirst("Sec-WebSocket-Protocol")).isEqualTo("chat.v9, chat.v2");
    ws.sendText("over the negotiated protocol", true).get(STEP_SECONDS, TimeUnit.SECONDS);
    assertThat(listener.next()).isEqualTo("over the negotiated protocol");
    ws.sendClose(WebSocket.NORMAL_CLOSURE, "done").get(STEP_SECONDS, TimeUnit.SECONDS);
    listener.closed.get(STEP_SECONDS, TimeUnit.SECONDS);
  }

  @Test
  void theHandshakeAnswerHeadersArriveAsTheBackendSentThem() throws Exception {
    byte[] nonce = new byte[16];
    new Random(7).nextBytes(nonce);
    String key = Base64.getEncoder().encodeToString(nonce);
    String expectedAccept =
        Base64.getEncoder()
            .encodeToString(
                MessageDigest.getInstance("SHA-1")
                    .digest(
                        (key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11")
                            .getBytes(StandardCharsets.US_ASCII)));
    String head;
    try (Socket s = new Socket()) {
      s.connect(new InetSocketAddress("127.0.0.1", server.port()), 5000);
      s.setSoTimeout((int) TimeUnit.SECONDS.toMillis(STEP_SECONDS));
      OutputStream out = s.getOutputStream();
      out.write(
          ("GET /services/ws/chat?room=7 HTTP/1.1\r\nHost: chat.test\r\nConnection: Upgrade\r\n"
                  + "Upgrade: websocket\r\nSec-WebSocket-Version: 13\r\n"
                  + "Sec-WebSocket-Key: "
                  + key
                  + "\r\nSec-WebSocket-Protocol: chat.v1\r\n"
                  + SESSION
                  + ": raw-handshake\r\n\r\n")
              .getBytes(StandardCharsets.ISO_8859_1));
      out.flush();
      head = readHead(s.getInputStream());
      // One masked text frame "hi" and its unmasked echo: the upgraded bytes flow both ways.
      out.write(new byte[] {(byte) 0x81, (byte) 0x82, 1, 2, 3, 4, 'h' ^ 1, 'i' ^ 2});
      out.flush();
      byte[] echo = s.getInputStream().readNBytes(4);
      assertThat(echo).containsExactly(0x81, 2, 'h', 'i');
    }
    System.out.printf("WebSocket: raw handshake answer:%n%s", head);
    assertThat(head).startsWith("HTTP/1.1 101 ");
    assertThat(header(head, "Sec-WebSocket-Accept")).isEqualTo(expectedAccept);
    assertThat(header(head, "Sec-WebSocket-Protocol")).isEqualTo("chat.v1");
    assertThat(header(head, "Upgrade")).isEqualToIgnoringCase("websocket");
    EchoBackend.Session session = backend.session("raw-handshake");
    assertThat(session.path).isEqualTo("/chat");
    assertThat(session.query).isEqualTo("room=7");
    assertThat(session.headers.getFirst("X-Forwarded-For")).isEqualTo("127.0.0.1");
  }

  @Test
  void anIdleTunnelIsClosedOnBothSides() throws Exception {
    Duration idle = Duration.ofSeconds(2);
    // The tunnel's own idle timeout; the client keep-alive one is set too, to show it is not
    // the one that applies.
    try (RouterHandler idleHandler =
            RouterHandler.builder().discovery(discovery).tunnelIdleTimeout(idle).build();
        RouterServer idleServer =
            RouterServer.builder(idleHandler)
                .host("127.0.0.1")
                .port(0)
                .ioThreads(2)
                .idleTimeout(idle)
                .start()) {
      Collector listener = new Collector();
      WebSocket ws = open(idleServer, "/idle", "idle", listener);
      EchoBackend.Session session = backend.session("idle");
      // Traffic every 500 ms for twice the idle timeout keeps the tunnel open.
      long activeUntil = System.nanoTime() + idle.multipliedBy(2).toNanos();
      int echoes = 0;
      long idleFrom = 0; // the last byte through the tunnel: its echo
      while (System.nanoTime() < activeUntil) {
        ws.sendText("keep-alive " + echoes, true).get(STEP_SECONDS, TimeUnit.SECONDS);
        assertThat(listener.next()).isEqualTo("keep-alive " + echoes);
        idleFrom = System.nanoTime();
        echoes++;
        Thread.sleep(500);
      }
      assertThat(listener.ended.isDone()).as("tunnel closed while in use").isFalse();
      // Then silence: the router closes both connections after the idle timeout.
      long waitSeconds = idle.getSeconds() + STEP_SECONDS;
      Object end;
      try {
        end = listener.ended.get(waitSeconds, TimeUnit.SECONDS);
      } catch (TimeoutException e) {
        throw new AssertionError(
            "the tunnel is still open "
                + waitSeconds
                + " s after its last message (idle timeout "
                + idle.toMillis()
                + " ms); backend connection "
                + (session.closed.isDone() ? "closed" : "open"));
      }
      long clientMs = (System.nanoTime() - idleFrom) / 1_000_000;
      session.closed.get(STEP_SECONDS, TimeUnit.SECONDS);
      long backendMs = (System.nanoTime() - idleFrom) / 1_000_000;
      System.out.printf(
          "WebSocket: %d echoes over %d s, then idle: client saw %s after %d ms, backend's"
              + " connection closed by %d ms (idle timeout %d ms)%n",
          echoes, idle.multipliedBy(2).getSeconds(), end, clientMs, backendMs, idle.toMillis());
      assertThat(clientMs).isGreaterThanOrEqualTo(idle.toMillis() - 100);
    }
  }

  /**
   * Browsers close tabs and phones lose their network: a tunnel its client resets is the client's
   * end, not a failure of the backend. Twelve tunnels reset by their clients right after the 101,
   * six on each of two backends, with outlier detection on as by default (five failures in a row
   * eject): both backends still take the next handshakes. Before, each reset counted as an upstream
   * error and one backend was ejected.
   */
  @Test
  void tunnelsResetByTheirClientsDoNotEjectTheBackend() throws Exception {
    try (EchoBackend other = new EchoBackend();
        TestDiscovery two =
            new TestDiscovery()
                .set(
                    "ws",
                    List.of(
                        Endpoint.of("127.0.0.1", backend.port()),
                        Endpoint.of("127.0.0.1", other.port())));
        RouterHandler h = RouterHandler.builder().discovery(two).build();
        RouterServer s = RouterServer.builder(h).host("127.0.0.1").port(0).ioThreads(1).start()) {
      for (int i = 0; i < 12; i++) {
        try (Socket sock = rawHandshake(s, "reset-" + i)) {
          sock.setSoLinger(true, 0); // close() sends a reset
        }
      }
      for (int i = 0; i < 12; i++) { // each upstream connection closed after its client's reset
        EchoBackend.Session session =
            backend.sessions.containsKey("reset-" + i)
                ? backend.session("reset-" + i)
                : other.session("reset-" + i);
        session.closed.get(STEP_SECONDS, TimeUnit.SECONDS);
      }
      int onFirst = 0;
      for (int i = 0; i < 4; i++) {
        try (Socket sock = rawHandshake(s, "after-" + i)) {
          if (backend.sessions.containsKey("after-" + i)) {
            onFirst++;
          }
        }
      }
      System.out.printf(
          "WebSocket: after 12 client resets, 4 handshakes: %d on one backend, %d on the other%n",
          onFirst, 4 - onFirst);
      assertThat(onFirst).as("handshakes on the first backend of two, of 4").isEqualTo(2);
    }
  }

  /** A raw WebSocket handshake through {@code s}, named {@code session}; the 101 is read. */
  static Socket rawHandshake(RouterServer s, String session) throws Exception {
    Socket sock = new Socket();
    try {
      sock.connect(new InetSocketAddress("127.0.0.1", s.port()), 5000);
      sock.setSoTimeout((int) TimeUnit.SECONDS.toMillis(STEP_SECONDS));
      sock.getOutputStream()
          .write(
              ("GET /services/ws/x HTTP/1.1\r\nHost: t\r\nConnection: Upgrade\r\n"
                      + "Upgrade: websocket\r\nSec-WebSocket-Version: 13\r\n"
                      + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                      + SESSION
                      + ": "
                      + session
                      + "\r\n\r\n")
                  .getBytes(StandardCharsets.ISO_8859_1));
      String head = readHead(sock.getInputStream());
      assertThat(head).as(session).startsWith("HTTP/1.1 101 ");
      return sock;
    } catch (Exception | AssertionError e) {
      sock.close();
      throw e;
    }
  }

  static String readHead(InputStream in) throws Exception {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    while (true) {
      int c = in.read();
      if (c < 0) {
        throw new java.io.EOFException("closed after " + b.toString(StandardCharsets.ISO_8859_1));
      }
      b.write(c);
      String s = b.toString(StandardCharsets.ISO_8859_1);
      if (s.endsWith("\r\n\r\n")) {
        return s;
      }
    }
  }

  /** The value of the only header {@code name} in a response head; fails on none or several. */
  static String header(String head, String name) {
    List<String> values = new ArrayList<>();
    for (String line : head.split("\r\n")) {
      int colon = line.indexOf(':');
      if (colon > 0 && line.substring(0, colon).trim().equalsIgnoreCase(name)) {
        values.add(line.substring(colon + 1).trim());
      }
    }
    assertThat(values).as("%s headers in%n%s", name, head).hasSize(1);
    return values.get(0);
  }

  static String describe(Object m) {
    if (m instanceof byte[]) {
      return ((byte[]) m).length + " bytes";
    }
    return String.valueOf(m);
  }

  /**
   * Sends messages one after the other: the JDK client allows one outstanding send, so each send
   * starts when the previous one completed. Loops while sends complete at once (no deep recursion),
   * and continues from the completion callback when one has to wait.
   */
  static final class SendChain {
    final WebSocket ws;
    final List<String> messages;
    final CompletableFuture<Void> done = new CompletableFuture<>();
    int next;

    SendChain(WebSocket ws, List<String> messages) {
      this.ws = ws;
      this.messages = messages;
    }

    CompletableFuture<Void> start() {
      pump();
      return done;
    }

    void pump() {
      while (next < messages.size()) {
        CompletableFuture<WebSocket> sent = ws.sendText(messages.get(next++), true);
        if (!sent.isDone()) {
          sent.whenComplete(
              (w, e) -> {
                if (e != null) {
                  done.completeExceptionally(e);
                } else {
                  pump();
                }
              });
          return;
        }
        if (sent.isCompletedExceptionally()) {
          sent.whenComplete((w, e) -> done.completeExceptionally(e));
          return;
        }
      }
      done.complete(null);
    }
  }

  /** A close as the client saw it. */
  static final class Closed {
    final int code;
    final String reason;

    Closed(int code, String reason) {
      this.code = code;
      this.reason = reason;
    }

    @Override
    public String toString() {
      return "close " + code + " \"" + reason + "\"";
    }
  }

  /** The client's listener: whole messages (parts joined on {@code last}), the close, an error. */
  static final class Collector implements WebSocket.Listener {
    final BlockingQueue<Object> messages = new LinkedBlockingQueue<>();
    final CompletableFuture<Closed> closed = new CompletableFuture<>();

    /** Completes with the {@link Closed} or the error, whichever ends the session. */
    final CompletableFuture<Object> ended = new CompletableFuture<>();

    private final StringBuilder text = new StringBuilder();
    private final ByteArrayOutputStream binary = new ByteArrayOutputStream();
    volatile int binaryParts;

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
      binaryParts++;
      if (last) {
        messages.add(binary.toByteArray());
        binary.reset();
      }
      ws.request(1);
      return null;
    }

    @Override
    public CompletionStage<?> onClose(WebSocket ws, int statusCode, String reason) {
      Closed c = new Closed(statusCode, reason);
      closed.complete(c);
      ended.complete(c);
      return null;
    }

    @Override
    public void onError(WebSocket ws, Throwable error) {
      closed.completeExceptionally(error);
      ended.complete(error);
    }

    /** The next whole message. */
    Object next() throws Exception {
      Object m = messages.poll(STEP_SECONDS, TimeUnit.SECONDS);
      if (m == null) {
        throw new TimeoutException(
            "no message within "
                + STEP_SECONDS
                + " s"
                + (ended.isDone() ? ", " + ended.get() : ""));
      }
      return m;
    }
  }

  /**
   * An Undertow WebSocket backend on 127.0.0.1 and an ephemeral port. It echoes text and binary
   * messages, answers the text {@code please close 4002} with a close 4002 "backend says bye", and
   * answers a client's close with {@value #BACKEND_CLOSE_ANSWER} "backend answers CODE". It offers
   * the subprotocols {@code chat.v1} and {@code chat.v2}. Each connection is a {@link Session},
   * named by the {@value #SESSION} request header.
   */
  static final class EchoBackend implements AutoCloseable {
    static final AttachmentKey<Session> SESSION_KEY = AttachmentKey.create(Session.class);

    final Undertow server;
    final Map<String, CompletableFuture<Session>> sessions = new ConcurrentHashMap<>();

    /** What the backend saw of one WebSocket connection. */
    static final class Session {
      final String path;
      final String query;
      final HeaderMap headers;
      final CompletableFuture<CloseMessage> closeReceived = new CompletableFuture<>();
      final CompletableFuture<Void> closed = new CompletableFuture<>();
      volatile long binaryBytes;

      Session(HttpServerExchange exchange) {
        this.path = exchange.getRequestPath();
        this.query = exchange.getQueryString();
        HeaderMap copy = new HeaderMap();
        exchange.getRequestHeaders().forEach(values -> copy.addAll(values.getHeaderName(), values));
        this.headers = copy;
      }
    }

    EchoBackend() {
      WebSocketProtocolHandshakeHandler websocket =
          new WebSocketProtocolHandshakeHandler(
              List.of(new Hybi13Handshake(Set.of("chat.v1", "chat.v2"), false)), this::connected);
      server =
          Undertow.builder()
              .addHttpListener(0, "127.0.0.1")
              .setIoThreads(1)
              .setHandler(
                  exchange -> {
                    Session session = new Session(exchange);
                    exchange.putAttachment(SESSION_KEY, session);
                    String name = exchange.getRequestHeaders().getFirst(SESSION);
                    sessions
                        .computeIfAbsent(
                            name == null ? session.path : name, k -> new CompletableFuture<>())
                        .complete(session);
                    websocket.handleRequest(exchange);
                  })
              .build();
      server.start();
    }

    int port() {
      return ((InetSocketAddress) server.getListenerInfo().get(0).getAddress()).getPort();
    }

    /** The session named {@code name}, once its handshake request arrived. */
    Session session(String name) throws Exception {
      return sessions
          .computeIfAbsent(name, k -> new CompletableFuture<>())
          .get(STEP_SECONDS, TimeUnit.SECONDS);
    }

    private void connected(WebSocketHttpExchange exchange, WebSocketChannel channel) {
      Session session = exchange.getAttachment(SESSION_KEY);
      channel.addCloseTask(c -> session.closed.complete(null));
      channel.getReceiveSetter().set(new Echo(session));
      channel.resumeReceives();
    }

    private static final class Echo extends AbstractReceiveListener {
      private final Session session;

      Echo(Session session) {
        this.session = session;
      }

      @Override
      protected void onFullTextMessage(WebSocketChannel channel, BufferedTextMessage message) {
        String text = message.getData();
        if (text.equals("please close 4002")) {
          WebSockets.sendClose(4002, "backend says bye", channel, null);
        } else {
          WebSockets.sendText(text, channel, null);
        }
      }

      @Override
      protected void onFullBinaryMessage(WebSocketChannel channel, BufferedBinaryMessage message) {
        try (var data = message.getData()) { // an org.xnio.Pooled (deprecated type, live API)
          int size = 0;
          for (ByteBuffer b : data.getResource()) {
            size += b.remaining();
          }
          session.binaryBytes += size;
          ByteBuffer copy = ByteBuffer.allocate(size);
          for (ByteBuffer b : data.getResource()) {
            copy.put(b);
          }
          WebSockets.sendBinary(copy.flip(), channel, null);
        }
      }

      @Override
      protected void onFullCloseMessage(WebSocketChannel channel, BufferedBinaryMessage message) {
        var data = message.getData();
        try {
          CloseMessage close = new CloseMessage(data.getResource());
          session.closeReceived.complete(close);
          if (!channel.isCloseFrameSent()) {
            WebSockets.sendClose(
                BACKEND_CLOSE_ANSWER, "backend answers " + close.getCode(), channel, null);
          }
        } finally {
          data.free();
        }
      }
    }

    @Override
    public void close() {
      server.stop();
    }
  }
}
