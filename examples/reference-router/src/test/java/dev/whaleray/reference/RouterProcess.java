package dev.whaleray.reference;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** The fat jar run as a new user runs it: a separate {@code java -jar} process. */
final class RouterProcess implements AutoCloseable {
  static final Path JAR = Path.of(System.getProperty("whaleray.jar", "target/whaleray-router.jar"));

  final Process process;
  final long startedNanos;
  private final StringBuffer stdout = new StringBuffer();
  private final StringBuffer stderr = new StringBuffer();
  private final List<Thread> pumps = new ArrayList<>();

  private RouterProcess(Process process, long startedNanos) {
    this.process = process;
    this.startedNanos = startedNanos;
    pump(process.getInputStream(), stdout);
    pump(process.getErrorStream(), stderr);
  }

  static RouterProcess start(Map<String, String> env, String... args) throws IOException {
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.add("-Xmx128m");
    command.add("-jar");
    command.add(JAR.toAbsolutePath().toString());
    command.addAll(List.of(args));
    ProcessBuilder pb = new ProcessBuilder(command);
    pb.environment().keySet().removeIf(k -> k.startsWith("WHALERAY_"));
    if (!env.containsKey("WHALERAY_ADMIN_PORT")) {
      // Not the default 9901: routers of several tests, or a developer's own, must not collide.
      pb.environment().put("WHALERAY_ADMIN_PORT", Integer.toString(freePort()));
    }
    pb.environment().putAll(env);
    long started = System.nanoTime();
    return new RouterProcess(pb.start(), started);
  }

  private void pump(InputStream in, StringBuffer into) {
    Thread t =
        new Thread(
            () -> {
              byte[] buf = new byte[4096];
              try {
                for (int n; (n = in.read(buf)) > 0; ) {
                  into.append(new String(buf, 0, n, StandardCharsets.UTF_8));
                }
              } catch (IOException e) {
                // process ended
              }
            });
    t.setDaemon(true);
    t.start();
    pumps.add(t);
  }

  String stdout() {
    return stdout.toString();
  }

  String stderr() {
    return stderr.toString();
  }

  /** A free loopback port that no earlier call in this JVM returned. */
  static int freePort() throws IOException {
    return dev.whaleray.router.undertow.testing.Ports.free();
  }

  static boolean portFree(int port) {
    try (ServerSocket s = new ServerSocket()) {
      s.setReuseAddress(true);
      s.bind(new InetSocketAddress(port));
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  static boolean accepts(int port) {
    try (Socket s = new Socket()) {
      s.connect(new InetSocketAddress("127.0.0.1", port), 500);
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  /** Polls {@code /health} until 200; returns the milliseconds since the process was started. */
  long awaitHealthy(int port, Duration timeout) throws Exception {
    HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofMillis(200)).build();
    long deadline = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() < deadline) {
      if (!process.isAlive()) {
        throw new AssertionError(
            "router exited with " + process.exitValue() + ": " + stderr() + stdout());
      }
      try {
        HttpResponse<String> r =
            client.send(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/health"))
                    .timeout(Duration.ofMillis(500))
                    .build(),
                HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() == 200) {
          return (System.nanoTime() - startedNanos) / 1_000_000;
        }
      } catch (IOException e) {
        // not listening yet
      }
      Thread.sleep(10);
    }
    throw new AssertionError("no /health 200 within " + timeout + ": " + stderr() + stdout());
  }

  /**
   * Sends SIGTERM as ECS does. Not {@link Process#destroy()}: that also closes our ends of the
   * pipes, and the router's last log lines would be lost.
   */
  void sigterm() {
    // ProcessHandle.destroy() is a plain SIGTERM on Linux, without closing the pipes.
    if (!process.toHandle().destroy()) {
      throw new IllegalStateException("cannot send SIGTERM to " + process.pid());
    }
  }

  int awaitExit(Duration timeout) throws InterruptedException {
    if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
      throw new AssertionError("still running after " + timeout + ": " + stdout());
    }
    for (Thread t : pumps) {
      t.join(2000); // the output up to the exit
    }
    return process.exitValue();
  }

  @Override
  public void close() {
    process.destroyForcibly();
  }
}
