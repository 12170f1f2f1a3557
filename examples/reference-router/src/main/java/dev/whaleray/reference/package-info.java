/**
 * The reference router: a standalone process configured by environment variables and a YAML file,
 * built from the library's modules. {@link dev.whaleray.reference.Main} is the entry point; {@link
 * dev.whaleray.reference.ReferenceRouter} runs one in-process (tests, embedding).
 */
@NullMarked
package dev.whaleray.reference;

import org.jspecify.annotations.NullMarked;
