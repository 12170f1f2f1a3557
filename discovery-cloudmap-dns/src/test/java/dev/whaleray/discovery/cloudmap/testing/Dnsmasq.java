package dev.whaleray.discovery.cloudmap.testing;

import static java.util.Objects.requireNonNull;

import java.io.IOException;
import java.io.InputStream;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Assumptions;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.Record;
import org.xbill.DNS.SimpleResolver;
import org.xbill.DNS.Type;

/**
 * A real dnsmasq serving a namespace on 127.0.0.1 and an ephemeral port, started by the test. Its
 * records are dnsmasq config lines ({@code srv-host=...}, {@code host-record=...}) plus a hosts
 * file ({@code ip name} lines) that dnsmasq re-reads on SIGHUP ({@link #reloadHosts}). dnsmasq does
 * not re-read {@code srv-host} lines on SIGHUP, so {@link #restart} starts a new process on the
 * same port. Every query is logged, so tests can count them ({@link #queries}). Answers carry TTL 1
 * ({@code local-ttl}). Thread-safe enough for tests: one test drives it.
 */
public final class Dnsmasq implements AutoCloseable {
  private static final List<String> CANDIDATES =
      List.of("/usr/sbin/dnsmasq", "/usr/bin/dnsmasq", "/sbin/dnsmasq", "/usr/local/sbin/dnsmasq");

  private final Path dir;
  private final String namespace;
  private final int port;
  private final StringBuffer log = new StringBuffer();
  private final AtomicInteger markers = new AtomicInteger();
  private @Nullable Process process;

  private Dnsmasq(Path dir, String namespace, int port) {
    this.dir = dir;
    this.namespace = namespace;
    this.port = port;
  }

  /** The dnsmasq binary, or null when it is not installed. */
  public static @Nullable Path executable() {
    for (String c : CANDIDATES) {
      Path p = Path.of(c);
      if (Files.isExecutable(p)) {
        return p;
      }
    }
    String path = System.getenv("PATH");
    if (path != null) {
      for (String d : path.split(":")) {
        Path p = Path.of(d, "dnsmasq");
        if (!d.isEmpty() && Files.isExecutable(p)) {
          return p;
        }
      }
    }
    return null;
  }

  /** Skips the calling test (JUnit assumption) when dnsmasq is not installed. */
  public static void assumeInstalled() {
    Assumptions.assumeTrue(
        executable() != null,
        "dnsmasq is not installed: apt-get install dnsmasq-base (.ci/run installs it)");
  }

  /**
   * Starts dnsmasq for {@code namespace} (names under it that are not configured answer NXDOMAIN).
   *
   * @param dir a private temporary directory for the config, hosts and pid files
   * @param config dnsmasq config lines such as {@code srv-host=a.ns,i1.a.ns,31001,1,10}
   * @param hosts hosts-file lines ({@code 127.0.0.5 a.ns}), re-read on {@link #reloadHosts}
   */
  public static Dnsmasq start(Path dir, String namespace, String config, String hosts)
      throws IOException, InterruptedException {
    assumeInstalled();
    IOException last = null;
    for (int attempt = 0; attempt < 5; attempt++) {
      Dnsmasq d = new Dnsmasq(dir, namespace, freePort());
      d.writeConfig(config);
      d.writeHosts(hosts);
      try {
        d.launch();
        return d;
      } catch (IOException e) {
        last = e; // the port was taken in between: try another
        d.close();
      }
    }
    throw requireNonNull(last);
  }

  /** The UDP and TCP port. */
  public int port() {
    return port;
  }

  /** {@code 127.0.0.1:port}, the form of {@code dnsServers}. */
  public String address() {
    return "127.0.0.1:" + port;
  }

  /** The socket address. */
  public InetSocketAddress socketAddress() {
    return new InetSocketAddress(InetAddress.getLoopbackAddress(), port);
  }

  /** Replaces the hosts file; call {@link #reloadHosts} to make dnsmasq read it. */
  public void writeHosts(String hosts) throws IOException {
    Files.writeString(dir.resolve("hosts"), hosts);
  }

  /** Sends SIGHUP: dnsmasq re-reads the hosts file (not {@code srv-host} lines). */
  public void reloadHosts() throws IOException, InterruptedException {
    Process p = requireNonNull(process, "not running");
    int before = count("read " + dir.resolve("hosts"));
    Process kill = new ProcessBuilder("kill", "-HUP", Long.toString(p.pid())).start();
    if (kill.waitFor() != 0) {
      throw new IOException("kill -HUP " + p.pid() + " failed");
    }
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
    while (count("read " + dir.resolve("hosts")) == before && System.nanoTime() < deadline) {
      Thread.sleep(10);
    }
  }

  /** Stops dnsmasq (SIGTERM); the port stops answering (ICMP port unreachable). */
  public void stop() throws InterruptedException {
    Process p = process;
    process = null;
    if (p != null) {
      p.destroy();
      if (!p.waitFor(5, TimeUnit.SECONDS)) {
        p.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
      }
    }
  }

