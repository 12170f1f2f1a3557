package dev.whaleray.router.undertow.internal.edge;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class PathNormalizerTest {

  /** The forwarded form of what follows "/services/demo" ("=" when forwarded unchanged). */
  @ParameterizedTest
  @CsvSource({
    "'', =",
    "/, =",
    "/a/b, =",
    "/a//b, =",
    "/a%2Fb, =",
    "/%252e%252e/x, =",
    "/.../x, =",
    "/a.b/c., =",
    "/a/../b, /b",
    "/a/./b, /a/b",
    "/a/b/., /a/b/",
    "/a/b/.., /a/",
    "/a/.., /",
    "/., /",
    "/a/%2e%2e/b, /b",
    "/a/%2E%2e/b, /b",
    "/a/.%2E/b, /b",
    "/a/%2e/b, /a/b",
    "/a/b/../../c, /c",
    "/a//../b, /a/b",
    "/a/./../b/./c/., /b/c/",
  })
  void normalises(String rest, String expected) throws Exception {
    String path = "/services/demo" + rest;
    String got = PathNormalizer.normalize(path, "/services/demo".length());
    if (expected.equals("=")) {
      assertThat(got).isNull();
    } else {
      assertThat(got).isEqualTo(expected);
    }
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "/..",
        "/../x",
        "/a/../..",
        "/a/../../etc/passwd",
        "/%2e%2e/x",
        "/.%2e/x",
        "/..%2f..%2fetc",
        "/a%2f..%2fb",
        "/a%2F..",
        "/..%5cx",
        "/a\\..\\b",
        "/%2e%2e%2fx",
        "/a%00b",
        "/a%0ab",
        "/a%0Db",
        "/a%1fb",
        "/a%7fb",
        "/a%zzb",
        "/a%2",
        "/a%",
        "/a b",
        "/caf\u00e9",
      })
  void rejects(String rest) {
    assertThatThrownBy(
            () -> PathNormalizer.normalize("/services/demo" + rest, "/services/demo".length()))
        .isInstanceOf(PathNormalizer.RejectedPath.class);
  }

  @ParameterizedTest
  @ValueSource(strings = {"/a/../b", "/a/./b/.", "/x/%2e%2e/y/", "/a//b/../c"})
  void normalisingTwiceChangesNothing(String rest) throws Exception {
    String once = PathNormalizer.normalize(rest, 0);
    assertThat(once).isNotNull();
    String twice = PathNormalizer.normalize(once, 0);
    assertThat(twice == null ? once : twice).isEqualTo(once);
  }

  @ParameterizedTest
  @CsvSource({"x, /x", "x/../y, /y"})
  void aRestNotStartingWithSlashIsRootedFirst(String rest, String expected) throws Exception {
    assertThat(PathNormalizer.normalize("/shop" + rest, "/shop".length())).isEqualTo(expected);
  }
}
