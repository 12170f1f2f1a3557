package dev.whaleray.router.undertow.internal.proxy;

import dev.whaleray.router.undertow.internal.http1.HeadWriter;
import dev.whaleray.router.undertow.internal.http1.HopByHop;
import io.undertow.util.AttachmentKey;
import io.undertow.util.HeaderMap;
import io.undertow.util.HeaderValues;
import io.undertow.util.Headers;
import io.undertow.util.HttpString;
import java.net.InetSocketAddress;
import org.jspecify.annotations.Nullable;

/**
 * The request head written upstream, as bytes straight from the exchange's values: the request
 * line, the client's headers less hop-by-hop ones, the {@code X-Forwarded-*} headers and the body's
 * framing. Functions of explicit inputs, so each rule is testable without a socket.
 */
final class RequestHead {
  private RequestHead() {}

  /** A {@code contentLength} meaning: frame the body as the client did (its Content-Length). */
  static final long AS_RECEIVED = -1;

  /** A {@code contentLength} meaning: the body is streamed upstream in chunks. */
  static final long CHUNKED = -2;

  /** What the forwarded headers need from the client's connection; the last two only rarely. */
  interface Origin {
    /** The client's address as text ({@code localhost} when unknown). */
    String remote();

    /** True when the client's request came over TLS. */
    boolean https();

    /** Where the client connected to: stands in for a missing Host header. */
    InetSocketAddress destination();

    /** The port of the client's connection on the router: replaces a trusted, non-numeric port. */
    int localPort();
  }

  /** {@link Origin#remote()} of an exchange: its client's address as text. */
  static String remote(io.undertow.server.HttpServerExchange exchange) {
    java.lang.invoke.VarHandle source = SOURCE_ADDRESS;
    if (source != null && source.get(exchange) == null) {
      return peerText(exchange.getConnection()); // no handler set another: the connection's peer
    }
    InetSocketAddress peer = exchange.getSourceAddress();
    return peer == null ? "localhost" : remoteText(exchange.getConnection(), peer);
  }

  /**
   * The exchange's own source address, which a handler can set ({@code setSourceAddress}: a
   * forwarded-peer or proxy-protocol handler); null when this Undertow's field cannot be read, and
   * then every request asks {@code getSourceAddress()}.
   */
  private static final java.lang.invoke.@Nullable VarHandle SOURCE_ADDRESS =
      ExchangeFields.find("sourceAddress");

  /** Whether this Undertow's source-address field was found (tests: the cache is in use). */
  static boolean readsSourceAddress() {
    return SOURCE_ADDRESS != null;
  }

  private static final AttachmentKey<String> PEER_TEXT = AttachmentKey.create(String.class);

  /**
   * The connection's peer as text, kept on the connection, whose peer does not change: without a
   * source address set on the exchange, {@code getSourceAddress()} asks XNIO, which builds a new
   * address object every time (48 bytes per request in issue 15's profile).
   */
  static String peerText(io.undertow.server.ServerConnection c) {
    String text = c.getAttachment(PEER_TEXT);
    if (text == null) {
      InetSocketAddress peer = c.getPeerAddress(InetSocketAddress.class);
      text = peer == null ? "localhost" : peer.getHostString();
      c.putAttachment(PEER_TEXT, text);
    }
    return text;
  }

  /** {@link Origin#localPort()} of an exchange. */
  static int localPort(io.undertow.server.HttpServerExchange exchange) {
    return exchange.getConnection().getLocalAddress(InetSocketAddress.class).getPort();
  }

  /** Methods a request may be sent again with (RFC 9110 section 9.2.2). */
  static boolean isIdempotent(HttpString m) {
    return m.equals(io.undertow.util.Methods.GET)
        || m.equals(io.undertow.util.Methods.HEAD)
        || m.equals(io.undertow.util.Methods.OPTIONS)
        || m.equals(io.undertow.util.Methods.PUT)
        || m.equals(io.undertow.util.Methods.DELETE)
        || m.equals(io.undertow.util.Methods.TRACE);
  }

  /** The request line: {@code path} from {@code pathFrom} (the route's prefix stripped). */
  static void requestLine(
      HeadWriter w, HttpString method, String path, int pathFrom, String query) {
    w.bytes(method).ascii(" ");
    if (pathFrom >= path.length()) {
      w.ascii("/");
    } else {
      w.ascii(path, pathFrom, path.length());
    }
    if (!query.isEmpty()) {
      w.ascii("?").ascii(query);
    }
    w.ascii(" HTTP/1.1").crlf();
  }

