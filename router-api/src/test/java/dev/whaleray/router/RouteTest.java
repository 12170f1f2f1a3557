package dev.whaleray.router;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class RouteTest {

  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      quoteCharacter = '"',
      value = {
        "services/{service}  | path: 'services/{service}' (expected: a pattern starting with '/')",
        "/services/x{service} | path: '/services/x{service}' ({service} must be a whole path"
            + " segment)",
        "/services/{service}x | path: '/services/{service}x' ({service} must be a whole path"
            + " segment)",
        "/a/{service}/{service} | path: '/a/{service}/{service}' ({service} may appear only once)",
        "/a b/{service}       | path: '/a b/{service}' (' ' not allowed outside {service})",
        "/a?/{service}        | path: '/a?/{service}' ('?' not allowed outside {service})",
      })
  void badPathPatternsNameThePathField(String pattern, String message) {
    assertThatThrownBy(() -> Route.path(pattern))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(message);
  }

  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      quoteCharacter = '"',
      value = {
        "\"\"                      | host: '' (expected: a host name)",
        "a_b.example.com           | host: 'a_b.example.com' (expected: a host name, or"
            + " {service}.domain; '_' not allowed)",
        "{service}.a/b             | host: '{service}.a/b' (expected: a host name, or"
            + " {service}.domain; '/' not allowed)",
        "{service}.                | host: '{service}.' (expected: a host name)",
        "x.{service}.example.com   | host: 'x.{service}.example.com' (expected: a host name, or"
            + " {service}.domain; '{' not allowed)",
      })
  void badHostPatternsNameTheHostField(String pattern, String message) {
    assertThatThrownBy(() -> Route.host(pattern))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(message);
  }

  @Test
  void serviceErrorsNameTheServiceField() {
    assertThatThrownBy(() -> Route.host("a.example.com").withService("Not_A_Label"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("service: 'Not_A_Label' (expected: a DNS label, 1-63 of [a-z0-9-])");
    assertThatThrownBy(() -> Route.path("/services/{service}").withService("x"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith(
            "service: route path=/services/{service} names its service more" + " than once");
    assertThatThrownBy(() -> Route.hostAndPath("{service}.example.com", "/services/{service}"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith(
            "service: route host={service}.example.com path=/services/{service} names its"
                + " service more than once");
  }

  @Test
  void nullPatternsNameTheParameter() {
    assertThatThrownBy(() -> Route.path(null)).hasMessage("pattern");
    assertThatThrownBy(() -> Route.hostAndPath("a.example.com", null)).hasMessage("pathPattern");
  }

  @Test
  void accessorsEqualsAndToString() {
    Route a = Route.host("Catalog.Example.com").withService("Catalog");

    assertThat(a.hostPattern()).isEqualTo("Catalog.Example.com");
    assertThat(a.pathPattern()).isNull();
    assertThat(a.service()).isEqualTo("catalog");
    assertThat(a).isEqualTo(Route.host("Catalog.Example.com").withService("catalog"));
    assertThat(a).hasSameHashCodeAs(Route.host("Catalog.Example.com").withService("catalog"));
    assertThat(a).isNotEqualTo(Route.host("Catalog.Example.com").withService("other"));
    assertThat(a.withService("catalog")).isSameAs(a);
    assertThat(a).hasToString("Route{host=Catalog.Example.com -> catalog}");
    assertThat(Route.path("/services/{service}"))
        .hasToString("Route{path=/services/{service}}")
        .isEqualTo(Route.path("/services/{service}"));
  }

  @Test
  void fixedServiceFactoriesEqualWithService() {
    assertThat(Route.host("catalog.example.com", "Catalog"))
        .isEqualTo(Route.host("catalog.example.com").withService("catalog"));
    assertThat(Route.path("/catalog", "catalog"))
        .isEqualTo(Route.path("/catalog").withService("catalog"));
    assertThat(Route.of(null, "/services/{service}", null))
        .isEqualTo(Route.path("/services/{service}"));
    assertThatThrownBy(() -> Route.of(null, null, "x"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("route: neither host nor path (expected: one or both)");
    assertThatThrownBy(() -> Route.path("/services/{service}", "x"))
        .hasMessageStartingWith("service: route path=/services/{service} names its service more");
  }

  @Test
  void carriesItsOwnLoadBalancingPolicy() {
    Route plain = Route.path("/n/{service}");
    Route sticky =
        plain.withLoadBalancing("consistent-hash", java.util.Map.of("hashKey", "cookie:sid"));
    org.assertj.core.api.Assertions.assertThat(plain.policy()).isNull();
    org.assertj.core.api.Assertions.assertThat(plain.policyOptions()).isEmpty();
    org.assertj.core.api.Assertions.assertThat(sticky.policy()).isEqualTo("consistent-hash");
    org.assertj.core.api.Assertions.assertThat(sticky.policyOptions())
        .containsEntry("hashKey", "cookie:sid");
    org.assertj.core.api.Assertions.assertThat(sticky).isNotEqualTo(plain);
    Route fixed =
        Route.host("a.example.com", "a")
            .withLoadBalancing("least-connections", java.util.Map.of())
            .withService("b");
    org.assertj.core.api.Assertions.assertThat(fixed.service()).isEqualTo("b");
    org.assertj.core.api.Assertions.assertThat(fixed.policy()).isEqualTo("least-connections");
    org.assertj.core.api.Assertions.assertThatThrownBy(
            () -> plain.withLoadBalancing(" ", java.util.Map.of()))
        .hasMessageStartingWith("policy: ''");
  }
}
