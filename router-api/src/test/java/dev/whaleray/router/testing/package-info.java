/**
 * Test fixtures shared through the router-api test-jar: a discovery whose snapshots a test sets by
 * hand, a listener that records what it receives, and an executor that runs tasks when told.
 */
@NullMarked
package dev.whaleray.router.testing;

import org.jspecify.annotations.NullMarked;
