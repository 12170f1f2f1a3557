/**
 * The transport-neutral cluster manager: for every service in use, one discovery watch, one load
 * balancer and one immutable {@link dev.whaleray.router.core.ClusterSnapshot} (endpoints and
 * picker) behind a volatile reference. Transports (HTTP/1.1, WebSocket, HTTP/2, TCP) ask a {@link
 * dev.whaleray.router.core.Cluster} for a pick per attempt and report each attempt's end to it.
 */
@NullMarked
package dev.whaleray.router.core;

import org.jspecify.annotations.NullMarked;
