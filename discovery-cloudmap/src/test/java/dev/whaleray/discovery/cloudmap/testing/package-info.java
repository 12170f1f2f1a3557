/**
 * Test fixtures for Cloud Map discovery, shared through this module's test-jar: a real dnsmasq on a
 * loopback port ({@link dev.whaleray.discovery.cloudmap.testing.Dnsmasq}), an in-process server
 * speaking the Cloud Map JSON 1.1 protocol ({@link
 * dev.whaleray.discovery.cloudmap.testing.CloudMapStub}) and a manual scheduler.
 */
@NullMarked
package dev.whaleray.discovery.cloudmap.testing;

import org.jspecify.annotations.NullMarked;
