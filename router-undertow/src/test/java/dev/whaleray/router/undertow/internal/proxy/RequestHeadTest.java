package dev.whaleray.router.undertow.internal.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.whaleray.router.undertow.internal.http1.HeadWriter;
import io.undertow.util.HeaderMap;
import io.undertow.util.HttpString;
import io.undertow.util.Methods;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;

/** The request head and the forwarded headers, written from explicit inputs (no socket). */
class RequestHeadTest {

  /** A client connection as the forwarded headers see it. */
  static final class FakeOrigin implements RequestHead.Origin {
    final String remote;
    final boolean https;
    final InetSocketAddress destination;
    final int localPort;
    int destinationLookups;
    int localPortLookups;

    FakeOrigin(String remote, boolean https, InetSocketAddress destination, int localPort) {
      this.remote = remote;
      this.https = https;
      this.destination = destination;
      this.localPort = localPort;
    }

    @Override
    public String remote() {
      return remote;
    }

    @Override
    public boolean https() {
      return https;
    }

    @Override
    public InetSocketAddress destination() {
      destinationLookups++;
      return destination;
    }

    @Override
    public int localPort() {
      localPortLookups++;
      return localPort;
    }
  }

  private static final FakeOrigin PLAIN =
      new FakeOrigin("10.0.0.7", false, InetSocketAddress.createUnresolved("10.0.0.1", 8080), 8080);

  private static HeaderMap headers(String... nameValues) {
    HeaderMap h = new HeaderMap();
    for (int i = 0; i < nameValues.length; i += 2) {
      h.add(new HttpString(nameValues[i]), nameValues[i + 1]);
    }
    return h;
  }

  private static String head(
      HeaderMap in,
      boolean preserveHost,
      boolean trust,
      @Nullable String upgrade,
      long contentLength,
      RequestHead.Origin origin) {
    HeadWriter w = new HeadWriter();
    RequestHead.requestLine(w, Methods.POST, "/services/a/x/y", 11, "q=1");
    RequestHead.headers(
        w, in, "10.1.2.3:3000", preserveHost, trust, upgrade, contentLength, null, origin);
    return new String(w.buf, 0, w.len, StandardCharsets.ISO_8859_1);
  }

  private static String forwarded(HeaderMap in, boolean trust, RequestHead.Origin origin) {
    HeadWriter w = new HeadWriter();
    RequestHead.forwarded(w, in, in.getFirst("Host"), false, trust, origin);
    return new String(w.buf, 0, w.len, StandardCharsets.ISO_8859_1);
  }

  /**
   * The private fields of Undertow's exchange the router reads (the client address kept on its
   * connection, the direct response path) are found on the Undertow version the build uses: if a
   * new version renamed one, the router would fall back quietly and lose both.
   */
  @Test
  void undertowsExchangeFieldsAreFound() {
    assertThat(RequestHead.readsSourceAddress()).isTrue();
    assertThat(DirectResponse.readsUndertowsFields()).isTrue();
  }

  @Test
  void writesTheRequestLineWithTheRoutePrefixStripped() {
    HeadWriter w = new HeadWriter();
    RequestHead.requestLine(w, Methods.GET, "/services/a/x", 11, "");
    RequestHead.requestLine(w, Methods.GET, "/services/a", 11, "b=2");
    assertThat(new String(w.buf, 0, w.len, StandardCharsets.ISO_8859_1))
        .isEqualTo("GET /x HTTP/1.1\r\nGET /?b=2 HTTP/1.1\r\n");
  }

  @Test
  void replacesHostAndDropsHopByHopHeadersAndExpect() {
    HeaderMap in =
        headers(
            "Host", "example.com",
            "Connection", "keep-alive, X-Secret",
            "Keep-Alive", "timeout=5",
            "TE", "trailers",
            "X-Secret", "s",
            "Expect", "100-continue",
            "Accept", "a",
            "Accept", "b",
            "Content-Length", "5");
    String h = head(in, false, true, null, RequestHead.AS_RECEIVED, PLAIN);
    assertThat(h)
        .startsWith("POST /x/y?q=1 HTTP/1.1\r\nHost: 10.1.2.3:3000\r\n")
        .contains("Accept: a\r\nAccept: b\r\n")
        .contains("X-Forwarded-Host: example.com\r\n")
        .endsWith("Content-Length: 5\r\n\r\n")
        .doesNotContain("Connection")
        .doesNotContain("Keep-Alive")
        .doesNotContain("TE:")
        .doesNotContain("X-Secret")
        .doesNotContain("Expect");
    assertThat(head(in, true, true, null, RequestHead.AS_RECEIVED, PLAIN))
        .contains("Host: example.com\r\n")
        .doesNotContain("10.1.2.3");
  }

