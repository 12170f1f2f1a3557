package dev.whaleray.loadbalancing;

import dev.whaleray.router.lb.Picker;
import dev.whaleray.router.lb.Upstream;

/**
 * A picker of this module that can list the upstreams it chooses among, so a decorator (slow start)
 * can fall back to a warm one without asking the policy again.
 */
interface UpstreamsPicker extends Picker {
  /** The upstreams, in snapshot order; callers must not modify the array. */
  Upstream[] upstreams();
}
