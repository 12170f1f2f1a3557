/**
 * Test fixtures for the Cloud Map API discovery, shared through this module's test-jar: an
 * in-process server speaking the Cloud Map JSON 1.1 protocol ({@link
 * dev.whaleray.discovery.cloudmap.api.testing.CloudMapStub}).
 */
@NullMarked
package dev.whaleray.discovery.cloudmap.api.testing;

import org.jspecify.annotations.NullMarked;
