package dev.whaleray.discovery.cloudmap.dns;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * What a user of {@code discovery-cloudmap-dns} ships: the runtime class path Maven resolves for
 * this module (written by the dependency plugin's {@code build-classpath} before the tests, see the
 * pom) has dnsjava and no AWS SDK jar. It fails both ways: an AWS SDK dependency creeping in
 * (directly or transitively), or a class path that is not this module's at all.
 */
class RuntimeClasspathTest {

  private static List<String> runtimeClasspath() throws IOException {
    String file = System.getProperty("whaleray.runtimeClasspath", "target/runtime-classpath.txt");
    Path path = Path.of(file);
    assertThat(path)
        .withFailMessage(
            "%s is missing: the maven-dependency-plugin execution `runtime-classpath`"
                + " (build-classpath, includeScope runtime) writes it before the tests; run the"
                + " tests through Maven",
            path.toAbsolutePath())
        .isRegularFile();
    String text = Files.readString(path, StandardCharsets.UTF_8).trim();
    return Arrays.stream(text.split(File.pathSeparator))
        .map(String::trim)
        .filter(s -> !s.isEmpty())
        .map(s -> s.replace(File.separatorChar, '/'))
        .toList();
  }

  @Test
  void theRuntimeClasspathHasNoAwsSdkJar() throws IOException {
    List<String> entries = runtimeClasspath();
    assertThat(entries)
        .withFailMessage(
            "discovery-cloudmap-dns must not bring the AWS SDK to its users; found: %s",
            entries.stream().filter(e -> e.contains("software/amazon/awssdk")).toList())
        .noneMatch(e -> e.contains("software/amazon/awssdk"));
  }

  @Test
  void theRuntimeClasspathHasDnsjava() throws IOException {
    // Without this, an empty or wrong file would pass the test above.
    assertThat(runtimeClasspath()).anyMatch(e -> e.contains("/dnsjava/dnsjava/"));
  }
}
