/**
 * Service discovery SPI: a {@link dev.whaleray.router.discovery.Discovery} turns a service name
 * into a stream of {@link dev.whaleray.router.EndpointSet} snapshots; plugins ship a {@link
 * dev.whaleray.router.discovery.DiscoveryProvider} found by {@link java.util.ServiceLoader}.
 */
@NullMarked
package dev.whaleray.router.discovery;

import org.jspecify.annotations.NullMarked;
