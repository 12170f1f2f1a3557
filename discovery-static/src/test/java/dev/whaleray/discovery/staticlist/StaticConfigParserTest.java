package dev.whaleray.discovery.staticlist;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.whaleray.router.Endpoint;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class StaticConfigParserTest {

  private static Map<String, List<Endpoint>> parse(String yaml) {
    return StaticConfigParser.parse(yaml, "config.yaml");
  }

  /** A config whose {@code discovery.static} section holds {@code lines}, from line 4 on. */
  private static String config(String... lines) {
    return "port: 8080\n" + "discovery:\n" + "  static:\n" + String.join("\n", lines) + "\n";
  }

  private static void assertError(String yaml, String message) {
    assertThatThrownBy(() -> parse(yaml))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(message);
  }

  @Test
  void parsesTheDesignExample() {
    Map<String, List<Endpoint>> services =
        parse(
            "port: 8080\n"
                + "adminPort: 9901\n"
                + "routes:\n"
                + "  - path: /services/{service}\n"
                + "  - host: catalog.example.com\n"
                + "    service: catalog\n"
                + "discovery:\n"
                + "  type: static\n"
                + "  static:\n"
                + "    catalog: [ \"127.0.0.1:8081\", \"127.0.0.1:8082 weight=3 zone=us-east-1a\" ]\n"
                + "  cloudmap: { namespace: whaleray.local, backendPort: 3000 }\n"
                + "loadBalancing: { policy: least-connections }\n");

    assertThat(services)
        .containsExactly(
            Map.entry(
                "catalog",
                List.of(
                    Endpoint.of("127.0.0.1", 8081),
                    Endpoint.builder("127.0.0.1", 8082).weight(3).zone("us-east-1a").build())));
  }

  @Test
  void parsesEveryEntryForm() {
    Map<String, List<Endpoint>> services =
        parse(
            config(
                "    Orders:",
                "      - 10.0.0.1:80",
                "      - \"backend.local:8080   weight=0\"",
                "      - '[::1]:9000 zone=eu-west-1b version=2 canary=true'",
                "      - 10.0.0.2:81 weight=1000000 empty= zone=",
                "    flow: [ 127.0.0.1:1, \"127.0.0.1:65535\" ]",
                "    none: []",
                "    nothing:"));

    assertThat(services.keySet()).containsExactly("flow", "none", "nothing", "orders");
    assertThat(services.get("orders"))
        .containsExactly(
            Endpoint.of("10.0.0.1", 80),
            Endpoint.of("backend.local", 8080).withWeight(0),
            Endpoint.builder("::1", 9000)
                .zone("eu-west-1b")
                .attribute("version", "2")
                .attribute("canary", "true")
                .build(),
            Endpoint.builder("10.0.0.2", 81)
                .weight(Endpoint.MAX_WEIGHT)
                .attribute("empty", "")
                .build());
    assertThat(services.get("flow"))
        .containsExactly(Endpoint.of("127.0.0.1", 1), Endpoint.of("127.0.0.1", 65535));
    assertThat(services.get("none")).isEmpty();
    assertThat(services.get("nothing")).isEmpty();
  }

  @Test
  void missingSectionsMeanNoServices() {
    assertThat(parse("")).isEmpty();
    assertThat(parse("# only a comment\n")).isEmpty();
    assertThat(parse("port: 8080\n")).isEmpty();
    assertThat(parse("discovery:\n")).isEmpty();
    assertThat(parse("discovery:\n  type: cloudmap-dns\n")).isEmpty();
    assertThat(parse("discovery:\n  static:\n")).isEmpty();
    assertThat(parse("discovery:\n  static: {}\n")).isEmpty();
  }

  @Test
  void resultIsImmutable() {
    Map<String, List<Endpoint>> services = parse(config("    a: [ \"h:1\" ]"));

    assertThatThrownBy(() -> services.put("b", List.of()))
        .isInstanceOf(UnsupportedOperationException.class);
    assertThatThrownBy(() -> services.get("a").add(Endpoint.of("h", 2)))
        .isInstanceOf(UnsupportedOperationException.class);
  }

  @Test
  void errorExampleFromTheDesign() {
    assertError(
        "port: 8080\n"
            + "routes:\n"
            + "  - path: /services/{service}\n"
            + "discovery:\n"
            + "  type: static\n"
            + "  static:\n"
            + "    catalog: [ \"127.0.0.1:8081\", \"127.0.0.1:abc\" ]\n",
        "config.yaml line 7: discovery.static.catalog[1]: port: 'abc' (expected: a number from 1"
            + " to 65535)");
  }

  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      quoteCharacter = '"',
      value = {
        // entry                  | error after "config.yaml line 6: discovery.static.svc[1]: "
        "h:0                      | port: '0' (expected: a number from 1 to 65535)",
        "h:65536                  | port: '65536' (expected: a number from 1 to 65535)",
        "h:-1                     | port: '-1' (expected: a number from 1 to 65535)",
        "h:                       | port: '' (expected: a number from 1 to 65535)",
        "h:80 weight=x            | weight: 'x' (expected: a number from 0 to 1000000)",
        "h:80 weight=-1           | weight: '-1' (expected: a number from 0 to 1000000)",
        "h:80 weight=1000001      | weight: '1000001' (expected: a number from 0 to 1000000)",
        "h:80 weight=99999999999  | weight: '99999999999' (expected: a number from 0 to 1000000)",
        "h:80 weight=             | weight: '' (expected: a number from 0 to 1000000)",
        ":80                      | host: '' in ':80' (expected: host:port, e.g. 127.0.0.1:8081)",
        "[]:80                    | address: '[]:80' (expected: host:port, IPv6 as [::1]:8081)",
        "::1:80                   | address: '::1:80' (expected: host:port, IPv6 as [::1]:8081)",
        "h                        | address: 'h' (expected: host:port, e.g. 127.0.0.1:8081)",
        "a/b:80                   | host: 'a/b' (expected: a host name of letters, digits, '-' and '.', or an IP address)",
        "h:80 canary              | option: 'canary' (expected: key=value, e.g. weight=2 or"
            + " zone=us-east-1a)",
        "h:80 =x                  | option: '=x' (expected: key=value, e.g. weight=2 or"
            + " zone=us-east-1a)",
        "h:80 weight=1 weight=2   | option: 'weight' given twice",
      })
  void entryErrorsNameTheLineAndField(String entry, String message) {
    String yaml = config("    svc:", "      - \"h:1\"", "      - \"" + entry + "\"");

    assertError(yaml, "config.yaml line 6: discovery.static.svc[1]: " + message);
  }

  @Test
  void emptyEntry() {
    assertError(
        config("    svc: [ \"h:1\", \"\" ]"),
        "config.yaml line 4: discovery.static.svc[1]: address: '' (expected: host:port, e.g."
            + " 127.0.0.1:8081)");
  }

  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      quoteCharacter = '"',
      value = {
        "Bad_Name",
        "a.b",
        "-abc",
        "abc-",
        "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", // 64
      })
  void badServiceNamesAreRejected(String name) {
    assertError(
        config("    ok: [ \"h:1\" ]", "    " + name + ": [ \"h:2\" ]"),
        "config.yaml line 5: discovery.static."
            + name
            + ": service name '"
            + name
            + "' (expected: a DNS label, 1-63 of [a-z0-9-])");
  }

  @Test
  void serviceNamesAreCaseInsensitive() {
    String longest = "a".repeat(63);

    assertThat(parse(config("    CataLog-2: [ \"h:1\" ]", "    " + longest + ": []")))
        .containsOnlyKeys("catalog-2", longest);
    assertError(
        config("    catalog: [ \"h:1\" ]", "    Catalog: [ \"h:2\" ]"),
        "config.yaml line 5: discovery.static.Catalog: service 'catalog' is listed twice (first"
            + " at line 4)");
  }

  @Test
  void structureErrorsNameTheLineAndField() {
    assertError(
        config("    svc: \"127.0.0.1:8081\""),
        "config.yaml line 4: discovery.static.svc: '127.0.0.1:8081' (expected: a list of"
            + " \"host:port [weight=N] [zone=Z] [key=value]\")");
    assertError(
        config("    svc:", "      host: 127.0.0.1"),
        "config.yaml line 5: discovery.static.svc: a mapping (expected: a list of"
            + " \"host:port [weight=N] [zone=Z] [key=value]\")");
    assertError(
        config("    svc:", "      - host: 127.0.0.1", "        port: 8081"),
        "config.yaml line 5: discovery.static.svc[0]: a mapping (expected: \"host:port [weight=N]"
            + " [zone=Z] [key=value]\")");
    assertError(
        config("    svc:", "      - \"h:1\"", "      -"),
        "config.yaml line 6: discovery.static.svc[1]: nothing (expected: \"host:port [weight=N]"
            + " [zone=Z] [key=value]\")");
    assertError(
        "discovery:\n  static: [ \"h:1\" ]\n",
        "config.yaml line 2: discovery.static: a list (expected: a mapping of service names to"
            + " endpoint lists)");
    assertError(
        "discovery: static\n", "config.yaml line 1: discovery: 'static' (expected: a mapping)");
    assertError(
        "- a\n- b\n", "config.yaml line 1: config: a list (expected: a mapping of settings)");
    assertError(
        "discovery:\n  static: {}\ndiscovery:\n  static: {}\n",
        "config.yaml line 3: discovery: listed twice (first at line 1)");
    assertError(
        "discovery:\n  static: {}\n  static: {}\n",
        "config.yaml line 3: discovery.static: listed twice (first at line 2)");
  }

  @Test
  void yamlSyntaxErrorsNameTheLine() {
    assertThatThrownBy(() -> parse(config("    svc: [ \"h:1\"", "    other: []")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("config.yaml line 5: not valid YAML: ");
    assertThatThrownBy(() -> parse("a: 1\n---\nb: 2\n"))
        .hasMessageStartingWith("config.yaml line 2: not valid YAML: ");
  }

  @Test
  void javaTagsAreRefused() {
    assertThatThrownBy(
            () ->
                parse(
                    "exploit: !!javax.script.ScriptEngineManager [!!java.net.URLClassLoader"
                        + " [[!!java.net.URL [\"http://127.0.0.1:1/\"]]]]\n"
                        + config("    svc: [ \"h:1\" ]")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("config.yaml line 1: not valid YAML: ")
        .hasMessageContaining("Global tag is not allowed");
  }

  @Test
  void aliasExpansionIsBounded() {
    StringBuilder bomb = new StringBuilder("a0: &a0 [\"x\", \"x\"]\n");
    for (int i = 1; i <= 60; i++) {
      bomb.append("a").append(i).append(": &a").append(i).append(" [*a").append(i - 1);
      bomb.append(", *a").append(i - 1).append("]\n");
    }

    assertThatThrownBy(() -> parse(bomb.toString()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("not valid YAML")
        .hasMessageContaining("aliases");
  }

  @Test
  void aliasesWithinTheBoundWork() {
    assertThat(
            parse(
                "defaults: &backends [ \"h:1\", \"h:2\" ]\n"
                    + config("    a: *backends", "    b: *backends")))
        .containsOnlyKeys("a", "b")
        .containsEntry("a", List.of(Endpoint.of("h", 1), Endpoint.of("h", 2)));
  }

  @Test
  void parsesAFileAndNamesItInErrors(@TempDir Path dir) throws IOException {
    Path good = Files.writeString(dir.resolve("good.yaml"), config("    a: [ \"h:1\" ]"));
    Path bad = Files.writeString(dir.resolve("bad.yaml"), config("    a: [ \"h:x\" ]"));
    Path binary = Files.write(dir.resolve("binary.yaml"), new byte[] {'a', ':', ' ', (byte) 0xC3});

    assertThat(StaticConfigParser.parse(good)).containsEntry("a", List.of(Endpoint.of("h", 1)));
    assertThatThrownBy(() -> StaticConfigParser.parse(bad))
        .hasMessage(
            bad
                + " line 4: discovery.static.a[0]: port: 'x' (expected: a number from 1 to"
                + " 65535)");
    assertThatThrownBy(() -> StaticConfigParser.parse(binary))
        .hasMessage(binary + ": not valid UTF-8 text");
    assertThatThrownBy(() -> StaticConfigParser.parse(dir.resolve("missing.yaml")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith(dir.resolve("missing.yaml") + ": cannot read the file (")
        .hasMessageContaining("NoSuchFileException");
  }

  @Test
  void byteOrderMarkIsIgnored() {
    assertThat(parse("\uFEFF" + config("    a: [ \"h:1\" ]"))).containsOnlyKeys("a");
  }
}
