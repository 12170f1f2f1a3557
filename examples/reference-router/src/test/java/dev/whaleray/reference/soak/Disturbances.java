package dev.whaleray.reference.soak;

import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/**
 * What changes under the traffic: the discovery file gains or loses an endpoint every {@code
 * churnMillis}, and every {@code restartEverySeconds} one backend (in turn) is restarted, every
 * other time on a new port (an ECS task replaced, on a new dynamic host port), else on its own port
 * (a container restarted). A restart is done as a careful operator would: take the backend out of
 * the file, wait until the router has applied that (two {@code reloaded} log lines) and 2 s more
 * for requests already routed to it, wait up to {@code drainSeconds} for its requests and WebSocket
 * sessions to end, stop it (what is still in flight is recorded as killed), start it again 0.5 s
 * later, and let the churn list it again. Each loop runs on its own thread until {@link #stop}.
 */
final class Disturbances {
  private final DiscoveryChurn churn;
  private final List<SoakBackend> backends;
  private final RouterUnderTest router;
  private final SoakSettings settings;
  private final Ports ports;
  private final AtomicLong restarts = new AtomicLong();
  private final AtomicLong moves = new AtomicLong();
  private final AtomicLong drainTimeouts = new AtomicLong();
  private final AtomicLong cut = new AtomicLong();
  private final AtomicLong reloadWaitTimeouts = new AtomicLong();
  private volatile boolean stopped;
  private volatile Throwable failure;
  private Thread churnThread;
  private Thread restartThread;
  private int next;

  Disturbances(
      DiscoveryChurn churn,
      List<SoakBackend> backends,
      RouterUnderTest router,
      SoakSettings settings,
      Ports ports) {
    this.churn = churn;
    this.backends = backends;
    this.router = router;
    this.settings = settings;
    this.ports = ports;
  }

  void start() {
    stopped = false;
    churnThread = thread(this::churnLoop, "soak-churn");
    restartThread = thread(this::restartLoop, "soak-restarts");
  }

  /** Stops both loops; a restart under way is finished first (bounded by its own timeouts). */
  void stop() throws InterruptedException {
    stopped = true;
    churnThread.join(10_000);
    restartThread.join(60_000);
    if (churnThread.isAlive() || restartThread.isAlive()) {
      throw new IllegalStateException("churn or restart loop did not stop");
    }
    if (failure != null) {
      throw new IllegalStateException("disturbance loop failed", failure);
    }
  }

  long restarts() {
    return restarts.get();
  }

  /** Restarts that came back on a new port. */
  long moves() {
    return moves.get();
  }

  /** Restarts whose drain timed out, so that requests were cut. */
  long drainTimeouts() {
    return drainTimeouts.get();
  }

  /** Requests and WebSocket sessions in flight on a backend when it was stopped. */
  long cut() {
    return cut.get();
  }

  /** Restarts where the router's two reloads did not show within 10 s (then waited 10 s). */
  long reloadWaitTimeouts() {
    return reloadWaitTimeouts.get();
  }

  private void churnLoop() {
    try {
      while (!stopped) {
        churn.tick();
        Thread.sleep(settings.churnMillis());
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (RuntimeException e) {
      failure = e;
    }
  }

  private void restartLoop() {
    try {
      long nextAt = System.nanoTime() + settings.restartEverySeconds() * 1_000_000_000L;
      while (!stopped) {
        if (System.nanoTime() < nextAt) {
          Thread.sleep(100);
          continue;
        }
        // Every other restart comes back on a new port: endpoints that left for good must not
        // leave state behind in the router (pools, picker entries, meters).
        restartOne(backends.get(next % backends.size()), next % 2 == 1);
        next++;
        nextAt = System.nanoTime() + settings.restartEverySeconds() * 1_000_000_000L;
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (RuntimeException e) {
      failure = e;
    }
  }

  private void restartOne(SoakBackend b, boolean newPort) throws InterruptedException {
    long seen = router.reloads();
    churn.block(b);
    try {
      if (!router.awaitReloads(seen, 2, 10_000)) {
        reloadWaitTimeouts.incrementAndGet();
      }
      Thread.sleep(2000);
      boolean drained = b.awaitDrained(settings.drainSeconds() * 1000L);
      int inFlight = b.stop();
      if (!drained) {
        drainTimeouts.incrementAndGet();
      }
      cut.addAndGet(inFlight);
      if (newPort) {
        b.moveTo(ports.nextForBackend());
        moves.incrementAndGet();
      }
      Thread.sleep(500);
    } finally {
      b.start();
      churn.unblock();
    }
    restarts.incrementAndGet();
  }

  private static Thread thread(Runnable r, String name) {
    Thread t = new Thread(r, name);
    t.setDaemon(true);
    t.start();
    return t;
  }
}
