package dev.whaleray.router.undertow.testing;

import io.undertow.Undertow;
import io.undertow.server.HttpHandler;
import io.undertow.server.HttpServerExchange;
import io.undertow.server.ServerConnection;
import io.undertow.util.HeaderValues;
import io.undertow.util.Headers;
import io.undertow.util.HttpString;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.zip.CRC32;
import org.jspecify.annotations.Nullable;

/**
 * A real Undertow backend on 127.0.0.1 and an ephemeral port, for tests. It answers:
 *
 * <ul>
 *   <li>{@code /status/N}: status N, body {@code status N from NAME};
 *   <li>{@code /chunked}: three chunks, no Content-Length;
 *   <li>{@code /trailers}: two chunks, then trailer fields {@code grpc-status: 7} and {@code
 *       grpc-message: denied by NAME};
 *   <li>{@code /slow?ms=N}: waits N ms (on a worker thread), then echoes;
 *   <li>{@code /download?bytes=N}: N bytes of {@link #patternByte} (streamed);
 *   <li>{@code /upload}: reads the body streaming, answers {@code bytes=N crc=C};
 *   <li>anything else: an echo: first line {@code NAME METHOD URI}, then {@code name: value} per
 *       request header, then the request body.
 * </ul>
 *
 * Every response carries {@code X-Backend: NAME} and {@code X-Backend-Protocol} (e.g. {@code
 * HTTP/1.1}). Counts requests and distinct connections.
 */
public final class TestBackend implements AutoCloseable {
  private final String name;
  private final Undertow server;
  private final AtomicInteger requests = new AtomicInteger();
  private final Set<String> peers = java.util.concurrent.ConcurrentHashMap.newKeySet();
  private final Set<ServerConnection> connections =
      Collections.synchronizedSet(Collections.newSetFromMap(new IdentityHashMap<>()));
  // Every request as "connection-number target", in arrival order: says which request a backend
  // got twice, and over which connection, when a count is off. The first MAX_SEEN only.
  private static final int MAX_SEEN = 100_000;
  private final java.util.Queue<String> seen = new java.util.concurrent.ConcurrentLinkedQueue<>();
  private final java.util.Map<ServerConnection, Integer> connectionNumbers =
      Collections.synchronizedMap(new IdentityHashMap<>());

  private TestBackend(String name, int port) {
    this(name, port, false, null);
  }

  private TestBackend(
      String name, int port, boolean http2, javax.net.ssl.@Nullable SSLContext tls) {
    this(name, port, http2, tls, 0);
  }

  private TestBackend(
      String name,
      int port,
      boolean http2,
      javax.net.ssl.@Nullable SSLContext tls,
      int maxConcurrentStreams) {
    this.name = name;
    Undertow.Builder b =
        Undertow.builder()
            .setIoThreads(2)
            .setWorkerThreads(16)
            .setServerOption(io.undertow.UndertowOptions.MAX_ENTITY_SIZE, 0L)
            // h2c by prior knowledge on the plain port, h2 by ALPN on TLS
            .setServerOption(io.undertow.UndertowOptions.ENABLE_HTTP2, http2)
            .setHandler(this::handle);
    if (maxConcurrentStreams > 0) {
      b.setServerOption(
          io.undertow.UndertowOptions.HTTP2_SETTINGS_MAX_CONCURRENT_STREAMS, maxConcurrentStreams);
    }
    if (tls != null) {
      b.addHttpsListener(port, "127.0.0.1", tls);
    } else {
      b.addHttpListener(port, "127.0.0.1");
    }
    this.server = b.build();
    server.start();
  }

  /** Starts a backend called {@code name}. */
  public static TestBackend start(String name) {
    return new TestBackend(name, 0);
  }

  /** Starts a backend called {@code name} on {@code port} (0: an ephemeral one). */
  public static TestBackend start(String name, int port) {
    return new TestBackend(name, port);
  }

  /** A backend that also speaks HTTP/2 in clear (h2c by prior knowledge), as gRPC servers do. */
  public static TestBackend startHttp2(String name) {
    return new TestBackend(name, 0, true, null);
  }

  /** An h2c backend that allows at most {@code maxStreams} concurrent streams a connection. */
  public static TestBackend startHttp2(String name, int maxStreams) {
    return new TestBackend(name, 0, true, null, maxStreams);
  }

  /** Stops the server now: its connections close, mid-response too. */
  public void kill() {
    server.stop();
  }

  /** A backend on TLS only, with HTTP/2 by ALPN when {@code http2}. */
  public static TestBackend startTls(String name, javax.net.ssl.SSLContext tls, boolean http2) {
    return new TestBackend(name, 0, http2, tls);
  }

  /** The byte at position {@code i} of a download. */
  public static byte patternByte(long i) {
    return (byte) (i * 31 + (i >>> 8));
  }

  public int port() {
    return ((InetSocketAddress) server.getListenerInfo().get(0).getAddress()).getPort();
  }

  public String address() {
    return "127.0.0.1:" + port();
  }

  public String name() {
    return name;
  }

  /** Requests received. */
  public int requests() {
    return requests.get();
  }

  /**
   * Distinct client addresses (TCP connections) that carried at least one request: for HTTP/2,
   * where Undertow makes a connection object per stream.
   */
  public int peers() {
    return peers.size();
  }

  /** Distinct TCP connections that carried at least one request. */
  public int connections() {
    return connections.size();
  }

  /**
   * Every request received, in order, as {@code "N target"}: N numbers the connection it came on
   * (from 1, in order of first request), target is the path and query as received. The first
   * 100,000 requests only.
   */
  public java.util.List<String> seen() {
    return java.util.List.copyOf(seen);
  }

