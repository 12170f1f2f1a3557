package dev.whaleray.reference;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * No Docker here: the Dockerfile is checked by reading it. Its training run must use the
 * ENTRYPOINT's JVM flags (a JVM with other flags ignores the AOT cache) and write the cache the
 * ENTRYPOINT maps; jmh/proxy-bench.py measures with the ENTRYPOINT's flags.
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
}
