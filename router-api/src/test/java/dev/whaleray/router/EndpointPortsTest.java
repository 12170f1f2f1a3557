package dev.whaleray.router;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Named ports beside an endpoint's default port (issue #16). */
class EndpointPortsTest {
  private static final Endpoint E =
      Endpoint.builder("10.0.0.1", 3000).port("metrics", 9100).port("grpc", 50051).build();

  @Test
  void namedPortsAreSortedAndLookedUp() {
    assertThat(E.ports()).containsExactly(Map.entry("grpc", 50051), Map.entry("metrics", 9100));
    assertThat(E.port("metrics")).isEqualTo(9100);
    assertThat(E.port("grpc")).isEqualTo(50051);
    assertThat(E.port("admin")).isEqualTo(-1);
    assertThat(E.port()).isEqualTo(3000);
  }

  @Test
  void hasPortIsTheDefaultOrANamedPort() {
    assertThat(E.hasPort(3000)).isTrue();
    assertThat(E.hasPort(9100)).isTrue();
    assertThat(E.hasPort(50051)).isTrue();
    assertThat(E.hasPort(22)).isFalse();
    assertThat(Endpoint.of("10.0.0.1", 80).hasPort(80)).isTrue();
  }

  @Test
  void resolvePortNeverAcceptsAnArbitraryNumber() {
    assertThat(E.resolvePort(null)).isEqualTo(3000);
    assertThat(E.resolvePort("metrics")).isEqualTo(9100);
    assertThat(E.resolvePort("9100")).isEqualTo(9100);
    assertThat(E.resolvePort("3000")).isEqualTo(3000);
    assertThat(E.resolvePort("22")).isEqualTo(-1);
    assertThat(E.resolvePort("admin")).isEqualTo(-1);
  }

  @Test
  void portsTakePartInEqualsHashCompareAndToString() {
    Endpoint same =
        Endpoint.builder("10.0.0.1", 3000).ports(Map.of("grpc", 50051, "metrics", 9100)).build();
    Endpoint otherNumber =
        Endpoint.builder("10.0.0.1", 3000).port("metrics", 9101).port("grpc", 50051).build();
    Endpoint fewer = Endpoint.builder("10.0.0.1", 3000).port("grpc", 50051).build();
    Endpoint none = Endpoint.of("10.0.0.1", 3000);

    assertThat(same).isEqualTo(E).hasSameHashCodeAs(E);
    assertThat(E.compareTo(same)).isZero();
    for (Endpoint other : new Endpoint[] {otherNumber, fewer, none}) {
      assertThat(other).isNotEqualTo(E);
      assertThat(other.compareTo(E)).isNotZero().isEqualTo(-Integer.signum(E.compareTo(other)));
    }
    assertThat(new TreeSet<>(java.util.List.of(E, same, otherNumber, fewer, none))).hasSize(4);
    assertThat(E).hasToString("10.0.0.1:3000 ports=grpc:50051,metrics:9100");
  }

  @Test
  void copiesKeepThePorts() {
    assertThat(E.withWeight(5).ports()).isEqualTo(E.ports());
    assertThat(E.withZone("us-east-1a").ports()).isEqualTo(E.ports());
    assertThat(E.toBuilder().build()).isEqualTo(E);
  }

  @Test
  void atPortIsTheSameTaskAtAnotherPort() {
    Endpoint w = E.toBuilder().weight(3).zone("z").attribute("k", "v").build();
    Endpoint metrics = w.atPort(9100);

    assertThat(metrics.authority()).isEqualTo("10.0.0.1:9100");
    assertThat(metrics.weight()).isEqualTo(3);
    assertThat(metrics.zone()).isEqualTo("z");
    assertThat(metrics.attributes()).containsEntry("k", "v");
    assertThat(metrics.ports()).isEmpty();
  }

  @Test
  void buildCopies() {
    Endpoint.Builder b = Endpoint.builder("10.0.0.1", 3000).port("metrics", 9100);
    Endpoint first = b.build();
    b.port("grpc", 50051);
    assertThat(first.ports()).containsOnlyKeys("metrics");
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "",
        "9100",
        "1abc",
        "Metrics",
        "met_rics",
        "-a",
        "a.b",
        "abcdefghijklmnopqrstuvwxyz123456"
      })
  void badNamesAreRefusedByName(String name) {
    assertThatThrownBy(() -> Endpoint.builder("10.0.0.1", 3000).port(name, 9100))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("port name: '" + name + "'");
  }

  @ParameterizedTest
  @ValueSource(ints = {0, -1, 65536})
  void badNumbersAreRefusedNamingThePort(int number) {
    assertThatThrownBy(() -> Endpoint.builder("10.0.0.1", 3000).port("metrics", number))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("port metrics: " + number + " (expected: 1-65535)");
  }

  @Test
  void portNumbersParseWithoutSignsOrLeadingZeros() {
    assertThat(Endpoint.parsePortNumber("9100")).isEqualTo(9100);
    assertThat(Endpoint.parsePortNumber("65535")).isEqualTo(65535);
    assertThat(Endpoint.parsePortNumber("65536")).isEqualTo(-1);
    assertThat(Endpoint.parsePortNumber("0")).isEqualTo(-1);
    assertThat(Endpoint.parsePortNumber("09100")).isEqualTo(-1);
    assertThat(Endpoint.parsePortNumber("+80")).isEqualTo(-1);
    assertThat(Endpoint.parsePortNumber("")).isEqualTo(-1);
    assertThat(Endpoint.parsePortNumber("metrics")).isEqualTo(-1);
    assertThat(Endpoint.isPortName("a-31-chars-long-name-xxxxxxxxxx")).isTrue();
    assertThatThrownBy(() -> Endpoint.checkPortReference("bad_name"))
        .hasMessageStartingWith("port: 'bad_name'");
  }
}
