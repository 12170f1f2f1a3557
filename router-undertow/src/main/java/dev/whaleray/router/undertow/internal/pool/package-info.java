/**
 * Not API: what each IO thread owns for the upstream side, so the request path takes no lock. Its
 * keep-alive connection pools per endpoint with their wait queues, its timeout lists (one intrusive
 * list per timeout length, one XNIO timer each), and the per-thread buffer pool. Public only so the
 * handler and the proxy can use it; may change in any release.
 */
@NullMarked
package dev.whaleray.router.undertow.internal.pool;

import org.jspecify.annotations.NullMarked;