  /** Stops dnsmasq if it runs, then starts it again on the same port with a new config. */
  public void restart(String config) throws IOException, InterruptedException {
    stop();
    writeConfig(config);
    IOException last = null;
    for (int attempt = 0; attempt < 50; attempt++) {
      try {
        launch();
        return;
      } catch (IOException e) {
        last = e; // the old socket may linger for a moment
        Thread.sleep(50);
      }
    }
    throw requireNonNull(last);
  }

  /** Starts dnsmasq again with the config it had. */
  public void start() throws IOException, InterruptedException {
    restart(Files.readString(dir.resolve("records.conf")));
  }

  /** True while the process runs. */
  public boolean isRunning() {
    Process p = process;
    return p != null && p.isAlive();
  }

  /**
   * How many queries of {@code type} (e.g. {@code SRV}) for {@code name} dnsmasq received. The log
   * reaches the test through a pipe and a pump thread, so a query already answered may not be in it
   * yet: while dnsmasq runs, this first sends a marker query of its own and waits until the marker
   * is logged, and everything dnsmasq logged before it is then counted.
   */
  public int queries(String type, String name) throws InterruptedException {
    syncLog();
    return count("query[" + type + "] " + name + " from");
  }

  private void syncLog() throws InterruptedException {
    Process p = process;
    if (p == null || !p.isAlive()) {
      return; // nothing more will be logged
    }
    String marker = "log-sync-" + markers.incrementAndGet() + "." + namespace;
    SimpleResolver resolver = new SimpleResolver(socketAddress());
    resolver.setTimeout(Duration.ofMillis(500));
    Message query =
        Message.newQuery(
            Record.newRecord(Name.fromConstantString(marker + "."), Type.A, DClass.IN));
    try {
      resolver.send(query);
    } catch (IOException e) {
      return; // stopped meanwhile: count what is there
    }
    String needle = "query[A] " + marker + " from";
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
    while (log.indexOf(needle) < 0) {
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("dnsmasq answered " + marker + " but did not log it");
      }
      Thread.sleep(5);
    }
  }

  /** Everything dnsmasq logged. */
  public String log() {
    return log.toString();
  }

  private int count(String needle) {
    Matcher m = Pattern.compile(Pattern.quote(needle)).matcher(log);
    int n = 0;
    while (m.find()) {
      n++;
    }
    return n;
  }

  private void writeConfig(String records) throws IOException {
    Files.writeString(dir.resolve("records.conf"), records);
    String conf =
        "local=/"
            + namespace
            + "/\n"
            + "local-ttl=1\n"
            + "log-queries\n"
            + "addn-hosts="
            + dir.resolve("hosts")
            + "\n"
            + "conf-file="
            + dir.resolve("records.conf")
            + "\n";
    Files.writeString(dir.resolve("dnsmasq.conf"), conf);
  }

  private void launch() throws IOException, InterruptedException {
    Path exe = requireNonNull(executable(), "dnsmasq");
    ProcessBuilder pb =
        new ProcessBuilder(
            exe.toString(),
            "--port=" + port,
            "--listen-address=127.0.0.1",
            "--bind-interfaces",
            "--no-resolv",
            "--no-hosts",
            "--conf-file=" + dir.resolve("dnsmasq.conf"),
            "--keep-in-foreground",
            "--log-facility=-",
            "--pid-file=" + dir.resolve("dnsmasq.pid"),
            "--user=" + System.getProperty("user.name"));
    pb.redirectErrorStream(true);
    Process p = pb.start();
    Thread pump =
        new Thread(
            () -> {
              byte[] buf = new byte[8192];
              try (InputStream in = p.getInputStream()) {
                for (int n; (n = in.read(buf)) > 0; ) {
                  log.append(new String(buf, 0, n, StandardCharsets.UTF_8));
                }
              } catch (IOException e) {
                // process ended
              }
            },
            "dnsmasq-log-" + port);
    pump.setDaemon(true);
    pump.start();
    process = p;
    // Ready when it answers a query (NXDOMAIN for a name nobody configures is fine).
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    SimpleResolver probe = new SimpleResolver(socketAddress());
    probe.setTimeout(Duration.ofMillis(200));
    Message query =
        Message.newQuery(
            Record.newRecord(
                Name.fromConstantString("ready-probe." + namespace + "."), Type.A, DClass.IN));
    while (System.nanoTime() < deadline) {
      if (!p.isAlive()) {
        process = null;
        throw new IOException("dnsmasq exited with " + p.exitValue() + ": " + log);
      }
      try {
        probe.send(query);
        return;
      } catch (IOException e) {
        Thread.sleep(20);
      }
    }
    stop();
    throw new IOException("dnsmasq did not answer within 10 s: " + log);
  }

  private static int freePort() throws IOException {
    for (int i = 0; i < 20; i++) {
      try (DatagramSocket udp = new DatagramSocket(0, InetAddress.getLoopbackAddress())) {
        int port = udp.getLocalPort();
        try (ServerSocket tcp = new ServerSocket(port, 1, InetAddress.getLoopbackAddress())) {
          if (tcp.getLocalPort() == port) {
            return port;
          }
        } catch (IOException e) {
          // TCP side taken: another port
        }
      }
    }
    throw new IOException("no free UDP+TCP port on 127.0.0.1");
  }

  @Override
  public void close() {
    try {
      stop();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  @Override
  public String toString() {
    return "dnsmasq@" + address();
  }
}
