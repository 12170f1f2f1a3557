package dev.whaleray.router.undertow;

import dev.whaleray.router.core.RouterMetrics;
import dev.whaleray.router.undertow.internal.proxy.RequestRecord;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.undertow.server.HttpServerExchange;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.jspecify.annotations.Nullable;

/**
 * Each completed request into the request timer and the access log; the in-flight and upstream
 * connection gauges. Exists only when metrics or the access log are on.
 */
final class RequestObserver implements RequestRecord.Sink {
  private final @Nullable RouterMetrics metrics;
  private final @Nullable AccessLog accessLog;
  private final AtomicInteger inFlight = new AtomicInteger();
  private final List<Meter> gauges = new ArrayList<>();

  RequestObserver(
      @Nullable RouterMetrics metrics, @Nullable AccessLog accessLog, RouterHandler handler) {
    this.metrics = metrics;
    this.accessLog = accessLog;
    if (metrics != null) {
      gauges.add(
          Gauge.builder("whaleray.requests.active", inFlight, AtomicInteger::get)
              .description("Requests being answered now")
              .register(metrics.registry()));
      gauges.add(
          Gauge.builder(
                  "whaleray.upstream.connections", handler, RouterHandler::openUpstreamConnections)
              .description("Upstream connections open, pooled or in use, over every endpoint")
              .register(metrics.registry()));
    }
  }

  @Override
  public void started() {
    inFlight.incrementAndGet();
  }

  @Override
  public void completed(RequestRecord r, HttpServerExchange exchange) {
    inFlight.decrementAndGet();
    long nanos = System.nanoTime() - r.startNanos;
    int status = exchange.getStatusCode();
    RouterMetrics m = metrics;
    if (m != null) {
      m.recordRequest(r.service, r.route, status, nanos);
    }
    AccessLog log = accessLog;
    if (log != null && log.sampled()) {
      InetSocketAddress source = exchange.getSourceAddress();
      log.offer(
          new AccessLog.Entry(
              r.startMillis,
              exchange.getRequestMethod().toString(),
              exchange.getRequestPath(),
              r.requestedService == null ? "" : r.requestedService,
              r.route,
              r.endpoint,
              status,
              r.bytesIn(),
              exchange.getResponseBytesSent(),
              nanos,
              r.upstreamNanos,
              r.retries,
              r.traceId,
              source)); // formatted by the log's writer, off the IO thread
    }
  }

  /** Removes the gauges (the handler is closing). */
  void close() {
    RouterMetrics m = metrics;
    if (m != null) {
      for (Meter g : gauges) {
        m.registry().remove(g);
      }
    }
  }
}
