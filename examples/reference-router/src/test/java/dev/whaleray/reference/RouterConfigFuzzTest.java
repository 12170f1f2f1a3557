package dev.whaleray.reference;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.code_intelligence.jazzer.junit.DictionaryFile;
import com.code_intelligence.jazzer.junit.FuzzTest;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Fuzzes the reference router's configuration loader: {@link RouterConfig#parse} (YAML text and
 * environment) and {@link RouterConfig#load} (the same YAML as a file). The input is the YAML file,
 * then optionally a NUL byte and {@code NAME=value} environment entries separated by NUL bytes;
 * only {@code WHALERAY_*} names are kept (so no input makes the loader ask the ECS metadata
 * endpoint for a zone).
 *
 * <p>Properties:
 *
 * <ol>
 *   <li>The loader throws nothing but its documented {@link ConfigException} (never a
 *       NullPointerException, ClassCastException, StackOverflowError, a SnakeYAML exception...),
 *       and its message names where the error is: {@code config line N: field: ...} or {@code
 *       config: ...} for the file (here called {@code config}), {@code WHALERAY_X: ...} for a
 *       variable. Two findings break this today; {@link #knownFinding} accepts exactly those, and a
 *       disabled test for each holds the strict check.
 *   <li>A loaded configuration holds values in range (ports, durations, retries) and routes that a
 *       route table takes.
 *   <li>{@code load} from a file gives the same answer as {@code parse} of its text (the file's
 *       name in place of {@code config}), and only a {@link ConfigException} when the file is not
 *       UTF-8.
 * </ol>
 */
class RouterConfigFuzzTest {
  private static final Pattern ENV_DURATION_ERROR =
      Pattern.compile(
          "WHALERAY_(SHUTDOWN_GRACE|CONNECT_TIMEOUT|RESPONSE_TIMEOUT|DNS_VALID|CLOUDMAP_REFRESH): '");

  private static Path file;

  @BeforeAll
  static void createFile() throws IOException {
    file = Files.createTempFile("whaleray-fuzz-", ".yaml");
  }

  @AfterAll
  static void deleteFile() throws IOException {
    Files.deleteIfExists(file);
  }

  @FuzzTest
  @DictionaryFile(resourcePath = "config.dict")
  void loadsOrNamesTheError(byte[] input) throws IOException {
    int nul = indexOf(input, (byte) 0);
    byte[] yamlBytes = nul < 0 ? input : Arrays.copyOf(input, nul);
    Map<String, String> env = nul < 0 ? Map.of() : env(input, nul + 1);
    String yaml = new String(yamlBytes, StandardCharsets.UTF_8);

    String parsed = outcome(() -> RouterConfig.parse(yaml, env), "config");

    Files.write(file, yamlBytes);
    String loaded = outcome(() -> RouterConfig.load(file, env), file.toString());
    if (isUtf8(yamlBytes)) {
      // Alike but for the source's name. Both names are dropped from both answers: the fuzzer
      // learns them from this comparison and writes them into the YAML, which messages echo.
      assertThat(withoutSource(loaded)).isEqualTo(withoutSource(parsed));
    } else {
      assertThat(loaded).startsWith("ConfigException " + file + ": cannot read");
    }
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "WHALERAY_SHUTDOWN_GRACE",
        "WHALERAY_CONNECT_TIMEOUT",
        "WHALERAY_RESPONSE_TIMEOUT",
        "WHALERAY_DNS_VALID",
        "WHALERAY_CLOUDMAP_REFRESH"
      })
  void envDurationErrorsAreConfigExceptions(String variable) {
    for (String value : List.of("3000000h", "soon", "")) {
      assertThatThrownBy(() -> RouterConfig.parse("", Map.of(variable, value)))
          .isInstanceOf(ConfigException.class)
          .hasMessageStartingWith(variable + ": '" + value + "'");
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"port: !%20 80\n", "a: \"\\x"})
  void yamlErrorsAreConfigExceptions(String yaml) {
    assertThatThrownBy(() -> RouterConfig.parse(yaml, Map.of()))
        .isInstanceOf(ConfigException.class)
        .hasMessageStartingWith("config")
        .hasMessageContaining("not valid YAML");
  }

  /**
   * Names a known finding that escapes as an {@link IllegalArgumentException} other than a {@link
   * ConfigException}, or returns null. Each is accepted only from where it comes, so that the
   * target keeps fuzzing everything else; the disabled tests above are the strict checks.
   */
  static @Nullable String knownFinding(IllegalArgumentException e) {
    if (e.getClass() == IllegalArgumentException.class
        && ENV_DURATION_ERROR.matcher(String.valueOf(e.getMessage())).lookingAt()) {
      // Durations.parse's exception for a WHALERAY_* duration is not wrapped (it does name the
      // variable): seed env-huge-duration.
      return "env-duration";
    }
    for (StackTraceElement frame : e.getStackTrace()) {
      if (frame.getClassName().equals("org.yaml.snakeyaml.Yaml")
          && frame.getMethodName().equals("compose")) {
        // SnakeYAML throws more than YAMLException, which is all YamlFile.parse catches: Tag's
        // constructor for "!%20" (seed yaml-tag-percent-space), Integer.parseInt for a "\x"
        // escape cut by the end of the text (seed yaml-escape-at-eof).
        return "yaml-" + e.getClass().getSimpleName();
      }
    }
    return null;
  }

  /** Loads; describes the config, or checks and describes the error. */
  private static String outcome(java.util.function.Supplier<RouterConfig> load, String source) {
    RouterConfig c;
    try {
      c = load.get();
    } catch (ConfigException e) {
      String message = String.valueOf(e.getMessage());
      boolean namesFile =
          message.startsWith(source + " line ") || message.startsWith(source + ": ");
      boolean namesVariable = message.startsWith("WHALERAY_");
      assertThat(namesFile || namesVariable)
          .as("names the file or a WHALERAY_ variable: %s", message)
          .isTrue();
      return "ConfigException " + message;
    } catch (IllegalArgumentException e) {
      String finding = knownFinding(e);
      if (finding == null) {
        throw e;
      }
      return "IllegalArgumentException (" + finding + ") " + e.getMessage();
    }
    assertThat(c.port).isBetween(0, 65535);
    assertThat(c.adminPort).isBetween(0, 65535);
    assertThat(c.retries).isBetween(0, 10);
    assertThat(c.shutdownGrace).isBetween(java.time.Duration.ZERO, Durations.MAX);
    assertThat(c.connectTimeout).isPositive().isLessThanOrEqualTo(Durations.MAX);
    assertThat(c.responseTimeout).isPositive().isLessThanOrEqualTo(Durations.MAX);
    assertThat(c.routes).isNotEmpty();
    dev.whaleray.router.Router.builder().routes(c.routes).build();
    return String.join(
        " ",
        "loaded",
        c.host,
        String.valueOf(c.port),
        String.valueOf(c.adminPort),
        c.routes.toString(),
        c.discovery,
        c.discoverySettings.toString(),
        c.lbPolicy,
        c.lbOptions.toString(),
        String.valueOf(c.zone),
        c.shutdownGrace.toString(),
        c.connectTimeout.toString(),
        c.responseTimeout.toString(),
        String.valueOf(c.preserveHost),
        String.valueOf(c.retries),
        String.valueOf(c.healthCheckConfigured));
  }

  private static String withoutSource(String outcome) {
    return outcome.replace(file.toString(), "").replace("config", "");
  }

  /** {@code NAME=value} entries between NUL bytes from {@code start}; WHALERAY_* names only. */
  private static Map<String, String> env(byte[] input, int start) {
    Map<String, String> env = new LinkedHashMap<>();
    String text = new String(input, start, input.length - start, StandardCharsets.UTF_8);
    for (String entry : text.split("\0")) {
      int eq = entry.indexOf('=');
      if (eq > 0 && entry.startsWith("WHALERAY_")) {
        env.put(entry.substring(0, eq), entry.substring(eq + 1));
      }
    }
    return env;
  }

  private static int indexOf(byte[] input, byte b) {
    for (int i = 0; i < input.length; i++) {
      if (input[i] == b) {
        return i;
      }
    }
    return -1;
  }

  private static boolean isUtf8(byte[] bytes) {
    try {
      StandardCharsets.UTF_8.newDecoder().decode(ByteBuffer.wrap(bytes));
      return true;
    } catch (CharacterCodingException e) {
      return false;
    }
  }
}
