package dev.whaleray.router.undertow;

import static org.assertj.core.api.Assertions.assertThat;

import dev.whaleray.router.Endpoint;
import dev.whaleray.router.undertow.testing.RawHttp;
import dev.whaleray.router.undertow.testing.RecordingBackend;
import dev.whaleray.router.undertow.testing.TestDiscovery;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The hostile-input suite: raw requests across framing, request targets, headers, paths, versions
 * and methods, each checked for the client's answer, what happens to the connection, and the exact
 * bytes a recording backend received. The README's "HTTP/1.1 request policy" table is generated
 * from these cases ({@code -Dwhaleray.writeReadme=true} rewrites it; the build fails when it is out
 * of date).
 */
class HostileInputIT {
  static RecordingBackend backend;
  static TestDiscovery discovery;
  static RouterHandler handler;
  static RouterServer server;

  @BeforeAll
  static void start() throws Exception {
    backend = new RecordingBackend();
    discovery = new TestDiscovery().set("demo", List.of(Endpoint.parse(backend.address())));
    handler =
        RouterHandler.builder()
            .discovery(discovery)
            .responseTimeout(Duration.ofSeconds(5))
            .retries(0)
            .build();
    server = RouterServer.builder(handler).host("127.0.0.1").port(0).start();
  }

  @AfterAll
  static void stop() throws IOException {
    server.close();
    handler.close();
    discovery.close();
    backend.close();
  }

  /** What happens to the client connection after the answer. */
  enum Fate {
    /** Still open: a second request on it is answered. */
    KEPT("kept"),
    /** Closed after the answer. */
    CLOSED("closed"),
    /** Closed without any answer. */
    CUT("closed, no answer");

    final String text;

    Fate(String text) {
      this.text = text;
    }
  }

  /** One hostile (or control) request and everything expected of it. */
  static final class Case {
    final String category;
    final String name;
    final String request;
    int status;
    Fate fate = Fate.KEPT;

    /** -1: no request at all; 0: some bytes maybe, but no complete request; n: n requests. */
    int backendRequests = -1;

    final List<String> sees = new ArrayList<>();
    final List<String> notSees = new ArrayList<>();
    String backendText = "nothing";
    boolean parser;

    Case(String category, String name, String request) {
      this.category = category;
      this.name = name;
      this.request = request;
    }

    Case answers(int status) {
      this.status = status;
      return this;
    }

    Case closes() {
      this.fate = Fate.CLOSED;
      return this;
    }

    /** Refused by Undertow's request parser: 400, a reason phrase but no JSON body, closed. */
    Case parser() {
      this.status = 400;
      this.fate = Fate.CLOSED;
      this.parser = true;
      return backendNothing();
    }

    Case cut() {
      this.fate = Fate.CUT;
      return this;
    }

    /** The backend receives no byte at all. */
    Case backendNothing() {
      backendRequests = -1;
      backendText = "nothing";
      return this;
    }

    /** The backend receives exactly one request holding each of {@code parts}. */
    Case forwards(String described, String... parts) {
      backendRequests = 1;
      backendText = described;
      sees.addAll(List.of(parts));
      return this;
    }

    Case forwardsTwo(String described, String... parts) {
      forwards(described, parts);
      backendRequests = 2;
      return this;
    }

    Case without(String... parts) {
      notSees.addAll(List.of(parts));
      return this;
    }

    @Override
    public String toString() {
      return category + ": " + name;
    }
  }

  static final String H = "Host: router.test\r\n";

  static String get(String target) {
    return "GET " + target + " HTTP/1.1\r\n" + H + "\r\n";
  }

  static String post(String headers, String body) {
    return "POST /services/demo/up HTTP/1.1\r\n" + H + headers + "\r\n" + body;
  }

  static String chunked(String body) {
    return post("Transfer-Encoding: chunked\r\n", body);
  }

  static Case c(String category, String name, String request) {
    return new Case(category, name, request);
  }

