/**
 * Settings shared by every module and plugin: the one duration grammar ({@link
 * dev.whaleray.router.settings.Durations}) used by the router's config, discovery settings and
 * load-balancing options, so an operator writes {@code 30s} the same way everywhere.
 */
@NullMarked
package dev.whaleray.router.settings;

import org.jspecify.annotations.NullMarked;
