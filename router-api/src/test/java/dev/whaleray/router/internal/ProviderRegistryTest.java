package dev.whaleray.router.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
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
}
