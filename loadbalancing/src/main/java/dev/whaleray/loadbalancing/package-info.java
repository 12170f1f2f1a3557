/**
 * Load-balancing policies behind the {@link dev.whaleray.router.lb.LoadBalancer} SPI: {@code
 * round-robin}, {@code random}, {@code weighted}, {@code least-connections} and {@code
 * consistent-hash}, plus zone-aware routing and slow start as decorators over any policy. Policies
 * are package-private; use {@link dev.whaleray.loadbalancing.LoadBalancers} or their providers'
 * names. Pickers are lock-free and allocate nothing per pick; all precomputation happens in {@code
 * update()}.
 */
@NullMarked
package dev.whaleray.loadbalancing;

import org.jspecify.annotations.NullMarked;
