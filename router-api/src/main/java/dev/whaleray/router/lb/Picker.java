package dev.whaleray.router.lb;

import dev.whaleray.router.RequestView;
import org.jspecify.annotations.Nullable;

/**
 * The data plane of load balancing: chooses the upstream for one attempt of a request, or drops it.
 *
 * <p>Called on IO threads for every attempt, concurrently: it must be lock-free, must not block,
 * and should not allocate. Immutable apart from counters. A router retries a failed attempt by
 * asking again with the failed upstream in {@link Tried}; a picker should then answer an upstream
 * not tried yet (the next one in its order), or {@link PickResult#none()} when every one was.
 */
public interface Picker {
  /**
   * The pick for one attempt.
   *
   * @param request the request being routed
   * @param tried the upstreams this request already tried ({@link Tried#NONE} on its first attempt)
   * @return an upstream, {@link PickResult#none()} (nothing to pick: 503), or a {@link
   *     PickResult#drop drop} with its reason
   */
  PickResult pick(RequestView request, Tried tried);

  /** The first attempt's upstream, or null when there is none or the picker drops the request. */
  default @Nullable Upstream pick(RequestView request) {
    return pick(request, Tried.NONE).upstream();
  }
}
