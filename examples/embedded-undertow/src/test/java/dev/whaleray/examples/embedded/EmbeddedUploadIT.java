package dev.whaleray.examples.embedded;

import static org.assertj.core.api.Assertions.assertThat;

import dev.whaleray.discovery.staticlist.StaticDiscovery;
import dev.whaleray.router.Endpoint;
import dev.whaleray.router.undertow.testing.TestBackend;
import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.zip.CRC32;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Large uploads through the embedding pattern of the README: an application that builds its own
 * {@code Undertow.builder()} server with default options (so Undertow's default {@code
 * MAX_ENTITY_SIZE} of 2 MiB applies to it) and mounts the {@code RouterHandler} under {@code
 * /services}. Each test sends a 5,000,000-byte body to the backend's {@code /upload} (which answers
 * {@code bytes=N crc=C}) over a raw socket, so {@code Expect: 100-continue} and the framing are
 * exactly as written here, then an ordinary GET on the same keep-alive connection.
 */
class EmbeddedUploadIT {
  static final int BODY_BYTES = 5_000_000;
  static final int CHUNK_BYTES = 64 * 1024;
  static final int TIMEOUT_MS = 30_000;

  static byte[] body;
  static String expectedAnswer;
  static TestBackend backend;
  static StaticDiscovery discovery;
  static EmbeddedApp app;

  @BeforeAll
  static void start() {
    body = new byte[BODY_BYTES];
    new Random(5_000_000L).nextBytes(body);
    CRC32 crc = new CRC32();
    crc.update(body);
    expectedAnswer = "bytes=" + BODY_BYTES + " crc=" + crc.getValue();
    backend = TestBackend.start("uploads");
    discovery =
        StaticDiscovery.builder().service("catalog", Endpoint.parse(backend.address())).build();
    app = new EmbeddedApp(0, discovery);
  }

  @AfterAll
  static void stop() {
    app.close();
    discovery.close();
    backend.close();
  }

  @Test
  void expectContinueThenFiveMegabytesThenAGetOnTheSameConnection() throws Exception {
    try (Conn c = new Conn(app.port())) {
      c.write(
          "POST /services/catalog/upload HTTP/1.1\r\nHost: app.test\r\nContent-Length: "
              + BODY_BYTES
              + "\r\nExpect: 100-continue\r\n\r\n");
      Response interim = c.read();
      System.out.printf("Expect upload: first answer %s%n", interim.summary());
      assertThat(interim.statusLine)
          .as("the answer to the head, before any body byte: %s", interim.summary())
          .startsWith("HTTP/1.1 100");
      long start = System.nanoTime();
      CompletableFuture<Void> sent = c.writeInBackground(body, false);
      Response r = c.read();
      IOException sendError = c.awaitSend(sent);
      System.out.printf(
          "Expect upload: %s after %d ms, body send %s%n",
          r.summary(),
          (System.nanoTime() - start) / 1_000_000,
          sendError == null ? "complete" : "failed: " + sendError);
      assertThat(r.statusLine).as(r.summary()).startsWith("HTTP/1.1 200");
      assertThat(r.body).isEqualTo(expectedAnswer);
      assertThat(sendError).as("writing the body").isNull();
      assertSecondRequestAnswered(c);
    }
  }

  @Test
  void fiveMegabytesWithContentLengthThenAGetOnTheSameConnection() throws Exception {
    try (Conn c = new Conn(app.port())) {
      c.write(
          "POST /services/catalog/upload HTTP/1.1\r\nHost: app.test\r\nContent-Length: "
              + BODY_BYTES
              + "\r\n\r\n");
      long start = System.nanoTime();
      CompletableFuture<Void> sent = c.writeInBackground(body, false);
      Response r = c.read();
      IOException sendError = c.awaitSend(sent);
      System.out.printf(
          "Content-Length upload: %s after %d ms, body send %s%n",
          r.summary(),
          (System.nanoTime() - start) / 1_000_000,
          sendError == null ? "complete" : "failed: " + sendError);
      assertThat(r.statusLine).as(r.summary()).startsWith("HTTP/1.1 200");
      assertThat(r.body).isEqualTo(expectedAnswer);
      assertThat(sendError).as("writing the body").isNull();
      assertSecondRequestAnswered(c);
    }
  }

  @Test
  void fiveMegabytesChunkedThenAGetOnTheSameConnection() throws Exception {
    try (Conn c = new Conn(app.port())) {
      c.write(
          "POST /services/catalog/upload HTTP/1.1\r\nHost: app.test\r\n"
              + "Transfer-Encoding: chunked\r\n\r\n");
      long start = System.nanoTime();
      CompletableFuture<Void> sent = c.writeInBackground(body, true);
      Response r = c.read();
      IOException sendError = c.awaitSend(sent);
      System.out.printf(
          "chunked upload: %s after %d ms, body send %s%n",
          r.summary(),
          (System.nanoTime() - start) / 1_000_000,
          sendError == null ? "complete" : "failed: " + sendError);
      assertThat(r.statusLine).as(r.summary()).startsWith("HTTP/1.1 200");
      assertThat(r.body).isEqualTo(expectedAnswer);
      assertThat(sendError).as("writing the body").isNull();
      assertSecondRequestAnswered(c);
    }
  }