  /**
   * The headers and the blank line that ends the head.
   *
   * @param authority the upstream's {@code host:port}, the Host header unless {@code preserveHost}
   * @param upgrade the protocol of an upgrade request (a WebSocket handshake), else null
   * @param contentLength a whole body's length, {@link #AS_RECEIVED} or {@link #CHUNKED}
   * @param created a {@code traceparent} the router created for the request, else null
   */
  static void headers(
      HeadWriter w,
      HeaderMap in,
      String authority,
      boolean preserveHost,
      boolean trust,
      @Nullable String upgrade,
      long contentLength,
      @Nullable Traceparent created,
      Origin origin) {
    String clientHost = in.getFirst(Headers.HOST);
    if (preserveHost && clientHost != null) {
      w.header(Headers.HOST, clientHost);
    } else {
      w.header(Headers.HOST, authority);
    }
    HttpString[] named = HopByHop.named(in.get(Headers.CONNECTION));
    for (long c = in.fastIterateNonEmpty(); c != -1L; c = in.fiNextNonEmpty(c)) {
      HeaderValues values = in.fiCurrent(c);
      HttpString name = values.getHeaderName();
      if (isWrittenSeparately(name) || HopByHop.isFixed(name) || HopByHop.isNamed(name, named)) {
        continue;
      }
      for (int i = 0, n = values.size(); i < n; i++) {
        w.header(name, values.get(i));
      }
    }
    forwarded(w, in, clientHost, preserveHost, trust, origin);
    if (created != null) {
      created.writeTo(w);
    }
    if (upgrade != null) {
      w.header(Headers.CONNECTION, "upgrade");
      w.header(Headers.UPGRADE, upgrade);
    }
    if (contentLength >= 0) {
      w.name(Headers.CONTENT_LENGTH).digits((int) contentLength).crlf(); // read whole: one framing
    } else if (contentLength == CHUNKED) {
      w.header(Headers.TRANSFER_ENCODING, "chunked");
    } else {
      String length = in.getFirst(Headers.CONTENT_LENGTH);
      if (length != null) {
        w.header(Headers.CONTENT_LENGTH, length);
      }
    }
    w.crlf();
  }

  /** Headers written after the loop, from the router's own rules; by length first. */
  static boolean isWrittenSeparately(HttpString name) {
    switch (name.length()) {
      case 4:
        return name.equals(Headers.HOST);
      case 14:
        return name.equals(Headers.CONTENT_LENGTH);
      case 15:
        return name.equals(Headers.X_FORWARDED_FOR);
      case 16:
        return name.equals(Headers.X_FORWARDED_HOST) || name.equals(Headers.X_FORWARDED_PORT);
      case 6:
        return name.equals(Headers.EXPECT); // answered by the router itself
      case 17:
        return name.equals(Headers.TRANSFER_ENCODING) || name.equals(Headers.X_FORWARDED_PROTO);
      case 18:
        return name.equals(Headers.X_FORWARDED_SERVER);
      default:
        return name.length() > 0 && name.byteAt(0) == ':'; // HTTP/2 pseudo-headers
    }
  }

  /**
   * {@code X-Forwarded-*} as Undertow's ProxyHandler writes them: trusted incoming values are kept
   * (the client address appended to {@code X-Forwarded-For}), else the connection's own.
   */
  static void forwarded(
      HeadWriter w,
      HeaderMap in,
      @Nullable String clientHost,
      boolean preserveHost,
      boolean trust,
      Origin origin) {
    String remote = origin.remote();
    String xff = trust ? in.getFirst(Headers.X_FORWARDED_FOR) : null;
    if (xff != null && !xff.isEmpty()) {
      w.name(Headers.X_FORWARDED_FOR).ascii(xff).ascii(",").ascii(remote).crlf();
    } else {
      w.header(Headers.X_FORWARDED_FOR, remote);
    }
    boolean https = origin.https();
    if (!(trust && copyAll(w, in, Headers.X_FORWARDED_PROTO))) {
      w.header(Headers.X_FORWARDED_PROTO, https ? "https" : "http");
    }
    // Host name and port from the Host header read once (Undertow's getHostName() and
    // getHostPort() each look it up again); the name written from its range of the Host value,
    // not as a substring made per request.
    // Without a Host header, the name is the destination's, looked up once.
    String destination = clientHost == null ? hostName(null, origin) : "";
    if (!(trust && copyAll(w, in, Headers.X_FORWARDED_SERVER))) {
      if (clientHost != null) {
        w.name(Headers.X_FORWARDED_SERVER)
            .ascii(clientHost, hostNameFrom(clientHost), hostNameTo(clientHost))
            .crlf();
      } else {
        w.header(Headers.X_FORWARDED_SERVER, destination);
      }
    }
    if (!preserveHost && clientHost != null) {
      w.header(Headers.X_FORWARDED_HOST, clientHost);
    } else if (!(trust && copyAll(w, in, Headers.X_FORWARDED_HOST))) {
      String hostName = clientHost == null ? destination : hostName(clientHost, origin);
      w.header(
          Headers.X_FORWARDED_HOST,
          hostName.indexOf(':') >= 0 && !hostName.startsWith("[")
              ? "[" + hostName + "]"
              : hostName);
    }
    String port = trust ? in.getFirst(Headers.X_FORWARDED_PORT) : null;
    if (port != null && isPort(port)) {
      copyAll(w, in, Headers.X_FORWARDED_PORT);
    } else if (port == null && clientHost != null && hasPlainPort(clientHost)) {
      // The Host header's own digits: what getHostPort() would parse and print back.
      w.name(Headers.X_FORWARDED_PORT)
          .ascii(clientHost, clientHost.lastIndexOf(':') + 1, clientHost.length())
          .crlf();
    } else {
      w.name(Headers.X_FORWARDED_PORT)
          .digits(port != null ? origin.localPort() : hostPort(clientHost, https, origin))
          .crlf();
    }
  }

