package dev.whaleray.reference.soak;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The soak run (issue 9, item 6): the reference router's jar as its own process, several Undertow
 * backends in this one, mixed client traffic (keep-alive GETs, POSTs of 1-8 KB and 1 MB,
 * WebSockets, slow and stalled clients) while the discovery file changes every second and backends
 * restart; the router's RSS, heap after a full GC, threads and file descriptors measured at the
 * start and end in the same quiet state, and every minute between. Writes {@code soak-report.md}
 * and {@code soak-samples.csv}; exits 0 when every check passed, 1 when one failed, 2 when the
 * harness itself could not run.
 *
 * <p>Phases: warm-up (traffic and churn, {@code soak.warmupSeconds}), quiet ({@code
 * soak.quietSeconds}: no traffic, every backend listed) then the start figures; the soak ({@code
 * soak.minutes}, at most 30); quiet again, then the end figures; SIGTERM to the router.
 */
public final class SoakMain {
  private final SoakSettings settings;
  private final SoakReport report;
  private final KilledRequests killed = new KilledRequests();
  private final List<SoakBackend> backends = new ArrayList<>();
  private final Ports ports = new Ports();
  private final long t0 = System.nanoTime();
  private RouterUnderTest router;
  private ProcessProbe probe;
  private Samples samples;
  private DiscoveryChurn churn;
  private long restartsSoFar;
  private volatile Disturbances current;
  private String stage = "";

  private SoakMain(SoakSettings settings) {
    this.settings = settings;
    this.report = new SoakReport(settings);
  }

  public static void main(String[] args) {
    // The backends' Undertow logs each start and stop at INFO: noise around the soak's own lines.
    java.util.logging.Logger.getLogger("").setLevel(java.util.logging.Level.WARNING);
    int status;
    try {
      status = new SoakMain(SoakSettings.from(System.getProperties())).run();
    } catch (IllegalArgumentException e) {
      System.err.println("soak: " + e.getMessage());
      status = 2;
    } catch (Throwable t) {
      System.err.println("soak: the harness failed");
      t.printStackTrace();
      status = 2;
    }
    System.exit(status);
  }

  private int run() throws Exception {
    Path out = settings.outputDir();
    Files.createDirectories(out);
    if (!Files.isRegularFile(settings.jar())) {
      throw new IllegalArgumentException(
          "soak.jar: " + settings.jar().toAbsolutePath() + " not found (build it: ./mvnw package)");
    }
    report.started = Instant.now();
    watchdog();
    int routerPort = ports.next();
    for (int i = 0; i < settings.backends(); i++) {
      SoakBackend b = new SoakBackend("backend-" + (i + 1), ports.nextForBackend(), killed);
      b.start();
      backends.add(b);
    }
    churn = new DiscoveryChurn(out.resolve("router.yaml"), routerPort, ports.next(), backends);
    churn.listAll();
    log("backends on " + ports.backendPorts() + ", router on " + routerPort);
    try (Samples s = new Samples(out.resolve("soak-samples.csv"))) {
      samples = s;
      router =
          RouterUnderTest.start(
              settings.jar(),
              churn.file(),
              settings.routerJvmArgs(),
              Map.of(),
              out.resolve("router.log"));
      try {
        stage = "start-up";
        router.awaitHealthy(routerPort, 30_000);
        report.routerPid = router.pid();
        probe = new ProcessProbe(router.pid(), routerPort, ports.backendPorts());
        log("router pid " + router.pid() + " healthy; warm-up " + settings.warmupSeconds() + " s");
        phase("warm-up", report.warmup, routerPort, settings.warmupSeconds() * 1000L, "a", false);
        quiet("quiet before start");
        report.start = probe.measure(true);
        report.startHistogram = probe.lastHistogram();
        Files.writeString(out.resolve("histogram-start.txt"), report.startHistogram);
        sample("start", report.start, report.soak);
        log("start figures taken; soak " + settings.minutes() + " min");
        report.trafficStarted = Instant.now();
        phase("soak", report.soak, routerPort, settings.traffic().toMillis(), "b", true);
        quiet("quiet after end");
        report.end = probe.measure(true);
        report.endHistogram = probe.lastHistogram();
        Files.writeString(out.resolve("histogram-end.txt"), report.endHistogram);
        sample("end", report.end, report.soak);
        log("end figures taken; SIGTERM to the router");
        stage = "SIGTERM";
        report.routerExit = router.stop(30_000);
      } catch (Exception e) {
        if (router.isAlive()) {
          throw e;
        }
        // The worst finding of all: keep what was seen and report it.
        report.aborted =
            "the router process died (exit status "
                + router.exitValue()
                + ") during "
                + stage
                + ": "
                + e.getMessage();
        log("FAIL: " + report.aborted);
      } finally {
        report.routerWarnLines = router.warnLines();
        report.routerErrorLines = router.errorLines();
        report.routerProblems = router.problems();
        report.routerLogLines = router.lines();
        report.reloads = router.reloads();
        router.close();
        for (SoakBackend b : backends) {
          b.stop();
        }
      }
    }
    report.ended = Instant.now();
    report.churnWrites = churn.writes();
    report.churnAdds = churn.adds();
    report.churnRemoves = churn.removes();
    report.killed = killed.size();
    for (SoakBackend b : backends) {
      report.backendRequests += b.requests();
      report.lateArrivals += b.lateArrivals();
      if (b.firstLateArrival() != null && report.firstLateArrival == null) {
        report.firstLateArrival = b.name() + ": " + b.firstLateArrival();
      }
    }
    report.samples = samples.all();
    boolean pass = report.write(out.resolve("soak-report.md"));
    log((pass ? "PASS" : "FAIL") + ": report in " + out.resolve("soak-report.md").toAbsolutePath());
    return pass ? 0 : 1;
  }