  /** An ordinary GET on the connection that carried the upload is answered by the backend. */
  static void assertSecondRequestAnswered(Conn c) throws Exception {
    Response second;
    try {
      c.write("GET /services/catalog/items/7 HTTP/1.1\r\nHost: app.test\r\n\r\n");
      second = c.read();
    } catch (IOException e) {
      throw new AssertionError("the connection did not carry a second request: " + e, e);
    }
    System.out.printf("second request: %s%n", second.summary());
    assertThat(second.statusLine).as(second.summary()).startsWith("HTTP/1.1 200");
    assertThat(second.body).startsWith("uploads GET /items/7\n");
  }

  /** A response: status line, lower-case headers as read, body as text. */
  static final class Response {
    final String statusLine;
    final String head;
    final String body;

    Response(String statusLine, String head, String body) {
      this.statusLine = statusLine;
      this.head = head;
      this.body = body;
    }

    String summary() {
      String b = body.length() > 300 ? body.substring(0, 300) + "..." : body;
      return "[" + head.strip().replace("\r\n", " | ") + "] body: " + b;
    }
  }

  /** One client connection over a raw socket; reads one response at a time. */
  static final class Conn implements AutoCloseable {
    final Socket socket;
    final InputStream in;
    final OutputStream out;

    Conn(int port) throws IOException {
      socket = new Socket();
      socket.connect(new InetSocketAddress("127.0.0.1", port), 5000);
      socket.setSoTimeout(TIMEOUT_MS);
      in = new BufferedInputStream(socket.getInputStream());
      out = socket.getOutputStream();
    }

    void write(String text) throws IOException {
      out.write(text.getBytes(StandardCharsets.ISO_8859_1));
      out.flush();
    }

    /**
     * Writes {@code data} (as chunks of {@value #CHUNK_BYTES} with the last chunk when {@code
     * chunked}) on another thread, so an answer that comes before the body is read is seen.
     */
    CompletableFuture<Void> writeInBackground(byte[] data, boolean chunked) {
      return CompletableFuture.runAsync(
          () -> {
            try {
              for (int off = 0; off < data.length; off += CHUNK_BYTES) {
                int n = Math.min(CHUNK_BYTES, data.length - off);
                if (chunked) {
                  out.write(
                      (Integer.toHexString(n) + "\r\n").getBytes(StandardCharsets.ISO_8859_1));
                }
                out.write(data, off, n);
                if (chunked) {
                  out.write(new byte[] {'\r', '\n'});
                }
              }
              if (chunked) {
                out.write("0\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
              }
              out.flush();
            } catch (IOException e) {
              throw new java.io.UncheckedIOException(e);
            }
          });
    }

    /** Waits for a background write; its error, or null. Closes the socket if it hangs. */
    IOException awaitSend(CompletableFuture<Void> sent) throws Exception {
      try {
        sent.get(TIMEOUT_MS, TimeUnit.MILLISECONDS);
        return null;
      } catch (java.util.concurrent.TimeoutException e) {
        socket.close();
        return new IOException("body not accepted within " + TIMEOUT_MS + " ms");
      } catch (java.util.concurrent.ExecutionException e) {
        Throwable cause = e.getCause();
        return cause instanceof java.io.UncheckedIOException
            ? ((java.io.UncheckedIOException) cause).getCause()
            : new IOException(cause);
      }
    }

    /** Reads one response (an interim 1xx has no body). */
    Response read() throws IOException {
      String statusLine = line();
      if (statusLine == null) {
        throw new IOException("connection closed before a response");
      }
      StringBuilder head = new StringBuilder(statusLine).append("\r\n");
      long contentLength = -1;
      boolean chunked = false;
      for (String l; (l = line()) != null && !l.isEmpty(); ) {
        head.append(l).append("\r\n");
        int colon = l.indexOf(':');
        String name = l.substring(0, Math.max(colon, 0)).trim().toLowerCase(Locale.ROOT);
        String value = l.substring(colon + 1).trim();
        if (name.equals("content-length")) {
          contentLength = Long.parseLong(value);
        } else if (name.equals("transfer-encoding")) {
          chunked = value.equalsIgnoreCase("chunked");
        }
      }
      int status = Integer.parseInt(statusLine.split(" ")[1]);
      ByteArrayOutputStream b = new ByteArrayOutputStream();
      if (status / 100 == 1 || status == 204 || status == 304) {
        // no body
      } else if (chunked) {
        while (true) {
          int size = Integer.parseInt(line().split(";")[0].trim(), 16);
          if (size == 0) {
            for (String l; (l = line()) != null && !l.isEmpty(); ) {}
            break;
          }
          b.write(in.readNBytes(size));
          line();
        }
      } else if (contentLength >= 0) {
        b.write(in.readNBytes((int) contentLength));
      } else {
        b.write(in.readAllBytes());
      }
      return new Response(statusLine, head.toString(), b.toString(StandardCharsets.UTF_8));
    }

    private String line() throws IOException {
      ByteArrayOutputStream b = new ByteArrayOutputStream();
      for (int c; (c = in.read()) != -1; ) {
        if (c == '\n') {
          String s = b.toString(StandardCharsets.ISO_8859_1);
          return s.endsWith("\r") ? s.substring(0, s.length() - 1) : s;
        }
        b.write(c);
      }
      return b.size() == 0 ? null : b.toString(StandardCharsets.ISO_8859_1);
    }

    @Override
    public void close() throws IOException {
      socket.close();
    }
  }
}
