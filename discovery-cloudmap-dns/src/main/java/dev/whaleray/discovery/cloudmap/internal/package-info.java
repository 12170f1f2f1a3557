/**
 * Helpers shared by the Cloud Map discoveries (settings parsing, backoff with jitter, the
 * per-service pollers' bookkeeping). Not an API: may change in any release.
 */
@NullMarked
package dev.whaleray.discovery.cloudmap.internal;

import org.jspecify.annotations.NullMarked;
