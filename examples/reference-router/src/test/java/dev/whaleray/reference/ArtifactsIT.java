package dev.whaleray.reference;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Enumeration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * What an embedder consumes, checked on the jars this build made: every library artifact the BOM
 * lists has a jar with an {@code Automatic-Module-Name} (a valid, unique module name), a sources
 * jar and a Javadoc jar, and no package is split across two jars. Runs after the library modules
 * are packaged (reactor order); it reads their {@code target} folders.
 */
class ArtifactsIT {
  private static final Path ROOT = Path.of("").toAbsolutePath().getParent().getParent();
  private static final Pattern ARTIFACT = Pattern.compile("<artifactId>([a-z0-9-]+)</artifactId>");
  private static final Pattern MODULE_NAME =
      Pattern.compile("[a-zA-Z_$][\\w$]*(\\.[a-zA-Z_$][\\w$]*)*");

  /** The artifacts the BOM manages: the library, as an embedder sees it. */
  static List<String> bomArtifacts() throws IOException {
    String bom = Files.readString(ROOT.resolve("bom/pom.xml"));
    String managed = bom.substring(bom.indexOf("<dependencyManagement>"));
    List<String> names = new ArrayList<>();
    Matcher m = ARTIFACT.matcher(managed);
    while (m.find()) {
      names.add(m.group(1));
    }
    return names;
  }

  private static Path jar(String artifact, String classifier) throws IOException {
    Path target = ROOT.resolve(artifact).resolve("target");
    try (Stream<Path> files = Files.list(target)) {
      return files
          .filter(
              p -> {
                String n = p.getFileName().toString();
                return n.startsWith(artifact + "-")
                    && n.endsWith((classifier.isEmpty() ? "" : "-" + classifier) + ".jar")
                    && (classifier.isEmpty()
                        ? !n.endsWith("-sources.jar")
                            && !n.endsWith("-javadoc.jar")
                            && !n.endsWith("-tests.jar")
                        : true);
              })
          .findFirst()
          .orElseThrow(
              () ->
                  new AssertionError(
                      "no " + (classifier.isEmpty() ? "" : classifier + " ") + "jar in " + target));
    }
  }

  @Test
  void everyLibraryJarIsNamedDocumentedAndOwnsItsPackages() throws Exception {
    List<String> artifacts = bomArtifacts();
    assertThat(artifacts).as("artifacts in bom/pom.xml").hasSizeGreaterThanOrEqualTo(6);
    Map<String, String> moduleNames = new HashMap<>();
    Map<String, String> packageOwner = new HashMap<>();
    for (String artifact : artifacts) {
      Path jar = jar(artifact, "");
      assertThat(jar(artifact, "sources")).exists();
      assertThat(jar(artifact, "javadoc")).exists();
      try (JarFile j = new JarFile(jar.toFile())) {
        String name = j.getManifest().getMainAttributes().getValue("Automatic-Module-Name");
        assertThat(name).as(artifact + " Automatic-Module-Name").isNotBlank().matches(MODULE_NAME);
        String other = moduleNames.put(name, artifact);
        assertThat(other).as("module name " + name + " of " + artifact).isNull();
        for (Enumeration<JarEntry> e = j.entries(); e.hasMoreElements(); ) {
          String entry = e.nextElement().getName();
          if (!entry.endsWith(".class") || entry.startsWith("META-INF/")) {
            continue;
          }
          String pkg = entry.substring(0, Math.max(0, entry.lastIndexOf('/'))).replace('/', '.');
          String owner = packageOwner.putIfAbsent(pkg, artifact);
          assertThat(owner == null || owner.equals(artifact))
              .as("package " + pkg + " in " + owner + " and " + artifact)
              .isTrue();
        }
      }
    }
    System.out.println("artifacts: " + moduleNames);
  }
}
