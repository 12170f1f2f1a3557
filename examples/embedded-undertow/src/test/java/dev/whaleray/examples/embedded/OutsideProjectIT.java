package dev.whaleray.examples.embedded;

import static org.assertj.core.api.Assertions.assertThat;

import dev.whaleray.router.undertow.testing.Ports;
import dev.whaleray.router.undertow.testing.TestBackend;
import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What an embedder does, from outside this build: a Maven project of its own imports {@code
 * whaleray-bom} from a local repository, depends on {@code router-undertow} and {@code
 * discovery-static} without versions, compiles the README's embedding example exactly as printed,
 * and runs it; the test proxies through the running application and stops it with SIGTERM.
 *
 * <p>The local repository is a fresh one holding only this build's artifacts (laid out as {@code
 * install} would), chained in front of the build's own repository for everything else ({@code
 * maven.repo.local.tail}, Maven 3.9): a stale install of ours in {@code ~/.m2} cannot stand in.
 */
class OutsideProjectIT {
  private static final Path ROOT = Path.of("").toAbsolutePath().getParent().getParent();
  private static final Pattern ARTIFACT = Pattern.compile("<artifactId>([a-z0-9-]+)</artifactId>");
  private static final Pattern JAVA_BLOCK = Pattern.compile("```java\n(.*?)```", Pattern.DOTALL);

  private static String property(String name) {
    String value = System.getProperty(name);
    assertThat(value)
        .as("system property %s (set by the failsafe configuration)", name)
        .isNotBlank();
    return value;
  }

  /** The README's embedding example: the first Java block of its section, unchanged. */
  static String readmeExample() throws IOException {
    String readme = Files.readString(ROOT.resolve("README.md"));
    int section = readme.indexOf("## Embedding it in an Undertow service");
    assertThat(section).as("README section 'Embedding it in an Undertow service'").isNotNegative();
    Matcher m = JAVA_BLOCK.matcher(readme);
    assertThat(m.find(section)).as("a java block in that section").isTrue();
    return m.group(1);
  }

  /**
   * Lays out this build's parent, BOM and library jars in {@code repo} as {@code install} would.
   */
  static void layOut(Path repo, String version) throws IOException {
    put(repo, "whaleray-parent", version, "pom", ROOT.resolve("pom.xml"));
    Path bom = ROOT.resolve("bom/pom.xml");
    put(repo, "whaleray-bom", version, "pom", bom);
    String bomText = Files.readString(bom);
    Matcher m = ARTIFACT.matcher(bomText.substring(bomText.indexOf("<dependencyManagement>")));
    while (m.find()) {
      String artifact = m.group(1);
      Path jar =
          ROOT.resolve(artifact).resolve("target").resolve(artifact + "-" + version + ".jar");
      if (Files.isRegularFile(jar)) { // modules later in the reactor than this one are not needed
        put(repo, artifact, version, "pom", ROOT.resolve(artifact).resolve("pom.xml"));
        put(repo, artifact, version, "jar", jar);
      }
    }
    for (String needed :
        List.of("router-api", "router-core", "router-undertow", "discovery-static")) {
      assertThat(repo.resolve("dev/whaleray/" + needed + "/" + version)).isDirectory();
    }
  }

  private static void put(Path repo, String artifact, String version, String ext, Path file)
      throws IOException {
    Path dir = repo.resolve("dev/whaleray").resolve(artifact).resolve(version);
    Files.createDirectories(dir);
    Files.copy(file, dir.resolve(artifact + "-" + version + "." + ext));
  }

  static String pom(String version) {
    return """
        <?xml version="1.0" encoding="UTF-8"?>
        <project xmlns="http://maven.apache.org/POM/4.0.0">
          <modelVersion>4.0.0</modelVersion>
          <groupId>com.example</groupId>
          <artifactId>outside</artifactId>
          <version>1</version>
          <properties>
            <project.build.sourceEncoding>UTF-8</project.build.sourceEncoding>
            <maven.compiler.release>17</maven.compiler.release>
          </properties>
          <dependencyManagement>
            <dependencies>
              <dependency>
                <groupId>dev.whaleray</groupId>
                <artifactId>whaleray-bom</artifactId>
                <version>%s</version>
                <type>pom</type>
                <scope>import</scope>
              </dependency>
            </dependencies>
          </dependencyManagement>
          <dependencies>
            <dependency><groupId>dev.whaleray</groupId><artifactId>router-undertow</artifactId></dependency>
            <dependency><groupId>dev.whaleray</groupId><artifactId>discovery-static</artifactId></dependency>
          </dependencies>
          <build>
            <plugins>
              <plugin>
                <groupId>org.apache.maven.plugins</groupId>
                <artifactId>maven-compiler-plugin</artifactId>
                <version>%s</version>
              </plugin>
              <plugin>
                <groupId>org.apache.maven.plugins</groupId>
                <artifactId>maven-dependency-plugin</artifactId>
                <version>%s</version>
              </plugin>
            </plugins>
          </build>
        </project>
        """
        .formatted(
            version, property("compiler-plugin.version"), property("dependency-plugin.version"));
  }

