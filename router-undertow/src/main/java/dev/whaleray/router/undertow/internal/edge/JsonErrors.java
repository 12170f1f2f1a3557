package dev.whaleray.router.undertow.internal.edge;

import dev.whaleray.router.internal.Json;
import io.undertow.server.HttpServerExchange;
import io.undertow.util.Headers;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import org.jspecify.annotations.Nullable;

/** Writes the router's own answers: small JSON bodies {@code {"error": ..., "service": ...}}. */
public final class JsonErrors {
  private JsonErrors() {}

  static final String CONTENT_TYPE = "application/json";

  /** Sends a JSON error and ends the exchange; a no-op if the response already started. */
  public static void send(
      HttpServerExchange exchange, int status, String error, @Nullable String service) {
    send(exchange, status, error, service, null);
  }

  /**
   * Sends a JSON error naming a port of the service too ({@code "port": "metrics"}) and ends the
   * exchange; a no-op if the response already started.
   */
  public static void send(
      HttpServerExchange exchange,
      int status,
      String error,
      @Nullable String service,
      @Nullable String port) {
    if (exchange.isResponseStarted()) {
      return;
    }
    exchange.setStatusCode(status);
    exchange.getResponseHeaders().put(Headers.CONTENT_TYPE, CONTENT_TYPE);
    // A failed exchange owns no upstream state any more; drop any proxied header.
    exchange.getResponseHeaders().remove(Headers.TRANSFER_ENCODING);
    byte[] body = body(status, error, service, port);
    exchange.getResponseHeaders().put(Headers.CONTENT_LENGTH, body.length);
    exchange.getResponseSender().send(ByteBuffer.wrap(body));
  }

  static byte[] body(int status, String error, @Nullable String service) {
    return body(status, error, service, null);
  }

  static byte[] body(int status, String error, @Nullable String service, @Nullable String port) {
    StringBuilder sb = new StringBuilder(64).append("{\"error\":");
    quote(sb, error);
    if (service != null) {
      sb.append(",\"service\":");
      quote(sb, service);
    }
    if (port != null) {
      sb.append(",\"port\":");
      quote(sb, port);
    }
    sb.append(",\"status\":").append(status).append("}\n");
    return sb.toString().getBytes(StandardCharsets.UTF_8);
  }

  private static void quote(StringBuilder sb, String s) {
    Json.quote(sb, s);
  }
}