  @Test
  void framesTheBodyAsItWillBeSent() {
    HeaderMap chunked = headers("Host", "h", "Transfer-Encoding", "chunked");
    assertThat(head(chunked, false, true, null, 11, PLAIN))
        .endsWith("Content-Length: 11\r\n\r\n")
        .doesNotContain("Transfer-Encoding");
    assertThat(head(chunked, false, true, null, RequestHead.CHUNKED, PLAIN))
        .endsWith("Transfer-Encoding: chunked\r\n\r\n")
        .doesNotContain("Content-Length");
    assertThat(head(headers("Host", "h"), false, true, "websocket", RequestHead.AS_RECEIVED, PLAIN))
        .endsWith("Connection: upgrade\r\nUpgrade: websocket\r\n\r\n");
  }

  @Test
  void trustedForwardedHeadersAreKeptAndTheClientAppended() {
    HeaderMap in =
        headers(
            "Host", "example.com",
            "X-Forwarded-For", "203.0.113.9",
            "X-Forwarded-Proto", "https",
            "X-Forwarded-Port", "443",
            "X-Forwarded-Server", "edge");
    assertThat(forwarded(in, true, PLAIN))
        .isEqualTo(
            "X-Forwarded-For: 203.0.113.9,10.0.0.7\r\n"
                + "X-Forwarded-Proto: https\r\n"
                + "X-Forwarded-Server: edge\r\n"
                + "X-Forwarded-Host: example.com\r\n"
                + "X-Forwarded-Port: 443\r\n");
  }

  @Test
  void untrustedForwardedHeadersAreReplacedByTheConnections() {
    HeaderMap in =
        headers(
            "Host", "example.com",
            "X-Forwarded-For", "203.0.113.9",
            "X-Forwarded-Proto", "https",
            "X-Forwarded-Port", "443",
            "X-Forwarded-Server", "edge");
    assertThat(forwarded(in, false, PLAIN))
        .isEqualTo(
            "X-Forwarded-For: 10.0.0.7\r\n"
                + "X-Forwarded-Proto: http\r\n"
                + "X-Forwarded-Server: example.com\r\n"
                + "X-Forwarded-Host: example.com\r\n"
                + "X-Forwarded-Port: 80\r\n");
  }

  @Test
  void portComesFromHostThenSchemeThenConnection() {
    assertThat(forwarded(headers("Host", "example.com:8443"), true, PLAIN))
        .endsWith("X-Forwarded-Port: 8443\r\n");
    // A leading zero is parsed, as Undertow's getHostPort() does, and printed back without it.
    assertThat(forwarded(headers("Host", "example.com:0080"), true, PLAIN))
        .endsWith("X-Forwarded-Port: 80\r\n");
    FakeOrigin tls =
        new FakeOrigin("10.0.0.7", true, InetSocketAddress.createUnresolved("h", 8443), 8443);
    assertThat(forwarded(headers("Host", "example.com"), true, tls))
        .contains("X-Forwarded-Proto: https\r\n")
        .endsWith("X-Forwarded-Port: 443\r\n");
    // A trusted value that is not a number: the port the client connected to.
    FakeOrigin origin =
        new FakeOrigin("10.0.0.7", false, InetSocketAddress.createUnresolved("h", 1), 9443);
    assertThat(forwarded(headers("Host", "example.com", "X-Forwarded-Port", "abc"), true, origin))
        .endsWith("X-Forwarded-Port: 9443\r\n");
    assertThat(origin.localPortLookups).isEqualTo(1);
    assertThat(origin.destinationLookups).isZero();
  }

