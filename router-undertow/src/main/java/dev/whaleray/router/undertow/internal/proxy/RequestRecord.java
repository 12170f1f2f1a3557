package dev.whaleray.router.undertow.internal.proxy;

import io.undertow.server.HttpServerExchange;
import io.undertow.util.AttachmentKey;
import org.jspecify.annotations.Nullable;

/**
 * What one request did, for metrics and the access log: made when it arrives (only when either is
 * on), filled in as it is routed and proxied, handed to the {@link Sink} when the exchange
 * completes. Written by the request's own thread(s) in turn, read once at the end.
 */
public final class RequestRecord extends RouterCompletionListener {
  /** Where the record travels with its exchange. */
  public static final AttachmentKey<RequestRecord> KEY = AttachmentKey.create(RequestRecord.class);

  /** Receives each completed request. */
  public interface Sink {
    /** A request arrived and its record was made. */
    void started();

    /**
     * The exchange completed (answered, or the client gone); called once, on any thread. The
     * exchange's response headers may not hold the backend's: a response the router wrote itself
     * leaves them out of the map where only the router's own listeners are on the exchange.
     */
    void completed(RequestRecord record, HttpServerExchange exchange);
  }

  private final Sink sink;

  /** {@link System#nanoTime()} and wall-clock milliseconds at arrival. */
  public final long startNanos;

  public final long startMillis;

  /** The service tag: a service discovery knows, else "unknown". */
  public String service = dev.whaleray.router.core.RouterMetrics.UNKNOWN;

  /** The route tag: the matched route's patterns, else "none". */
  public String route = dev.whaleray.router.core.RouterMetrics.NO_ROUTE;

  /** The service named by the request, known or not (the access log's field). */
  public @Nullable String requestedService;

  /** The last endpoint tried, {@code host:port}. */
  public @Nullable String endpoint;

  /** Attempts' time to the response head, summed over retries. */
  public long upstreamNanos;

  /** Attempts after the first. */
  public int retries;

  /** The trace id (W3C traceparent's, else X-Amzn-Trace-Id's Root), if any. */
  public @Nullable String traceId;

  /** The proxy call, once there is one: it knows the request body's bytes. */
  @Nullable ProxyCall call;

  /** Request body bytes moved by a call over Undertow's client (HTTP/2 or TLS upstreams). */
  long clientBytesIn;

  /** Request body bytes read from the client (0 before a proxy call). */
  public long bytesIn() {
    ProxyCall c = call;
    return c == null ? clientBytesIn : c.requestBodyBytes();
  }

  RequestRecord(Sink sink, long startNanos) {
    this.sink = sink;
    this.startNanos = startNanos;
    this.startMillis = System.currentTimeMillis();
  }

  @Override
  public void exchangeEvent(HttpServerExchange exchange, NextListener next) {
    try {
      sink.completed(this, exchange);
    } finally {
      next.proceed();
    }
  }
}
