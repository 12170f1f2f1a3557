package dev.whaleray.reference.soak;

import java.io.IOException;
import java.net.http.HttpClient;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One phase of client traffic against the router: fast workers (keep-alive GETs, POSTs,
 * WebSockets), slow clients and stalled clients, each on its own thread, all counted in one {@link
 * Tally}. {@link #stop} ends it within a bounded time: stalled clients are cut at once, the others
 * finish the operation under way (or are cut after a grace period) and close their connections.
 */
final class Traffic {
  private static final long FINISH_GRACE_MILLIS = 45_000;

  final int port;
  final Tally tally;
  final KilledRequests killed;
  final HttpClient webSockets;
  private final Set<HttpConnection> open = ConcurrentHashMap.newKeySet();
  private final Set<HttpConnection> stalled = ConcurrentHashMap.newKeySet();
  private final AtomicLong ids = new AtomicLong();
  private final List<Thread> threads = new ArrayList<>();
  private final List<Thread> stallers = new ArrayList<>();
  private volatile boolean stopping;
  private volatile boolean cutting;

  Traffic(int port, Tally tally, KilledRequests killed) {
    this.port = port;
    this.tally = tally;
    this.killed = killed;
    this.webSockets = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  }

  /** Starts the clients; {@code tag} makes the request ids of this phase unique. */
  void start(SoakSettings s, String tag) {
    for (int i = 0; i < s.workers(); i++) {
      threads.add(thread(new FastWorker(this, tag + "w" + i, s.thinkMillis(), i), tag + "w" + i));
    }
    for (int i = 0; i < s.slowClients(); i++) {
      threads.add(thread(new SlowClient(this, tag + "s" + i, i), tag + "s" + i));
    }
    for (int i = 0; i < s.stallers(); i++) {
      Staller staller = new Staller(this, tag + "x" + i, i % 2 == 0, s.stallLimitSeconds());
      stallers.add(thread(staller, tag + "x" + i));
    }
  }

  private static Thread thread(Runnable r, String name) {
    Thread t = new Thread(r, "soak-" + name);
    t.setDaemon(true);
    t.start();
    return t;
  }

  boolean stopping() {
    return stopping;
  }

  /** True once the grace period is over and the harness closes the busy connections. */
  boolean cutting() {
    return cutting;
  }

  String nextId(String who) {
    return who + "-" + ids.incrementAndGet();
  }

  /**
   * Opens a client connection that {@link #stop} can close: at once when {@code stall}, else after
   * the grace period.
   */
  HttpConnection connect(int readTimeoutMillis, boolean stall) throws IOException {
    HttpConnection c = HttpConnection.open(port, 5000, readTimeoutMillis);
    (stall ? stalled : open).add(c);
    if (stopping && stall) {
      c.close(); // raced with stop(): the caller sees a closed socket and counts a cut
    }
    return c;
  }

  void close(HttpConnection c) {
    if (c != null) {
      c.close();
      open.remove(c);
      stalled.remove(c);
    }
  }

  /** A non-200 answer: expected only for a request the harness cut by stopping its backend. */
  Failure status(String id, int status) {
    String kind = "HTTP " + status;
    return killed.contains(id)
        ? Failure.expected(kind, "its backend was stopped with it in flight")
        : Failure.unexpected(kind);
  }

  /** A broken exchange, judged the same way. */
  Failure exception(String id, Throwable t) {
    String kind = Failure.kindOf(t);
    return killed.contains(id)
        ? Failure.expected(kind, "its backend was stopped with it in flight")
        : Failure.unexpected(kind);
  }

  /**
   * Stops the traffic and waits for every client thread (bounded): stallers are cut at once, the
   * others get {@link #FINISH_GRACE_MILLIS} to finish what they are doing.
   */
  void stop() throws InterruptedException {
    stopping = true;
    for (Thread t : stallers) {
      t.interrupt();
    }
    closeAll(stalled);
    long deadline = System.nanoTime() + FINISH_GRACE_MILLIS * 1_000_000;
    for (Thread t : threads) {
      t.join(Math.max(1, (deadline - System.nanoTime()) / 1_000_000));
    }
    cutting = true;
    closeAll(open); // still busy after the grace: cut
    closeAll(stalled);
    for (Thread t : concat()) {
      t.join(10_000);
      if (t.isAlive()) {
        throw new IllegalStateException(t.getName() + " did not stop");
      }
    }
    open.clear();
    stalled.clear();
  }

  private List<Thread> concat() {
    List<Thread> all = new ArrayList<>(threads);
    all.addAll(stallers);
    return all;
  }

  private static void closeAll(Set<HttpConnection> connections) {
    for (HttpConnection c : connections) {
      c.close();
    }
  }
}
