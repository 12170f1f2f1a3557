/**
 * Endpoints registered at run time as one more discovery source: {@link
 * dev.whaleray.router.core.registry.MemoryRegistry} keeps registrations in this process until their
 * TTL lapses, and {@link dev.whaleray.router.core.registry.RegistryDiscovery} merges a {@link
 * dev.whaleray.router.discovery.Registry}'s endpoints into the snapshots of the configured
 * discovery.
 */
@NullMarked
package dev.whaleray.router.core.registry;

import org.jspecify.annotations.NullMarked;
