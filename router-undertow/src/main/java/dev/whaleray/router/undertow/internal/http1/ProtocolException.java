package dev.whaleray.router.undertow.internal.http1;

/** The bad response head, for the router's log and its 502. */
public final class ProtocolException extends Exception {
  public ProtocolException(String message) {
    super(message, null, false, false);
  }

  private static final long serialVersionUID = 1L;
}