  /** A Host value ending in {@code :} and 1-5 digits without a leading zero. */
  static boolean hasPlainPort(@Nullable String host) {
    if (host == null || host.startsWith("[")) {
      return false;
    }
    int colon = host.lastIndexOf(':');
    int n = host.length() - colon - 1;
    if (colon < 0
        || n < 1
        || n > 5
        || host.indexOf(':') != colon
        || host.charAt(colon + 1) == '0') {
      return false;
    }
    int v = 0;
    for (int i = colon + 1; i < host.length(); i++) {
      char c = host.charAt(i);
      if (c < '0' || c > '9') {
        return false;
      }
      v = v * 10 + (c - '0');
    }
    return v <= 65535;
  }

  private static final AttachmentKey<Object[]> REMOTE_TEXT = AttachmentKey.create(Object[].class);

  /**
   * The client address as text, kept on the connection: formatting it allocated on every request.
   * Keyed on the address's value, not its identity: XNIO builds a new address object on every
   * {@code getPeerAddress()}, so an identity check never hit (the profile of issue 15 showed the
   * text formatted and the attachment replaced per request). A handler that sets another source
   * address per request (a proxy-protocol or forwarded-peer handler) still gets its own.
   */
  static String remoteText(io.undertow.util.Attachable c, InetSocketAddress peer) {
    Object[] cached = c.getAttachment(REMOTE_TEXT);
    if (cached != null && (cached[0] == peer || cached[0].equals(peer))) {
      return (String) cached[1];
    }
    String text = peer.getHostString();
    c.putAttachment(REMOTE_TEXT, new Object[] {peer, text});
    return text;
  }

  /** As {@code HttpServerExchange.getHostName()}, from the Host value already read. */
  static String hostName(@Nullable String host, Origin origin) {
    if (host == null) {
      return origin.destination().getHostString();
    }
    return host.substring(hostNameFrom(host), hostNameTo(host));
  }

  /** Where {@link #hostName} starts in a Host value: after an IPv6 literal's {@code [}. */
  static int hostNameFrom(String host) {
    return host.startsWith("[") ? 1 : 0;
  }

  /** Where {@link #hostName} ends in a Host value: at the {@code ]} or port colon, else its end. */
  static int hostNameTo(String host) {
    int end = host.startsWith("[") ? host.indexOf(']') : host.indexOf(':');
    return end < 0 ? host.length() : end;
  }

  /** As {@code HttpServerExchange.getHostPort()}, from the Host value already read. */
  static int hostPort(@Nullable String host, boolean https, Origin origin) {
    if (host == null) {
      return origin.destination().getPort();
    }
    int colon =
        host.startsWith("[")
            ? host.indexOf(':', Math.max(0, host.indexOf(']')))
            : host.indexOf(':');
    if (colon >= 0) {
      try {
        int port = Integer.parseInt(host, colon + 1, host.length(), 10);
        if (port >= 0 && port <= 65535) {
          return port;
        }
      } catch (NumberFormatException ignored) {
        // as Undertow: fall back to the scheme's port
      }
    }
    return https ? 443 : 80;
  }

  private static boolean isPort(String s) {
    try {
      Integer.parseInt(s);
      return true;
    } catch (NumberFormatException e) {
      return false;
    }
  }

  private static boolean copyAll(HeadWriter w, HeaderMap in, HttpString name) {
    HeaderValues values = in.get(name);
    if (values == null || values.isEmpty()) {
      return false;
    }
    for (int i = 0, n = values.size(); i < n; i++) {
      w.header(name, values.get(i));
    }
    return true;
  }
}
