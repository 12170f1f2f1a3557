package dev.whaleray.reference.soak;

import java.io.EOFException;
import java.net.ConnectException;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.net.http.HttpTimeoutException;
import java.net.http.WebSocketHandshakeException;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeoutException;

/**
 * A failed operation: its kind ({@code HTTP 502}, {@code reset}, {@code timeout}...), whether the
 * soak's design expects it, and if so why.
 */
record Failure(String kind, boolean expected, String why) {

  static Failure unexpected(String kind) {
    return new Failure(kind, false, "");
  }

  static Failure expected(String kind, String why) {
    return new Failure(kind, true, " (expected: " + why + ")");
  }

  /** The kind of an exception a client saw, named by what happened on the wire. */
  static String kindOf(Throwable t) {
    Throwable c = unwrap(t);
    if (c instanceof HttpConnection.ResponseEof eof) {
      return eof.beforeStatus() ? "closed before the status line" : "closed mid-response";
    }
    if (c instanceof HttpConnection.BadResponse) {
      return "malformed response";
    }
    if (c instanceof WebSocketHandshakeException h) {
      return "websocket handshake HTTP " + h.getResponse().statusCode();
    }
    if (c instanceof ConnectException) {
      return "connect refused";
    }
    if (c instanceof SocketTimeoutException
        || c instanceof HttpTimeoutException
        || c instanceof TimeoutException) {
      return "timeout";
    }
    if (c instanceof EOFException) {
      return "closed mid-response";
    }
    String message = String.valueOf(c.getMessage()).toLowerCase(java.util.Locale.ROOT);
    if (message.contains("received no bytes")) {
      return "closed before the status line"; // the JDK client's words (WebSocket handshake)
    }
    if (message.contains("eof reached")) {
      return "closed mid-response";
    }
    if (c instanceof SocketException || c instanceof java.io.IOException) {
      if (message.contains("reset")) {
        return "reset";
      }
      if (message.contains("broken pipe")) {
        return "broken pipe";
      }
      if (message.contains("closed")) {
        return "connection closed";
      }
    }
    return c.getClass().getSimpleName();
  }

  /** The cause worth naming: futures' wrappers removed. */
  static Throwable unwrap(Throwable t) {
    Throwable c = t;
    while ((c instanceof CompletionException || c instanceof ExecutionException)
        && c.getCause() != null) {
      c = c.getCause();
    }
    return c;
  }
}
