package dev.whaleray.router;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.whaleray.router.RouteMatch.Kind;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** Ports in routes: {@code demo:metrics}, {@code {service}:{port}}, {@code {port}--{service}}. */
class RoutePortsTest {
  private static final Router DEFAULT = Router.defaultRoutes();

  private static RouteMatch match(Router router, String host, String path) {
    return router.match(RequestView.of("GET", host, path));
  }

  @ParameterizedTest
  @CsvSource({
    "/services/demo:metrics/x, demo, metrics, 22, /x",
    "/services/demo:9100, demo, 9100, 19, ''",
    "/services/Demo:METRICS/, demo, metrics, 22, /",
    "/services/demo/x, demo, , 14, /x",
  })
  void defaultRouteTakesAPortInTheServiceSegment(
      String path, String service, String port, int strip, String rest) {
    RouteMatch m = match(DEFAULT, "h", path);

    assertThat(m.kind()).isEqualTo(Kind.MATCHED);
    assertThat(m.service()).isEqualTo(service);
    assertThat(m.port()).isEqualTo(port);
    assertThat(path.substring(m.strippedPrefixLength())).isEqualTo(rest);
  }

  @Test
  void repeatedHitsAreTheSameMatch() {
    RouteMatch first = match(DEFAULT, "h", "/services/demo:metrics/a");
    assertThat(match(DEFAULT, "h", "/services/demo:metrics/b")).isSameAs(first);
  }

  @ParameterizedTest
  @CsvSource({
    "/services/demo:, ''",
    "/services/demo:bad_name, bad_name",
    "/services/demo:0, 0",
    "/services/demo:65536, 65536",
    "/services/demo:09100, 09100",
  })
  void badPortsAreInvalidPortsNamingTheValue(String path, String value) {
    RouteMatch m = match(DEFAULT, "h", path);

    assertThat(m.kind()).isEqualTo(Kind.INVALID_PORT);
    assertThat(m.service()).isEqualTo("demo");
    assertThat(m.invalidValue()).isEqualTo(value);
  }

  @Test
  void badServiceBeforeAPortIsAnInvalidService() {
    RouteMatch m = match(DEFAULT, "h", "/services/de_mo:metrics");
    assertThat(m.kind()).isEqualTo(Kind.INVALID_SERVICE);
    assertThat(m.invalidValue()).isEqualTo("de_mo:metrics");
  }

  @Test
  void explicitPortTemplateNeedsAPort() {
    Route ported = Route.path("/p/{service}:{port}");
    Router router = Router.builder().route(ported).route(Route.path("/p/{service}")).build();

    RouteMatch withPort = match(router, "h", "/p/demo:grpc/x");
    assertThat(withPort.route()).isSameAs(ported);
    assertThat(withPort.port()).isEqualTo("grpc");
    assertThat(withPort.strippedPrefixLength()).isEqualTo("/p/demo:grpc".length());

    RouteMatch without = match(router, "h", "/p/demo/x");
    assertThat(without.route()).isNotSameAs(ported);
    assertThat(without.port()).isNull();
  }

  @Test
  void hostTemplateTakesThePortBeforeTwoDashes() {
    Router router =
        Router.builder().route(Route.host("{port}--{service}.apps.example.com")).build();

    RouteMatch m = match(router, "metrics--demo.apps.example.com", "/x");
    assertThat(m.kind()).isEqualTo(Kind.MATCHED);
    assertThat(m.service()).isEqualTo("demo");
    assertThat(m.port()).isEqualTo("metrics");
    assertThat(m.strippedPrefixLength()).isZero();

    assertThat(match(router, "9100--demo.apps.example.com", "/").port()).isEqualTo("9100");
    assertThat(match(router, "demo.apps.example.com", "/")).isSameAs(RouteMatch.NONE);
    RouteMatch bad = match(router, "bad_port--demo.apps.example.com", "/");
    assertThat(bad.kind()).isIn(Kind.INVALID_PORT, Kind.NO_ROUTE);
  }

  @Test
  void fixedPortGoesWithEveryMatch() {
    Route metrics = Route.host("metrics.example.com", "demo").withPort("metrics");
    Route byPath = Route.path("/m/{service}").withPort("9100");
    Router router = Router.builder().route(metrics).route(byPath).build();

    assertThat(match(router, "metrics.example.com", "/").port()).isEqualTo("metrics");
    assertThat(match(router, "other", "/m/demo/x").port()).isEqualTo("9100");
    // With a fixed port the segment is a plain service name: a colon makes it invalid.
    assertThat(match(router, "other", "/m/demo:grpc/x").kind()).isEqualTo(Kind.INVALID_SERVICE);
    assertThat(metrics.port()).isEqualTo("metrics");
    assertThat(metrics.withPort("metrics")).isSameAs(metrics);
    assertThat(metrics.withPort(null).port()).isNull();
    assertThat(metrics).isNotEqualTo(metrics.withPort("grpc"));
    assertThat(metrics.toString()).contains("port=metrics");
    assertThat(metrics.withService("other").port()).isEqualTo("metrics");
  }

  @ParameterizedTest
  @ValueSource(strings = {"", "bad_name", "0", "70000", "Metrics"})
  void badFixedPortsAreRefusedNamingThem(String port) {
    assertThatThrownBy(() -> Route.path("/m/{service}").withPort(port))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("port: '" + port + "'");
  }

  @Test
  void aPortNamedTwiceIsRefused() {
    assertThatThrownBy(() -> Route.path("/p/{service}:{port}").withPort("grpc"))
        .hasMessageContaining("names its port more than once");
    assertThatThrownBy(() -> Route.path("/p/{port}/{service}"))
        .hasMessageStartingWith("path: '/p/{port}/{service}'");
    assertThatThrownBy(() -> Route.host("{service}.{port}.example.com"))
        .hasMessageStartingWith("host: '{service}.{port}.example.com'");
  }
}
