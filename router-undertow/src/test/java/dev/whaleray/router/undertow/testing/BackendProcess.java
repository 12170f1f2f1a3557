package dev.whaleray.router.undertow.testing;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A {@link TestBackend} in a JVM of its own, so a test can kill it the way a task dies: SIGKILL, no
 * FIN from a clean shutdown of the application, sockets torn down by the kernel. The child prints
 * its port on its first line and runs until killed or its stdin closes.
 */
public final class BackendProcess implements AutoCloseable {
  private final Process process;
  private final int port;

  private BackendProcess(Process process, int port) {
    this.process = process;
    this.port = port;
  }

  /** Starts a backend called {@code name} on {@code port} (0: ephemeral) and waits for it. */
  public static BackendProcess start(String name, int port) throws IOException {
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    Process p =
        new ProcessBuilder(
                List.of(
                    java,
                    "-Xmx64m",
                    "-XX:+UseSerialGC",
                    "-XX:TieredStopAtLevel=1",
                    "-cp",
                    System.getProperty("java.class.path"),
                    Main.class.getName(),
                    name,
                    Integer.toString(port)))
            .redirectError(ProcessBuilder.Redirect.INHERIT)
            .start();
    BufferedReader out =
        new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.US_ASCII));
    String line = out.readLine();
    if (line == null || !line.startsWith("PORT ")) {
      p.destroyForcibly();
      throw new IOException("backend " + name + " did not start: " + line);
    }
    return new BackendProcess(p, Integer.parseInt(line.substring(5).trim()));
  }

  public int port() {
    return port;
  }

  public String address() {
    return "127.0.0.1:" + port;
  }

  /** SIGKILL, and waits until the process is gone. */
  public void kill() throws InterruptedException {
    process.destroyForcibly();
    process.waitFor(10, TimeUnit.SECONDS);
  }

  @Override
  public void close() throws InterruptedException {
    kill();
  }

  /** The child's entry point: a TestBackend until stdin closes (the parent went away). */
  public static final class Main {
    private Main() {}

    public static void main(String[] args) throws IOException {
      TestBackend backend = TestBackend.start(args[0], Integer.parseInt(args[1]));
      System.out.println("PORT " + backend.port());
      System.out.flush();
      // An orphan must not outlive the test JVM: exit when the parent's end of stdin closes.
      while (System.in.read() != -1) {
        // ignore
      }
      backend.close();
      System.exit(0);
    }
  }
}
