/**
 * Static service discovery: endpoints listed in code ({@link
 * dev.whaleray.discovery.staticlist.StaticDiscovery#builder()}) or in the {@code discovery.static}
 * section of the router's YAML file, which is re-read when it changes. Registered as the {@code
 * static} discovery provider.
 */
@NullMarked
package dev.whaleray.discovery.staticlist;

import org.jspecify.annotations.NullMarked;
