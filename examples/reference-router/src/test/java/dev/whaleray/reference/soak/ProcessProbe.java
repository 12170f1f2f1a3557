package dev.whaleray.reference.soak;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Measures a Linux process from the outside: resident memory and thread count from {@code
 * /proc/PID/status}, thread names from {@code /proc/PID/task/TID/comm}, open file descriptors (by
 * kind) from {@code /proc/PID/fd}, and, through {@code jcmd}, the Java heap after a full GC: {@code
 * GC.class_histogram} forces one and totals the live objects, then {@code GC.heap_info} gives the
 * heap in use right after it.
 */
final class ProcessProbe {
  private static final Pattern HISTOGRAM_TOTAL = Pattern.compile("(?m)^Total\\s+(\\d+)\\s+(\\d+)");
  private static final Pattern HISTOGRAM_LINE =
      Pattern.compile("(?m)^\\s*\\d+:\\s+\\d+\\s+(\\d+)\\s+(\\S+)");
  private static final Pattern HEAP_USED = Pattern.compile("used (\\d+)K");
  // JVM-internal threads the JVM starts and stops by itself (JIT compilers, GC workers).
  private static final Pattern JVM_THREAD =
      Pattern.compile(
          "^(C[12] CompilerThre|GC Thread#N|G1 .*|VM .*|Signal Dispatch|Finalizer"
              + "|Reference Handl|Common-Cleaner|Attach Listener|Service Thread|Sweeper thread"
              + "|Notification Th|Monitor Deflati|java)$");

  /** One measurement. Heap figures are -1 when jcmd failed. */
  record Figures(
      long rssKb,
      long heapUsedAfterGcKb,
      long liveObjectBytes,
      int threads,
      int fds,
      Map<String, Integer> threadNames,
      Map<String, Integer> fdKinds,
      Map<String, Integer> sockets) {

    /** Threads that are not the JVM's own (JIT, GC, VM). */
    int applicationThreads() {
      int n = 0;
      for (Map.Entry<String, Integer> e : threadNames.entrySet()) {
        if (!JVM_THREAD.matcher(e.getKey()).matches()) {
          n += e.getValue();
        }
      }
      return n;
    }
  }

  private final long pid;
  private final int routerPort;
  private final Set<Integer> backendPorts;
  private final Path jcmd;
  private String lastHistogram = "";

  /** {@code backendPorts} may grow while the probe is in use (a concurrent set). */
  ProcessProbe(long pid, int routerPort, Set<Integer> backendPorts) {
    this.pid = pid;
    this.routerPort = routerPort;
    this.backendPorts = backendPorts; // a live view: restarts may add ports
    this.jcmd = Path.of(System.getProperty("java.home"), "bin", "jcmd");
  }

  /** Takes every figure; {@code gc} forces the full GC (a pause of the router of some ms). */
  Figures measure(boolean gc) throws IOException, InterruptedException {
    long live = -1;
    long heap = -1;
    if (gc) {
      lastHistogram = jcmd("GC.class_histogram");
      Matcher total = HISTOGRAM_TOTAL.matcher(lastHistogram);
      if (total.find()) {
        live = Long.parseLong(total.group(2));
      }
      Matcher used = HEAP_USED.matcher(jcmd("GC.heap_info"));
      if (used.find()) {
        heap = Long.parseLong(used.group(1));
      }
    }
    Path proc = Path.of("/proc", Long.toString(pid));
    long rss = -1;
    int threads = -1;
    for (String line : Files.readAllLines(proc.resolve("status"))) {
      if (line.startsWith("VmRSS:")) {
        rss = Long.parseLong(line.replaceAll("\\D", ""));
      } else if (line.startsWith("Threads:")) {
        threads = Integer.parseInt(line.replaceAll("\\D", ""));
      }
    }
    Map<String, Integer> names = new TreeMap<>();
    try (DirectoryStream<Path> tasks = Files.newDirectoryStream(proc.resolve("task"))) {
      for (Path task : tasks) {
        try {
          String name = Files.readString(task.resolve("comm")).strip();
          names.merge(normalise(name), 1, Integer::sum);
        } catch (IOException e) {
          // the thread ended meanwhile
        }
      }
    }
    Map<String, Integer> kinds = new TreeMap<>();
    Map<String, Integer> sockets = new TreeMap<>();
    Map<Long, String> tcp = tcpSockets(proc);
    int fds = 0;
    try (DirectoryStream<Path> dir = Files.newDirectoryStream(proc.resolve("fd"))) {
      for (Path fd : dir) {
        fds++;
        try {
          String target = Files.readSymbolicLink(fd).toString();
          kinds.merge(kind(target), 1, Integer::sum);
          if (target.startsWith("socket:[")) {
            long inode = Long.parseLong(target.substring(8, target.length() - 1));
            sockets.merge(tcp.getOrDefault(inode, "not TCP"), 1, Integer::sum);
          }
        } catch (IOException e) {
          // closed meanwhile
        }
      }
    }
    return new Figures(rss, heap, live, threads, fds, names, kinds, sockets);
  }