  @Test
  void theReadmeExampleCompilesAgainstTheBomAndProxies(@TempDir Path dir) throws Exception {
    String version = property("project.version");
    Path repo = dir.resolve("repo");
    layOut(repo, version);
    Path project = dir.resolve("outside");
    Files.createDirectories(project.resolve("src/main/java"));
    Files.writeString(project.resolve("pom.xml"), pom(version));
    String example = readmeExample();
    Files.writeString(project.resolve("src/main/java/App.java"), example);

    List<String> mvn = new ArrayList<>();
    mvn.add(ROOT.resolve("mvnw").toString());
    mvn.addAll(List.of("-B", "-q", "-f", project.resolve("pom.xml").toString()));
    mvn.add("-Dmaven.repo.local=" + repo);
    mvn.add("-Dmaven.repo.local.tail=" + property("build.localRepository"));
    mvn.addAll(List.of("compile", "dependency:build-classpath", "-Dmdep.outputFile=classpath.txt"));
    Path mvnLog = dir.resolve("mvn.log");
    Process build =
        new ProcessBuilder(mvn)
            .directory(project.toFile())
            .redirectErrorStream(true)
            .redirectOutput(mvnLog.toFile())
            .start();
    assertThat(build.waitFor(5, TimeUnit.MINUTES)).as("the outside build ends in 5 min").isTrue();
    assertThat(build.exitValue()).as("outside build:\n%s", Files.readString(mvnLog)).isZero();
    String classpath = Files.readString(project.resolve("classpath.txt")).trim();
    // The BOM's versions came from our freshly laid-out repository, not from ~/.m2.
    assertThat(classpath)
        .contains(repo.resolve("dev/whaleray/router-undertow").toString())
        .contains(repo.resolve("dev/whaleray/discovery-static").toString())
        .contains("undertow-core");

    try (TestBackend catalog = TestBackend.start("catalog")) {
      int port = Ports.free();
      Path appLog = dir.resolve("app.log");
      ProcessBuilder run =
          new ProcessBuilder(
                  Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                  "-cp",
                  project.resolve("target/classes") + java.io.File.pathSeparator + classpath,
                  "App")
              .redirectErrorStream(true)
              .redirectOutput(appLog.toFile());
      run.environment().put("PORT", Integer.toString(port));
      run.environment().put("CATALOG_ENDPOINT", catalog.address());
      Process app = run.start();
      try {
        HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
        HttpResponse<String> own = await(client, port, "/", app, appLog);
        assertThat(own.statusCode()).isEqualTo(200);
        assertThat(own.body()).isEqualTo("my app\n");
        HttpResponse<String> proxied = get(client, port, "/services/catalog/items/7?full=1");
        assertThat(proxied.statusCode()).isEqualTo(200);
        assertThat(proxied.body()).startsWith("catalog GET /items/7?full=1\n");
        assertThat(catalog.requests()).isEqualTo(1);
        assertThat(get(client, port, "/services/nosuch/x").statusCode()).isEqualTo(502);
      } finally {
        app.destroy(); // SIGTERM: the example's shutdown hook drains and closes
        assertThat(app.waitFor(30, TimeUnit.SECONDS)).as("the app stops after SIGTERM").isTrue();
      }
      String log = Files.readString(appLog, StandardCharsets.UTF_8);
      assertThat(log).contains("listening on " + port).contains("stopped");
    }
  }

  private static HttpResponse<String> get(HttpClient client, int port, String path)
      throws IOException, InterruptedException {
    return client.send(
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
            .timeout(Duration.ofSeconds(10))
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }

  /** The first answer once the app listens (bounded: 30 s, or the app's exit). */
  private static HttpResponse<String> await(
      HttpClient client, int port, String path, Process app, Path log) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (true) {
      try {
        return get(client, port, path);
      } catch (ConnectException e) {
        if (!app.isAlive() || System.nanoTime() > deadline) {
          throw new AssertionError("the app never answered:\n" + Files.readString(log), e);
        }
        Thread.sleep(50);
      }
    }
  }
}
