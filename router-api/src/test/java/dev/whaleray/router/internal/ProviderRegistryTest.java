package dev.whaleray.router.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Drives the registry through a class loader whose only {@code META-INF/services} file is written
 * by the test, so the shared test-jar carries no test providers.
 */
class ProviderRegistryTest {

  /** The provider type of these tests. */
  public interface Plugin {
    String name();

    default int priority() {
      return 5;
    }

    default boolean isAvailable() {
      return true;
    }

    default @Nullable String unavailableReason() {
      return null;
    }
  }

  /** {@code alpha}, default priority. */
  public static final class AlphaLow implements Plugin {
    @Override
    public String name() {
      return "alpha";
    }
  }

  /** {@code alpha}, higher priority. */
  public static final class AlphaHigh implements Plugin {
    @Override
    public String name() {
      return "alpha";
    }

    @Override
    public int priority() {
      return 10;
    }
  }

  /** {@code alpha}, same high priority but registered later. */
  public static final class AlphaHighLater implements Plugin {
    @Override
    public String name() {
      return "alpha";
    }

    @Override
    public int priority() {
      return 10;
    }
  }

  /** {@code alpha} with the highest priority, but unavailable. */
  public static final class AlphaUnavailable implements Plugin {
    @Override
    public String name() {
      return "alpha";
    }

    @Override
    public int priority() {
      return 100;
    }

    @Override
    public boolean isAvailable() {
      return false;
    }
  }

  /** {@code beta}, whose availability check throws: treated as unavailable. */
  public static final class BetaThrowing implements Plugin {
    @Override
    public String name() {
      return "beta";
    }

    @Override
    public boolean isAvailable() {
      throw new IllegalStateException("no native library (expected by the test)");
    }
  }

  /** {@code gamma}. */
  public static final class Gamma implements Plugin {
    @Override
    public String name() {
      return "gamma";
    }
  }

  /** {@code delta}, unavailable, and says what is missing. */
  public static final class DeltaMissingLibrary implements Plugin {
    @Override
    public String name() {
      return "delta";
    }

    @Override
    public boolean isAvailable() {
      return false;
    }

    @Override
    public String unavailableReason() {
      return "delta plugin needs com.example:delta-client on the classpath";
    }
  }

  /** {@code epsilon}, unavailable; asking why throws. */
  public static final class EpsilonThrowingReason implements Plugin {
    @Override
    public String name() {
      return "epsilon";
    }

    @Override
    public boolean isAvailable() {
      return false;
    }

    @Override
    public String unavailableReason() {
      throw new IllegalStateException("expected by the test");
    }
  }

  private final ProviderRegistry<Plugin> registry =
      new ProviderRegistry<>(Plugin.class, Plugin::name, Plugin::priority, Plugin::isAvailable);

  private static URLClassLoader loaderListing(Path dir, String... classNames) throws IOException {
    Path services = dir.resolve("META-INF/services");
    Files.createDirectories(services);
    Files.writeString(
        services.resolve(Plugin.class.getName()), String.join("\n", classNames) + "\n");
    return new URLClassLoader(
        new URL[] {dir.toUri().toURL()}, ProviderRegistryTest.class.getClassLoader());
  }

  @Test
  void highestPriorityThenFirstRegisteredWins(@TempDir Path dir) throws IOException {
    try (URLClassLoader loader =
        loaderListing(
            dir,
            AlphaLow.class.getName(),
            AlphaHigh.class.getName(),
            AlphaHighLater.class.getName(),
            AlphaUnavailable.class.getName(),
            Gamma.class.getName())) {

      assertThat(registry.get("alpha", loader, "plugin")).isInstanceOf(AlphaHigh.class);
      assertThat(registry.get("gamma", loader, "plugin")).isInstanceOf(Gamma.class);
      assertThat(registry.all(loader))
          .extracting(p -> p.getClass().getSimpleName())
          .containsExactly("AlphaLow", "AlphaHigh", "AlphaHighLater", "Gamma");
    }
  }

  @Test
  void unavailableAndBrokenProvidersAreSkipped(@TempDir Path dir) throws IOException {
    try (URLClassLoader loader =
        loaderListing(
            dir,
            "dev.whaleray.router.internal.NoSuchPlugin",
            BetaThrowing.class.getName(),
            AlphaUnavailable.class.getName(),
            Gamma.class.getName())) {

      assertThat(registry.names(loader)).containsExactly("gamma");
      assertThatThrownBy(() -> registry.get("alpha", loader, "plugin"))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessage("plugin: 'alpha' is not available (expected one of: [gamma])");
      assertThatThrownBy(() -> registry.get("beta", loader, "plugin"))
          .hasMessage("plugin: 'beta' is not available (expected one of: [gamma])");
    }
  }

  @Test
  void unknownNameNamesTheFieldAndWhatIsOnOffer(@TempDir Path dir) throws IOException {
    try (URLClassLoader loader =
        loaderListing(dir, Gamma.class.getName(), AlphaLow.class.getName())) {

      assertThat(registry.names(loader)).containsExactly("alpha", "gamma");
      assertThatThrownBy(() -> registry.get("Alpha", loader, "discovery"))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessage("discovery: 'Alpha' is not available (expected one of: [alpha, gamma])");
    }
  }

  @Test
  void anUnavailableProviderSaysWhatIsMissing(@TempDir Path dir) throws IOException {
    ProviderRegistry<Plugin> explaining =
        new ProviderRegistry<>(
            Plugin.class,
            Plugin::name,
            Plugin::priority,
            Plugin::isAvailable,
            Plugin::unavailableReason);
    try (URLClassLoader loader =
        loaderListing(
            dir,
            DeltaMissingLibrary.class.getName(),
            EpsilonThrowingReason.class.getName(),
            AlphaUnavailable.class.getName(),
            Gamma.class.getName())) {

      assertThatThrownBy(() -> explaining.get("delta", loader, "plugin"))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessage(
              "plugin: 'delta' is not available: delta plugin needs com.example:delta-client on the"
                  + " classpath (expected one of: [gamma])");
      // No reason given, or asking throws: the plain message.
      assertThatThrownBy(() -> explaining.get("alpha", loader, "plugin"))
          .hasMessage("plugin: 'alpha' is not available (expected one of: [gamma])");
      assertThatThrownBy(() -> explaining.get("epsilon", loader, "plugin"))
          .hasMessage("plugin: 'epsilon' is not available (expected one of: [gamma])");
      // Without the reason function (the old constructor) the reason is not asked for.
      assertThatThrownBy(() -> registry.get("delta", loader, "plugin"))
          .hasMessage("plugin: 'delta' is not available (expected one of: [gamma])");
    }
  }
}
