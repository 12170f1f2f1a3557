package dev.whaleray.reference.soak;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;

/**
 * A raw-socket HTTP/1.1 client connection to 127.0.0.1. Raw on purpose: the JDK's HttpClient pools
 * connections out of sight and silently retries an idempotent request once on a broken connection,
 * which would hide exactly the errors a soak must count. This one sends what it is given and
 * reports what came back, naming the point where the connection broke.
 */
final class HttpConnection implements AutoCloseable {
  /** The connection ended before a whole response: before its status line, or within it. */
  static final class ResponseEof extends IOException {
    private static final long serialVersionUID = 1L;
    private final boolean beforeStatus;

    ResponseEof(boolean beforeStatus, String message) {
      super(message);
      this.beforeStatus = beforeStatus;
    }

    boolean beforeStatus() {
      return beforeStatus;
    }
  }

  /** Bytes that are not an HTTP/1.1 response. */
  static final class BadResponse extends IOException {
    private static final long serialVersionUID = 1L;

    BadResponse(String message) {
      super(message);
    }
  }

  /** A whole response; header names in lower case, first value of each. */
  record Response(int status, Map<String, String> headers, byte[] body, boolean keepAlive) {
    String text() {
      return new String(body, StandardCharsets.UTF_8);
    }
  }

  private static final int MAX_LINE = 16 * 1024;

  private final Socket socket;
  private final InputStream in;
  private final OutputStream out;
  private int exchanges;

  private HttpConnection(Socket socket) throws IOException {
    this.socket = socket;
    this.in = new BufferedInputStream(socket.getInputStream(), 16 * 1024);
    this.out = socket.getOutputStream();
  }

  /** Connects to 127.0.0.1:{@code port}. */
  static HttpConnection open(int port, int connectTimeoutMillis, int readTimeoutMillis)
      throws IOException {
    Socket s = new Socket();
    try {
      s.setTcpNoDelay(true);
      s.setSoTimeout(readTimeoutMillis);
      s.connect(new InetSocketAddress("127.0.0.1", port), connectTimeoutMillis);
      return new HttpConnection(s);
    } catch (IOException | RuntimeException e) {
      s.close();
      throw e;
    }
  }

  /** A request's bytes: the head, then the body as given (already chunked if it says so). */
  static byte[] request(String method, String target, int port, Map<String, String> headers) {
    StringBuilder sb = new StringBuilder(128);
    sb.append(method).append(' ').append(target).append(" HTTP/1.1\r\n");
    sb.append("Host: 127.0.0.1:").append(port).append("\r\n");
    headers.forEach((k, v) -> sb.append(k).append(": ").append(v).append("\r\n"));
    sb.append("\r\n");
    return sb.toString().getBytes(StandardCharsets.US_ASCII);
  }

  /** {@code body} in chunked framing, in pieces of at most {@code chunk} bytes. */
  static byte[] chunked(byte[] body, int chunk) {
    ByteArrayOutputStream b = new ByteArrayOutputStream(body.length + 64);
    for (int off = 0; off < body.length; off += chunk) {
      int n = Math.min(chunk, body.length - off);
      b.writeBytes((Integer.toHexString(n) + "\r\n").getBytes(StandardCharsets.US_ASCII));
      b.write(body, off, n);
      b.writeBytes(new byte[] {'\r', '\n'});
    }
    b.writeBytes("0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
    return b.toByteArray();
  }

  OutputStream out() {
    return out;
  }

  void send(byte[] bytes) throws IOException {
    out.write(bytes);
    out.flush();
  }

  void readTimeout(int millis) throws IOException {
    socket.setSoTimeout(millis);
  }

  /** Exchanges completed on this connection (0 while the first request is under way). */
  int exchanges() {
    return exchanges;
  }

  /** Reads one whole response; {@code head} when the request was a HEAD (no body follows). */
  Response read(boolean head) throws IOException {
    String status = line(true);
    while (true) {
      if (!status.startsWith("HTTP/1.1 ") && !status.startsWith("HTTP/1.0 ")) {
        throw new BadResponse("status line '" + status + "'");
      }
      int code;
      try {
        code = Integer.parseInt(status.substring(9, 12));
      } catch (RuntimeException e) {
        throw new BadResponse("status line '" + status + "'");
      }
      Map<String, String> headers = headers();
      if (code >= 100 && code < 200 && code != 101) {
        status = line(false); // an interim response: the real one follows
        continue;
      }
      boolean keepAlive =
          status.startsWith("HTTP/1.1")
              ? !"close".equalsIgnoreCase(headers.getOrDefault("connection", ""))
              : "keep-alive".equalsIgnoreCase(headers.getOrDefault("connection", ""));
      byte[] body;
      String te = headers.get("transfer-encoding");
      String cl = headers.get("content-length");
      if (head || code == 204 || code == 304 || code == 101) {
        body = new byte[0];
      } else if (te != null && te.toLowerCase(Locale.ROOT).contains("chunked")) {
        body = chunkedBody();
      } else if (cl != null) {
        body = exactly(Long.parseLong(cl.trim()));
      } else {
        body = in.readAllBytes();
        keepAlive = false;
      }
      exchanges++;
      return new Response(code, headers, body, keepAlive);
    }
  }

  private Map<String, String> headers() throws IOException {
    Map<String, String> headers = new HashMap<>();
    for (String h; !(h = line(false)).isEmpty(); ) {
      int colon = h.indexOf(':');
      if (colon <= 0) {
        throw new BadResponse("header line '" + h + "'");
      }
      headers.putIfAbsent(
          h.substring(0, colon).trim().toLowerCase(Locale.ROOT), h.substring(colon + 1).trim());
    }
    return headers;
  }

  private byte[] chunkedBody() throws IOException {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    while (true) {
      String size = line(false);
      int semi = size.indexOf(';');
      long n;
      try {
        n = Long.parseLong((semi >= 0 ? size.substring(0, semi) : size).trim(), 16);
      } catch (NumberFormatException e) {
        throw new BadResponse("chunk size '" + size + "'");
      }
      if (n == 0) {
        while (!line(false).isEmpty()) {
          // trailers: dropped
        }
        return b.toByteArray();
      }
      b.writeBytes(exactly(n));
      if (!line(false).isEmpty()) {
        throw new BadResponse("no CRLF after a chunk");
      }
    }
  }

  private byte[] exactly(long n) throws IOException {
    if (n < 0 || n > 64L * 1024 * 1024) {
      throw new BadResponse("body length " + n);
    }
    byte[] b = in.readNBytes((int) n);
    if (b.length < n) {
      throw new ResponseEof(false, "body ended after " + b.length + " of " + n + " bytes");
    }
    return b;
  }

  /** One line without its CRLF; an EOF is a {@link ResponseEof}. */
  private String line(boolean first) throws IOException {
    StringBuilder sb = new StringBuilder(64);
    while (true) {
      int c = in.read();
      if (c < 0) {
        throw new ResponseEof(
            first && sb.length() == 0,
            first && sb.length() == 0
                ? "connection closed before the status line"
                : "connection closed within the response head");
      }
      if (c == '\n') {
        int len = sb.length();
        if (len > 0 && sb.charAt(len - 1) == '\r') {
          sb.setLength(len - 1);
        }
        return sb.toString();
      }
      if (sb.length() >= MAX_LINE) {
        throw new BadResponse("line over " + MAX_LINE + " bytes");
      }
      sb.append((char) c);
    }
  }

  boolean isClosed() {
    return socket.isClosed();
  }

  @Override
  public void close() {
    try {
      socket.close();
    } catch (IOException e) {
      // nothing to do
    }
  }
}
