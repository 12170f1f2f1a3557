/**
 * Not API: what the router checks and answers on the client's side before anything reaches a
 * backend. The request policy (framing, {@code Host}, target and header limits), the strict chunked
 * request decoder put in place of Undertow's, path normalization, the request view the route table
 * sees, the listener's connection guard (connection caps, the 408 for slow heads) and the JSON
 * error bodies. Public only so the handler and the proxy can use it; may change in any release.
 */
@NullMarked
package dev.whaleray.router.undertow.internal.edge;

import org.jspecify.annotations.NullMarked;
