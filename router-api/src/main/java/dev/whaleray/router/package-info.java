/**
 * Routing values and the route table: {@link dev.whaleray.router.Router} maps a request to a
 * service, {@link dev.whaleray.router.Endpoint} and {@link dev.whaleray.router.EndpointSet}
 * describe where that service lives. Everything here is immutable and safe to share between
 * threads.
 */
@NullMarked
package dev.whaleray.router;

import org.jspecify.annotations.NullMarked;
