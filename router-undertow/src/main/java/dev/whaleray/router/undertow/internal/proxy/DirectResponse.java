package dev.whaleray.router.undertow.internal.proxy;

import dev.whaleray.router.undertow.internal.http1.HeadWriter;
import dev.whaleray.router.undertow.internal.http1.HopByHop;
import dev.whaleray.router.undertow.internal.http1.Http1Listener;
import dev.whaleray.router.undertow.internal.http1.ResponseParser;
import io.undertow.UndertowOptions;
import io.undertow.server.ExchangeCompletionListener;
import io.undertow.server.HttpServerExchange;
import io.undertow.util.DateUtils;
import io.undertow.util.HeaderMap;
import io.undertow.util.HeaderValues;
import io.undertow.util.Headers;
import io.undertow.util.HttpString;
import io.undertow.util.Protocols;
import io.undertow.util.StatusCodes;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import org.jspecify.annotations.Nullable;
import org.xnio.conduits.ConduitStreamSinkChannel;

/**
 * A proxied response's head written by the router itself, straight onto the client's HTTP/1.1
 * connection, instead of through Undertow's response channel: Undertow builds a conduit chain, a
 * cookie map and the head's bytes for every response, a tenth of the bytes allocated per request
 * and a sixth of the IO thread's user time (issue 15's profiles). The head is what Undertow would
 * write for the same exchange: its status line (with the status's standard reason phrase), the
 * exchange's response headers, {@code Connection: close} when the connection will close and a
 * {@code Date} when the backend sent none.
 *
 * <p>Only where nothing else expects Undertow's channel: an HTTP/1.1 request read whole, a body
 * framed by {@code Content-Length} or none, and no response wrapper, commit listener or cookie put
 * on the exchange by a handler around the router (read from Undertow's fields: where they cannot be
 * read, as on another Undertow version, every response takes Undertow's channel). Everything else,
 * chunked and close-delimited bodies, HTTP/1.0 and HTTP/2 clients, takes Undertow's channel as
 * before.
 */
final class DirectResponse {
  private static final @Nullable VarHandle RESPONSE_WRAPPERS =
      ExchangeFields.find("responseWrapperCount");
  private static final @Nullable VarHandle RESPONSE_COOKIES =
      ExchangeFields.find("responseCookies");
  private static final @Nullable VarHandle OLD_RESPONSE_COOKIES =
      ExchangeFields.find("deprecatedResponseCookies");
  private static final @Nullable VarHandle COMPLETION_LISTENERS =
      ExchangeFields.find("exchangeCompleteListeners");
  private static final @Nullable VarHandle COMPLETION_LISTENER_COUNT =
      ExchangeFields.find("exchangeCompletionListenersCount");

  private DirectResponse() {}

  /** Whether this Undertow's fields were found (tests: the direct path can be taken at all). */
  static boolean readsUndertowsFields() {
    return RESPONSE_WRAPPERS != null
        && RESPONSE_COOKIES != null
        && OLD_RESPONSE_COOKIES != null
        && COMPLETION_LISTENERS != null
        && COMPLETION_LISTENER_COUNT != null;
  }

  /**
   * Whether a backend's response headers may stay out of the exchange's map when the router writes
   * the head itself: only when every completion listener on the exchange is the router's own (none
   * of which reads response headers). A handler around the router that put one there may read the
   * map when the exchange ends (Undertow's access log does), and then it is filled as before.
   */
  static boolean mayKeepHeadersOut(HttpServerExchange ex) {
    VarHandle listeners = COMPLETION_LISTENERS;
    VarHandle count = COMPLETION_LISTENER_COUNT;
    if (listeners == null
        || count == null
        || !Http1Listener.isHttp1(ex.getConnection())
        || !ex.getProtocol().equals(Protocols.HTTP_1_1)) {
      return false; // never written directly: the map would only be filled afterwards
    }
    ExchangeCompletionListener[] all = (ExchangeCompletionListener[]) listeners.get(ex);
    int n = (int) count.get(ex);
    if (n > 0 && (all == null || all.length < n)) {
      return false;
    }
    for (int i = 0; i < n; i++) {
      if (!(all[i] instanceof RouterCompletionListener)) {
        return false;
      }
    }
    return true;
  }

