/**
 * Not API: one proxied request, cut into its parts. {@link
 * dev.whaleray.router.undertow.internal.proxy.ProxyCall} is the state machine (attempts, connect
 * callbacks, retries, failures, the end of the exchange); the request pump reads the body ahead and
 * streams it upstream, the response pump reads the response head into the exchange and streams the
 * body back, the request head writer writes the head and the forwarded headers, lingering close
 * drains an upload after an early answer, and the upgrade tunnel carries a WebSocket after its 101.
 * Public only so the handler can start a call; may change in any release.
 */
@NullMarked
package dev.whaleray.router.undertow.internal.proxy;

import org.jspecify.annotations.NullMarked;
