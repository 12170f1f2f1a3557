package dev.whaleray.router.undertow.internal.tls;

import java.nio.file.Path;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.util.List;

/**
 * A certificate chain with its private key and the DNS names it serves (lower case, wildcards as
 * {@code *.example.com}), read from {@code certFile} and {@code keyFile}.
 */
record CertifiedKey(
    Path certFile, Path keyFile, List<X509Certificate> chain, PrivateKey key, List<String> names) {

  /** True when this certificate serves {@code host} (lower case, no trailing dot). */
  boolean matchesExactly(String host) {
    return names.contains(host);
  }

  /** True when a wildcard name matches {@code host}: one whole left-most label. */
  boolean matchesWildcard(String host) {
    int dot = host.indexOf('.');
    if (dot <= 0) {
      return false;
    }
    String rest = host.substring(dot);
    for (String n : names) {
      if (n.startsWith("*.") && n.substring(1).equals(rest) && rest.indexOf('.', 1) > 0) {
        return true;
      }
    }
    return false;
  }
}