  /**
   * Whether the router may write this exchange's response itself ({@code bodyMode} as framed,
   * {@code head} for a HEAD request). Not for an answer to HEAD without a {@code Content-Length}:
   * Undertow's channel says {@code Transfer-Encoding: chunked} there, and that stays as it was.
   */
  static boolean allowed(HttpServerExchange ex, int bodyMode, boolean head, long contentLength) {
    VarHandle wrappers = RESPONSE_WRAPPERS;
    VarHandle cookies = RESPONSE_COOKIES;
    VarHandle oldCookies = OLD_RESPONSE_COOKIES;
    return wrappers != null
        && cookies != null
        && oldCookies != null
        && (bodyMode == ResponsePump.BODY_FIXED || bodyMode == ResponsePump.BODY_NONE)
        && Http1Listener.isHttp1(ex.getConnection())
        && ex.getProtocol().equals(Protocols.HTTP_1_1)
        && ex.isRequestComplete()
        && !ex.isResponseStarted()
        && (int) wrappers.get(ex) == 0
        && cookies.get(ex) == null
        && oldCookies.get(ex) == null
        && !ex.getResponseHeaders().contains(Headers.CONNECTION)
        && !(head
            && contentLength < 0
            && !ex.getResponseHeaders().contains(Headers.CONTENT_LENGTH));
  }

  /** The client connection's own sink, below Undertow's per-exchange channel. */
  static ConduitStreamSinkChannel sink(HttpServerExchange ex) {
    return Http1Listener.channelOf(ex.getConnection()).getSinkChannel();
  }

  /**
   * Writes the head into {@code w} and returns it in {@code w}'s direct buffer (valid until its
   * next use). Also does to the exchange what Undertow's channel does while writing a head: a 417
   * ends the connection, a 204 and a 304 (but to HEAD) lose their framing headers, a missing {@code
   * Date} is added, and {@code Connection: keep-alive} where the server's {@code
   * ALWAYS_SET_KEEP_ALIVE} says so (Undertow's default; {@code RouterServer} turns it off). One
   * difference: a 204 or 304 that ends the connection says {@code Connection: close}.
   *
   * @param kept the parser that kept the backend's headers out of the exchange's map (see {@link
   *     #mayKeepHeadersOut}): they follow the map's, in the backend's order; else null
   */
  static ByteBuffer head(
      HeadWriter w,
      HttpServerExchange ex,
      int status,
      boolean head,
      @Nullable ResponseParser kept) {
    HeaderMap headers = ex.getResponseHeaders();
    if (status == StatusCodes.EXPECTATION_FAILED) {
      ex.setPersistent(false);
    }
    boolean bodiless =
        !head && (status == StatusCodes.NO_CONTENT || status == StatusCodes.NOT_MODIFIED);
    if (bodiless) {
      headers.remove(Headers.CONTENT_LENGTH);
      headers.remove(Headers.TRANSFER_ENCODING);
    }
    HttpString @Nullable [] dropped = kept == null ? null : HopByHop.named(kept.connection);
    if (kept == null || !kept.dated || HopByHop.isNamed(Headers.DATE, dropped)) {
      DateUtils.addDateHeaderIfRequired(ex); // none from the backend reaches the client
    }
    if (!ex.isPersistent()) {
      // Also on a 204 or 304, where Undertow's channel leaves it out: the client is told.
      headers.put(Headers.CONNECTION, Headers.CLOSE.toString());
    } else if (!bodiless
        && ex.getConnection()
            .getUndertowOptions()
            .get(UndertowOptions.ALWAYS_SET_KEEP_ALIVE, true)) {
      headers.put(Headers.CONNECTION, Headers.KEEP_ALIVE.toString()); // as Undertow's channel
    }
    // The status's own reason phrase, as the router's responses always had (it never sets one).
    // Not the exchange's: looking it up is an attachment read that was 3 % of the IO thread's
    // user time, and one a wrapping handler set named a status the backend's has replaced.
    w.reset().ascii("HTTP/1.1 ").digits(status).ascii(" ").ascii(StatusCodes.getReason(status));
    w.crlf();
    for (long c = headers.fastIterateNonEmpty(); c != -1L; c = headers.fiNextNonEmpty(c)) {
      HeaderValues values = headers.fiCurrent(c);
      for (int i = 0, n = values.size(); i < n; i++) {
        w.header(values.getHeaderName(), values.get(i));
      }
    }
    if (kept != null) {
      kept.writeKept(w, bodiless, dropped);
    }
    return w.crlf().buffer();
  }
}
