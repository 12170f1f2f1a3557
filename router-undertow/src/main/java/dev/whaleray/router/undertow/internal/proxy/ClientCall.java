package dev.whaleray.router.undertow.internal.proxy;

import dev.whaleray.router.RequestView;
import dev.whaleray.router.core.Cluster;
import dev.whaleray.router.lb.Outcome;
import dev.whaleray.router.lb.Upstream;
import dev.whaleray.router.undertow.internal.edge.JsonErrors;
import dev.whaleray.router.undertow.internal.http1.HeadWriter;
import dev.whaleray.router.undertow.internal.http1.HopByHop;
import dev.whaleray.router.undertow.internal.pool.Upstreams;
import io.undertow.client.ClientCallback;
import io.undertow.client.ClientExchange;
import io.undertow.client.ClientRequest;
import io.undertow.client.ClientResponse;
import io.undertow.io.IoCallback;
import io.undertow.io.Sender;
import io.undertow.server.ExchangeCompletionListener;
import io.undertow.server.HttpServerExchange;
import io.undertow.server.protocol.http.HttpAttachments;
import io.undertow.server.protocol.http.HttpContinue;
import io.undertow.util.HeaderMap;
import io.undertow.util.HeaderValues;
import io.undertow.util.Headers;
import io.undertow.util.HttpString;
import io.undertow.util.StatusCodes;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLException;
import org.jspecify.annotations.Nullable;
import org.xnio.IoUtils;
import org.xnio.XnioExecutor;
import org.xnio.channels.StreamSinkChannel;

/**
 * One proxied request over a connection of Undertow's client ({@link ClientPools}): HTTP/2 (h2c,
 * h2) or HTTP/1.1 over TLS. Picks, retries and reports like the router's own HTTP/1.1 path: a
 * connect failure (a refused port, a failed TLS handshake) tries an endpoint not tried yet, as does
 * a stream reset before any answer for an idempotent request without a body; each attempt's end
 * goes to the cluster with its status and latency. Headers are the HTTP/1.1 path's (hop-by-hop
 * removed, {@code X-Forwarded-*}), plus {@code TE: trailers} when the client sent it (gRPC).
 * Response trailers (gRPC's status) are passed on at the body's end.
 *
 * <p>Runs on the exchange's IO thread only.
 */
