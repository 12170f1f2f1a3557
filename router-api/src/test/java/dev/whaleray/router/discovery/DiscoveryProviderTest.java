package dev.whaleray.router.discovery;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;
import java.util.Set;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;

/** The default settings check every provider inherits. */
class DiscoveryProviderTest {

  private static DiscoveryProvider provider(@Nullable Set<String> names) {
    return new DiscoveryProvider() {
      @Override
      public String name() {
        return "registry";
      }

      @Override
      public @Nullable Set<String> settingNames() {
        return names;
      }

      @Override
      public Discovery newDiscovery(DiscoveryContext context) {
        throw new AssertionError("validation must not build a discovery");
      }
    };
  }

  @Test
  void aProviderThatDoesNotNameItsSettingsAcceptsAnyName() {
    DiscoveryProvider p = provider(null);
    assertThat(p.settingNames()).isNull();
    assertThatCode(() -> p.validate(Map.of("anything", "x", "registryUrl", "y")))
        .doesNotThrowAnyException();
  }

  @Test
  void anUnknownNameIsRefusedNamingItTheProviderAndTheNamesOnOffer() {
    DiscoveryProvider p = provider(Set.of("registryUrl", "registryRefresh"));
    assertThatCode(() -> p.validate(Map.of("registryUrl", "http://127.0.0.1:1")))
        .doesNotThrowAnyException();
    assertThatThrownBy(() -> p.validate(Map.of("registryUrl", "u", "registryRefesh", "5s")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(
            "registryRefesh: unknown setting of discovery registry"
                + " (expected one of: registryRefresh, registryUrl)");
  }

  @Test
  void aProviderWithoutSettingsRefusesEveryName() {
    DiscoveryProvider p = provider(Set.of());
    assertThatCode(() -> p.validate(Map.of())).doesNotThrowAnyException();
    assertThatThrownBy(() -> p.validate(Map.of("namespace", "x")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(
            "namespace: unknown setting of discovery registry (expected: none, it reads no setting)");
  }
}
