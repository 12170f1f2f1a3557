/** Implementation details shared by the API packages; not an API, may change at any time. */
@NullMarked
package dev.whaleray.router.internal;

import org.jspecify.annotations.NullMarked;
