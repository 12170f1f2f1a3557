package dev.whaleray.router.core;

import static dev.whaleray.router.settings.Durations.requirePositive;
import static java.util.Objects.requireNonNull;

import java.time.Duration;

/**
 * Active health check settings (an ALB target group's, HAProxy's {@code rise}/{@code fall}): every
 * endpoint of a service in use gets {@code GET path} every {@link #interval} (jittered by up to 10
 * %), answered within {@link #timeout} with a status in {@link #minStatus}..{@link #maxStatus}; it
 * turns unhealthy after {@link #unhealthyThreshold} failed checks in a row and healthy again after
 * {@link #healthyThreshold} passes. In {@link Mode#TCP} mode ({@link #tcp()}), for services that do
 * not speak HTTP (SSH, databases), a check passes when a TCP connection to the endpoint opens
 * within the timeout (it is closed at once, nothing sent); path and statuses are then unused.
 * Immutable.
 */
public final class HealthCheck {
  /** What a check does. */
  public enum Mode {
    /** {@code GET path}, passing on an expected status. */
    HTTP,
    /** A TCP connect, passing when the connection opens in time. */
    TCP
  }

  private final String path;
  private final Duration interval;
  private final Duration timeout;
  private final int healthyThreshold;
  private final int unhealthyThreshold;
  private final int minStatus;
  private final int maxStatus;
  private final boolean newEndpointsWaitForACheck;
  private final Mode mode;

  private HealthCheck(
      String path,
      Duration interval,
      Duration timeout,
      int healthyThreshold,
      int unhealthyThreshold,
      int minStatus,
      int maxStatus,
      boolean newEndpointsWaitForACheck,
      Mode mode) {
    this.mode = mode;
    this.path = path;
    this.interval = interval;
    this.timeout = timeout;
    this.healthyThreshold = healthyThreshold;
    this.unhealthyThreshold = unhealthyThreshold;
    this.minStatus = minStatus;
    this.maxStatus = maxStatus;
    this.newEndpointsWaitForACheck = newEndpointsWaitForACheck;
  }

  /** Checks of {@code path} (starting with '/') every 5 s, timeout 2 s, thresholds 2 and 3. */
  public static HealthCheck of(String path) {
    requireNonNull(path, "path");
    if (!path.startsWith("/")) {
      throw new IllegalArgumentException("path: '" + path + "' (expected: starting with /)");
    }
    return new HealthCheck(
        path, Duration.ofSeconds(5), Duration.ofSeconds(2), 2, 3, 200, 399, false, Mode.HTTP);
  }

  /**
   * TCP-connect checks every 5 s, timeout 2 s, thresholds 2 and 3: for services that cannot answer
   * an HTTP {@code GET}. A check passes when a connection to the endpoint opens within the timeout.
   */
  public static HealthCheck tcp() {
    return of("/").withMode(Mode.TCP);
  }

  /** A copy checking in {@code mode} (the other settings kept). */
  public HealthCheck withMode(Mode mode) {
    requireNonNull(mode, "mode");
    if (mode == this.mode) {
      return this;
    }
    return new HealthCheck(
        path,
        interval,
        timeout,
        healthyThreshold,
        unhealthyThreshold,
        minStatus,
        maxStatus,
        newEndpointsWaitForACheck,
        mode);
  }

  /** How an endpoint is checked. */
  public Mode mode() {
    return mode;
  }

  /** A copy checking every {@code d} (above 0). */
  public HealthCheck withInterval(Duration d) {
    return new HealthCheck(
        path,
        requirePositive("interval", d),
        timeout,
        healthyThreshold,
        unhealthyThreshold,
        minStatus,
        maxStatus,
        newEndpointsWaitForACheck,
        mode);
  }

  /** A copy whose checks fail when not answered within {@code d} (above 0). */
  public HealthCheck withTimeout(Duration d) {
    return new HealthCheck(
        path,
        interval,
        requirePositive("timeout", d),
        healthyThreshold,
        unhealthyThreshold,
        minStatus,
        maxStatus,
        newEndpointsWaitForACheck,
        mode);
  }

  /** A copy with other thresholds (each 1 to 100). */
  public HealthCheck withThresholds(int healthy, int unhealthy) {
    return new HealthCheck(
        path,
        interval,
        timeout,
        threshold(healthy, "healthyThreshold"),
        threshold(unhealthy, "unhealthyThreshold"),
        minStatus,
        maxStatus,
        newEndpointsWaitForACheck,
        mode);
  }

  /** A copy passing on statuses {@code min}..{@code max} (within 100..599). */
  public HealthCheck withExpectedStatus(int min, int max) {
    if (min < 100 || max > 599 || min > max) {
      throw new IllegalArgumentException(
          "expected status: " + min + "-" + max + " (expected: a range within 100-599)");
    }
    return new HealthCheck(
        path,
        interval,
        timeout,
        healthyThreshold,
        unhealthyThreshold,
        min,
        max,
        newEndpointsWaitForACheck,
        mode);
  }

  /**
   * A copy where a new endpoint takes traffic only after its first passing check (default: at once,
   * as it was discovered).
   */
  public HealthCheck withNewEndpointsWaitingForACheck(boolean wait) {
    return new HealthCheck(
        path,
        interval,
        timeout,
        healthyThreshold,
        unhealthyThreshold,
        minStatus,
        maxStatus,
        wait,
        mode);
  }

  private static int threshold(int n, String name) {
    if (n < 1 || n > 100) {
      throw new IllegalArgumentException(name + ": " + n + " (expected: 1 to 100)");
    }
    return n;
  }

  /** The path probed with GET (unused in {@link Mode#TCP} mode). */
  public String path() {
    return path;
  }

  /** Time between two checks of one endpoint (before jitter). */
  public Duration interval() {
    return interval;
  }

  /** A check not answered within this fails. */
  public Duration timeout() {
    return timeout;
  }

  /** Passes in a row that make an unhealthy endpoint healthy. */
  public int healthyThreshold() {
    return healthyThreshold;
  }

  /** Failures in a row that make a healthy endpoint unhealthy. */
  public int unhealthyThreshold() {
    return unhealthyThreshold;
  }

  /** The lowest status that passes. */
  public int minStatus() {
    return minStatus;
  }

  /** The highest status that passes. */
  public int maxStatus() {
    return maxStatus;
  }

  /** Whether a new endpoint waits for a passing check before it takes traffic. */
  public boolean newEndpointsWaitForACheck() {
    return newEndpointsWaitForACheck;
  }

  @Override
  public String toString() {
    return "HealthCheck{"
        + (mode == Mode.TCP ? "TCP connect" : "GET " + path)
        + " every "
        + interval
        + ", timeout "
        + timeout
        + ", healthy "
        + healthyThreshold
        + ", unhealthy "
        + unhealthyThreshold
        + ", status "
        + minStatus
        + "-"
        + maxStatus
        + "}";
  }
}
