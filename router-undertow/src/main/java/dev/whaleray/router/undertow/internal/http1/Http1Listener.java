package dev.whaleray.router.undertow.internal.http1;

import io.undertow.UndertowOptions;
import io.undertow.connector.ByteBufferPool;
import io.undertow.connector.PooledByteBuffer;
import io.undertow.server.AbstractServerConnection;
import io.undertow.server.DelegateOpenListener;
import io.undertow.server.HttpHandler;
import io.undertow.server.ServerConnection;
import io.undertow.server.protocol.http.HttpServerConnection;
import org.xnio.ChannelListener;
import org.xnio.OptionMap;
import org.xnio.StreamConnection;

/**
 * The open listener of the router's own HTTP/1.1 request side: each plain connection gets an {@link
 * Http1Connection}, which serves the requests inside a strict subset of HTTP/1.1 itself and hands
 * the connection, with every byte it has read, to {@code fallback} (Undertow's {@code
 * HttpOpenListener}) at the first request outside it. On by default ({@code
 * RouterServer.Builder.ownHttp1}); see {@code router-undertow/OWN-HTTP1.md}.
 */
public final class Http1Listener implements ChannelListener<StreamConnection> {
  private final ByteBufferPool buffers;
  private final OptionMap options;
  private final DelegateOpenListener fallback;
  private final int maxHeaderSize;
  private final int maxHeaders;
  private final long maxEntitySize;
  private final long parseTimeout;
  private final long idleTimeout;
  private volatile HttpHandler rootHandler;

  /**
   * @param options the same Undertow options as {@code fallback}'s (header and entity limits, the
   *     parse and idle timeouts)
   */
  public Http1Listener(
      ByteBufferPool buffers,
      OptionMap options,
      DelegateOpenListener fallback,
      HttpHandler rootHandler) {
    this.buffers = buffers;
    this.options = options;
    this.fallback = fallback;
    this.rootHandler = rootHandler;
    this.maxHeaderSize =
        options.get(UndertowOptions.MAX_HEADER_SIZE, UndertowOptions.DEFAULT_MAX_HEADER_SIZE);
    this.maxHeaders = options.get(UndertowOptions.MAX_HEADERS, UndertowOptions.DEFAULT_MAX_HEADERS);
    this.maxEntitySize =
        options.get(UndertowOptions.MAX_ENTITY_SIZE, UndertowOptions.DEFAULT_MAX_ENTITY_SIZE);
    this.parseTimeout = options.get(UndertowOptions.REQUEST_PARSE_TIMEOUT, -1);
    this.idleTimeout = options.get(UndertowOptions.NO_REQUEST_TIMEOUT, -1);
  }

  /** The handler every request served here runs (the same as {@code fallback}'s). */
  public void setRootHandler(HttpHandler rootHandler) {
    this.rootHandler = rootHandler;
  }

  @Override
  public void handleEvent(StreamConnection channel) {
    new Http1Connection(this, channel).start();
  }

  ByteBufferPool buffers() {
    return buffers;
  }

  OptionMap options() {
    return options;
  }

  HttpHandler rootHandler() {
    return rootHandler;
  }

  int maxHeaderSize() {
    return maxHeaderSize;
  }

  int maxHeaders() {
    return maxHeaders;
  }

  long maxEntitySize() {
    return maxEntitySize;
  }

  long parseTimeout() {
    return parseTimeout;
  }

  long idleTimeout() {
    return idleTimeout;
  }

  /** Whether {@code c} is an HTTP/1.x connection: Undertow's or this listener's. */
  public static boolean isHttp1(ServerConnection c) {
    return c instanceof HttpServerConnection || c instanceof Http1Connection;
  }

  /**
   * The client's connection under an HTTP/1.x exchange's connection ({@link #isHttp1} must hold):
   * its channels are the socket's, below any exchange's conduits.
   */
  public static StreamConnection channelOf(ServerConnection c) {
    return ((AbstractServerConnection) c).getChannel();
  }

  /** Gives the connection, and the bytes read from it but not served, to Undertow's listener. */
  void handOff(StreamConnection channel, PooledByteBuffer unread) {
    fallback.handleEvent(channel, unread);
  }
}
