/**
 * AWS Cloud Map through DNS: the {@code cloudmap-dns} discovery reads the SRV records (dynamic host
 * ports of ECS tasks in bridge mode) and A records a Cloud Map DNS namespace publishes, with TTL
 * caching, background refresh, negative caching and last-known-good on resolver failures. See
 * {@link dev.whaleray.discovery.cloudmap.dns.CloudMapDnsDiscovery}.
 */
@NullMarked
package dev.whaleray.discovery.cloudmap.dns;

import org.jspecify.annotations.NullMarked;
