/**
 * Load-balancing policies behind the {@link dev.whaleray.router.lb.LoadBalancer} SPI. Policies are
 * package-private; use {@link dev.whaleray.loadbalancing.LoadBalancers} or their providers' names.
 */
@NullMarked
package dev.whaleray.loadbalancing;

import org.jspecify.annotations.NullMarked;
