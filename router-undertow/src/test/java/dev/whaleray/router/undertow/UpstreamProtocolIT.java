package dev.whaleray.router.undertow;

import static org.assertj.core.api.Assertions.assertThat;

import dev.whaleray.router.Endpoint;
import dev.whaleray.router.undertow.testing.RawHttp;
import dev.whaleray.router.undertow.testing.TestBackend;
import dev.whaleray.router.undertow.testing.TestDiscovery;
import io.undertow.Undertow;
import io.undertow.server.HttpServerExchange;
import io.undertow.util.Headers;
import io.undertow.util.HttpString;
import io.undertow.util.Methods;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Pins the HTTP/1.1 behaviour at the upstream boundary: how the router's upstream client frames
 * requests and reads responses (HEAD, 204/304, chunked with extensions and trailers, bodies ended
 * by EOF, stale pooled connections, broken response heads, repeated headers, raw request targets,
 * connection reuse). Backends are a real Undertow server and, where the exact upstream bytes
 * matter, a tiny raw {@link ServerSocket} backend.
 */
class UpstreamProtocolIT {
  static final int HEAD_LENGTH = 1000;

  static Undertow app;
  static final AtomicInteger appHeads = new AtomicInteger();
  static TestDiscovery discovery;
  static RouterHandler handler;
  static RouterServer server;
  static HttpClient client;

