package dev.whaleray.router.undertow.internal.proxy;

import dev.whaleray.router.lb.Tried;
import dev.whaleray.router.lb.Upstream;
import java.util.Arrays;
import org.jspecify.annotations.Nullable;

/**
 * The upstreams a request (or TCP connection) has tried, for its retries' picks: a retry never goes
 * back to an endpoint that just failed. Nothing is allocated until the first retry. One per call,
 * on its IO thread.
 */
final class TriedUpstreams implements Tried {
  private Upstream @Nullable [] upstreams;
  private int count;
  private boolean lastReached;

  /**
   * Adds the upstream of a failed attempt.
   *
   * @param reachedBackend the attempt reached the backend (not a connect failure): it added load
   */
  void add(Upstream failed, boolean reachedBackend) {
    Upstream[] t = upstreams;
    if (t == null) {
      t = upstreams = new Upstream[2];
    } else if (count == t.length) {
      t = upstreams = Arrays.copyOf(t, t.length * 2);
    }
    t[count++] = failed;
    lastReached = reachedBackend;
  }

  @Override
  public int count() {
    return count;
  }

  @Override
  public boolean contains(Upstream u) {
    Upstream[] t = upstreams;
    if (t == null) {
      return false;
    }
    for (int i = 0; i < count; i++) {
      Upstream x = t[i];
      if (x == u
          || (x.endpoint().port() == u.endpoint().port()
              && x.endpoint().host().equals(u.endpoint().host()))) {
        return true;
      }
    }
    return false;
  }

  @Override
  public boolean lastAttemptReachedABackend() {
    return lastReached;
  }
}