  private void handle(HttpServerExchange exchange) throws Exception {
    if (exchange.isInIoThread()) {
      exchange.dispatch(this::handle);
      return;
    }
    int count = requests.incrementAndGet();
    connections.add(exchange.getConnection());
    if (count <= MAX_SEEN) {
      int connection;
      synchronized (connectionNumbers) {
        connection =
            connectionNumbers.computeIfAbsent(
                exchange.getConnection(), c -> connectionNumbers.size() + 1);
      }
      String query = exchange.getQueryString();
      seen.add(connection + " " + exchange.getRequestURI() + (query.isEmpty() ? "" : "?" + query));
    }
    peers.add(String.valueOf(exchange.getConnection().getPeerAddress()));
    exchange.getResponseHeaders().put(new HttpString("X-Backend"), name);
    // The protocol the request reached the backend in (the router's upstream side).
    exchange
        .getResponseHeaders()
        .put(new HttpString("X-Backend-Protocol"), exchange.getProtocol().toString());
    exchange
        .getResponseHeaders()
        .put(new HttpString("X-Backend-Scheme"), exchange.getRequestScheme());
    String path = exchange.getRequestPath();
    exchange.startBlocking();
    if (path.startsWith("/status/")) {
      int status = Integer.parseInt(path.substring("/status/".length()));
      exchange.setStatusCode(status);
      exchange.getResponseHeaders().put(new HttpString("X-Status-From"), name);
      exchange
          .getOutputStream()
          .write(("status " + status + " from " + name).getBytes(StandardCharsets.UTF_8));
      return;
    }
    if (path.equals("/trailers")) {
      // Chunked, then trailer fields, as a gRPC server over HTTP/1.1 would end a call.
      io.undertow.util.HeaderMap trailers = new io.undertow.util.HeaderMap();
      trailers.put(new HttpString("grpc-status"), "7");
      trailers.put(new HttpString("grpc-message"), "denied by " + name);
      trailers.put(Headers.CONTENT_LENGTH, "999"); // never to be passed on as a trailer
      exchange.putAttachment(
          io.undertow.server.protocol.http.HttpAttachments.RESPONSE_TRAILERS, trailers);
      OutputStream out = exchange.getOutputStream();
      out.write("part1;".getBytes(StandardCharsets.UTF_8));
      out.flush();
      out.write("part2".getBytes(StandardCharsets.UTF_8));
      return;
    }
    if (path.equals("/chunked")) {
      OutputStream out = exchange.getOutputStream();
      for (int i = 0; i < 3; i++) {
        out.write(("chunk" + i + ";").getBytes(StandardCharsets.UTF_8));
        out.flush();
      }
      return;
    }
    if (path.equals("/download")) {
      long bytes = Long.parseLong(exchange.getQueryParameters().get("bytes").getFirst());
      exchange.getResponseHeaders().put(Headers.CONTENT_LENGTH, bytes);
      OutputStream out = exchange.getOutputStream();
      byte[] buf = new byte[32 * 1024];
      for (long sent = 0; sent < bytes; ) {
        int n = (int) Math.min(buf.length, bytes - sent);
        for (int i = 0; i < n; i++) {
          buf[i] = patternByte(sent + i);
        }
        out.write(buf, 0, n);
        sent += n;
      }
      return;
    }
    if (path.equals("/upload")) {
      InputStream in = exchange.getInputStream();
      byte[] buf = new byte[32 * 1024];
      CRC32 crc = new CRC32();
      long total = 0;
      for (int n; (n = in.read(buf)) > 0; ) {
        crc.update(buf, 0, n);
        total += n;
      }
      exchange
          .getOutputStream()
          .write(("bytes=" + total + " crc=" + crc.getValue()).getBytes(StandardCharsets.UTF_8));
      return;
    }
    if (path.equals("/slow")) {
      Thread.sleep(Long.parseLong(exchange.getQueryParameters().get("ms").getFirst()));
    }
    StringBuilder sb = new StringBuilder();
    sb.append(name)
        .append(' ')
        .append(exchange.getRequestMethod())
        .append(' ')
        .append(exchange.getRequestURI());
    if (!exchange.getQueryString().isEmpty()) {
      sb.append('?').append(exchange.getQueryString());
    }
    sb.append('\n');
    for (HeaderValues values : exchange.getRequestHeaders()) {
      for (String v : values) {
        sb.append(values.getHeaderName().toString().toLowerCase())
            .append(": ")
            .append(v)
            .append('\n');
      }
    }
    sb.append('\n');
    byte[] head = sb.toString().getBytes(StandardCharsets.UTF_8);
    byte[] body = exchange.getInputStream().readAllBytes();
    exchange.getResponseHeaders().put(new HttpString("X-Echo"), "yes");
    String respond = exchange.getRequestHeaders().getFirst("X-Respond-Header");
    if (respond != null) {
      int colon = respond.indexOf(':');
      exchange
          .getResponseHeaders()
          .add(new HttpString(respond.substring(0, colon)), respond.substring(colon + 1).trim());
    }
    exchange.getResponseHeaders().put(Headers.CONTENT_LENGTH, head.length + body.length);
    OutputStream out = exchange.getOutputStream();
    out.write(head);
    out.write(body);
  }

  /** A handler that never answers, for tests. */
  public static HttpHandler never() {
    return exchange -> exchange.dispatch(() -> {});
  }

  @Override
  public void close() {
    server.stop();
  }
}
