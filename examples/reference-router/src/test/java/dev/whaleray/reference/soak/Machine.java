package dev.whaleray.reference.soak;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Where and how the soak ran, for the report: the command line, CPUs, memory, OS and JDK. */
final class Machine {
  private Machine() {}

  /** The Maven command line when run through the profile ({@code mvn} exports it), else Java's. */
  static String command() {
    String maven = System.getenv("MAVEN_CMD_LINE_ARGS");
    if (maven != null && !maven.isBlank()) {
      return "./mvnw " + maven.trim();
    }
    return "java " + System.getProperty("sun.java.command", "?");
  }

  static String describe() {
    return Runtime.getRuntime().availableProcessors()
        + " CPUs (nproc) "
        + first(Path.of("/proc/cpuinfo"), "model name")
        + ", "
        + memTotal()
        + " RAM, "
        + osName()
        + ", "
        + javaVersion();
  }

  private static String first(Path file, String key) {
    try {
      for (String line : Files.readAllLines(file)) {
        if (line.startsWith(key)) {
          return "(" + line.substring(line.indexOf(':') + 1).trim() + ")";
        }
      }
    } catch (IOException e) {
      // not Linux
    }
    return "";
  }

  private static String memTotal() {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/meminfo"))) {
        if (line.startsWith("MemTotal:")) {
          long kb = Long.parseLong(line.replaceAll("\\D", ""));
          return String.format("%.1f GB", kb / 1048576.0);
        }
      }
    } catch (IOException e) {
      // not Linux
    }
    return "? GB";
  }

  private static String osName() {
    try {
      for (String line : Files.readAllLines(Path.of("/etc/os-release"))) {
        if (line.startsWith("PRETTY_NAME=")) {
          return line.substring(12).replace("\"", "")
              + " (kernel "
              + Files.readString(Path.of("/proc/sys/kernel/osrelease")).trim()
              + ")";
        }
      }
    } catch (IOException e) {
      // fall through
    }
    return System.getProperty("os.name");
  }

  /** The first lines of {@code java -version} of the JDK that runs the router too. */
  static String javaVersion() {
    try {
      Process p =
          new ProcessBuilder(
                  List.of(
                      Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                      "-version"))
              .redirectErrorStream(true)
              .start();
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      p.waitFor(10, TimeUnit.SECONDS);
      return "`java -version`: " + String.join(" / ", out.strip().split("\\R"));
    } catch (IOException | InterruptedException e) {
      return "java " + System.getProperty("java.version");
    }
  }
}
