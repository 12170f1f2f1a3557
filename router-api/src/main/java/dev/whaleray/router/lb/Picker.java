package dev.whaleray.router.lb;

import dev.whaleray.router.RequestView;
import org.jspecify.annotations.Nullable;

/**
 * The data plane of load balancing: chooses one upstream for a request.
 *
 * <p>Called on IO threads for every request, concurrently: it must be lock-free, must not block,
 * and should not allocate. Immutable apart from counters.
 */
public interface Picker {

  /** The upstream for this request, or null when no endpoint can take it (503). */
  @Nullable Upstream pick(RequestView request);
}
