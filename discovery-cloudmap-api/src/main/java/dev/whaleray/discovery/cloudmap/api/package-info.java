/**
 * AWS Cloud Map through its API: the {@code cloudmap-api} discovery polls {@code
 * DiscoverInstancesRevision} and, when it changed, {@code DiscoverInstances} for every watched
 * service, mapping instance attributes (address, port, zone, weight) to endpoints. See {@link
 * dev.whaleray.discovery.cloudmap.api.CloudMapApiDiscovery}.
 */
@NullMarked
package dev.whaleray.discovery.cloudmap.api;

import org.jspecify.annotations.NullMarked;