  static List<Case> cases() {
    List<Case> all = new ArrayList<>();
    // ---- framing: Content-Length
    all.add(
        c("framing", "Content-Length: 5 and 5 bytes", post("Content-Length: 5\r\n", "hello"))
            .answers(200)
            .forwards(
                "the request, `Content-Length: 5`", "Content-Length: 5\r\n", "\r\n\r\nhello"));
    all.add(
        c("framing", "Content-Length: 0", post("Content-Length: 0\r\n", ""))
            .answers(200)
            .forwards("the request, no body", "POST /up HTTP/1.1"));
    all.add(
        c(
                "framing",
                "Content-Length: 2^64 + 10 (wraps to 10 in a 64-bit reader)",
                post("Content-Length: 18446744073709551626\r\n", "helloworld"))
            .answers(400)
            .closes()
            .backendNothing());
    all.add(
        c(
                "framing",
                "Content-Length: 2^64",
                post("Content-Length: 18446744073709551616\r\n", "hello"))
            .answers(400)
            .closes()
            .backendNothing());
    all.add(
        c(
                "framing",
                "Content-Length: 2^63 (past Long.MAX_VALUE)",
                post("Content-Length: 9223372036854775808\r\n", "hello"))
            .parser());
    all.add(
        c(
                "framing",
                "Content-Length of 19 digits or more",
                post("Content-Length: 1000000000000000000\r\n", "hello"))
            .answers(400)
            .closes()
            .backendNothing());
    all.add(
        c(
                "framing",
                "Content-Length with leading zeros (`005`)",
                post("Content-Length: 005\r\n", "hello"))
            .answers(400)
            .closes()
            .backendNothing());
    all.add(c("framing", "Content-Length: -1", post("Content-Length: -1\r\n", "hello")).parser());
    all.add(c("framing", "Content-Length: +5", post("Content-Length: +5\r\n", "hello")).parser());
    all.add(c("framing", "Content-Length: 0x5", post("Content-Length: 0x5\r\n", "hello")).parser());
    all.add(
        c("framing", "Content-Length as a list (`5, 5`)", post("Content-Length: 5, 5\r\n", "hello"))
            .parser());
    all.add(
        c(
                "framing",
                "Content-Length with inner space (`5 5`)",
                post("Content-Length: 5 5\r\n", "hello"))
            .parser());
    all.add(
        c(
                "framing",
                "two Content-Length headers, equal",
                post("Content-Length: 5\r\nContent-Length: 5\r\n", "hello"))
            .parser());
    all.add(
        c(
                "framing",
                "two Content-Length headers, different",
                post("Content-Length: 5\r\nContent-Length: 6\r\n", "hello!"))
            .parser());
    all.add(c("framing", "Content-Length empty", post("Content-Length: \r\n", "hello")).parser());
    all.add(
        c(
                "framing",
                "a request pipelined behind a Content-Length body",
                post("Content-Length: 5\r\n", "hello") + get("/services/demo/second"))
            .answers(200)
            .forwardsTwo("both requests, each framed", "\r\n\r\nhello", "GET /second HTTP/1.1"));
    all.add(
        c(
                "framing",
                "`Content-Length: 0` with a request in the body (smuggling attempt)",
                post("Content-Length: 0\r\n", "") + get("/services/demo/smuggled"))
            .answers(200)
            .forwardsTwo("two separate requests, as the router framed them", "GET /smuggled"));

    // ---- framing: Transfer-Encoding
    all.add(
        c("framing", "chunked body", chunked("5\r\nhello\r\n0\r\n\r\n"))
            .answers(200)
            .forwards("the body `hello`", "hello"));
    all.add(
        c(
                "framing",
                "chunked, upper case `Chunked`",
                post("Transfer-Encoding: Chunked\r\n", "5\r\nhello\r\n0\r\n\r\n"))
            .answers(200)
            .forwards("the body `hello`", "hello"));
    all.add(
        c(
                "framing",
                "chunk extension (`5;name=value`)",
                chunked("5;name=value\r\nhello\r\n0\r\n\r\n"))
            .answers(200)
            .forwards("the body, without the extension", "hello")
            .without("name=value"));
    all.add(
        c("framing", "chunk size with whitespace before `;`", chunked("5 ;x\r\nhello\r\n0\r\n\r\n"))
            .answers(200)
            .forwards("the body", "hello"));
    all.add(
        c("framing", "trailer fields", chunked("5\r\nhello\r\n0\r\nX-Trailer: 1\r\n\r\n"))
            .answers(200)
            .forwards("the body, without the trailer", "hello")
            .without("X-Trailer"));
    all.add(
        c(
                "framing",
                "a request pipelined behind a chunked body",
                chunked("5\r\nhello\r\n0\r\n\r\n") + get("/services/demo/second"))
            .answers(200)
            .forwardsTwo("both requests", "hello", "GET /second HTTP/1.1"));
    all.add(
        c(
                "framing",
                "chunk data not followed by CRLF (`3\\r\\nhelXX`)",
                chunked("3\r\nhelXX\r\n0\r\n\r\n"))
            .answers(400)
            .closes()
            .backendNothing());
    all.add(
        c("framing", "chunk data followed by a bare LF", chunked("5\r\nhello\n0\r\n\r\n"))
            .answers(400)
            .closes()
            .backendNothing());
    all.add(
        c("framing", "chunk size line ended by a bare LF", chunked("5\nhello\r\n0\r\n\r\n"))
            .answers(400)
            .closes()
            .backendNothing());
    all.add(
        c("framing", "chunk size not hex (`zz`)", chunked("zz\r\nhello\r\n0\r\n\r\n"))
            .answers(400)
            .closes()
            .backendNothing());
    all.add(
        c("framing", "negative chunk size (`-5`)", chunked("-5\r\nhello\r\n0\r\n\r\n"))
            .answers(400)
            .closes()
            .backendNothing());
    all.add(
        c(
                "framing",
                "chunk size past 2^64 (`fffffffffffffffff1`)",
                chunked("fffffffffffffffff1\r\nhello\r\n0\r\n\r\n"))
            .answers(400)
            .closes()
            .backendNothing());
    all.add(
        c("framing", "chunk size with `0x` prefix", chunked("0x5\r\nhello\r\n0\r\n\r\n"))
            .answers(400)
            .closes()
            .backendNothing());
    all.add(
        c("framing", "empty chunk size line", chunked("\r\nhello\r\n0\r\n\r\n"))
            .answers(400)
            .closes()
            .backendNothing());
    all.add(
        c(
                "framing",
                "chunk size with trailing space and no extension",
                chunked("5 \r\nhello\r\n0\r\n\r\n"))
            .answers(400)
            .closes()
            .backendNothing());
    all.add(
        c("framing", "chunk size with a leading space", chunked(" 5\r\nhello\r\n0\r\n\r\n"))
            .answers(400)
            .closes()
            .backendNothing());
    all.add(
        c(
                "framing",
                "chunk size too long (16 hex digits)",
                chunked("0000000000000005\r\nhello\r\n0\r\n\r\n"))
            .answers(400)
            .closes()
            .backendNothing());
    all.add(
        c(
                "framing",
                "control byte in a chunk extension",
                chunked("5;a\u0001b\r\nhello\r\n0\r\n\r\n"))
            .answers(400)
            .closes()
            .backendNothing());
    all.add(
        c("framing", "last chunk ended by a bare LF", chunked("5\r\nhello\r\n0\r\n\n"))
            .answers(400)
            .closes()
            .backendNothing());
    all.add(
        c("framing", "bare LF in a trailer field", chunked("5\r\nhello\r\n0\r\nX-T: 1\n\r\n"))
            .answers(400)
            .closes()
            .backendNothing());
    all.add(
        c(
                "framing",
                "`Transfer-Encoding: chunked` and `Content-Length`",
                post(
                    "Transfer-Encoding: chunked\r\nContent-Length: 5\r\n",
                    "5\r\nhello\r\n0\r\n\r\n"))
            .parser());
    all.add(
        c(
                "framing",
                "`Transfer-Encoding: xchunked`",
                post("Transfer-Encoding: xchunked\r\n", "5\r\nhello\r\n0\r\n\r\n"))
            .answers(501)
            .closes()
            .backendNothing());
    all.add(
        c(
                "framing",
                "`Transfer-Encoding: gzip, chunked`",
                post("Transfer-Encoding: gzip, chunked\r\n", "5\r\nhello\r\n0\r\n\r\n"))
            .answers(501)
            .closes()
            .backendNothing());
    all.add(
        c(
                "framing",
                "`Transfer-Encoding: chunked, identity`",
                post("Transfer-Encoding: chunked, identity\r\n", "5\r\nhello\r\n0\r\n\r\n"))
            .answers(501)
            .closes()
            .backendNothing());
    all.add(
        c(
                "framing",
                "two `Transfer-Encoding: chunked` headers",
                post(
                    "Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n",
                    "5\r\nhello\r\n0\r\n\r\n"))
            .parser());
    all.add(
        c(
                "framing",
                "`Transfer-Encoding` in an HTTP/1.0 request",
                "POST /services/demo/up HTTP/1.0\r\n"
                    + H
                    + "Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n")
            .parser());

    // ---- request line and target forms
    all.add(
        c(
                "target",
                "absolute-form with another Host (`GET http://evil.example/services/demo/x`, `Host: demo`)",
                "GET http://evil.example/services/demo/x HTTP/1.1\r\nHost: demo\r\n\r\n")
            .answers(200)
            .forwards(
                "`GET /x`, `X-Forwarded-Host: evil.example`",
                "GET /x HTTP/1.1",
                "X-Forwarded-Host: evil.example\r\n")
            .without("X-Forwarded-Host: demo"));
    all.add(
        c(
                "target",
                "absolute-form, scheme not http(s)",
                "GET ftp://evil.example/services/demo/x HTTP/1.1\r\n" + H + "\r\n")
            .parser());
    all.add(
        c(
                "target",
                "absolute-form with userinfo (`http://user@evil.example/...`)",
                "GET http://user@evil.example/services/demo/x HTTP/1.1\r\n" + H + "\r\n")
            .parser());
    all.add(
        c("target", "asterisk-form (`OPTIONS *`)", "OPTIONS * HTTP/1.1\r\n" + H + "\r\n")
            .answers(404)
            .backendNothing());
    all.add(
        c(
                "target",
                "authority-form (`CONNECT example.com:443`)",
                "CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n")
            .answers(405)
            .closes()
            .backendNothing());
    all.add(
        c("target", "request target over 8 KiB", get("/services/demo/" + "a".repeat(9000)))
            .answers(414)
            .closes()
            .backendNothing());
    all.add(c("target", "raw control byte in the target", get("/services/demo/a\u0001b")).parser());
    all.add(
        c("target", "raw byte over 0x7f in the target", get("/services/demo/caf\u00e9")).parser());
    all.add(c("target", "fragment in the target (`#frag`)", get("/services/demo/a#frag")).parser());
    all.add(
        c(
                "target",
                "two spaces after the method",
                "GET  /services/demo/x HTTP/1.1\r\n" + H + "\r\n")
            .parser());
    all.add(
        c("target", "tab instead of a space", "GET\t/services/demo/x HTTP/1.1\r\n" + H + "\r\n")
            .parser());
    all.add(
        c("target", "query kept as sent (`?a=../b&c=%00`)", get("/services/demo/x?a=../b&c=%00"))
            .answers(200)
            .forwards("`GET /x?a=../b&c=%00`", "GET /x?a=../b&c=%00 HTTP/1.1"));

    // ---- versions and methods
    all.add(
        c(
                "version",
                "HTTP/1.0 without keep-alive",
                "GET /services/demo/x HTTP/1.0\r\n" + H + "\r\n")
            .answers(200)
            .closes()
            .forwards("`GET /x HTTP/1.1`", "GET /x HTTP/1.1"));
    all.add(
        c(
                "version",
                "HTTP/1.0 with `Connection: keep-alive`",
                "GET /services/demo/x HTTP/1.0\r\n" + H + "Connection: keep-alive\r\n\r\n")
            .answers(200)
            .forwards("`GET /x HTTP/1.1`", "GET /x HTTP/1.1"));
    all.add(
        c(
                "version",
                "HTTP/1.1 with `Connection: close`",
                "GET /services/demo/x HTTP/1.1\r\n" + H + "Connection: close\r\n\r\n")
            .answers(200)
            .closes()
            .forwards("`GET /x HTTP/1.1`", "GET /x HTTP/1.1"));
    all.add(
        c(
                "version",
                "`HTTP/2.0` in an HTTP/1 request line",
                "GET /services/demo/x HTTP/2.0\r\n" + H + "\r\n")
            .parser());
    all.add(
        c(
                "version",
                "`HTTP/1.2` (a higher minor version)",
                "GET /services/demo/x HTTP/1.2\r\n" + H + "\r\n")
            .answers(200)
            .forwards("`GET /x HTTP/1.1` (read as HTTP/1.1, as Undertow does)", "GET /x HTTP/1.1"));
    all.add(
        c(
                "version",
                "`HTTP/3.0` (an unknown major version)",
                "GET /services/demo/x HTTP/3.0\r\n" + H + "\r\n")
            .answers(200)
            .forwards("`GET /x HTTP/1.1` (read as HTTP/1.1, as Undertow does)", "GET /x HTTP/1.1"));
    all.add(
        c("version", "lower-case `http/1.1`", "GET /services/demo/x http/1.1\r\n" + H + "\r\n")
            .parser());
    all.add(
        c("version", "HTTP/0.9 request line (no version)", "GET /services/demo/x\r\n\r\n")
            .parser());
    all.add(
        c("method", "`TRACE`", "TRACE /services/demo/x HTTP/1.1\r\n" + H + "\r\n")
            .answers(405)
            .backendNothing());
    all.add(
        c(
                "method",
                "extension method (`PURGE`)",
                "PURGE /services/demo/x HTTP/1.1\r\n" + H + "\r\n")
            .answers(200)
            .forwards("`PURGE /x`", "PURGE /x HTTP/1.1"));
    all.add(
        c(
                "method",
                "method with a non-token byte (`G(T`)",
                "G(T /services/demo/x HTTP/1.1\r\n" + H + "\r\n")
            .parser());

    // ---- headers
    all.add(
        c("header", "missing Host in HTTP/1.1", "GET /services/demo/x HTTP/1.1\r\n\r\n").parser());
    all.add(
        c("header", "missing Host in HTTP/1.0", "GET /services/demo/x HTTP/1.0\r\n\r\n")
            .answers(200)
            .closes()
            .forwards("`GET /x`", "GET /x HTTP/1.1"));
    all.add(
        c(
                "header",
                "two Host headers",
                "GET /services/demo/x HTTP/1.1\r\n" + H + "Host: other\r\n\r\n")
            .parser());
    all.add(
        c("header", "empty Host", "GET /services/demo/x HTTP/1.1\r\nHost: \r\n\r\n")
            .answers(400)
            .closes()
            .backendNothing());
    all.add(
        c(
                "header",
                "Host with userinfo (`a@b`)",
                "GET /services/demo/x HTTP/1.1\r\nHost: a@b\r\n\r\n")
            .parser());
    all.add(
        c(
                "header",
                "Host with a port past 65535",
                "GET /services/demo/x HTTP/1.1\r\nHost: a:99999\r\n\r\n")
            .parser());
    all.add(
        c(
                "header",
                "Host with a path (`a/b`)",
                "GET /services/demo/x HTTP/1.1\r\nHost: a/b\r\n\r\n")
            .parser());
    all.add(
        c(
                "header",
                "Host as an IPv6 literal (`[::1]:8080`)",
                "GET /services/demo/x HTTP/1.1\r\nHost: [::1]:8080\r\n\r\n")
            .answers(200)
            .forwards(
                "`GET /x`, `X-Forwarded-Host: [::1]:8080`", "X-Forwarded-Host: [::1]:8080\r\n"));
    all.add(
        c(
                "header",
                "control byte (0x01) in a value",
                "GET /services/demo/x HTTP/1.1\r\n" + H + "X-A: a\u0001b\r\n\r\n")
            .parser());
    all.add(
        c(
                "header",
                "NUL in a value",
                "GET /services/demo/x HTTP/1.1\r\n" + H + "X-A: a\u0000b\r\n\r\n")
            .parser());
    all.add(
        c(
                "header",
                "bare CR in a value",
                "GET /services/demo/x HTTP/1.1\r\n" + H + "X-A: a\rb\r\n\r\n")
            .parser());
    all.add(
        c(
                "header",
                "obs-fold (a value continued on the next line)",
                "GET /services/demo/x HTTP/1.1\r\n" + H + "X-A: a\r\n b\r\n\r\n")
            .answers(200)
            .forwards("`X-A: a b` (the fold replaced by a space, RFC 9112 5.2)", "X-A: a b\r\n"));
    all.add(
        c(
                "header",
                "whitespace before the colon (`Host : x`)",
                "GET /services/demo/x HTTP/1.1\r\nHost : x\r\n\r\n")
            .parser());
    all.add(
        c(
                "header",
                "whitespace before the colon of Content-Length",
                post("Content-Length : 5\r\n", "hello"))
            .parser());
    all.add(
        c(
                "header",
                "non-token byte in a name (`X(A)`)",
                "GET /services/demo/x HTTP/1.1\r\n" + H + "X(A): b\r\n\r\n")
            .parser());
    all.add(
        c(
                "header",
                "a line without a colon",
                "GET /services/demo/x HTTP/1.1\r\n" + H + "NoColon\r\n\r\n")
            .parser());
    all.add(
        c("header", "empty name (`: x`)", "GET /services/demo/x HTTP/1.1\r\n" + H + ": x\r\n\r\n")
            .parser());
    all.add(
        c(
                "header",
                "headers over 32 KiB",
                "GET /services/demo/x HTTP/1.1\r\n"
                    + H
                    + "X-Big: "
                    + "b".repeat(33 * 1024)
                    + "\r\n\r\n")
            .answers(431)
            .closes()
            .backendNothing());
    all.add(
        c(
                "header",
                "head over 64 KiB",
                "GET /services/demo/x HTTP/1.1\r\n"
                    + H
                    + ("X-B: " + "b".repeat(8000) + "\r\n").repeat(9)
                    + "\r\n")
            .parser());
    all.add(
        c(
                "header",
                "header named in `Connection` (`Connection: X-Secret`)",
                "GET /services/demo/x HTTP/1.1\r\n"
                    + H
                    + "Connection: X-Secret\r\nX-Secret: 1\r\n\r\n")
            .answers(200)
            .forwards("`GET /x` without `X-Secret`", "GET /x HTTP/1.1")
            .without("X-Secret"));
    all.add(
        c(
                "header",
                "obs-text (bytes over 0x7f) in a value",
                "GET /services/demo/x HTTP/1.1\r\n" + H + "X-A: caf\u00e9\r\n\r\n")
            .answers(200)
            .forwards("`X-A` as sent", "X-A: caf\u00e9\r\n"));

    // ---- paths
    all.add(
        c("path", "dot segments inside the service (`/a/../b`)", get("/services/demo/a/../b"))
            .answers(200)
            .forwards("`GET /b`", "GET /b HTTP/1.1"));
    all.add(
        c("path", "`/a/./b/.`", get("/services/demo/a/./b/."))
            .answers(200)
            .forwards("`GET /a/b/`", "GET /a/b/ HTTP/1.1"));
    all.add(
        c("path", "encoded dots (`/a/%2e%2e/b`)", get("/services/demo/a/%2e%2e/b"))
            .answers(200)
            .forwards("`GET /b`", "GET /b HTTP/1.1"));
    all.add(
        c("path", "mixed encoded dots (`/a/.%2E/b`)", get("/services/demo/a/.%2E/b"))
            .answers(200)
            .forwards("`GET /b`", "GET /b HTTP/1.1"));
    all.add(
        c(
                "path",
                "climbing above the service (`/a/../../etc/passwd`)",
                get("/services/demo/a/../../etc/passwd"))
            .answers(400)
            .backendNothing());
    all.add(
        c("path", "climbing with encoded dots (`/%2e%2e/x`)", get("/services/demo/%2e%2e/x"))
            .answers(400)
            .backendNothing());
    all.add(
        c(
                "path",
                "dot segment behind an encoded slash (`/..%2f..%2fetc`)",
                get("/services/demo/..%2f..%2fetc"))
            .answers(400)
            .backendNothing());
    all.add(
        c(
                "path",
                "dot segment between encoded slashes (`/a%2f..%2fb`)",
                get("/services/demo/a%2f..%2fb"))
            .answers(400)
            .backendNothing());
    all.add(
        c(
                "path",
                "dot segment behind an encoded backslash (`/..%5cx`)",
                get("/services/demo/..%5cx"))
            .answers(400)
            .backendNothing());
    all.add(
        c("path", "`%00` in the path", get("/services/demo/a%00b")).answers(400).backendNothing());
    all.add(
        c("path", "encoded LF (`%0a`) in the path", get("/services/demo/a%0ab"))
            .answers(400)
            .backendNothing());
    all.add(
        c("path", "encoded DEL (`%7f`) in the path", get("/services/demo/a%7fb"))
            .answers(400)
            .backendNothing());
    all.add(c("path", "malformed escape (`%zz`)", get("/services/demo/a%zzb")).parser());
    all.add(c("path", "truncated escape at the end (`%2`)", get("/services/demo/a%2")).parser());
    all.add(
        c("path", "encoded slash kept (`/a%2Fb`)", get("/services/demo/a%2Fb"))
            .answers(200)
            .forwards("`GET /a%2Fb`", "GET /a%2Fb HTTP/1.1"));
    all.add(
        c("path", "double-encoded dots kept (`/%252e%252e/x`)", get("/services/demo/%252e%252e/x"))
            .answers(200)
            .forwards("`GET /%252e%252e/x`", "GET /%252e%252e/x HTTP/1.1"));
    all.add(
        c("path", "empty segments kept (`//a`)", get("/services/demo//a"))
            .answers(200)
            .forwards("`GET //a`", "GET //a HTTP/1.1"));
    all.add(
        c("path", "three dots are a name (`/.../x`)", get("/services/demo/.../x"))
            .answers(200)
            .forwards("`GET /.../x`", "GET /.../x HTTP/1.1"));
    all.add(
        c("path", "`..` as the service id", get("/services/../x")).answers(400).backendNothing());
    all.add(
        c("path", "`%2e%2e` as the service id", get("/services/%2e%2e/x"))
            .answers(400)
            .backendNothing());
    all.add(
        c("path", "no rest after the service (`/services/demo`)", get("/services/demo"))
            .answers(200)
            .forwards("`GET /`", "GET / HTTP/1.1"));
    all.add(
        c("path", "rest that climbs to the service root only (`/a/..`)", get("/services/demo/a/.."))
            .answers(200)
            .forwards("`GET /`", "GET / HTTP/1.1"));
    all.add(
        c("path", "dot segment with parameters (`/a/..;/b`)", get("/services/demo/a/..;/b"))
            .answers(400)
            .backendNothing());
    all.add(
        c("path", "escaped unreserved letters decoded (`/%61%62`)", get("/services/demo/%61%62"))
            .answers(200)
            .forwards("`GET /ab`", "GET /ab HTTP/1.1"));
    all.add(
        c(
                "path",
                "`..` from outside into the route's prefix (`/x/../services/demo/a`)",
                get("/x/../services/demo/a"))
            .answers(400)
            .backendNothing());
    all.add(
        c(
                "header",
                "`Expect: 100-continue` (answered by the router, not passed on)",
                "POST /services/demo/up HTTP/1.1\r\n"
                    + H
                    + "Expect: 100-continue\r\nContent-Length: 5\r\n\r\nhello")
            .answers(100)
            .forwards("the body `hello`, no `Expect`", "\r\n\r\nhello")
            .without("Expect", "expect"));
    return all;
  }

