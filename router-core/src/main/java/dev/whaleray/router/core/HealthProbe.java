package dev.whaleray.router.core;

import dev.whaleray.router.Endpoint;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;

/**
 * Sends one HTTP health check over the transport a service's requests use, when that is not plain
 * HTTP/1.1 (TLS with its trust store and server name, h2c by prior knowledge, h2 by ALPN): the
 * check must see the endpoint as requests do. Supplied per service by the transport through {@link
 * ClusterManager.Builder#healthProbes}; services without one are checked over HTTP/1.1.
 */
@FunctionalInterface
public interface HealthProbe {
  /**
   * Sends {@code GET path} to {@code endpoint}.
   *
   * @return completes with the response's status code, or exceptionally (refused, timed out, TLS
   *     failure) within about {@code timeout}; never blocks the caller
   */
  CompletableFuture<Integer> get(Endpoint endpoint, String path, Duration timeout);
}
