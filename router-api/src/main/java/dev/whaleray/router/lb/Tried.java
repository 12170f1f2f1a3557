package dev.whaleray.router.lb;

/**
 * The upstreams one request has already tried, so that a retry goes somewhere else. Implemented by
 * the transport with a small array per request: no allocation. Upstreams compare by address ({@code
 * host:port}), so a snapshot that replaced the upstream object still counts it as tried.
 */
public interface Tried {
  /** No upstream tried yet: the first attempt. */
  Tried NONE =
      new Tried() {
        @Override
        public int count() {
          return 0;
        }

        @Override
        public boolean contains(Upstream upstream) {
          return false;
        }

        @Override
        public String toString() {
          return "Tried.NONE";
        }
      };

  /** How many attempts this request made before this one. */
  int count();

  /** True when an attempt of this request already went to {@code upstream}'s address. */
  boolean contains(Upstream upstream);

  /**
   * True when the last attempt failed after the request was sent (a reset), false when it never
   * reached a backend (a connect failure): only the former adds load to a service, so only it
   * counts against a retry budget. Default true.
   */
  default boolean lastAttemptReachedABackend() {
    return true;
  }
}
