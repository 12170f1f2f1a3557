package dev.whaleray.reference;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * No Docker here: the Dockerfile is checked by reading it. Its training run must use the
 * ENTRYPOINT's JVM flags (a JVM with other flags ignores the AOT cache) and write the cache the
 * ENTRYPOINT maps; jmh/proxy-bench.py measures with the ENTRYPOINT's flags. A JDK of the image's
 * release, where this machine has one, must accept those flags (a mistyped or removed flag would
 * stop the container at start).
 */
class DockerfileTest {
  private static final Path DOCKERFILE = Path.of("Dockerfile");

  @Test
  void trainingRunWritesTheCacheTheEntrypointMapsWithTheSameFlags() throws Exception {
    String text = Files.readString(DOCKERFILE);
    Matcher entry = Pattern.compile("(?m)^ENTRYPOINT\\s+(\\[.*])\\s*$").matcher(text);
    assertThat(entry.find()).as("an exec-form ENTRYPOINT").isTrue();
    List<String> argv = Arrays.asList(new ObjectMapper().readValue(entry.group(1), String[].class));
    assertThat(argv.get(0)).isEqualTo("java");
    int jar = argv.indexOf("-jar");
    assertThat(argv.subList(jar + 1, argv.size()))
        .containsExactly("/opt/whaleray/whaleray-router.jar");
    List<String> flags = argv.subList(1, jar);
    String cache =
        flags.stream()
            .filter(f -> f.startsWith("-XX:AOTCache="))
            .findFirst()
            .orElseThrow()
            .substring("-XX:AOTCache=".length());

    // The RUN line (with its continuations) that trains.
    String joined = text.replace("\\\n", " ");
    Matcher run = Pattern.compile("(?m)^RUN .*--train \\d+.*$").matcher(joined);
    assertThat(run.find()).as("a RUN with --train").isTrue();
    List<String> words = new ArrayList<>(Arrays.asList(run.group().trim().split("\\s+")));
    int java = words.indexOf("java");
    List<String> trainFlags = words.subList(java + 1, words.indexOf("-jar"));
    List<String> expected = new ArrayList<>();
    for (String f : flags) {
      expected.add(f.startsWith("-XX:AOTCache=") ? "-XX:AOTCacheOutput=" + cache : f);
    }
    assertThat(trainFlags).containsExactlyElementsOf(expected);
    assertThat(words.get(words.indexOf("-jar") + 1)).isEqualTo("/opt/whaleray/whaleray-router.jar");
    assertThat(run.group()).contains("WHALERAY_PORT=0").contains("WHALERAY_ACCESS_LOG=false");
  }

  @Test
  void copiesTheJarTheBuildMakesAndRunsAsAnUnprivilegedUser() throws Exception {
    String text = Files.readString(DOCKERFILE);
    assertThat(text).contains("COPY target/whaleray-router.jar /opt/whaleray/whaleray-router.jar");
    assertThat(Files.readString(Path.of("pom.xml"))).contains("whaleray-router");
    // USER after the training RUN (it writes into /opt/whaleray), before the ENTRYPOINT.
    int train = text.indexOf("--train");
    int user = text.indexOf("USER 10001");
    assertThat(train).isPositive();
    assertThat(user).isGreaterThan(train).isLessThan(text.indexOf("\nENTRYPOINT "));
    assertThat(text).containsPattern("(?m)^FROM eclipse-temurin:\\d+-jre$");
  }

  /**
   * The image's warm-up runs before the listener is bound, so the container's health check fails
   * meanwhile: it must end well within the task definition's start period, or ECS would replace a
   * task that is only warming up.
   */
  @Test
  void theImagesWarmupEndsWellWithinTheHealthChecksStartPeriod() throws Exception {
    String text = Files.readString(DOCKERFILE);
    Matcher env = Pattern.compile("(?m)^ENV WHALERAY_WARMUP=(\\S+)$").matcher(text);
    assertThat(env.find()).as("ENV WHALERAY_WARMUP").isTrue();
    long warmup = Durations.parse("WHALERAY_WARMUP", env.group(1)).toSeconds();
    assertThat(text.indexOf("ENV WHALERAY_WARMUP")).isGreaterThan(text.indexOf("--train"));
    int startPeriod =
        new ObjectMapper()
            .readTree(Path.of("ecs/task-definition.json").toFile())
            .at("/containerDefinitions/0/healthCheck/startPeriod")
            .asInt();
    assertThat(Files.readString(Path.of("terraform/main.tf")))
        .containsPattern("startPeriod\\s*=\\s*" + startPeriod + "\\b");
    // Start-up itself takes 1-1.5 s; a health check interval (10 s) of margin besides.
    assertThat(warmup).isPositive().isLessThanOrEqualTo(startPeriod - 15);
  }

  @Test
  void aJdkOfTheImagesReleaseAcceptsTheEntrypointsFlags() throws Exception {
    String text = Files.readString(DOCKERFILE);
    Matcher from = Pattern.compile("(?m)^FROM eclipse-temurin:(\\d+)-jre$").matcher(text);
    assertThat(from.find()).isTrue();
    String release = from.group(1);
    Path launcher = null;
    Path jvms = Path.of("/usr/lib/jvm");
    if (Files.isDirectory(jvms)) {
      try (Stream<Path> dirs = Files.list(jvms)) {
        launcher =
            dirs.filter(d -> d.getFileName().toString().matches(".*\\D" + release + "(\\D.*)?"))
                .map(d -> d.resolve("bin/java"))
                .filter(Files::isExecutable)
                .sorted()
                .findFirst()
                .orElse(null);
      }
    }
    Assumptions.assumeTrue(launcher != null, "no JDK " + release + " under /usr/lib/jvm");
    Matcher entry = Pattern.compile("(?m)^ENTRYPOINT\\s+(\\[.*])\\s*$").matcher(text);
    assertThat(entry.find()).isTrue();
    List<String> argv = Arrays.asList(new ObjectMapper().readValue(entry.group(1), String[].class));
    List<String> command = new ArrayList<>();
    command.add(launcher.toString());
    for (String f : argv.subList(1, argv.indexOf("-jar"))) {
      if (!f.startsWith(
          "-XX:AOTCache=")) { // the cache is the image's file; its flag is checked above
        command.add(f);
      }
    }
    command.add("-version");
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).as(command + "\n" + out).isZero();
    assertThat(out).contains("version \"" + release);
  }
}