  @BeforeAll
  static void start() {
    app =
        Undertow.builder()
            .addHttpListener(0, "127.0.0.1")
            .setIoThreads(2)
            .setWorkerThreads(8)
            .setServerOption(io.undertow.UndertowOptions.MAX_ENTITY_SIZE, 0L)
            .setHandler(UpstreamProtocolIT::handleApp)
            .build();
    app.start();
    int appPort = ((InetSocketAddress) app.getListenerInfo().get(0).getAddress()).getPort();
    discovery = new TestDiscovery().set("app", List.of(Endpoint.of("127.0.0.1", appPort)));
    handler =
        RouterHandler.builder()
            .discovery(discovery)
            .connectTimeout(Duration.ofSeconds(2))
            .responseTimeout(Duration.ofSeconds(3))
            // Bodies stream at once here: these tests are about the streaming path (early
            // answers under an unfinished upload); HostileInputIT covers read-ahead.
            .requestBufferSize(0)
            .build();
    server = RouterServer.builder(handler).host("127.0.0.1").port(0).ioThreads(2).start();
    client =
        HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5))
            .build();
  }

  @AfterAll
  static void stop() {
    server.close();
    handler.close();
    discovery.close();
    app.stop();
  }

  /** The Undertow backend behind service {@code app}. */
  static void handleApp(HttpServerExchange exchange) throws Exception {
    if (exchange.isInIoThread()) {
      exchange.dispatch(UpstreamProtocolIT::handleApp);
      return;
    }
    exchange.startBlocking();
    String path = exchange.getRequestPath();
    switch (path) {
      case "/head" -> {
        // HEAD: the length of what a GET would send, and no body. GET: that body.
        exchange.getResponseHeaders().put(Headers.CONTENT_LENGTH, HEAD_LENGTH);
        exchange.getResponseHeaders().put(Headers.CONTENT_TYPE, "text/plain");
        if (exchange.getRequestMethod().equals(Methods.HEAD)) {
          appHeads.incrementAndGet();
        } else {
          exchange
              .getOutputStream()
              .write("h".repeat(HEAD_LENGTH).getBytes(StandardCharsets.UTF_8));
        }
      }
      case "/no-content" -> exchange.setStatusCode(204);
      case "/not-modified" -> {
        exchange.setStatusCode(304);
        exchange.getResponseHeaders().put(Headers.ETAG, "\"v1\"");
      }
      case "/flushes" -> {
        // Several flushes and no Content-Length: a chunked response.
        OutputStream out = exchange.getOutputStream();
        for (String part : flushedParts()) {
          out.write(part.getBytes(StandardCharsets.UTF_8));
          out.flush();
        }
      }
      case "/sha" -> {
        // Reads the body streaming; answers its length, SHA-256 and how it was framed.
        MessageDigest sha = MessageDigest.getInstance("SHA-256");
        InputStream in = exchange.getInputStream();
        byte[] buf = new byte[16 * 1024];
        long total = 0;
        for (int n; (n = in.read(buf)) > 0; ) {
          sha.update(buf, 0, n);
          total += n;
        }
        String te = exchange.getRequestHeaders().getFirst(Headers.TRANSFER_ENCODING);
        String cl = exchange.getRequestHeaders().getFirst(Headers.CONTENT_LENGTH);
        exchange
            .getOutputStream()
            .write(
                ("len="
                        + total
                        + " sha="
                        + HexFormat.of().formatHex(sha.digest())
                        + " te="
                        + te
                        + " cl="
                        + cl)
                    .getBytes(StandardCharsets.UTF_8));
      }
      case "/cookies" -> {
        exchange.getResponseHeaders().add(Headers.SET_COOKIE, "a=1; Path=/");
        exchange.getResponseHeaders().add(Headers.SET_COOKIE, "b=2; HttpOnly");
        exchange.getResponseHeaders().put(new HttpString("X-CuStOm"), "v");
        exchange.getOutputStream().write("cookies".getBytes(StandardCharsets.UTF_8));
      }
      default ->
          exchange
              .getOutputStream()
              .write(("app " + exchange.getRequestURI()).getBytes(StandardCharsets.UTF_8));
    }
  }

  static List<String> flushedParts() {
    return List.of("first;", "x".repeat(20_000), ";second;", "y".repeat(3), ";last");
  }

  static String get(String path) {
    return "GET " + path + " HTTP/1.1\r\nHost: x\r\n\r\n";
  }

  static byte[] pattern(int size) {
    byte[] b = new byte[size];
    for (int i = 0; i < size; i++) {
      b[i] = (byte) (i * 31 + (i >>> 8));
    }
    return b;
  }

  static String sha256(byte[] bytes) throws Exception {
    return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
  }

  /** Routes service {@code name} to a raw backend. */
  static void route(String name, RawBackend backend) {
    discovery.set(name, List.of(Endpoint.of("127.0.0.1", backend.port())));
  }

  // 1. HEAD

  @Test
  void headKeepsTheContentLengthSendsNoBodyAndKeepsTheConnectionUsable() throws Exception {
    int headsBefore = appHeads.get();
    try (RawHttp http = new RawHttp(server.port())) {
      RawHttp.Response head = http.send("HEAD /services/app/head HTTP/1.1\r\nHost: x\r\n\r\n");
      assertThat(head.status).isEqualTo(200);
      assertThat(head.header("Content-Length")).isEqualTo(String.valueOf(HEAD_LENGTH));
      assertThat(head.header("Transfer-Encoding")).isNull();
      assertThat(head.body).isEmpty();
      // Any body bytes after the HEAD response would be read as the next status line.
      RawHttp.Response next = http.send(get("/services/app/head"));
      assertThat(next.status).isEqualTo(200);
      assertThat(next.body).isEqualTo("h".repeat(HEAD_LENGTH));
      RawHttp.Response third = http.send(get("/services/app/after-head"));
      assertThat(third.status).isEqualTo(200);
      assertThat(third.body).isEqualTo("app /after-head");
    }
    assertThat(appHeads.get() - headsBefore).as("HEAD requests the backend saw").isEqualTo(1);
  }

  // 2. 204 and 304

  @Test
  void noContentAndNotModifiedPassWithoutABodyOnAKeptAliveConnection() throws Exception {
    try (RawHttp http = new RawHttp(server.port())) {
      RawHttp.Response noContent = http.send(get("/services/app/no-content"));
      assertThat(noContent.status).isEqualTo(204);
      assertThat(noContent.header("Transfer-Encoding")).isNull();
      RawHttp.Response notModified = http.send(get("/services/app/not-modified"));
      assertThat(notModified.status).isEqualTo(304);
      assertThat(notModified.header("ETag")).isEqualTo("\"v1\"");
      assertThat(notModified.header("Transfer-Encoding")).isNull();
      RawHttp.Response after = http.send(get("/services/app/after-304"));
      assertThat(after.status).isEqualTo(200);
      assertThat(after.body).isEqualTo("app /after-304");
    }
  }

  @Test
  void aNotModifiedWithTheRepresentationsContentLengthHasNoBody() throws Exception {
    // RFC 9110 15.4.5: a 304 may carry the Content-Length of the representation, and no body.
    try (RawBackend raw =
        RawBackend.keepAlive(
            head ->
                head.startsWith("GET /etag ")
                    ? "HTTP/1.1 304 Not Modified\r\nETag: \"v2\"\r\nContent-Length: 50\r\n\r\n"
                    : "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nafter")) {
      route("raw-304", raw);
      try (RawHttp http = new RawHttp(server.port())) {
        RawHttp.Response r = http.send(get("/services/raw-304/etag"));
        assertThat(r.status).isEqualTo(304);
        assertThat(r.header("ETag")).isEqualTo("\"v2\"");
        RawHttp.Response after = http.send(get("/services/raw-304/after"));
        assertThat(after.status).isEqualTo(200);
        assertThat(after.body).isEqualTo("after");
      }
    }
  }

  // 3. Chunked responses

  @Test
  void aResponseWrittenInSeveralFlushesArrivesWhole() throws Exception {
    RawHttp.Response r = RawHttp.exchange(server.port(), get("/services/app/flushes"));
    assertThat(r.status).isEqualTo(200);
    assertThat(r.header("Transfer-Encoding")).isEqualToIgnoringCase("chunked");
    assertThat(r.header("Content-Length")).isNull();
    assertThat(r.body).isEqualTo(String.join("", flushedParts()));
  }

  @Test
  void aChunkedResponseWithExtensionsAndTrailersArrivesWithTheRightBody() throws Exception {
    String body = "z".repeat(300);
    try (RawBackend raw =
        RawBackend.keepAlive(
            head ->
                "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n"
                    + "Trailer: X-Checksum\r\n\r\n"
                    + "5;foo=bar\r\nhello\r\n"
                    + "7;a=1;b=\"q s\"\r\n, world\r\n"
                    + "12C\r\n"
                    + body
                    + "\r\n"
                    + "0\r\nX-Checksum: 42\r\nX-Other: t\r\n\r\n")) {
      route("raw-chunked", raw);
      try (RawHttp http = new RawHttp(server.port())) {
        for (int i = 0; i < 2; i++) {
          RawHttp.Response r = http.send(get("/services/raw-chunked/t" + i));
          assertThat(r.status).as("response %d", i).isEqualTo(200);
          assertThat(r.body).as("response %d", i).isEqualTo("hello, world" + body);
        }
      }
    }
  }

  // 4. Body ended by EOF

  @Test
  void aResponseEndedByTheUpstreamClosingArrivesWhole() throws Exception {
    List<String> parts = List.of("begin;", "e".repeat(40_000), ";middle;", "f".repeat(7), ";end");
    try (RawBackend raw =
        RawBackend.start(
            (socket, in, out, self) -> {
              if (self.readHead(in) == null) {
                return;
              }
              out.write(
                  "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nConnection: close\r\n\r\n"
                      .getBytes(StandardCharsets.ISO_8859_1));
              for (String part : parts) {
                out.write(part.getBytes(StandardCharsets.ISO_8859_1));
                out.flush();
                sleep(20);
              }
            })) {
      route("raw-eof", raw);
      for (int i = 0; i < 2; i++) {
        RawHttp.Response r = RawHttp.exchange(server.port(), get("/services/raw-eof/x" + i));
        assertThat(r.status).as("response %d", i).isEqualTo(200);
        assertThat(r.body).as("response %d", i).isEqualTo(String.join("", parts));
      }
      assertThat(raw.accepted()).isEqualTo(2);
    }
  }

  // 5. Request bodies

  @Test
  void aRequestBodyWithAContentLengthArrivesByteExact() throws Exception {
    byte[] body = pattern(300_000);
    HttpResponse<String> r =
        client.send(
            HttpRequest.newBuilder(
                    URI.create("http://127.0.0.1:" + server.port() + "/services/app/sha"))
                .timeout(Duration.ofSeconds(10))
                .POST(HttpRequest.BodyPublishers.ofByteArray(body))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).isEqualTo(200);
    // Forwarded with its length (not re-chunked): some upstreams refuse chunked requests.
    assertThat(r.body()).isEqualTo("len=300000 sha=" + sha256(body) + " te=null cl=300000");
  }

  @Test
  void aChunkedRequestBodyArrivesByteExact() throws Exception {
    byte[] body = pattern(70_000);
    int[] sizes = {1, 26, 10_000, 4096, 0x3fff, 70_000 - 1 - 26 - 10_000 - 4096 - 0x3fff};
    try (Socket socket = new Socket()) {
      socket.connect(new InetSocketAddress("127.0.0.1", server.port()), 5000);
      socket.setSoTimeout(10_000);
      OutputStream out = socket.getOutputStream();
      out.write(
          ("POST /services/app/sha HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
                  + "Connection: close\r\n\r\n")
              .getBytes(StandardCharsets.US_ASCII));
      int offset = 0;
      for (int size : sizes) {
        out.write((Integer.toHexString(size) + "\r\n").getBytes(StandardCharsets.US_ASCII));
        out.write(body, offset, size);
        out.write("\r\n".getBytes(StandardCharsets.US_ASCII));
        out.flush();
        offset += size;
        sleep(10);
      }
      assertThat(offset).isEqualTo(body.length);
      out.write("0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
      out.flush();
      String response = new String(socket.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      assertThat(response).startsWith("HTTP/1.1 200 ");
      assertThat(response).contains("\r\n\r\nlen=70000 sha=" + sha256(body) + " ");
    }
  }

  @Test
  void anAnswerBeforeTheWholeBodyEndsTheExchangeAndClosesTheClientConnection() throws Exception {
    // The upstream reads the head only and answers 413 at once (as a server with a body limit
    // does), keeping its socket open: the router must finish the exchange, not wait for the
    // rest of a body nobody will read.
    try (RawBackend raw =
        RawBackend.start(
            (socket, in, out, self) -> {
              if (self.readHead(in) != null) {
                out.write(
                    "HTTP/1.1 413 Payload Too Large\r\nContent-Length: 8\r\n\r\ntoo big\n"
                        .getBytes(StandardCharsets.ISO_8859_1));
                out.flush();
                sleep(3000);
              }
            })) {
      route("raw-early", raw);
      int bodyLength = 32 * 1024 * 1024;
      try (Socket socket = new Socket()) {
        socket.connect(new InetSocketAddress("127.0.0.1", server.port()), 5000);
        socket.setSoTimeout(5000);
        OutputStream out = socket.getOutputStream();
        Thread writer =
            new Thread(
                () -> {
                  try {
                    out.write(
                        ("POST /services/raw-early/upload HTTP/1.1\r\nHost: x\r\n"
                                + "Content-Length: "
                                + bodyLength
                                + "\r\n\r\n")
                            .getBytes(StandardCharsets.US_ASCII));
                    byte[] chunk = new byte[64 * 1024];
                    for (int sent = 0; sent < bodyLength; sent += chunk.length) {
                      out.write(chunk);
                    }
                  } catch (IOException e) {
                    // expected: the router closes the connection before the body is sent
                  }
                },
                "early-answer-writer");
        writer.setDaemon(true);
        long started = System.nanoTime();
        writer.start();
        String response =
            new String(socket.getInputStream().readAllBytes(), StandardCharsets.ISO_8859_1);
        long millis = (System.nanoTime() - started) / 1_000_000;
        assertThat(response).startsWith("HTTP/1.1 413 ");
        assertThat(response).endsWith("\r\n\r\ntoo big\n");
        // readAllBytes returned: the router closed the connection, well before the 5 s timeout
        assertThat(millis).isLessThan(4000);
        writer.join(5000);
      }
      long deadline = System.nanoTime() + 5_000_000_000L;
      while (server.inFlight() > 0 && System.nanoTime() < deadline) {
        sleep(20);
      }
      assertThat(server.inFlight()).as("exchanges still open").isZero();
      try (RawHttp http = new RawHttp(server.port())) {
        assertThat(http.send(get("/services/app/after-early")).status).isEqualTo(200);
      }
    }
  }

  @Test
  void anEarlyChunkedAnswerToAChunkedUploadArrivesWhole() throws Exception {
    // Ending the exchange under a chunked upload shuts the socket's input: the answer must be
    // written out in full before that.
    try (RawBackend raw =
        RawBackend.start(
            (socket, in, out, self) -> {
              if (self.readHead(in) != null) {
                out.write(
                    ("HTTP/1.1 401 Unauthorized\r\nTransfer-Encoding: chunked\r\n\r\n"
                            + "8\r\nno entry\r\n"
                            + "7\r\n, sorry\r\n0\r\n\r\n")
                        .getBytes(StandardCharsets.ISO_8859_1));
                out.flush();
                sleep(3000);
              }
            })) {
      route("raw-early-chunked", raw);
      try (Socket socket = new Socket()) {
        socket.connect(new InetSocketAddress("127.0.0.1", server.port()), 5000);
        socket.setSoTimeout(10_000); // the router lingers up to 5 s for the rest
        OutputStream out = socket.getOutputStream();
        Thread writer =
            new Thread(
                () -> {
                  try {
                    // The head and a little of the body in one write, then nothing more (no
                    // terminating chunk): the router has read all that was sent, so its close
                    // is a FIN, not a reset that could cost the client the answer.
                    java.io.ByteArrayOutputStream req = new java.io.ByteArrayOutputStream();
                    req.write(
                        ("POST /services/raw-early-chunked/upload HTTP/1.1\r\nHost: x\r\n"
                                + "Transfer-Encoding: chunked\r\n\r\n400\r\n")
                            .getBytes(StandardCharsets.US_ASCII));
                    req.write(new byte[0x400]);
                    req.write("\r\n".getBytes(StandardCharsets.US_ASCII));
                    out.write(req.toByteArray());
                    out.flush();
                  } catch (IOException e) {
                    // the router may close first
                  }
                },
                "early-chunked-writer");
        writer.setDaemon(true);
        writer.start();
        java.io.ByteArrayOutputStream got = new java.io.ByteArrayOutputStream();
        socket.getInputStream().transferTo(got); // to the router's close
        String response = got.toString(StandardCharsets.ISO_8859_1);
        assertThat(response).startsWith("HTTP/1.1 401 ");
        assertThat(response).contains("no entry").contains(", sorry");
        assertThat(response).endsWith("0\r\n\r\n");
        writer.join(5000);
      }
    }
  }

  @Test
  void anEarlyAnswerToAnEndlessUploadIsReadableAndTheConnectionEndsAfterTheLinger()
      throws Exception {
    // Like nginx's lingering close: the router drops what the client keeps sending for a few
    // seconds after the answer, so the client can read it; then it closes.
    try (RawBackend raw =
        RawBackend.start(
            (socket, in, out, self) -> {
              if (self.readHead(in) != null) {
                out.write(
                    "HTTP/1.1 413 Payload Too Large\r\nContent-Length: 8\r\n\r\ntoo big\n"
                        .getBytes(StandardCharsets.ISO_8859_1));
                out.flush();
                sleep(3000);
              }
            })) {
      route("raw-endless", raw);
      try (Socket socket = new Socket()) {
        socket.connect(new InetSocketAddress("127.0.0.1", server.port()), 5000);
        socket.setSoTimeout(15_000);
        OutputStream out = socket.getOutputStream();
        long started = System.nanoTime();
        Thread writer =
            new Thread(
                () -> {
                  try {
                    out.write(
                        ("POST /services/raw-endless/upload HTTP/1.1\r\nHost: x\r\n"
                                + "Transfer-Encoding: chunked\r\n\r\n")
                            .getBytes(StandardCharsets.US_ASCII));
                    // Chunks with no end (a length would be reached within a second here).
                    byte[] chunk = new byte[64 * 1024 + 9];
                    System.arraycopy(
                        "10000\r\n".getBytes(StandardCharsets.US_ASCII), 0, chunk, 0, 7);
                    chunk[chunk.length - 2] = '\r';
                    chunk[chunk.length - 1] = '\n';
                    long until = System.nanoTime() + 15_000_000_000L;
                    for (int i = 0; i < 1_000_000 && System.nanoTime() < until; i++) {
                      out.write(chunk, 0, 7 + 64 * 1024 + 2);
                    }
                  } catch (IOException e) {
                    // expected once the router closes
                  }
                },
                "endless-writer");
        writer.setDaemon(true);
        writer.start();
        InputStream in = socket.getInputStream();
        ByteArrayOutputStream got = new ByteArrayOutputStream();
        while (!got.toString(StandardCharsets.ISO_8859_1).endsWith("too big\n")
            && got.size() < 4096) {
          int c = in.read();
          assertThat(c).as("the answer arrives before the connection ends").isNotEqualTo(-1);
          got.write(c);
        }
        assertThat(got.toString(StandardCharsets.ISO_8859_1)).startsWith("HTTP/1.1 413 ");
        long ended;
        try {
          while (in.read() != -1) {
            // nothing more is expected
          }
        } catch (java.net.SocketException reset) {
          // a reset at the end of the linger is fine: the answer was read
        } finally {
          ended = (System.nanoTime() - started) / 1_000_000;
        }
        assertThat(ended).as("closed after the linger, ms").isBetween(3000L, 10_000L);
        writer.join(15_000);
      }
      long deadline = System.nanoTime() + 5_000_000_000L;
      while (server.inFlight() > 0 && System.nanoTime() < deadline) {
        sleep(20); // the exchange ends as the connection closes: allow for the race
      }
      assertThat(server.inFlight()).as("exchanges still open").isZero();
    }
  }

  @Test
  void aBodyOverTheServersLimitEndsTheConnectionAndTheRouterKeepsServing() throws Exception {
    try (RouterServer limited =
        RouterServer.builder(handler)
            .host("127.0.0.1")
            .port(0)
            .ioThreads(1)
            .maxRequestBodySize(1000)
            .start()) {
      // Chunked: the limit is only found while streaming, after the head went upstream.
      try (Socket socket = new Socket()) {
        socket.connect(new InetSocketAddress("127.0.0.1", limited.port()), 5000);
        socket.setSoTimeout(5000);
        OutputStream out = socket.getOutputStream();
        out.write(
            ("POST /services/app/sha HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                    + "bb8\r\n")
                .getBytes(StandardCharsets.US_ASCII));
        out.write(new byte[3000]);
        out.write("\r\n0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
        out.flush();
        // Undertow ends the connection when the limit is passed mid-body (RouterServer's
        // contract); at most a 413 gets out first, never the upstream's 200.
        String response;
        try {
          response =
              new String(socket.getInputStream().readAllBytes(), StandardCharsets.ISO_8859_1);
        } catch (java.net.SocketException reset) {
          response = "";
        }
        assertThat(response).doesNotContain("200 OK").doesNotContain("len=");
        if (!response.isEmpty()) {
          assertThat(response).startsWith("HTTP/1.1 413 ");
        }
      }
      try (RawHttp http = new RawHttp(limited.port())) {
        assertThat(http.send(get("/services/app/after-413")).status).isEqualTo(200);
      }
    }
  }

  @Test
  void anEmptyPostWithContentLengthZeroWorks() throws Exception {
    try (RawHttp http = new RawHttp(server.port())) {
      RawHttp.Response r =
          http.send("POST /services/app/sha HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n");
      assertThat(r.status).isEqualTo(200);
      assertThat(r.body).startsWith("len=0 sha=" + sha256(new byte[0]) + " ");
      assertThat(r.body).doesNotContain("te=chunked");
      // The connection is still in step: the next request gets its own answer.
      RawHttp.Response next = http.send(get("/services/app/after-empty-post"));
      assertThat(next.status).isEqualTo(200);
      assertThat(next.body).isEqualTo("app /after-empty-post");
    }
  }

  // 6. Stale keep-alive connection

  @Test
  void aPooledConnectionTheUpstreamClosedIsNotUsedForTheNextGet() throws Exception {
    AtomicInteger answered = new AtomicInteger();
    try (RawBackend raw =
        RawBackend.start(
            (socket, in, out, self) -> {
              if (self.readHead(in) == null) {
                return;
              }
              // A keep-alive answer (no Connection: close) ...
              String body = "ok" + answered.incrementAndGet();
              out.write(
                  ("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: "
                          + body.length()
                          + "\r\n\r\n"
                          + body)
                      .getBytes(StandardCharsets.ISO_8859_1));
              out.flush();
              // ... then the upstream closes the idle connection (the finally closes the socket).
            })) {
      route("raw-stale", raw);
      // One client connection: every request runs on the same router IO thread and pool.
      try (RawHttp http = new RawHttp(server.port())) {
        for (int i = 1; i <= 3; i++) {
          RawHttp.Response r = http.send(get("/services/raw-stale/n" + i));
          assertThat(r.status).as("request %d: %s", i, r).isEqualTo(200);
          assertThat(r.body).as("request %d", i).startsWith("ok");
          sleep(200);
        }
      }
      // Each request needed a new upstream connection: the closed ones were not reused.
      assertThat(raw.accepted()).isGreaterThanOrEqualTo(3);
      assertThat(answered.get()).isEqualTo(3);
    }
  }

  @Test
  void aPooledConnectionTheUpstreamClosedIsNotUsedForTheNextPost() throws Exception {
    // A POST is not retried on another connection: it only works if the router notices that
    // the upstream closed the idle pooled connection (as Node.js does after its 5 s
    // keepAliveTimeout) before it sends the request there.
    AtomicInteger answered = new AtomicInteger();
    try (RawBackend raw =
        RawBackend.start(
            (socket, in, out, self) -> {
              String head = self.readHead(in);
              if (head == null) {
                return;
              }
              String body = new String(in.readNBytes(contentLength(head)), StandardCharsets.UTF_8);
              String answer = "got " + body + " " + answered.incrementAndGet();
              out.write(
                  ("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: "
                          + answer.length()
                          + "\r\n\r\n"
                          + answer)
                      .getBytes(StandardCharsets.ISO_8859_1));
              out.flush();
            })) {
      route("raw-stale-post", raw);
      try (RawHttp http = new RawHttp(server.port())) {
        for (int i = 1; i <= 3; i++) {
          RawHttp.Response r =
              http.send(
                  "POST /services/raw-stale-post/p HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\n"
                      + "\r\nbod"
                      + i);
          assertThat(r.status).as("request %d: %s", i, r).isEqualTo(200);
          assertThat(r.body).as("request %d", i).isEqualTo("got bod" + i + " " + i);
          sleep(200);
        }
      }
      assertThat(raw.accepted()).isGreaterThanOrEqualTo(3);
    }
  }

  static int contentLength(String head) {
    for (String line : head.split("\r\n")) {
      int colon = line.indexOf(':');
      if (colon > 0 && line.substring(0, colon).trim().equalsIgnoreCase("Content-Length")) {
        return Integer.parseInt(line.substring(colon + 1).trim());
      }
    }
    return 0;
  }

  // 7. Broken response heads

  @Test
  void aMalformedStatusLineIsA502AndTheRouterKeepsServing() throws Exception {
    try (RawBackend raw = RawBackend.once("HTTX/1.1 200 OK\r\n\r\n")) {
      route("raw-malformed", raw);
      RawHttp.Response r = RawHttp.exchange(server.port(), get("/services/raw-malformed/x"));
      assertThat(r.status).as("%s", r).isEqualTo(502);
      assertThat(r.header("Content-Type")).isEqualTo("application/json");
      assertThat(r.body).contains("\"error\":");
    }
    assertKeepsServing();
  }

  @Test
  void anUpstreamClosingMidHeadIsA502AndTheRouterKeepsServing() throws Exception {
    try (RawBackend raw = RawBackend.once("HTTP/1.1 200 OK\r\nContent-Type: text/pl")) {
      route("raw-midhead", raw);
      RawHttp.Response r = RawHttp.exchange(server.port(), get("/services/raw-midhead/x"));
      assertThat(r.status).as("%s", r).isEqualTo(502);
      assertThat(r.header("Content-Type")).isEqualTo("application/json");
      assertThat(r.body).contains("\"error\":");
      assertThat(raw.accepted()).isGreaterThanOrEqualTo(1);
    }
    assertKeepsServing();
  }

  static void assertKeepsServing() throws IOException {
    try (RawHttp http = new RawHttp(server.port())) {
      for (int i = 0; i < 3; i++) {
        RawHttp.Response r = http.send(get("/services/app/still-" + i));
        assertThat(r.status).isEqualTo(200);
        assertThat(r.body).isEqualTo("app /still-" + i);
      }
    }
  }

  // 8. Repeated and odd-case response headers

  @Test
  void repeatedResponseHeadersStaySeparateAndOddCaseNamesPass() throws Exception {
    try (RawBackend raw =
        RawBackend.keepAlive(
            head ->
                "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nSet-Cookie: a=1; Path=/\r\n"
                    + "Set-Cookie: b=2; HttpOnly\r\nX-CuStOm: v\r\n\r\nok")) {
      route("raw-headers", raw);
      RawHttp.Response r = RawHttp.exchange(server.port(), get("/services/raw-headers/"));
      assertThat(r.status).isEqualTo(200);
      assertThat(r.headers.get("set-cookie")).containsExactly("a=1; Path=/", "b=2; HttpOnly");
      assertThat(r.headers.get("x-custom")).containsExactly("v");
      assertThat(r.body).isEqualTo("ok");
    }
    RawHttp.Response r = RawHttp.exchange(server.port(), get("/services/app/cookies"));
    assertThat(r.status).isEqualTo(200);
    assertThat(r.headers.get("set-cookie")).containsExactly("a=1; Path=/", "b=2; HttpOnly");
    assertThat(r.headers.get("x-custom")).containsExactly("v");
    assertThat(r.body).isEqualTo("cookies");
  }

  // 9. The request target reaches the upstream raw

  @Test
  void theRequestTargetReachesTheUpstreamUndecoded() throws Exception {
    try (RawBackend raw =
        RawBackend.keepAlive(head -> "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")) {
      route("raw-target", raw);
      RawHttp.Response r =
          RawHttp.exchange(server.port(), get("/services/raw-target/a%20b/c?x=1&y=%2F"));
      assertThat(r.status).isEqualTo(200);
      assertThat(raw.heads()).hasSize(1);
      String requestLine = raw.heads().get(0).split("\r\n", 2)[0];
      assertThat(requestLine).isEqualTo("GET /a%20b/c?x=1&y=%2F HTTP/1.1");
    }
  }

  // 10. Connection reuse

  @Test
  void manySequentialRequestsOnOneClientConnectionReuseUpstreamConnections() throws Exception {
    try (TestBackend seq = TestBackend.start("seq")) {
      discovery.set("seq", List.of(Endpoint.parse(seq.address())));
      try (RawHttp http = new RawHttp(server.port())) {
        for (int i = 0; i < 200; i++) {
          RawHttp.Response r = http.send(get("/services/seq/n?i=" + i));
          assertThat(r.status).as("request %d", i).isEqualTo(200);
          assertThat(r.body).as("request %d", i).startsWith("seq GET /n?i=" + i + "\n");
        }
      }
      assertThat(seq.requests()).isEqualTo(200);
      assertThat(seq.connections()).as("upstream connections").isBetween(1, 2);
    }
  }

  static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /**
   * A raw HTTP/1.1 backend on 127.0.0.1: each accepted connection runs a {@link Conversation} on
   * its own daemon thread, and is closed when the conversation returns. Bounded: at most {@link
   * #MAX_CONNECTIONS} connections, every socket with a timeout.
   */
  static final class RawBackend implements AutoCloseable {
    static final int MAX_CONNECTIONS = 32;
    static final int MAX_HEAD = 64 * 1024;

    interface Conversation {
      void run(Socket socket, InputStream in, OutputStream out, RawBackend self) throws IOException;
    }

    interface Responder {
      String respond(String head);
    }

    private final ServerSocket listener;
    private final Thread acceptor;
    private final AtomicInteger accepted = new AtomicInteger();
    private final List<String> heads = new CopyOnWriteArrayList<>();
    private final List<Socket> sockets = new CopyOnWriteArrayList<>();
    private volatile boolean closed;

    private RawBackend(Conversation conversation) throws IOException {
      listener = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
      listener.setSoTimeout(100);
      acceptor =
          new Thread(
              () -> {
                while (!closed && accepted.get() < MAX_CONNECTIONS) {
                  Socket s;
                  try {
                    s = listener.accept();
                  } catch (SocketTimeoutException e) {
                    continue;
                  } catch (IOException e) {
                    return; // closed
                  }
                  accepted.incrementAndGet();
                  sockets.add(s);
                  Thread t =
                      new Thread(
                          () -> {
                            try (Socket socket = s) {
                              socket.setSoTimeout(5000);
                              conversation.run(
                                  socket, socket.getInputStream(), socket.getOutputStream(), this);
                            } catch (IOException e) {
                              // the peer went away or timed out: the connection ends
                            }
                          },
                          "raw-backend-conn");
                  t.setDaemon(true);
                  t.start();
                }
              },
              "raw-backend-accept");
      acceptor.setDaemon(true);
      acceptor.start();
    }

    static RawBackend start(Conversation conversation) throws IOException {
      return new RawBackend(conversation);
    }

    /** Answers each request on a connection with the responder's bytes, keeping it open. */
    static RawBackend keepAlive(Responder responder) throws IOException {
      return new RawBackend(
          (socket, in, out, self) -> {
            for (int i = 0; i < 1000; i++) {
              String head = self.readHead(in);
              if (head == null) {
                return;
              }
              out.write(responder.respond(head).getBytes(StandardCharsets.ISO_8859_1));
              out.flush();
            }
          });
    }

    /** Answers one request per connection with {@code response}, then closes it. */
    static RawBackend once(String response) throws IOException {
      return new RawBackend(
          (socket, in, out, self) -> {
            if (self.readHead(in) != null) {
              out.write(response.getBytes(StandardCharsets.ISO_8859_1));
              out.flush();
            }
          });
    }

    /** Reads one request head (through the blank line) and records it; null at end of stream. */
    String readHead(InputStream in) throws IOException {
      ByteArrayOutputStream head = new ByteArrayOutputStream();
      int matched = 0;
      while (head.size() < MAX_HEAD) {
        int c = in.read();
        if (c == -1) {
          return null;
        }
        head.write(c);
        matched = (c == "\r\n\r\n".charAt(matched)) ? matched + 1 : (c == '\r' ? 1 : 0);
        if (matched == 4) {
          String s = head.toString(StandardCharsets.ISO_8859_1);
          heads.add(s);
          return s;
        }
      }
      throw new IOException("request head over " + MAX_HEAD + " bytes");
    }

    int port() {
      return listener.getLocalPort();
    }

    /** Connections accepted so far. */
    int accepted() {
      return accepted.get();
    }

    /** Request heads read so far, in order. */
    List<String> heads() {
      return heads;
    }

    @Override
    public void close() throws IOException {
      closed = true;
      listener.close();
      for (Socket s : sockets) {
        s.close();
      }
      try {
        acceptor.join(1000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }
}
