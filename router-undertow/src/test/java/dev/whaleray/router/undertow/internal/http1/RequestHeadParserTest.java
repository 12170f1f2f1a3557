package dev.whaleray.router.undertow.internal.http1;

import static dev.whaleray.router.undertow.internal.http1.RequestHeadParser.COMPLETE;
import static dev.whaleray.router.undertow.internal.http1.RequestHeadParser.NEED_MORE;
import static dev.whaleray.router.undertow.internal.http1.RequestHeadParser.OUTSIDE;
import static org.assertj.core.api.Assertions.assertThat;

import io.undertow.util.HeaderMap;
import io.undertow.util.Headers;
import io.undertow.util.HttpString;
import io.undertow.util.Methods;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class RequestHeadParserTest {

  private static final String HEAD =
      "GET /services/demo/a?x=1&y=/z?w HTTP/1.1\r\nHost: example.com:8080\r\n"
          + "User-Agent: curl/8.5.0\r\nAccept: */*\r\n\r\n";

  private static ByteBuffer direct(String s) {
    byte[] b = s.getBytes(StandardCharsets.ISO_8859_1);
    ByteBuffer buf = ByteBuffer.allocateDirect(b.length + 16);
    buf.put(b).flip();
    return buf;
  }

  private static ByteBuffer heap(String s) {
    return ByteBuffer.wrap(s.getBytes(StandardCharsets.ISO_8859_1));
  }

  private static RequestHeadParser parser() {
    return new RequestHeadParser(8192, 100);
  }

  /** A head of the subset with {@code header} added after Host. */
  private static String with(String header) {
    return "GET / HTTP/1.1\r\nHost: example.com\r\n" + header + "\r\n\r\n";
  }

  @Test
  void parsesATypicalGet() {
    RequestHeadParser p = parser();
    ByteBuffer b = direct(HEAD + "body");
    assertThat(p.parse(b)).isEqualTo(COMPLETE);
    assertThat(b.position()).isEqualTo(HEAD.length());
    assertThat(p.method()).isSameAs(Methods.GET);
    assertThat(p.target()).isEqualTo("/services/demo/a?x=1&y=/z?w");
    assertThat(p.headerCount()).isEqualTo(3);
    assertThat(p.name(0)).isSameAs(Headers.HOST);
    assertThat(p.value(0)).isEqualTo("example.com:8080");
    assertThat(p.name(1)).isSameAs(Headers.USER_AGENT);
    assertThat(p.value(1)).isEqualTo("curl/8.5.0");
    assertThat(p.name(2)).isSameAs(Headers.ACCEPT);
    assertThat(p.value(2)).isEqualTo("*/*");
    assertThat(p.close()).isFalse();
    HeaderMap map = new HeaderMap();
    p.addHeadersTo(map);
    assertThat(map.size()).isEqualTo(3);
    assertThat(map.getFirst(Headers.HOST)).isEqualTo("example.com:8080");
    assertThat(map.getFirst(Headers.ACCEPT)).isEqualTo("*/*");
  }

  @Test
  void parsesFromAHeapBufferAtAnOffset() {
    RequestHeadParser p = parser();
    byte[] bytes = ("xx" + HEAD).getBytes(StandardCharsets.ISO_8859_1);
    ByteBuffer b = ByteBuffer.wrap(bytes, 1, bytes.length - 1).slice();
    b.position(1);
    assertThat(p.parse(b)).isEqualTo(COMPLETE);
    assertThat(b.position()).isEqualTo(1 + HEAD.length());
    assertThat(p.target()).isEqualTo("/services/demo/a?x=1&y=/z?w");
    assertThat(p.value(1)).isEqualTo("curl/8.5.0");
  }

  @ParameterizedTest
  @ValueSource(strings = {"HEAD", "DELETE", "OPTIONS"})
  void acceptsTheOtherMethods(String method) {
    RequestHeadParser p = parser();
    assertThat(p.parse(direct(method + " /a HTTP/1.1\r\nHost: h\r\n\r\n"))).isEqualTo(COMPLETE);
    assertThat(p.method()).isSameAs(Methods.fromString(method));
    assertThat(p.headerCount()).isEqualTo(1);
  }

  @Test
  void parsesPipelinedHeadsOneAfterTheOther() {
    RequestHeadParser p = parser();
    String second =
        "HEAD /two HTTP/1.1\r\nhost: 10.0.0.1\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
    ByteBuffer b = direct(HEAD + second);
    assertThat(p.parse(b)).isEqualTo(COMPLETE);
    assertThat(p.target()).startsWith("/services");
    assertThat(b.position()).isEqualTo(HEAD.length());
    assertThat(p.parse(b)).isEqualTo(COMPLETE);
    assertThat(b.position()).isEqualTo(HEAD.length() + second.length());
    assertThat(b.hasRemaining()).isFalse();
    assertThat(p.method()).isSameAs(Methods.HEAD);
    assertThat(p.target()).isEqualTo("/two");
    assertThat(p.headerCount()).isEqualTo(3);
    assertThat(p.value(0)).isEqualTo("10.0.0.1");
    assertThat(p.name(1)).isSameAs(Headers.CONTENT_LENGTH);
    assertThat(p.value(1)).isEqualTo("0");
    assertThat(p.close()).isTrue();
    assertThat(p.parse(b)).isEqualTo(NEED_MORE);
  }

  @Test
  void everySplitNeedsMoreUntilTheLastByte() {
    byte[] bytes = HEAD.getBytes(StandardCharsets.ISO_8859_1);
    RequestHeadParser p = parser();
    ByteBuffer b = ByteBuffer.allocateDirect(bytes.length);
    b.put(bytes).position(0);
    for (int n = 0; n < bytes.length; n++) {
      b.limit(n);
      assertThat(p.parse(b)).as("after %d bytes", n).isEqualTo(NEED_MORE);
      assertThat(b.position()).isZero();
    }
    b.limit(bytes.length);
    assertThat(p.parse(b)).isEqualTo(COMPLETE);
    assertThat(b.position()).isEqualTo(bytes.length);
    assertThat(p.target()).isEqualTo("/services/demo/a?x=1&y=/z?w");
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        // request line
        "POST / HTTP/1.1\r\nHost: h\r\n\r\n",
        "get / HTTP/1.1\r\nHost: h\r\n\r\n",
        "GET / HTTP/1.0\r\nHost: h\r\n\r\n",
        "GET / HTTP/2.0\r\nHost: h\r\n\r\n",
        "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n",
        "GET  / HTTP/1.1\r\nHost: h\r\n\r\n",
        "GET / HTTP/1.1 \r\nHost: h\r\n\r\n",
        "GET http://h/ HTTP/1.1\r\nHost: h\r\n\r\n",
        "OPTIONS * HTTP/1.1\r\nHost: h\r\n\r\n",
        "GET /a%20b HTTP/1.1\r\nHost: h\r\n\r\n",
        "GET /a?q=%41 HTTP/1.1\r\nHost: h\r\n\r\n",
        "GET /a+b HTTP/1.1\r\nHost: h\r\n\r\n",
        "GET /a?b+c HTTP/1.1\r\nHost: h\r\n\r\n",
        "GET /a;b=c HTTP/1.1\r\nHost: h\r\n\r\n",
        "GET /a\\b HTTP/1.1\r\nHost: h\r\n\r\n",
        "GET /a#f HTTP/1.1\r\nHost: h\r\n\r\n",
        "GET /a|b HTTP/1.1\r\nHost: h\r\n\r\n",
        "GET /a{b} HTTP/1.1\r\nHost: h\r\n\r\n",
        "GET /a\tb HTTP/1.1\r\nHost: h\r\n\r\n",
        "GET /caf\u00e9 HTTP/1.1\r\nHost: h\r\n\r\n",
        "GET //a HTTP/1.1\r\nHost: h\r\n\r\n",
        "GET /a//b HTTP/1.1\r\nHost: h\r\n\r\n",
        "GET /a/../b HTTP/1.1\r\nHost: h\r\n\r\n",
        "GET /a/./b HTTP/1.1\r\nHost: h\r\n\r\n",
        "GET /a/.. HTTP/1.1\r\nHost: h\r\n\r\n",
        "GET /. HTTP/1.1\r\nHost: h\r\n\r\n",
        "GET /..?x HTTP/1.1\r\nHost: h\r\n\r\n",
        // line ends
        "GET / HTTP/1.1\nHost: h\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: h\n\r\n",
        "GET / HTTP/1.1\r\nHost: h\r\n\n",
        "GET / HTTP/1.1\r\nHost: h\rX: y\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: h\r\n\r\r",
        // header lines
        "GET / HTTP/1.1\r\nHost: h\r\nX-A: 1\r\n continued\r\n\r\n",
        "GET / HTTP/1.1\r\n\tHost: h\r\n\r\n",
        "GET / HTTP/1.1\r\nHost : h\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: h\r\n: v\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: h\r\nX(A): v\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: h\r\nX-A: caf\u00e9\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: h\r\nX-A: a\u0001b\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: h\r\nX-A: a\u007fb\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: h\r\nno colon\r\n\r\n",
        // a run of spaces and tabs in a value: Undertow folds it into one byte
        "GET / HTTP/1.1\r\nHost: h\r\nAuthorization: Bearer  x\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: h\r\nX-A: a\t b\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: h\r\nX-A: a \t\r\n\r\n",
        // headers outside the subset
        "GET / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: h\r\ntransfer-encoding: identity\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: h\r\nContent-Length: 00\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: h\r\nContent-Length: 0\r\nContent-Length: 0\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: h\r\nHTTP2-Settings: AAMAAABkAAQAAP__\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: h\r\nTE: trailers\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: h\r\nConnection: upgrade\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: h\r\nConnection: keep-alive, close\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: h\r\nConnection: close\r\nConnection: close\r\n\r\n",
        // Host
        "GET / HTTP/1.1\r\nHost: a\r\nHost: a\r\n\r\n",
        "GET / HTTP/1.1\r\nX-A: b\r\n\r\n",
        "GET / HTTP/1.1\r\nHost:\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: my_host\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: [::1]\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: [::1]:80\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: user@h\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: h:0\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: h:65536\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: h:080\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: h:\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: h:80:80\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: 256.1.1.1\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: 10.01.1.1\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: 10.1.1\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: 10.1.1.1.1\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: .example.com\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: -example.com\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: a..b\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: a.-b\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: example.com.\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: a b\r\n\r\n",
      })
  void outsideTheSubset(String head) {
    for (ByteBuffer b : new ByteBuffer[] {direct(head), heap(head)}) {
      RequestHeadParser p = parser();
      int limit = b.limit();
      assertThat(p.parse(b)).as(head).isEqualTo(OUTSIDE);
      assertThat(b.position()).isZero();
      assertThat(b.limit()).isEqualTo(limit);
    }
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "POS",
        "PRI * HTTP/2.0\r\n",
        "GE ",
        "GET x",
        "GET /a%",
        "GET /a/../",
        "GET / HTTP/1.0",
        "GET / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding:",
        "GET / HTTP/1.1\r\nHost: h\r\nHost:",
        "GET / HTTP/1.1\r\nHost: h\r\nX-A: a\n",
      })
  void outsideAsSoonAsTheBytesShowIt(String prefix) {
    RequestHeadParser p = parser();
    ByteBuffer b = direct(prefix);
    assertThat(p.parse(b)).as(prefix).isEqualTo(OUTSIDE);
    assertThat(b.position()).isZero();
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "Host: example.com",
        "Host: a",
        "Host: 0.0.0.0",
        "Host: 255.255.255.255:65535",
        "Host: 10.0.0.1:1",
        "Host: my-host.example.com:80",
        "Host: a-.b",
        "Host: 1example.com",
      })
  void hostsInTheSubset(String host) {
    String head = "GET / HTTP/1.1\r\n" + host + "\r\n\r\n";
    RequestHeadParser p = parser();
    assertThat(p.parse(direct(head))).as(host).isEqualTo(COMPLETE);
    assertThat(p.value(0)).isEqualTo(host.substring(6));
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "/",
        "/a/",
        "/a.b/..c/.d/e..",
        "/a?",
        "/a?x=//y/../z",
        "/a/b?c?d",
        "/!$&'()*,:=@~-._",
      })
  void targetsInTheSubset(String target) {
    RequestHeadParser p = parser();
    assertThat(p.parse(direct("GET " + target + " HTTP/1.1\r\nHost: h\r\n\r\n")))
        .as(target)
        .isEqualTo(COMPLETE);
    assertThat(p.target()).isEqualTo(target);
  }

  @Test
  void positionIsUnchangedWhenMoreIsNeeded() {
    RequestHeadParser p = parser();
    ByteBuffer b = direct("GET /a HTTP/1.1\r\nHost: h\r\n\r");
    b.position(0);
    assertThat(p.parse(b)).isEqualTo(NEED_MORE);
    assertThat(b.position()).isZero();
    ByteBuffer empty = direct("");
    assertThat(p.parse(empty)).isEqualTo(NEED_MORE);
  }

  @Test
  void keepsTheLastCompleteResultsAcrossLaterFailures() {
    RequestHeadParser p = parser();
    assertThat(p.parse(direct(HEAD))).isEqualTo(COMPLETE);
    assertThat(p.parse(direct("GET /x HTTP/1.1\r\nHost: other\r\nUpgrade: h2c\r\n\r\n")))
        .isEqualTo(OUTSIDE);
    assertThat(p.parse(direct("GET /y HTTP/1.1\r\nHost: other\r\n"))).isEqualTo(NEED_MORE);
    assertThat(p.target()).isEqualTo("/services/demo/a?x=1&y=/z?w");
    assertThat(p.headerCount()).isEqualTo(3);
    assertThat(p.value(0)).isEqualTo("example.com:8080");
  }

  @Test
  void connectionCloseAndKeepAlive() {
    RequestHeadParser p = parser();
    assertThat(p.parse(direct(with("Connection: Close")))).isEqualTo(COMPLETE);
    assertThat(p.close()).isTrue();
    assertThat(p.name(1)).isSameAs(Headers.CONNECTION);
    assertThat(p.parse(direct(with("connection: keep-alive")))).isEqualTo(COMPLETE);
    assertThat(p.close()).isFalse();
    assertThat(p.name(1)).isEqualTo(Headers.CONNECTION);
    assertThat(p.value(1)).isEqualTo("keep-alive");
    assertThat(p.parse(direct(with("Connection: \tKEEP-ALIVE ")))).isEqualTo(COMPLETE);
    assertThat(p.close()).isFalse();
  }

  @Test
  void headsWithManyHeadersGrowTheTablesUpToTheLimit() {
    RequestHeadParser p = new RequestHeadParser(64 * 1024, 100);
    for (int headers : new int[] {3, 40, 99, 17}) {
      StringBuilder head = new StringBuilder("GET / HTTP/1.1\r\nHost: h\r\n");
      for (int i = 1; i < headers; i++) {
        head.append("X-H").append(i).append(": v").append(i).append("\r\n");
      }
      ByteBuffer b = direct(head.append("\r\n").toString());
      assertThat(p.parse(b)).as("%d headers", headers).isEqualTo(COMPLETE);
      assertThat(p.headerCount()).isEqualTo(headers);
      assertThat(p.value(headers - 1)).isEqualTo(headers == 1 ? "h" : "v" + (headers - 1));
      assertThat(p.name(headers - 1).toString()).isEqualTo("X-H" + (headers - 1));
    }
    StringBuilder over = new StringBuilder("GET / HTTP/1.1\r\nHost: h\r\n");
    for (int i = 1; i <= 100; i++) {
      over.append("X-H").append(i).append(": v\r\n");
    }
    assertThat(p.parse(direct(over.append("\r\n").toString()))).isEqualTo(OUTSIDE);
  }

  @Test
  void valuesAreTrimmedOfSpacesAndTabs() {
    RequestHeadParser p = parser();
    ByteBuffer b =
        direct(
            "GET / HTTP/1.1\r\nHost:\t example.com\t\r\nX-A:  a\tb \r\nX-Empty:\r\n"
                + "X-Blank: \t \r\nX-Tight:v\r\n\r\n");
    assertThat(p.parse(b)).isEqualTo(COMPLETE);
    assertThat(p.headerCount()).isEqualTo(5);
    assertThat(p.value(0)).isEqualTo("example.com");
    assertThat(p.value(1)).isEqualTo("a\tb");
    assertThat(p.value(2)).isEmpty();
    assertThat(p.value(3)).isEmpty();
    assertThat(p.value(4)).isEqualTo("v");
  }

  @Test
  void namesKeepTheClientsCaseAndCompareCaseInsensitively() {
    RequestHeadParser p = parser();
    ByteBuffer b =
        direct(
            "GET / HTTP/1.1\r\nhost: h\r\nX-Custom-Thing: 1\r\ntraceparent: 00-a-b-01\r\n"
                + "X-Request-Id: r1\r\nx-request-id: r2\r\n\r\n");
    assertThat(p.parse(b)).isEqualTo(COMPLETE);
    HttpString host = p.name(0);
    assertThat(host).isNotSameAs(Headers.HOST).isEqualTo(Headers.HOST);
    assertThat(host.toString()).isEqualTo("host");
    assertThat(p.name(1).toString()).isEqualTo("X-Custom-Thing");
    assertThat(p.name(2).toString()).isEqualTo("traceparent");
    HttpString id = p.name(3);
    assertThat(id.toString()).isEqualTo("X-Request-Id");
    assertThat(p.name(4)).isNotSameAs(id).isEqualTo(id);
    assertThat(p.name(4).toString()).isEqualTo("x-request-id");
    // The constant instance comes back for the canonical spelling, on any connection.
    RequestHeadParser q = parser();
    assertThat(q.parse(direct("GET / HTTP/1.1\r\nHost: h\r\nX-Request-Id: r3\r\n\r\n")))
        .isEqualTo(COMPLETE);
    assertThat(q.name(1)).isSameAs(id);
    HeaderMap map = new HeaderMap();
    p.addHeadersTo(map);
    assertThat(map.get("X-REQUEST-ID")).containsExactly("r1", "r2");
    assertThat(map.getFirst(Headers.HOST)).isEqualTo("h");
  }

  @Test
  void limitsHeaderCountAndHeadSize() {
    String head = "GET / HTTP/1.1\r\nHost: h\r\nA: 1\r\nB: 2\r\n\r\n";
    assertThat(new RequestHeadParser(8192, 3).parse(direct(head))).isEqualTo(COMPLETE);
    assertThat(new RequestHeadParser(8192, 2).parse(direct(head))).isEqualTo(OUTSIDE);

    int size = head.length();
    assertThat(new RequestHeadParser(size, 100).parse(direct(head))).isEqualTo(COMPLETE);
    ByteBuffer b = direct(head);
    assertThat(new RequestHeadParser(size - 1, 100).parse(b)).isEqualTo(OUTSIDE);
    assertThat(b.position()).isZero();
    // A head within the limit followed by more bytes is complete.
    ByteBuffer more = direct(head + "GET / HTTP/1.1\r\n");
    RequestHeadParser p = new RequestHeadParser(size, 100);
    assertThat(p.parse(more)).isEqualTo(COMPLETE);
    assertThat(more.position()).isEqualTo(size);
    // Incomplete: NEED_MORE while the bytes fit, OUTSIDE once they exceed the limit.
    String partial = "GET / HTTP/1.1\r\nHost: h\r\nX-Long: ";
    RequestHeadParser small = new RequestHeadParser(partial.length() + 1, 100);
    assertThat(small.parse(direct(partial))).isEqualTo(NEED_MORE);
    assertThat(small.parse(direct(partial + "ab"))).isEqualTo(OUTSIDE);
  }

  @Test
  void fuzzedHeadsNeverThrowAndCompleteOnlyWithAllowedBytes() {
    String base =
        "GET /services/demo/a.b?x=1&y=2 HTTP/1.1\r\nHost: example.com:8080\r\n"
            + "User-Agent: curl/8.5.0\r\nAccept: */*\r\nConnection: keep-alive\r\n"
            + "Content-Length: 0\r\nX-A:  v \r\n\r\n";
    byte[] original = base.getBytes(StandardCharsets.ISO_8859_1);
    byte[] interesting = {
      ' ',
      '\t',
      '\r',
      '\n',
      ':',
      '/',
      '.',
      '?',
      '%',
      '0',
      '9',
      'a',
      'Z',
      '-',
      '_',
      '[',
      0,
      0x7f,
      (byte) 0x80,
      (byte) 0xff
    };
    Random random = new Random(20240611L);
    RequestHeadParser p = new RequestHeadParser(512, 8);
    int complete = 0;
    for (int round = 0; round < 20_000; round++) {
      byte[] bytes = original.clone();
      int length = bytes.length;
      for (int m = 1 + random.nextInt(3); m > 0 && length > 0; m--) {
        int at = random.nextInt(length);
        switch (random.nextInt(3)) {
          case 0:
            bytes[at] =
                random.nextBoolean()
                    ? interesting[random.nextInt(interesting.length)]
                    : (byte) random.nextInt(256);
            break;
          case 1: // delete a byte
            System.arraycopy(bytes, at + 1, bytes, at, length - at - 1);
            length--;
            break;
          default: // cut the head short
            length = at;
            break;
        }
      }
      ByteBuffer b =
          random.nextBoolean()
              ? ByteBuffer.allocateDirect(length).put(bytes, 0, length).flip()
              : ByteBuffer.wrap(bytes, 0, length);
      int start = b.position();
      int r = p.parse(b);
      assertThat(r).isIn(NEED_MORE, OUTSIDE, COMPLETE);
      if (r != COMPLETE) {
        assertThat(b.position()).isEqualTo(start);
        continue;
      }
      complete++;
      assertThat(b.position()).isGreaterThan(start).isLessThanOrEqualTo(b.limit());
      String target = p.target();
      assertThat(target).startsWith("/").doesNotContain("//", "/./", "/../");
      for (char c : target.toCharArray()) {
        assertThat(c >= 0x21 && c <= 0x7e && "%+;\\#\"<>{}|^`[]".indexOf(c) < 0)
            .as("target %s", target)
            .isTrue();
      }
      assertThat(p.headerCount()).isBetween(1, 8);
      int hosts = 0;
      for (int i = 0; i < p.headerCount(); i++) {
        String value = p.value(i);
        if (p.name(i).equals(Headers.HOST)) {
          hosts++;
        }
        for (char c : p.name(i).toString().toCharArray()) {
          assertThat(c > 0x20 && c < 0x7f && c != ':').as("name %s", p.name(i)).isTrue();
        }
        for (char c : value.toCharArray()) {
          assertThat(c == '\t' || (c >= 0x20 && c <= 0x7e)).as("value %s", value).isTrue();
        }
        if (!value.isEmpty()) {
          assertThat(value.charAt(0)).isNotIn(' ', '\t');
          assertThat(value.charAt(value.length() - 1)).isNotIn(' ', '\t');
        }
      }
      assertThat(hosts).isEqualTo(1);
    }
    assertThat(complete).as("some mutations stay in the subset").isPositive();
  }
}
