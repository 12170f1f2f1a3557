package dev.whaleray.reference;

import dev.whaleray.discovery.staticlist.StaticDiscovery;
import dev.whaleray.router.Endpoint;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Collectors;
import org.jspecify.annotations.Nullable;

/**
 * {@code java -jar whaleray-router.jar [--config FILE] [--demo]}: starts the reference router, logs
 * JSON lines to stdout, and on SIGTERM stops accepting, drains requests in flight within {@code
 * WHALERAY_SHUTDOWN_GRACE} and exits 0.
 */
public final class Main {
  /** Made on first use, not at class load: logging starts on a thread of its own (below). */
  private static final class Log {
    static final System.Logger LOG = System.getLogger(Main.class.getName());
  }

  private Main() {}

  static final String USAGE =
      "usage: java -jar whaleray-router.jar [--config FILE] [--demo] [--train N]\n"
          + "  --config FILE  YAML config (or WHALERAY_CONFIG); WHALERAY_* variables override it\n"
          + "  --demo         start two demo backends and route /services/demo/ to them\n"
          + "  --train N      as --demo, send N requests through the router, then exit 0: a\n"
          + "                 training run for a CDS archive or AOT cache (see the Dockerfile)\n";

  public static void main(String[] args) {
    long startNanos = System.nanoTime();
    // Logback's set-up and the meter registry's classes load on the second core while this one
    // reads the config and binds the listener: a new task answers its first health check sooner.
    // Lines logged meanwhile are queued by SLF4J and replayed through Logback's levels once it is
    // set up; SLF4J's own notice that it did so is not for operators' stderr.
    System.setProperty("slf4j.internal.verbosity", "ERROR");
    Thread logging = new Thread(Main::setUpLogging, "whaleray-log-init");
    logging.setDaemon(true);
    logging.start();
    ReferenceRouter.prepare();
    Path configFile = null;
    boolean demo = false;
    int train = 0;
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--demo":
          demo = true;
          break;
        case "--config":
          if (i + 1 == args.length) {
            fail("--config: missing FILE\n" + USAGE);
          }
          configFile = Path.of(args[++i]);
          break;
        case "--train":
          if (i + 1 == args.length) {
            fail("--train: missing N\n" + USAGE);
          }
          try {
            train = Integer.parseInt(args[++i]);
          } catch (NumberFormatException e) {
            train = -1;
          }
          if (train < 1) {
            fail("--train: '" + args[i] + "' (expected: a number of requests, at least 1)");
          }
          demo = true;
          break;
        case "-h":
        case "--help":
          System.out.print(USAGE);
          return;
        default:
          fail("unknown argument '" + args[i] + "'\n" + USAGE);
      }
    }
    Map<String, String> env = System.getenv();
    if (configFile == null && env.get("WHALERAY_CONFIG") != null) {
      configFile = Path.of(env.get("WHALERAY_CONFIG"));
    }
    if (configFile != null && !Files.isRegularFile(configFile)) {
      fail("config file " + configFile + ": not found or not a file");
    }
    ReferenceRouter router;
    DemoBackends demoBackends = null;
    RouterConfig config;
    try {
      config = RouterConfig.load(configFile, env);
      if (train == 0 && !config.warmup.isZero()) {
        if (!demo) {
          ReferenceRouter.preflight(config); // a bad setting or a busy port now, not after it
        }
        warmUp(config);
      }
      if (demo) {
        demoBackends = new DemoBackends(2);
        StaticDiscovery discovery =
            StaticDiscovery.builder().service("demo", demoBackends.endpoints()).build();
        router = ReferenceRouter.start(config, discovery);
      } else {
        router = ReferenceRouter.start(config);
      }
    } catch (RuntimeException e) {
      if (demoBackends != null) {
        demoBackends.close();
      }
      fail(e.getMessage() == null ? e.toString() : e.getMessage());
      return;
    }
    long startedMillis = (System.nanoTime() - startNanos) / 1_000_000;
    long sinceJvm = ManagementFactory.getRuntimeMXBean().getUptime();
    Log.LOG.log(
        System.Logger.Level.INFO,
        "WhaleRay Router listening on "
            + config.host
            + ":"
            + router.port()
            + ", discovery "
            + (demo ? "static (demo)" : config.discovery)
            + ", load balancing "
            + config.lbPolicy
            + ", routes "
            + config.routes
            + (configFile == null ? "" : ", config " + configFile)
            + "; ready in "
            + startedMillis
            + " ms ("
            + sinceJvm
            + " ms since JVM start)");
    if (demoBackends != null) {
      Log.LOG.log(
          System.Logger.Level.INFO,
          "demo: /services/demo/ goes round-robin to "
              + demoBackends.endpoints().stream()
                  .map(Endpoint::authority)
                  .collect(Collectors.joining(", "))
              + "; try: curl localhost:"
              + router.port()
              + "/services/demo/");
    }
    if (config.healthCheck != null) {
      Log.LOG.log(System.Logger.Level.INFO, "active health checks: " + config.healthCheck);
    } else if (config.healthCheckConfigured) {
      Log.LOG.log(
          System.Logger.Level.INFO,
          "healthCheck: configured but not enabled (enabled: true, or WHALERAY_HEALTH_CHECK_PATH)");
    }
    ReferenceRouter.serviceHealthChecks(config)
        .forEach(
            (service, check) ->
                Log.LOG.log(
                    System.Logger.Level.INFO,
                    "health checks of " + service + ": " + (check == null ? "none" : check)));
    if (train > 0) {
      Training.run(router.port(), train);
      router.shutdown(java.time.Duration.ZERO, java.time.Duration.ofSeconds(5));
      if (demoBackends != null) {
        demoBackends.close();
      }
      flushLogs();
      System.exit(0); // a normal exit: the JVM writes its CDS archive or AOT cache now
    }
    awaitTermination(router, demoBackends, config);
  }

  /**
   * {@code WHALERAY_WARMUP}: requests through a throw-away router with this config's handler
   * settings to two plain-socket backends in this JVM, for that long, before the real router
   * listens. The JIT then compiles the request path on this traffic instead of on the first
   * clients' (whose first seconds at full load would otherwise see a p99 of tens of milliseconds).
   * A failure here is logged and the router starts anyway: the warm-up only saves time.
   */
  private static void warmUp(RouterConfig config) {
    long start = System.nanoTime();
    Log.LOG.log(
        System.Logger.Level.INFO,
        "warm-up: requests through a throw-away router for "
            + config.warmup.toMillis()
            + " ms before listening");
    try (WarmupBackend a = new WarmupBackend();
        WarmupBackend b = new WarmupBackend()) {
      ReferenceRouter r =
          ReferenceRouter.startWarmup(
              config,
              StaticDiscovery.builder()
                  .service(
                      "demo",
                      List.of(
                          Endpoint.of("127.0.0.1", a.port()), Endpoint.of("127.0.0.1", b.port())))
                  .build());
      int ok;
      try {
        ok = Training.runFor(r.port(), config.warmup);
      } finally {
        r.close(); // its clients have stopped: nothing in flight, no drain to log
      }
      Log.LOG.log(
          ok > 0 ? System.Logger.Level.INFO : System.Logger.Level.WARNING,
          "warm-up: "
              + ok
              + " requests answered 200 in "
              + (System.nanoTime() - start) / 1_000_000
              + " ms");
    } catch (RuntimeException | java.io.IOException e) {
      Log.LOG.log(System.Logger.Level.WARNING, "warm-up failed, starting without it: " + e);
    }
  }

  private static void awaitTermination(
      ReferenceRouter router, @Nullable DemoBackends demoBackends, RouterConfig config) {
    CountDownLatch stopped = new CountDownLatch(1);
    AtomicBoolean stopping = new AtomicBoolean();
    AtomicBoolean failed = new AtomicBoolean();
    Runnable stop =
        () -> {
          if (!stopping.compareAndSet(false, true)) {
            return;
          }
          try {
            router.shutdown(config.shutdownDrain, config.shutdownGrace);
            if (demoBackends != null) {
              demoBackends.close();
            }
          } catch (RuntimeException | Error e) {
            Log.LOG.log(System.Logger.Level.ERROR, "shutdown failed", e);
            failed.set(true);
          } finally {
            flushLogs();
            stopped.countDown();
          }
        };
    boolean signals = Signals.onTermination(() -> new Thread(stop, "whaleray-shutdown").start());
    if (!signals) {
      // Without signal handling the JVM's own shutdown path would exit 143: drain in a hook and
      // halt with 0 ourselves.
      Runtime.getRuntime()
          .addShutdownHook(
              new Thread(
                  () -> {
                    stop.run();
                    Runtime.getRuntime().halt(failed.get() ? 1 : 0);
                  }));
    }
    try {
      stopped.await();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    System.exit(failed.get() ? 1 : 0);
  }

  private static void fail(String message) {
    System.err.println("whaleray: " + message);
    flushLogs();
    System.exit(2);
  }

  /**
   * Every log line through SLF4J to Logback's JSON encoder (logback.xml): System.Logger by the
   * slf4j-jdk-platform-logging provider, java.util.logging by the jul-to-slf4j bridge.
   */
  private static void setUpLogging() {
    if (System.getProperty("java.util.logging.config.file") != null) {
      return; // the operator's own logging.properties wins
    }
    org.slf4j.bridge.SLF4JBridgeHandler.removeHandlersForRootLogger();
    org.slf4j.bridge.SLF4JBridgeHandler.install();
    org.slf4j.LoggerFactory.getILoggerFactory(); // Logback reads its configuration now
  }

  private static void flushLogs() {
    System.out.flush();
    System.err.flush();
  }
}
