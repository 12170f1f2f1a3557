/**
 * Not API: the router's HTTP/1.1 codec for its upstream side, as bytes. {@link
 * dev.whaleray.router.undertow.internal.http1.HeadWriter} builds a request head in a reusable
 * array, {@link dev.whaleray.router.undertow.internal.http1.ResponseParser} parses a response head
 * straight into the exchange, {@link
 * dev.whaleray.router.undertow.internal.http1.ChunkedResponseDecoder} finds chunked body data in
 * place, and {@link dev.whaleray.router.undertow.internal.http1.HopByHop} knows which headers stop
 * at the router. Instances are confined to one IO thread and reused request after request. Public
 * only so the other internal packages can use it; may change in any release.
 */
@NullMarked
package dev.whaleray.router.undertow.internal.http1;

import org.jspecify.annotations.NullMarked;
