package dev.whaleray.reference;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URL;
import java.net.URLClassLoader;
import org.junit.jupiter.api.Test;

/** The start-up error for a discovery whose jar is not on the class path names the artifact. */
class BundledProvidersTest {

  private static final IllegalArgumentException NOT_FOUND =
      new IllegalArgumentException(
          "discovery: 'cloudmap-api' is not available (expected one of: x)");

  @Test
  void aBundledProviderWhoseJarIsAbsentIsNamedByItsArtifact() throws Exception {
    // A class loader that sees the JDK only, as a class path without discovery-cloudmap-api.
    try (URLClassLoader jdkOnly =
        new URLClassLoader(new URL[0], ClassLoader.getPlatformClassLoader())) {
      assertThat(BundledProviders.discoveryNotFound("cloudmap-api", NOT_FOUND, jdkOnly))
          .hasMessageStartingWith(
              "discovery cloudmap-api: cloudmap-api discovery needs"
                  + " dev.whaleray:discovery-cloudmap-api on the classpath (expected one of: [")
          .hasCause(NOT_FOUND);
      assertThat(BundledProviders.missingArtifact("cloudmap-dns", jdkOnly))
          .isEqualTo("dev.whaleray:discovery-cloudmap-dns");
      assertThat(BundledProviders.missingArtifact("static", jdkOnly))
          .isEqualTo("dev.whaleray:discovery-static");
    }
  }

  @Test
  void aPresentProviderOrAnUnknownNameKeepsTheRegistrysMessage() {
    ClassLoader app = BundledProvidersTest.class.getClassLoader();
    assertThat(BundledProviders.missingArtifact("cloudmap-api", app)).isNull();
    assertThat(BundledProviders.missingArtifact("cloudmap-dns", app)).isNull();
    assertThat(BundledProviders.discoveryNotFound("cloudmap-api", NOT_FOUND, app))
        .hasMessage(
            "discovery cloudmap-api: discovery: 'cloudmap-api' is not available (expected one of: x)");
    IllegalArgumentException unknown =
        new IllegalArgumentException("discovery: 'consul' is not available (expected one of: x)");
    assertThat(BundledProviders.discoveryNotFound("consul", unknown, app))
        .hasMessage("discovery consul: discovery: 'consul' is not available (expected one of: x)");
  }
}
