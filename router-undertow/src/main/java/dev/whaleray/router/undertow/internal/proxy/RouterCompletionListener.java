package dev.whaleray.router.undertow.internal.proxy;

import io.undertow.server.ExchangeCompletionListener;

/**
 * A completion listener of the router's own, which reads no response header: where only these are
 * on an exchange, a response the router writes itself leaves the backend's headers out of the
 * exchange's map ({@link DirectResponse#mayKeepHeadersOut}). A class, not an interface: the check
 * runs on every response, and a class check is one compare where an interface check searches the
 * listener's interfaces. Internal: not for other listeners.
 */
public abstract class RouterCompletionListener implements ExchangeCompletionListener {}
