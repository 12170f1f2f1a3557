package dev.whaleray.reference.soak;

import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The reference router's jar as a separate {@code java -jar} process, as operators run it. Its
 * stdout and stderr go to a log file (capped: an access log at soak rates would fill the disk; past
 * the cap only WARN and ERROR lines are kept), and are watched for the static discovery's {@code
 * reloaded} lines, so the harness knows when an edit of the file has been applied.
 */
final class RouterUnderTest implements AutoCloseable {
  private static final long LOG_CAP_BYTES = 64L * 1024 * 1024;

  private final Process process;
  private final BufferedWriter log;
  private final List<Thread> pumps = new ArrayList<>();
  private final AtomicLong reloads = new AtomicLong();
  private final AtomicLong warnLines = new AtomicLong();
  private final AtomicLong errorLines = new AtomicLong();
  private final AtomicLong lines = new AtomicLong();
  private final Map<String, Long> problems = new LinkedHashMap<>();
  private long logBytes;

  private RouterUnderTest(Process process, Path logFile) throws IOException {
    this.process = process;
    // Never leave the router behind, even when the soak itself is killed (SIGTERM, Ctrl-C).
    Runtime.getRuntime().addShutdownHook(new Thread(process::destroyForcibly, "soak-router-kill"));
    this.log = Files.newBufferedWriter(logFile);
    pump(process.getInputStream());
    pump(process.getErrorStream());
  }

  /** Starts {@code java [jvmArgs] -jar jar --config config} with no WHALERAY_* variable set. */
  static RouterUnderTest start(
      Path jar, Path config, List<String> jvmArgs, Map<String, String> env, Path logFile)
      throws IOException {
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.addAll(jvmArgs);
    command.add("-jar");
    command.add(jar.toAbsolutePath().toString());
    command.add("--config");
    command.add(config.toAbsolutePath().toString());
    ProcessBuilder pb = new ProcessBuilder(command);
    pb.environment().keySet().removeIf(k -> k.startsWith("WHALERAY_"));
    pb.environment().putAll(env);
    return new RouterUnderTest(pb.start(), logFile);
  }

  long pid() {
    return process.pid();
  }

  boolean isAlive() {
    return process.isAlive();
  }

  /** The exit status; only once {@link #isAlive} is false. */
  int exitValue() {
    return process.exitValue();
  }

  /** Waits until the traffic port accepts connections and {@code /health} answers 200. */
  void awaitHealthy(int port, long millis) throws Exception {
    long deadline = System.nanoTime() + millis * 1_000_000;
    while (System.nanoTime() < deadline) {
      if (!process.isAlive()) {
        throw new IllegalStateException("router exited with " + process.exitValue());
      }
      try (HttpConnection c = HttpConnection.open(port, 200, 1000)) {
        c.send(HttpConnection.request("GET", "/health", port, Map.of()));
        if (c.read(false).status() == 200) {
          return;
        }
      } catch (IOException e) {
        // not listening yet
      }
      Thread.sleep(50);
    }
    throw new IllegalStateException("no /health 200 within " + millis + " ms");
  }

  static boolean accepts(int port) {
    try (Socket s = new Socket()) {
      s.connect(new InetSocketAddress("127.0.0.1", port), 500);
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  /** {@code reloaded} lines seen so far. */
  long reloads() {
    return reloads.get();
  }

  /**
   * Waits until {@code count} more reloads than {@code seen} were logged, up to {@code millis}. Two
   * reloads after an edit prove it applied: the file is polled once a second, one poll at a time,
   * so the second one read the file after the first had been logged.
   */
  boolean awaitReloads(long seen, int count, long millis) throws InterruptedException {
    long deadline = System.nanoTime() + millis * 1_000_000;
    while (reloads.get() < seen + count) {
      if (System.nanoTime() > deadline) {
        return false;
      }
      Thread.sleep(20);
    }
    return true;
  }

  long warnLines() {
    return warnLines.get();
  }

  long errorLines() {
    return errorLines.get();
  }

  /** WARN and ERROR messages (the first 200 characters), with how often each came. */
  Map<String, Long> problems() {
    synchronized (problems) {
      return new LinkedHashMap<>(problems);
    }
  }

  /** SIGTERM, as ECS stops a task; returns the exit status, or -1 if still running after it. */
  int stop(long millis) throws InterruptedException {
    process.toHandle().destroy();
    if (!process.waitFor(millis, TimeUnit.MILLISECONDS)) {
      return -1;
    }
    for (Thread t : pumps) {
      t.join(2000);
    }
    return process.exitValue();
  }

  private void pump(InputStream in) {
    Thread t =
        new Thread(
            () -> {
              try (BufferedReader r =
                  new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
                for (String line; (line = r.readLine()) != null; ) {
                  onLine(line);
                }
              } catch (IOException e) {
                // the process ended
              }
            },
            "soak-router-log");
    t.setDaemon(true);
    t.start();
    pumps.add(t);
  }

  private void onLine(String line) throws IOException {
    lines.incrementAndGet();
    boolean warn = line.contains("\"level\":\"WARN\"");
    boolean error = line.contains("\"level\":\"ERROR\"") || line.startsWith("Exception");
    if (warn) {
      warnLines.incrementAndGet();
    }
    if (error) {
      errorLines.incrementAndGet();
    }
    if (warn || error) {
      String message = message(line);
      synchronized (problems) {
        if (problems.size() < 100 || problems.containsKey(message)) {
          problems.merge(message, 1L, Long::sum);
        }
      }
    }
    if (line.contains("\"message\":\"reloaded ")) {
      reloads.incrementAndGet();
    }
    synchronized (log) {
      if (logBytes < LOG_CAP_BYTES || warn || error) {
        log.write(line);
        log.newLine();
        log.flush();
        logBytes += line.length() + 1;
      }
    }
  }

  /** The message field of a JSON log line, or the line; at most 200 characters. */
  private static String message(String line) {
    int m = line.indexOf("\"message\":\"");
    String s = m < 0 ? line : line.substring(m + 11);
    if (m >= 0) {
      int end = s.indexOf("\",\"");
      if (end < 0) {
        end = s.lastIndexOf('"');
      }
      if (end > 0) {
        s = s.substring(0, end);
      }
    }
    return s.length() > 200 ? s.substring(0, 200) : s;
  }

  long lines() {
    return lines.get();
  }

  @Override
  public void close() {
    process.destroyForcibly();
    try {
      synchronized (log) {
        log.close();
      }
    } catch (IOException e) {
      // nothing to do
    }
  }
}
