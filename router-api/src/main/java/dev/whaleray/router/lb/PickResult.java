package dev.whaleray.router.lb;

import static java.util.Objects.requireNonNull;

import org.jspecify.annotations.Nullable;

/**
 * What a {@link Picker} answers for one attempt: an upstream, nothing (no endpoint can take it), or
 * a drop with a reason (circuit open, rate limited). Immutable.
 *
 * <p>{@link #of} allocates; a picker that must not allocate keeps one result per upstream, built
 * when the picker is (the built-in policies do).
 */
public final class PickResult {
  private static final PickResult NONE = new PickResult(null, null, false, 0);

  private final @Nullable Upstream upstream;
  private final @Nullable String dropReason;
  private final boolean rateLimited;
  private final long retryAfterSeconds;

  private PickResult(
      @Nullable Upstream upstream,
      @Nullable String dropReason,
      boolean rateLimited,
      long retryAfterSeconds) {
    this.upstream = upstream;
    this.dropReason = dropReason;
    this.rateLimited = rateLimited;
    this.retryAfterSeconds = retryAfterSeconds;
  }

  /** The attempt goes to {@code upstream}. */
  public static PickResult of(Upstream upstream) {
    return new PickResult(requireNonNull(upstream, "upstream"), null, false, 0);
  }

  /** No endpoint can take the attempt (none known, or all tried): the router answers 503. */
  public static PickResult none() {
    return NONE;
  }

  /**
   * The request is refused on purpose, e.g. the service's circuit is open: the router answers 503
   * with {@code reason} and does not retry.
   */
  public static PickResult drop(String reason) {
    return new PickResult(null, requireNonNull(reason, "reason"), false, 0);
  }

  /**
   * The request is over a rate limit: the router answers 429 with {@code reason} and a {@code
   * Retry-After} of {@code retryAfterSeconds} (at least 1).
   */
  public static PickResult rateLimited(String reason, long retryAfterSeconds) {
    return new PickResult(
        null, requireNonNull(reason, "reason"), true, Math.max(1, retryAfterSeconds));
  }

  /** The upstream to use, or null for {@link #none()} and drops. */
  public @Nullable Upstream upstream() {
    return upstream;
  }

  /** True for {@link #drop} and {@link #rateLimited}. */
  public boolean isDrop() {
    return dropReason != null;
  }

  /** Why the request was dropped, or null when it was not. */
  public @Nullable String dropReason() {
    return dropReason;
  }

  /** True for {@link #rateLimited}. */
  public boolean isRateLimited() {
    return rateLimited;
  }

  /** The {@code Retry-After} of a {@link #rateLimited} result, else 0. */
  public long retryAfterSeconds() {
    return retryAfterSeconds;
  }

  @Override
  public String toString() {
    if (upstream != null) {
      return "PickResult{" + upstream.endpoint() + "}";
    }
    if (dropReason != null) {
      return "PickResult{" + (rateLimited ? "rate limited" : "drop") + ": " + dropReason + "}";
    }
    return "PickResult{none}";
  }
}
