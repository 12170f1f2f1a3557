package dev.whaleray.loadbalancing;

import dev.whaleray.router.lb.PickResult;
import dev.whaleray.router.lb.Tried;
import dev.whaleray.router.lb.Upstream;
import org.jspecify.annotations.Nullable;

/**
 * Turns a policy's choice into a {@link PickResult}: the upstream's own cached result (no
 * allocation) on a first attempt, and on a retry the first upstream not yet tried, from the chosen
 * one onward in the policy's order.
 */
final class Choices {
  private Choices() {}

  /** The result of choosing {@code u}: cached for this module's upstreams. */
  static PickResult of(@Nullable Upstream u) {
    if (u == null) {
      return PickResult.none();
    }
    return u instanceof CountingUpstream ? ((CountingUpstream) u).result : PickResult.of(u);
  }

  /**
   * {@code chosen} when it was not tried yet, else the next untried upstream after it in {@code
   * all} (cyclically), else none: every endpoint was tried.
   */
  static PickResult untried(@Nullable Upstream chosen, Tried tried, Upstream[] all) {
    if (chosen == null) {
      return PickResult.none();
    }
    if (tried.count() == 0 || !tried.contains(chosen)) {
      return of(chosen);
    }
    int n = all.length;
    int at = 0;
    while (at < n && all[at] != chosen) {
      at++;
    }
    for (int k = 1; k <= n; k++) {
      Upstream u = all[(at + k) % n];
      if (!tried.contains(u)) {
        return of(u);
      }
    }
    return PickResult.none();
  }
}