  /**
   * The TCP sockets of the process's network namespace by inode, named by role: {@code listen},
   * {@code client} (accepted on the traffic port), {@code upstream} (to a backend), {@code other}.
   */
  private Map<Long, String> tcpSockets(Path proc) {
    Map<Long, String> roles = new HashMap<>();
    for (String table : List.of("tcp", "tcp6")) {
      List<String> lines;
      try {
        lines = Files.readAllLines(proc.resolve("net").resolve(table));
      } catch (IOException e) {
        continue;
      }
      for (String line : lines.subList(Math.min(1, lines.size()), lines.size())) {
        String[] f = line.trim().split("\\s+");
        if (f.length < 10) {
          continue;
        }
        int local = Integer.parseInt(f[1].substring(f[1].indexOf(':') + 1), 16);
        int remote = Integer.parseInt(f[2].substring(f[2].indexOf(':') + 1), 16);
        String role;
        if (f[3].equals("0A")) {
          role = "listen";
        } else if (local == routerPort) {
          role = "client";
        } else if (backendPorts.contains(remote)) {
          role = "upstream";
        } else {
          role = "other";
        }
        roles.put(Long.parseLong(f[9]), role);
      }
    }
    return roles;
  }

  /** The output of the last {@code GC.class_histogram}. */
  String lastHistogram() {
    return lastHistogram;
  }

  /** A class histogram's bytes per class. */
  static Map<String, Long> histogramBytes(String histogram) {
    Map<String, Long> bytes = new HashMap<>();
    Matcher m = HISTOGRAM_LINE.matcher(histogram);
    while (m.find()) {
      bytes.merge(m.group(2), Long.parseLong(m.group(1)), Long::sum);
    }
    return bytes;
  }

  /** Numbered threads of one pool under one name ({@code XNIO-1 I/O-2} as {@code XNIO-1 I/O-N}). */
  static String normalise(String name) {
    return name.replaceAll("\\d+$", "N");
  }

  private static String kind(String target) {
    if (target.startsWith("socket:")) {
      return "socket";
    }
    if (target.startsWith("pipe:")) {
      return "pipe";
    }
    if (target.startsWith("anon_inode:")) {
      return target.substring("anon_inode:".length()).replace("[", "").replace("]", "");
    }
    if (target.endsWith(".jar")) {
      return "jar";
    }
    return "file";
  }

  /** Runs {@code jcmd PID command}; bounded: output to a file, at most 60 s. */
  private String jcmd(String command) throws IOException, InterruptedException {
    Path output = Files.createTempFile("soak-jcmd", ".txt");
    try {
      Process p =
          new ProcessBuilder(List.of(jcmd.toString(), Long.toString(pid), command))
              .redirectErrorStream(true)
              .redirectOutput(output.toFile())
              .start();
      if (!p.waitFor(60, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        throw new IOException("jcmd " + command + " did not finish within 60 s");
      }
      String out = Files.readString(output, UTF8);
      if (p.exitValue() != 0) {
        throw new IOException("jcmd " + command + " exit " + p.exitValue() + ": " + out);
      }
      return out;
    } finally {
      Files.deleteIfExists(output);
    }
  }

  private static final java.nio.charset.Charset UTF8 = StandardCharsets.UTF_8;
}