  /**
   * Halts the soak (status 2; the shutdown hook kills the router) if it overruns its own bound by
   * 10 minutes: every phase has a time limit, this is the guarantee that nothing hangs for ever.
   */
  private void watchdog() {
    long bound =
        settings.traffic().toMillis()
            + (settings.warmupSeconds() + 2L * settings.quietSeconds()) * 1000
            + 10 * 60_000;
    Thread t =
        new Thread(
            () -> {
              try {
                Thread.sleep(bound);
              } catch (InterruptedException e) {
                return;
              }
              log("the soak overran its bound of " + bound / 1000 + " s; halting");
              System.exit(2);
            },
            "soak-watchdog");
    t.setDaemon(true);
    t.start();
  }

  /** Traffic and disturbances for {@code millis}; samples every minute when {@code sampled}. */
  private void phase(String name, Tally tally, int port, long millis, String tag, boolean sampled)
      throws Exception {
    stage = name;
    Traffic traffic = new Traffic(port, tally, killed);
    Disturbances disturbances = new Disturbances(churn, backends, router, settings, ports);
    current = disturbances;
    disturbances.start();
    traffic.start(settings, tag);
    long end = System.nanoTime() + millis * 1_000_000;
    long nextSample = System.nanoTime() + 60_000_000_000L;
    try {
      while (System.nanoTime() < end) {
        if (!router.isAlive()) {
          throw new IllegalStateException("the router process died during " + name);
        }
        Thread.sleep(Math.min(1000, Math.max(1, (end - System.nanoTime()) / 1_000_000)));
        if (sampled
            && System.nanoTime() >= nextSample
            && System.nanoTime() < end - 5_000_000_000L) {
          nextSample += 60_000_000_000L;
          sample(name, probe.measure(true), tally);
          long[] t = Samples.totals(tally);
          log(name + ": ok " + t[0] + ", expected failures " + t[1] + ", unexpected " + t[2]);
        }
      }
    } finally {
      log(name + ": stopping the traffic");
      if (sampled) {
        report.trafficStopping = Instant.now();
      }
      traffic.stop();
      if (sampled) {
        report.trafficEnded = Instant.now();
      }
      disturbances.stop();
      restartsSoFar += disturbances.restarts();
      current = null;
      report.restarts += disturbances.restarts();
      report.moves += disturbances.moves();
      report.drainTimeouts += disturbances.drainTimeouts();
      report.cutOnRestart += disturbances.cut();
      report.reloadWaitTimeouts += disturbances.reloadWaitTimeouts();
    }
  }

  /**
   * No traffic, every backend listed, for {@code soak.quietSeconds}: idle upstream connections (30
   * s) and surplus worker threads (60 s) time out. Samples every 5 s (no GC) show the settling.
   */
  private void quiet(String name) throws Exception {
    stage = name;
    churn.listAll();
    log(name + ": " + settings.quietSeconds() + " s without traffic");
    long end = System.nanoTime() + settings.quietSeconds() * 1_000_000_000L;
    while (System.nanoTime() < end) {
      Thread.sleep(Math.min(5000, Math.max(1, (end - System.nanoTime()) / 1_000_000)));
      sample(name, probe.measure(false), report.soak);
    }
  }

  private void sample(String phase, ProcessProbe.Figures f, Tally tally) throws IOException {
    long[] t = Samples.totals(tally);
    samples.add(
        new Samples.Sample(
            phase,
            (System.nanoTime() - t0) / 1_000_000_000,
            f,
            t[0],
            t[1],
            t[2],
            churn.listedCount(),
            restartsSoFar + (current == null ? 0 : current.restarts()),
            router.reloads()));
  }

  private void log(String message) {
    System.out.printf("[soak %5ds] %s%n", (System.nanoTime() - t0) / 1_000_000_000, message);
  }
}
