package dev.whaleray.router.discovery;

import dev.whaleray.router.EndpointSet;
import java.util.concurrent.CompletionStage;

/** One listener's interest in one service; see {@link Discovery#watch}. Thread-safe. */
public interface Watch extends AutoCloseable {

  /**
   * Completes with the first snapshot (known, empty or unknown), or exceptionally when the first
   * lookup fails. Callbacks must not block: they may run on the discovery's control thread.
   */
  CompletionStage<EndpointSet> ready();

  /** Asks for a fresh lookup now (e.g. after a connect failure); returns at once. */
  void refresh();

  /** Stops the listener's updates; the service is forgotten when its last watch closes. */
  @Override
  void close();
}
