/**
 * Test fixtures for Cloud Map DNS discovery, shared through this module's test-jar: a real dnsmasq
 * on a loopback port ({@link dev.whaleray.discovery.cloudmap.testing.Dnsmasq}) and a manual
 * scheduler. The Cloud Map API stub is in discovery-cloudmap-api's test-jar ({@code
 * dev.whaleray.discovery.cloudmap.api.testing}), so that this one needs no AWS SDK.
 */
@NullMarked
package dev.whaleray.discovery.cloudmap.testing;

import org.jspecify.annotations.NullMarked;
