package dev.whaleray.router.build;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The build's checks fail the compile on a new violation: small probe classes are compiled by javac
 * with the main compile's own arguments, read from the parent POM (so this test and the build
 * cannot drift apart), and Error Prone/NullAway from this module's test class path.
 */
class BuildChecksTest {
  private static final Path PARENT_POM = Path.of("..", "pom.xml");
  private static final Pattern ARG = Pattern.compile("<arg>([^<]+)</arg>");

  @TempDir Path dir;

  /** The compiler arguments of the parent POM's {@code default-compile} execution. */
  static List<String> mainCompileArgs() throws IOException {
    String pom = Files.readString(PARENT_POM);
    int execution = pom.indexOf("<id>default-compile</id>");
    assertThat(execution).as("default-compile execution in the parent POM").isPositive();
    String block = pom.substring(execution, pom.indexOf("</compilerArgs>", execution));
    List<String> args = new ArrayList<>();
    Matcher m = ARG.matcher(block);
    while (m.find()) {
      args.add(m.group(1));
    }
    assertThat(args).anyMatch(a -> a.startsWith("-Xplugin:ErrorProne"));
    assertThat(args).anyMatch(a -> a.startsWith("-Xdoclint"));
    return args;
  }

  private record Result(int exit, String output) {}

  private Result compile(String className, String source) throws Exception {
    Path src = dir.resolve("src/dev/whaleray/probe/" + className + ".java");
    Files.createDirectories(src.getParent());
    Files.writeString(src, source, StandardCharsets.UTF_8);
    Path out = Files.createDirectories(dir.resolve("out"));
    Path javac = Path.of(System.getProperty("java.home"), "bin", "javac");
    List<String> cmd = new ArrayList<>();
    cmd.add(javac.toString());
    for (String pkg :
        List.of("api", "file", "main", "model", "parser", "processing", "tree", "util")) {
      cmd.add("-J--add-exports=jdk.compiler/com.sun.tools.javac." + pkg + "=ALL-UNNAMED");
    }
    cmd.add("-J--add-opens=jdk.compiler/com.sun.tools.javac.code=ALL-UNNAMED");
    cmd.add("-J--add-opens=jdk.compiler/com.sun.tools.javac.comp=ALL-UNNAMED");
    String classpath = System.getProperty("java.class.path");
    cmd.addAll(List.of("--release", "17", "-d", out.toString(), "-cp", classpath));
    cmd.addAll(List.of("-processorpath", classpath));
    cmd.addAll(mainCompileArgs());
    cmd.add(src.toString());
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(120, TimeUnit.SECONDS)).isTrue();
    return new Result(p.exitValue(), output);
  }

  @Test
  void aCleanClassCompiles() throws Exception {
    Result r =
        compile(
            "Clean",
            "package dev.whaleray.probe;\n"
                + "import org.jspecify.annotations.Nullable;\n"
                + "/** A probe. */\n"
                + "public final class Clean {\n"
                + "  private Clean() {}\n"
                + "  /**\n   * Its length.\n   *\n   * @param s a text\n   * @return its length\n"
                + "   */\n"
                + "  public static int f(@Nullable String s) {\n"
                + "    return s == null ? 0 : s.length();\n"
                + "  }\n"
                + "}\n");
    assertThat(r.exit()).as(r.output()).isZero();
  }

  @Test
  void aNullableDereferenceFailsTheCompile() throws Exception {
    Result r =
        compile(
            "Deref",
            "package dev.whaleray.probe;\n"
                + "import org.jspecify.annotations.Nullable;\n"
                + "final class Deref {\n"
                + "  static int f(@Nullable String s) {\n"
                + "    return s.length();\n"
                + "  }\n"
                + "}\n");
    assertThat(r.exit()).as(r.output()).isNotZero();
    assertThat(r.output()).contains("[NullAway]").contains("dereferenced expression 's'");
  }

  @Test
  void aBrokenJavadocOnThePublicApiFailsTheCompile() throws Exception {
    Result r =
        compile(
            "Doc",
            "package dev.whaleray.probe;\n"
                + "/** A probe. */\n"
                + "public final class Doc {\n"
                + "  private Doc() {}\n"
                + "  /**\n   * Nothing.\n   *\n   * @param nope no such parameter\n   */\n"
                + "  public static void g(int x) {}\n"
                + "}\n");
    assertThat(r.exit()).as(r.output()).isNotZero();
    assertThat(r.output()).contains("@param name not found");
  }
}
