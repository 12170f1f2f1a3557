/**
 * An example discovery plugin, {@code file-lines}: one file per service in a directory, one
 * endpoint per line, re-read while the service is watched. Written to be copied: see the module's
 * README for the how-to.
 */
@NullMarked
package dev.whaleray.examples.filelines;

import org.jspecify.annotations.NullMarked;
