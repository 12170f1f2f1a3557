/**
 * Load-balancing SPI: a {@link dev.whaleray.router.lb.LoadBalancer} (control plane) turns each
 * endpoint snapshot into an immutable {@link dev.whaleray.router.lb.Picker} (data plane) that
 * chooses an {@link dev.whaleray.router.lb.Upstream} per request without locks or allocation.
 */
@NullMarked
package dev.whaleray.router.lb;

import org.jspecify.annotations.NullMarked;
