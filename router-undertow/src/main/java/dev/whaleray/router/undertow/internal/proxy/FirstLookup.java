package dev.whaleray.router.undertow.internal.proxy;

import dev.whaleray.router.core.Cluster;
import dev.whaleray.router.core.ClusterSnapshot;
import org.jspecify.annotations.Nullable;

/**
 * What a request or connection does with its cluster, given the snapshot it read first: go on, wait
 * for discovery's first answer, or give up because that lookup failed. Shared by the HTTP and TCP
 * paths.
 *
 * <p>Discovery answers on its own thread: it sets the snapshot, then completes {@link
 * Cluster#ready()}. A caller that read no snapshot and then finds the lookup done must read the
 * snapshot again: the answer may have come in between (a first TCP connection was reset, and a
 * first request would have had a 503, when a loaded machine paused the IO thread just there).
 */
enum FirstLookup {
  /** A snapshot is there: pick. */
  PROCEED,
  /** No answer yet: wait for {@link Cluster#ready()}. */
  WAIT,
  /** The first lookup ended without a snapshot (it failed): nothing is known. */
  FAILED;

  /** The decision for {@code cluster}, whose snapshot read a moment ago was {@code read}. */
  static FirstLookup of(@Nullable ClusterSnapshot read, Cluster cluster) {
    if (read != null) {
      return PROCEED;
    }
    if (!cluster.ready().isDone()) {
      return WAIT;
    }
    return cluster.snapshot() != null ? PROCEED : FAILED; // answered since `read`, or failed
  }
}