  static Stream<Case> suite() {
    return cases().stream();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("suite")
  void hostileInput(Case c) throws Exception {
    backend.reset();
    try (RawHttp http = new RawHttp(server.port())) {
      RawHttp.Response r = null;
      if (c.fate == Fate.CUT) {
        http.write(c.request);
        assertThat(http.closedByPeer()).as("closed without an answer").isTrue();
      } else {
        r = http.send(c.request);
        assertThat(r.status).as("status; body %s", r.body).isEqualTo(c.status);
        if (r.status == 100) {
          r = http.read();
          assertThat(r.status).as("final status after 100").isEqualTo(200);
        }
        if (c.status >= 400 && c.backendRequests < 0 && !c.parser) {
          assertThat(r.header("content-type")).isEqualTo("application/json");
        }
      }
      if (c.backendRequests == 2) {
        RawHttp.Response second = http.read();
        assertThat(second.status).as("second response").isEqualTo(200);
      }
      if (c.fate == Fate.CLOSED) {
        assertThat(http.closedByPeer()).as("connection closed after the answer").isTrue();
      } else if (c.fate == Fate.KEPT) {
        RawHttp.Response next = http.send("GET /health HTTP/1.1\r\n" + H + "\r\n");
        assertThat(next.status).as("a second request on the same connection").isEqualTo(200);
      }
    }
    if (c.backendRequests > 0) {
      long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
      while (backend.requests() < c.backendRequests && System.nanoTime() < deadline) {
        Thread.sleep(5);
      }
      assertThat(backend.requests()).as("requests at the backend").isEqualTo(c.backendRequests);
      String got = backend.received();
      for (String part : c.sees) {
        assertThat(got).as("backend received").contains(part);
      }
      for (String part : c.notSees) {
        assertThat(got).as("backend received").doesNotContain(part);
      }
    } else {
      Thread.sleep(50); // anything forwarded by mistake has long arrived on loopback
      assertThat(backend.received()).as("bytes at the backend").isEmpty();
    }
  }

  @Test
  void theSuiteIsLargeAndEveryCaseIsDistinct() {
    List<Case> all = cases();
    assertThat(all).hasSizeGreaterThanOrEqualTo(80);
    assertThat(all.stream().map(c -> c.request).distinct().count()).isEqualTo(all.size());
  }

  static final String BEGIN = "<!-- request-policy:begin (generated by HostileInputIT) -->";
  static final String END = "<!-- request-policy:end -->";

  /** The README table, from the cases. */
  static String table() {
    StringBuilder sb = new StringBuilder();
    sb.append("| kind | request | answer | connection | the backend gets |\n");
    sb.append("|---|---|---|---|---|\n");
    for (Case c : cases()) {
      sb.append("| ")
          .append(c.category)
          .append(" | ")
          .append(c.name.replace("|", "\\|"))
          .append(" | ")
          .append(
              c.fate == Fate.CUT
                  ? "none"
                  : c.status == 100 ? "100, then 200" : c.status + (c.parser ? " (parser)" : ""))
          .append(" | ")
          .append(c.fate.text)
          .append(" | ")
          .append(c.backendText.replace("|", "\\|"))
          .append(" |\n");
    }
    return sb.toString();
  }

  @Test
  void theReadmeTableMatchesTheSuite() throws IOException {
    Path readme = Path.of("..", "README.md");
    String text = Files.readString(readme, StandardCharsets.UTF_8);
    int begin = text.indexOf(BEGIN);
    int end = text.indexOf(END);
    String expected = BEGIN + "\n" + table() + END;
    if (Boolean.getBoolean("whaleray.writeReadme")) {
      assertThat(begin).as("README markers").isGreaterThanOrEqualTo(0);
      Files.writeString(
          readme,
          text.substring(0, begin) + expected + text.substring(end + END.length()),
          StandardCharsets.UTF_8);
      return;
    }
    assertThat(begin).as("README holds the request-policy table markers").isGreaterThanOrEqualTo(0);
    assertThat(text.substring(begin, end + END.length()))
        .as(
            "README table (regenerate: ./mvnw -pl router-undertow verify -Dit.test=HostileInputIT -Dwhaleray.writeReadme=true)")
        .isEqualTo(expected);
  }
}
