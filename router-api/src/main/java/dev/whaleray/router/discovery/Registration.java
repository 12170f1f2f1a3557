package dev.whaleray.router.discovery;

import static java.util.Objects.requireNonNull;

import dev.whaleray.router.Endpoint;
import java.time.Duration;
import java.time.Instant;
import org.jspecify.annotations.Nullable;

/**
 * One endpoint registered at run time in a {@link Registry}: its service, the endpoint (address,
 * weight, zone), the TTL it was registered with and when it lapses unless renewed. Immutable and
 * thread-safe; {@link #equals} compares every field.
 */
public final class Registration {
  private final String service;
  private final Endpoint endpoint;
  private final Duration ttl;
  private final Instant expiresAt;

  private Registration(String service, Endpoint endpoint, Duration ttl, Instant expiresAt) {
    this.service = service;
    this.endpoint = endpoint;
    this.ttl = ttl;
    this.expiresAt = expiresAt;
  }

  /** A registration of {@code endpoint} for {@code service} until {@code expiresAt}. */
  public static Registration of(
      String service, Endpoint endpoint, Duration ttl, Instant expiresAt) {
    return new Registration(
        requireNonNull(service, "service"),
        requireNonNull(endpoint, "endpoint"),
        requireNonNull(ttl, "ttl"),
        requireNonNull(expiresAt, "expiresAt"));
  }

  /** The service, a lower-case DNS label. */
  public String service() {
    return service;
  }

  /** The registered endpoint, with its weight and zone. */
  public Endpoint endpoint() {
    return endpoint;
  }

  /** The TTL of the last registration (the heartbeat must come sooner). */
  public Duration ttl() {
    return ttl;
  }

  /** When the registration lapses unless it is renewed. */
  public Instant expiresAt() {
    return expiresAt;
  }

  @Override
  public boolean equals(@Nullable Object o) {
    if (this == o) {
      return true;
    }
    if (!(o instanceof Registration)) {
      return false;
    }
    Registration r = (Registration) o;
    return service.equals(r.service)
        && endpoint.equals(r.endpoint)
        && ttl.equals(r.ttl)
        && expiresAt.equals(r.expiresAt);
  }

  @Override
  public int hashCode() {
    return ((service.hashCode() * 31 + endpoint.hashCode()) * 31 + ttl.hashCode()) * 31
        + expiresAt.hashCode();
  }

  @Override
  public String toString() {
    return service + " " + endpoint + " ttl " + ttl + " until " + expiresAt;
  }
}
