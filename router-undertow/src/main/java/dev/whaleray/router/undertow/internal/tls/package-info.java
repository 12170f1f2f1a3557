/**
 * Not API: TLS termination for the server's TLS listener. PEM certificate chains and PKCS#8 keys
 * are read into certified keys, a key manager picks one per handshake by SNI against their SAN DNS
 * names (the first is the default), and a poller reloads the files when they change, swapping the
 * key manager's state so new handshakes get the new certificate while open connections keep theirs.
 * Public only so the server can use it; may change in any release.
 */
@NullMarked
package dev.whaleray.router.undertow.internal.tls;

import org.jspecify.annotations.NullMarked;