final class ClientCall
    implements Runnable, ClientPools.Waiter, ExchangeCompletionListener, RequestHead.Origin {
  private static final System.Logger LOG = System.getLogger(ClientCall.class.getName());
  private static final HttpString TE = new HttpString("TE");

  private final ClientPools pools;
  private final ClientPools.Target target;
  private final Upstreams.PerThread thread;
  private final HttpServerExchange exchange;
  private final Cluster cluster;
  private final RequestView view;
  private final String path;
  private final int pathFrom;
  private final long startNanos;
  private final @Nullable RequestRecord record;
  private final @Nullable Traceparent created;
  private final boolean hasBody;

  private Upstream upstream;
  private int tries;
  private final TriedUpstreams tried = new TriedUpstreams();
  private ClientPools.@Nullable Endpoints pool;
  private ClientPools.@Nullable Conn conn;
  private @Nullable ClientExchange upstreamExchange;
  private @Nullable ChannelPump requestPump;
  private @Nullable ChannelPump responsePump;
  private XnioExecutor.@Nullable Key timer;
  private boolean done; // answered, failed or abandoned: nothing more happens
  private boolean ended = true; // the current attempt was reported
  private boolean headArrived;
  private boolean requestSent;
  private long attemptStart;
  private long headNanos;
  private int status;

  ClientCall(
      ClientPools pools,
      ClientPools.Target target,
      Upstreams upstreams,
      HttpServerExchange exchange,
      Cluster cluster,
      RequestView view,
      Upstream upstream,
      String path,
      int pathFrom,
      long startNanos,
      @Nullable RequestRecord record,
      @Nullable Traceparent created) {
    this.pools = pools;
    this.target = target;
    this.thread = upstreams.thread(exchange);
    this.exchange = exchange;
    this.cluster = cluster;
    this.view = view;
    this.upstream = upstream;
    this.path = path;
    this.pathFrom = pathFrom;
    this.startNanos = startNanos;
    this.record = record;
    this.created = created;
    this.hasBody = !exchange.isRequestComplete();
  }

  @Override
  public void run() {
    exchange.addExchangeCompleteListener(this);
    attempt(startNanos);
  }

  private void attempt(long now) {
    ended = false;
    headArrived = false;
    status = 0;
    headNanos = 0;
    attemptStart = now;
    cluster.attemptStarted(upstream);
    RequestRecord r = record;
    if (r != null) {
      r.endpoint = upstream.endpoint().authority();
      r.retries = tries;
    }
    ClientPools.Endpoints p = pools.pool(thread.ioThread, target, upstream.endpoint());
    pool = p;
    armWait();
    p.acquire(this);
  }

  // ---- connecting

  @Override
  public void connected(ClientPools.Conn c) {
    disarmWait();
    if (done) {
      c.release(true);
      return;
    }
    conn = c;
    firstOnConnection = c.uses++ == 0;
    ClientRequest request = new ClientRequest().setMethod(exchange.getRequestMethod());
    request.setPath(target(path, pathFrom, exchange.getQueryString()));
    headers(request.getRequestHeaders());
    c.connection.sendRequest(
        request,
        new ClientCallback<ClientExchange>() {
          @Override
          public void completed(ClientExchange result) {
            sent(result);
          }

          @Override
          public void failed(IOException e) {
            // Nothing reached the backend: the connection was closed (a GOAWAY) under us, or is
            // over the backend's stream limit (SETTINGS_MAX_CONCURRENT_STREAMS below ours).
            if (done) {
              return;
            }
            if (c.connection.isOpen() && !requeued) {
              // Not the endpoint's fault: this connection takes no more streams; wait for another.
              requeued = true;
              c.retired = true;
              conn = null;
              c.release(false);
              ClientPools.Endpoints p = pool;
              if (p != null) {
                armWait();
                p.acquire(ClientCall.this);
                return;
              }
            }
            releaseConnection(false);
            failedBeforeSending(Outcome.CONNECT_FAILURE, StatusCodes.BAD_GATEWAY, describe(e));
          }
        });
  }

  private boolean requeued; // a refused stream went back to its pool once
  private boolean firstOnConnection; // the attempt's request is its connection's first
  private XnioExecutor.@Nullable Key waitTimer; // bounds the wait for a connection

  /** Bounds the wait for a connection by the connect timeout, as on the HTTP/1.1 path. */
  private void armWait() {
    XnioExecutor.Key old = waitTimer;
    if (old != null) {
      old.remove();
    }
    waitTimer =
        thread.ioThread.executeAfter(
            () -> {
              waitTimer = null;
              if (done || conn != null) {
                return;
              }
              ClientPools.Endpoints p = pool;
              if (p != null) {
                p.cancel(this);
              }
              failedBeforeSending(
                  Outcome.CONNECT_FAILURE,
                  StatusCodes.GATEWAY_TIME_OUT,
                  "upstream connect timed out");
            },
            pools.connectTimeoutMillis,
            TimeUnit.MILLISECONDS);
  }

  private void disarmWait() {
    XnioExecutor.Key t = waitTimer;
    waitTimer = null;
    if (t != null) {
      t.remove();
    }
  }

  @Override
  public void connectFailed(IOException cause, boolean timedOut) {
    disarmWait();
    if (done) {
      return;
    }
    LOG.log(
        System.Logger.Level.DEBUG, () -> "connect to " + upstream.endpoint() + " failed: " + cause);
    failedBeforeSending(
        Outcome.CONNECT_FAILURE,
        timedOut ? StatusCodes.GATEWAY_TIME_OUT : StatusCodes.BAD_GATEWAY,
        timedOut ? "upstream connect timed out" : describe(cause));
  }

  @Override
  public void queueFull() {
    disarmWait();
    if (!done) {
      failedBeforeSending(
          Outcome.CONNECT_FAILURE,
          StatusCodes.SERVICE_UNAVAILABLE,
          "upstream connection queue full");
    }
  }

  /** The router's answer for a failed connect: a TLS failure says what failed. */
  private String describe(IOException e) {
    if (target.ssl != null) {
      String why = target.rejection(upstream.endpoint());
      if (why != null) {
        return "upstream TLS handshake failed: " + why;
      }
    }
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof SSLException) {
        String m = t.getMessage();
        return "upstream TLS handshake failed" + (m == null ? "" : ": " + m);
      }
      if (t instanceof java.net.ConnectException) {
        return "upstream refused the connection";
      }
    }
    String m = e.getMessage();
    if (m != null && m.toLowerCase(Locale.ROOT).contains("alpn")) {
      return "upstream does not offer HTTP/2 (ALPN h2)";
    }
    return "upstream connection failed";
  }

  private void failedBeforeSending(Outcome outcome, int status, String error) {
    end(outcome);
    Upstream failed = upstream;
    if (tries < pools.retries && !exchange.isComplete() && (!hasBody || !requestStarted)) {
      tried.add(failed, outcome != Outcome.CONNECT_FAILURE);
      tries++;
      Upstream next = cluster.pick(view, tried).upstream();
      if (next != null) {
        upstream = next;
        attempt(System.nanoTime());
        return;
      }
    }
    if (outcome == Outcome.CONNECT_FAILURE) {
      cluster.refresh();
    }
    fail(status, error);
  }

  private boolean requestStarted; // a byte of the body was read from the client

  // ---- the request

  private void sent(ClientExchange ce) {
    if (done) {
      IoUtils.safeClose(ce.getRequestChannel());
      releaseConnection(false);
      return;
    }
    upstreamExchange = ce;
    ce.setResponseListener(
        new ClientCallback<ClientExchange>() {
          @Override
          public void completed(ClientExchange result) {
            responded(result);
          }

          @Override
          public void failed(IOException e) {
            responseFailed(e);
          }
        });
    if (!hasBody) {
      endRequest(ce.getRequestChannel());
      return;
    }
    if (HttpContinue.requiresContinueResponse(exchange)) {
      // The backend's own 100 is not awaited: the router answers it, as on the HTTP/1.1 path.
      HttpContinue.sendContinueResponse(
          exchange,
          new IoCallback() {
            @Override
            public void onComplete(HttpServerExchange ex, Sender sender) {
              pumpRequest(ce);
            }

            @Override
            public void onException(HttpServerExchange ex, Sender sender, IOException e) {
              clientGone();
            }
          });
      return;
    }
    pumpRequest(ce);
  }

  private void pumpRequest(ClientExchange ce) {
    if (done) {
      return;
    }
    requestStarted = true;
    ChannelPump p =
        new ChannelPump(
            exchange.getRequestChannel(),
            ce.getRequestChannel(),
            exchange.getConnection().getByteBufferPool(),
            new ChannelPump.Ends() {
              @Override
              public void beforeEnd(ChannelPump pump) {
                HeaderMap trailers = exchange.getAttachment(HttpAttachments.REQUEST_TRAILERS);
                if (trailers != null) {
                  // Undertow's client sends the request's trailers from this key.
                  ce.putAttachment(HttpAttachments.RESPONSE_TRAILERS, trailerFields(trailers));
                }
              }

              @Override
              public void pumped(ChannelPump pump) {
                requestSent();
              }

              @Override
              public void readFailed(ChannelPump pump, IOException e) {
                // The client's body failed (gone, or over the size limit): the backend must not
                // take half a request as a whole one.
                LOG.log(System.Logger.Level.DEBUG, () -> "client request body: " + e);
                IoUtils.safeClose(ce.getRequestChannel());
                releaseConnection(false);
                end(Outcome.CLIENT_ABORT);
                exchange.setPersistent(false);
                if (e instanceof io.undertow.server.RequestTooBigException
                    && !exchange.isResponseStarted()
                    && responsePump == null) {
                  fail(413, "request body too large");
                } else {
                  finish();
                  IoUtils.safeClose(exchange.getConnection());
                }
              }

              @Override
              public void writeFailed(ChannelPump pump, IOException e) {
                upstreamBroke(e);
              }
            });
    requestPump = p;
    p.start();
  }

  /**
   * Ends a request without a body. Undertow's client finishes the flush itself when the socket
   * takes it later (its own write listener), so the request counts as sent here.
   */
  private void endRequest(StreamSinkChannel sink) {
    try {
      sink.shutdownWrites();
      if (!sink.flush()) {
        sink.resumeWrites();
      }
    } catch (IOException e) {
      upstreamBroke(e);
      return;
    }
    requestSent();
  }

  private void requestSent() {
    requestSent = true;
    if (!done && !headArrived && timer == null) {
      timer =
          thread.ioThread.executeAfter(
              this::responseTimedOut, pools.responseTimeoutMillis, TimeUnit.MILLISECONDS);
    }
  }

  private void responseTimedOut() {
    timer = null;
    if (done || headArrived) {
      return;
    }
    LOG.log(System.Logger.Level.DEBUG, () -> upstream.endpoint() + " did not answer in time");
    resetStream();
    releaseConnection(false);
    end(Outcome.TIMEOUT);
    fail(StatusCodes.GATEWAY_TIME_OUT, "upstream response timed out");
  }

  // ---- the response

  private void responded(ClientExchange ce) {
    if (done) {
      IoUtils.safeClose(ce.getResponseChannel());
      releaseConnection(false);
      return;
    }
    cancelTimer();
    headArrived = true;
    headNanos = System.nanoTime();
    ClientResponse response = ce.getResponse();
    status = response.getResponseCode();
    exchange.setStatusCode(status);
    copyResponseHeaders(response.getResponseHeaders(), exchange.getResponseHeaders());
    if (!target.multiplexed && (status == 204 || status == 304)) {
      // Never a body; Undertow's HTTP/1.1 client would wait for one a Content-Length announces.
      end(Outcome.SUCCESS);
      finish();
      releaseConnection(false); // its parser may be out of step: not reused
      exchange.endExchange();
      return;
    }
    ChannelPump p =
        new ChannelPump(
            ce.getResponseChannel(),
            exchange.getResponseChannel(),
            exchange.getConnection().getByteBufferPool(),
            new ChannelPump.Ends() {
              @Override
              public void beforeEnd(ChannelPump pump) {
                // Undertow's client keeps a response's trailers under this key.
                HeaderMap trailers = ce.getAttachment(HttpAttachments.REQUEST_TRAILERS);
                if (trailers != null && trailers.size() > 0) {
                  exchange.putAttachment(
                      HttpAttachments.RESPONSE_TRAILERS, trailerFields(trailers));
                }
              }

              @Override
              public void pumped(ChannelPump pump) {
                end(Outcome.SUCCESS);
                boolean whole = requestSent;
                if (!whole) {
                  resetStream(); // answered before the whole upload: the rest is not wanted
                }
                finish();
                releaseConnection(whole);
                exchange.endExchange();
              }

              @Override
              public void readFailed(ChannelPump pump, IOException e) {
                upstreamBroke(e);
              }

              @Override
              public void writeFailed(ChannelPump pump, IOException e) {
                clientGone();
              }
            });
    responsePump = p;
    p.start();
  }

  private void responseFailed(IOException e) {
    if (done) {
      return;
    }
    if (headArrived || responsePump != null) {
      // Undertow fails the exchange on a reset or GOAWAY after its head too: the body broke.
      upstreamBroke(e);
      return;
    }
    cancelTimer();
    LOG.log(System.Logger.Level.DEBUG, () -> upstream.endpoint() + ": " + e);
    releaseConnection(false);
    if (firstOnConnection
        && (isTlsFailure(e) || (target.ssl != null && target.wasRejected(upstream.endpoint())))) {
      // The handshake failed (over HTTP/1.1 it runs with the first write): nothing reached the
      // backend's application, so it is a connect failure, retried elsewhere like one.
      failedBeforeSending(Outcome.CONNECT_FAILURE, StatusCodes.BAD_GATEWAY, describe(e));
      return;
    }
    if (!hasBody && isIdempotent()) {
      // Reset before any answer: an idempotent request without a body is safe to send again.
      failedBeforeSending(Outcome.RESET, StatusCodes.BAD_GATEWAY, "upstream connection failed");
      return;
    }
    end(Outcome.RESET);
    fail(StatusCodes.BAD_GATEWAY, "upstream connection failed");
  }

  /** The upstream side broke after the request went: answer if nothing was, else cut. */
  private void upstreamBroke(IOException e) {
    if (done) {
      return;
    }
    LOG.log(System.Logger.Level.DEBUG, () -> upstream.endpoint() + " broke: " + e);
    resetStream();
    releaseConnection(false);
    end(headArrived ? Outcome.ERROR : Outcome.RESET);
    if (exchange.isResponseStarted() || responsePump != null) {
      finish();
      IoUtils.safeClose(exchange.getConnection()); // for HTTP/2 clients, a reset of the stream
    } else {
      fail(StatusCodes.BAD_GATEWAY, describe(e));
    }
  }

  private static boolean isTlsFailure(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof SSLException) {
        return true;
      }
    }
    return false;
  }

  private void clientGone() {
    if (done) {
      return;
    }
    resetStream();
    releaseConnection(false);
    end(Outcome.CLIENT_ABORT);
    finish();
    IoUtils.safeClose(exchange.getConnection());
  }

  /** The exchange is over, maybe early (the client went away): let go of everything. */
  @Override
  public void exchangeEvent(HttpServerExchange ex, NextListener next) {
    try {
      cluster.requestEnded(ex.getStatusCode() >= 500);
      // A response of known length completes the exchange with its last byte, inside the pump's
      // write: the pump goes on to read the upstream's end, which keeps the connection reusable.
      boolean answered = responsePump != null && ex.isResponseComplete();
      if (!done && !answered) {
        ClientPools.Endpoints p = pool;
        if (p != null) {
          p.cancel(this);
        }
        resetStream();
        releaseConnection(false);
        end(Outcome.CLIENT_ABORT);
        finish();
      }
    } finally {
      next.proceed();
    }
  }

  // ---- endings

  private void fail(int status, String error) {
    finish();
    if (exchange.isResponseStarted() || responsePump != null) {
      // The backend's head was taken (its channel too): no second answer, the client is cut.
      IoUtils.safeClose(exchange.getConnection());
      return;
    }
    exchange.getResponseHeaders().clear();
    JsonErrors.send(exchange, status, error, cluster.service());
  }

  private void finish() {
    done = true;
    cancelTimer();
    disarmWait();
    ChannelPump p = requestPump;
    if (p != null) {
      p.stop();
      RequestRecord r = record;
      if (r != null) {
        r.clientBytesIn = p.bytes;
      }
    }
    ChannelPump q = responsePump;
    if (q != null) {
      q.stop();
    }
  }

  private void cancelTimer() {
    XnioExecutor.Key t = timer;
    timer = null;
    if (t != null) {
      t.remove();
    }
  }

  /** Ends this request's stream on the upstream connection (a reset for HTTP/2). */
  private void resetStream() {
    ClientExchange ce = upstreamExchange;
    if (ce == null) {
      return;
    }
    ChannelPump p = responsePump;
    ClientPools.Conn c = conn;
    if (target.multiplexed && c != null && (p == null || !p.isDrained())) {
      // Response data is, or may yet be, left unread: see Conn.retired.
      c.retired = true;
    }
    if (!requestSent) {
      IoUtils.safeClose(ce.getRequestChannel());
    }
    if (headArrived) {
      if (target.multiplexed && (p == null || !p.isDrained())) {
        discardBuffered(ce.getResponseChannel());
      }
      IoUtils.safeClose(ce.getResponseChannel());
    }
  }

  /**
   * Reads and drops what the stream has buffered before it is reset: Undertow gives a read's bytes
   * back to the connection's flow-control window, a reset's unread bytes never. Other streams of
   * the connection (the retired one, until its last stream ends) keep their window. Bounded.
   */
  private void discardBuffered(org.xnio.channels.StreamSourceChannel source) {
    io.undertow.connector.PooledByteBuffer pooled =
        exchange.getConnection().getByteBufferPool().allocate();
    try {
      java.nio.ByteBuffer b = pooled.getBuffer();
      long total = 0;
      while (total < 4 * 1024 * 1024) {
        b.clear();
        int n = source.read(b);
        if (n <= 0) {
          return;
        }
        total += n;
      }
    } catch (IOException | RuntimeException e) {
      // the stream is going anyway
    } finally {
      pooled.close();
    }
  }

  private void releaseConnection(boolean reusable) {
    ClientPools.Conn c = conn;
    conn = null;
    if (c != null) {
      c.release(reusable);
    }
  }

  private void end(Outcome outcome) {
    if (!ended) {
      ended = true;
      long latency = (headNanos != 0 ? headNanos : System.nanoTime()) - attemptStart;
      cluster.attemptEnded(upstream, outcome, status, latency);
      RequestRecord r = record;
      if (r != null) {
        r.upstreamNanos += latency;
      }
    }
  }

  // ---- headers

  /** The upstream request target: the path after the route's prefix, and the query. */
  static String target(String path, int pathFrom, String query) {
    String p = pathFrom >= path.length() ? "/" : path.substring(pathFrom);
    return query.isEmpty() ? p : p + "?" + query;
  }

  /** The HTTP/1.1 path's request headers (one set of forwarding rules), into {@code out}. */
  private void headers(HeaderMap out) {
    HeaderMap in = exchange.getRequestHeaders();
    HeadWriter w = thread.head.reset();
    RequestHead.headers(
        w,
        in,
        upstream.endpoint().authority(),
        pools.preserveHost,
        pools.trustForwarded,
        null,
        RequestHead.AS_RECEIVED,
        created,
        this);
    parseHead(w.buf, w.len, out);
    HeaderValues te = in.get(TE);
    if (te != null) {
      for (String v : te) {
        if (v.toLowerCase(Locale.ROOT).contains("trailers")) {
          out.put(TE, "trailers"); // the only TE HTTP/2 allows; gRPC servers ask for it
          break;
        }
      }
    }
    if (hasBody && !out.contains(Headers.CONTENT_LENGTH)) {
      // A body of unknown length (an HTTP/2 client's, gRPC's): Undertow's client streams it
      // (chunked on HTTP/1.1; HTTP/2 frames it itself and drops this header).
      out.put(Headers.TRANSFER_ENCODING, Headers.CHUNKED.toString());
    }
  }

  /** Reads {@code Name: value} lines of a head written by {@link RequestHead#headers}. */
  static void parseHead(byte[] buf, int len, HeaderMap out) {
    int i = 0;
    while (i < len) {
      int eol = i;
      while (eol + 1 < len && !(buf[eol] == '\r' && buf[eol + 1] == '\n')) {
        eol++;
      }
      if (eol == i) {
        return; // the blank line
      }
      int colon = i;
      while (colon < eol && buf[colon] != ':') {
        colon++;
      }
      int v = colon + 1;
      while (v < eol && buf[v] == ' ') {
        v++;
      }
      out.add(
          new HttpString(Arrays.copyOfRange(buf, i, colon)),
          new String(buf, v, eol - v, StandardCharsets.ISO_8859_1));
      i = eol + 2;
    }
  }

  /** Response headers without hop-by-hop ones and HTTP/2 pseudo-headers; the body is re-framed. */
  static void copyResponseHeaders(HeaderMap in, HeaderMap out) {
    HttpString[] named = HopByHop.named(in.get(Headers.CONNECTION));
    for (HeaderValues values : in) {
      HttpString name = values.getHeaderName();
      if (HopByHop.isFixed(name)
          || name.equals(Headers.TRANSFER_ENCODING)
          || (name.length() > 0 && name.byteAt(0) == ':')
          || contains(named, name)) {
        continue;
      }
      out.putAll(name, values);
    }
  }

  /** Trailer fields that may be passed on: never framing, routing or hop-by-hop ones. */
  static HeaderMap trailerFields(HeaderMap in) {
    HeaderMap out = new HeaderMap();
    for (HeaderValues values : in) {
      HttpString name = values.getHeaderName();
      if (HopByHop.isFixed(name)
          || name.equals(Headers.TRANSFER_ENCODING)
          || name.equals(Headers.CONTENT_LENGTH)
          || name.equals(Headers.HOST)
          || (name.length() > 0 && name.byteAt(0) == ':')) {
        continue;
      }
      out.putAll(name, values);
    }
    return out;
  }

  private static boolean contains(HttpString @Nullable [] names, HttpString name) {
    if (names != null) {
      for (HttpString n : names) {
        if (n.equals(name)) {
          return true;
        }
      }
    }
    return false;
  }

  // ---- Origin

  @Override
  public String remote() {
    return RequestHead.remote(exchange);
  }

  @Override
  public boolean https() {
    return exchange.getRequestScheme().equals("https");
  }

  @Override
  public InetSocketAddress destination() {
    return exchange.getDestinationAddress();
  }

  @Override
  public int localPort() {
    return RequestHead.localPort(exchange);
  }

  private boolean isIdempotent() {
    return RequestHead.isIdempotent(exchange.getRequestMethod());
  }
}
