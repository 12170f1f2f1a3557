/**
 * The Undertow binding: {@link dev.whaleray.router.undertow.RouterHandler} routes a request to a
 * service, picks an endpoint and proxies over pooled keep-alive connections, streaming bodies both
 * ways; {@link dev.whaleray.router.undertow.RouterServer} runs it on a listener that drains
 * gracefully. Everything under {@code internal} is the implementation, not API.
 */
@NullMarked
package dev.whaleray.router.undertow;

import org.jspecify.annotations.NullMarked;