  @Test
  void ipv6PeersAndHosts() {
    FakeOrigin v6 =
        new FakeOrigin(
            "2001:db8::7", false, InetSocketAddress.createUnresolved("2001:db8::1", 8080), 8080);
    assertThat(forwarded(headers("Host", "[2001:db8::1]:8080"), true, v6))
        .isEqualTo(
            "X-Forwarded-For: 2001:db8::7\r\n"
                + "X-Forwarded-Proto: http\r\n"
                + "X-Forwarded-Server: 2001:db8::1\r\n"
                + "X-Forwarded-Host: [2001:db8::1]:8080\r\n"
                + "X-Forwarded-Port: 8080\r\n");
    // No Host: the address the client connected to, bracketed as a host.
    HeadWriter w = new HeadWriter();
    RequestHead.forwarded(w, new HeaderMap(), null, true, true, v6);
    assertThat(new String(w.buf, 0, w.len, StandardCharsets.ISO_8859_1))
        .contains("X-Forwarded-Server: 2001:db8::1\r\n")
        .contains("X-Forwarded-Host: [2001:db8::1]\r\n")
        .endsWith("X-Forwarded-Port: 8080\r\n");
    assertThat(v6.destinationLookups).isEqualTo(2);
  }

  @Test
  void plainPortsOnly() {
    assertThat(RequestHead.hasPlainPort("a:1")).isTrue();
    assertThat(RequestHead.hasPlainPort("a:65535")).isTrue();
    assertThat(RequestHead.hasPlainPort("a:65536")).isFalse();
    assertThat(RequestHead.hasPlainPort("a:080")).isFalse();
    assertThat(RequestHead.hasPlainPort("a:")).isFalse();
    assertThat(RequestHead.hasPlainPort("[::1]:80")).isFalse();
    assertThat(RequestHead.hasPlainPort("a")).isFalse();
    assertThat(RequestHead.hasPlainPort(null)).isFalse();
  }

  @Test
  void headersWrittenByTheRouterAreSkippedInTheLoop() {
    for (String name :
        new String[] {
          "host", "Content-Length", "x-forwarded-for", "X-Forwarded-Host", "X-Forwarded-Port",
          "Expect", "Transfer-Encoding", "X-Forwarded-Proto", "X-Forwarded-Server", ":authority"
        }) {
      assertThat(RequestHead.isWrittenSeparately(new HttpString(name))).as(name).isTrue();
    }
    assertThat(RequestHead.isWrittenSeparately(new HttpString("Accept"))).isFalse();
    assertThat(RequestHead.isWrittenSeparately(new HttpString("X-Forwarded-Fox"))).isFalse();
  }

  /**
   * XNIO builds a new peer address object on every lookup: the connection's cached text must be
   * found by value (it was keyed by identity, so it was formatted and stored again per request).
   */
  @Test
  void remoteTextIsKeptPerConnectionForEqualAddressObjects() throws Exception {
    java.util.concurrent.atomic.AtomicInteger puts =
        new java.util.concurrent.atomic.AtomicInteger();
    io.undertow.util.AbstractAttachable connection =
        new io.undertow.util.AbstractAttachable() {
          @Override
          public <T> @Nullable T putAttachment(io.undertow.util.AttachmentKey<T> key, T value) {
            puts.incrementAndGet();
            return super.putAttachment(key, value);
          }
        };
    java.net.InetAddress ip = java.net.InetAddress.getByAddress(new byte[] {10, 0, 0, 7});
    String first = RequestHead.remoteText(connection, new InetSocketAddress(ip, 40000));
    String second = RequestHead.remoteText(connection, new InetSocketAddress(ip, 40000));
    assertThat(first).isEqualTo("10.0.0.7");
    assertThat(second).isSameAs(first);
    assertThat(puts.get()).isEqualTo(1);
    // Another source address (a forwarded-peer handler set one): its own text.
    assertThat(RequestHead.remoteText(connection, new InetSocketAddress(ip, 40001)))
        .isEqualTo("10.0.0.7");
    assertThat(puts.get()).isEqualTo(2);
  }
}
