package dev.whaleray.router;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class EndpointTest {
  private static final Endpoint BASE =
      Endpoint.builder("10.0.0.1", 8080).weight(2).zone("us-east-1a").attribute("k", "v").build();

  @Test
  void ofHasDefaults() {
    Endpoint e = Endpoint.of("127.0.0.1", 8081);

    assertThat(e.host()).isEqualTo("127.0.0.1");
    assertThat(e.port()).isEqualTo(8081);
    assertThat(e.weight()).isEqualTo(Endpoint.DEFAULT_WEIGHT).isEqualTo(1);
    assertThat(e.zone()).isNull();
    assertThat(e.attributes()).isEmpty();
    assertThat(e.authority()).isEqualTo("127.0.0.1:8081");
    assertThat(e).hasToString("127.0.0.1:8081");
  }

  @Test
  void equalsComparesEveryField() {
    Endpoint same =
        Endpoint.builder("10.0.0.1", 8080).attribute("k", "v").zone("us-east-1a").weight(2).build();

    assertThat(same).isEqualTo(BASE).hasSameHashCodeAs(BASE).isNotSameAs(BASE);
    assertThat(BASE.compareTo(same)).isZero();

    List<Endpoint> others =
        List.of(
            BASE.toBuilder().weight(3).build(),
            BASE.withWeight(0),
            BASE.toBuilder().zone("us-east-1b").build(),
            BASE.toBuilder().zone(null).build(),
            BASE.toBuilder().attribute("k", "w").build(),
            BASE.toBuilder().attribute("k2", "v").build(),
            Endpoint.builder("10.0.0.1", 8080).weight(2).zone("us-east-1a").build(),
            Endpoint.builder("10.0.0.2", 8080)
                .weight(2)
                .zone("us-east-1a")
                .attribute("k", "v")
                .build(),
            Endpoint.builder("10.0.0.1", 8081)
                .weight(2)
                .zone("us-east-1a")
                .attribute("k", "v")
                .build());
    for (Endpoint other : others) {
      assertThat(other).as("%s vs %s", other, BASE).isNotEqualTo(BASE);
      assertThat(BASE).isNotEqualTo(other);
      assertThat(other.compareTo(BASE)).as("%s vs %s", other, BASE).isNotZero();
      assertThat(Integer.signum(other.compareTo(BASE)))
          .isEqualTo(-Integer.signum(BASE.compareTo(other)));
    }
    assertThat(BASE).isNotEqualTo("10.0.0.1:8080").isNotEqualTo(null);
  }

  @Test
  void withersReturnThisWhenUnchanged() {
    assertThat(BASE.withWeight(2)).isSameAs(BASE);
    assertThat(BASE.withZone("us-east-1a")).isSameAs(BASE);

    Endpoint heavier = BASE.withWeight(5);
    assertThat(heavier.weight()).isEqualTo(5);
    assertThat(heavier.zone()).isEqualTo("us-east-1a");
    assertThat(heavier.attributes()).isEqualTo(Map.of("k", "v"));
    assertThat(BASE.weight()).isEqualTo(2);

    assertThat(BASE.withZone(null).zone()).isNull();
    // An empty zone means unknown, as in the builder.
    assertThat(BASE.withZone("")).isEqualTo(BASE.withZone(null));
    assertThat(BASE.withZone("")).isEqualTo(BASE.toBuilder().zone("").build());
  }

  @Test
  void builderCopiesOnBuild() {
    Endpoint.Builder b = Endpoint.builder("h", 1).attribute("a", "1");
    Endpoint first = b.build();
    b.attribute("b", "2").weight(7);

    assertThat(first.attributes()).containsOnlyKeys("a");
    assertThat(first.weight()).isEqualTo(1);
    assertThat(b.build().attributes()).containsOnlyKeys("a", "b");
    assertThatThrownBy(() -> first.attributes().put("x", "y"))
        .isInstanceOf(UnsupportedOperationException.class);
  }

  @Test
  void attributesAreSortedByKey() {
    Endpoint e = Endpoint.builder("h", 1).attribute("z", "1").attribute("a", "2").build();

    assertThat(List.copyOf(e.attributes().keySet())).containsExactly("a", "z");
    assertThat(e).hasToString("h:1 {a=2, z=1}");
  }

  @Test
  void toStringShowsWhatDiffersFromDefaults() {
    assertThat(BASE).hasToString("10.0.0.1:8080 weight=2 zone=us-east-1a {k=v}");
    assertThat(Endpoint.of("::1", 80)).hasToString("[::1]:80");
  }

  @Test
  void valueChecksNameTheField() {
    assertThatThrownBy(() -> Endpoint.of("h", 0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("port: 0 (expected: 1-65535)");
    assertThatThrownBy(() -> Endpoint.of("h", 65536)).hasMessage("port: 65536 (expected: 1-65535)");
    assertThatThrownBy(() -> Endpoint.of("", 80))
        .hasMessage(
            "host: '' (expected: a host name of letters, digits, '-' and '.', or an IP address)");
    assertThatThrownBy(() -> Endpoint.of("a b", 80))
        .hasMessage(
            "host: 'a b' (expected: a host name of letters, digits, '-' and '.', or an IP address)");
    assertThatThrownBy(() -> Endpoint.of("a/b", 80))
        .hasMessage(
            "host: 'a/b' (expected: a host name of letters, digits, '-' and '.', or an IP address)");
    assertThatThrownBy(() -> Endpoint.builder("h", 1).weight(-1))
        .hasMessage("weight: -1 (expected: 0-1000000)");
    assertThatThrownBy(() -> BASE.withWeight(Endpoint.MAX_WEIGHT + 1))
        .hasMessage("weight: 1000001 (expected: 0-1000000)");
    assertThat(BASE.withWeight(Endpoint.MAX_WEIGHT).weight()).isEqualTo(Endpoint.MAX_WEIGHT);
    assertThatThrownBy(() -> Endpoint.of(null, 80)).isInstanceOf(NullPointerException.class);
  }

  @ParameterizedTest
  @CsvSource({
    "127.0.0.1:8081, 127.0.0.1, 8081",
    "backend.local:1, backend.local, 1",
    "[::1]:8080, ::1, 8080",
    "[2001:db8::5]:65535, 2001:db8::5, 65535",
  })
  void parsesHostAndPort(String text, String host, int port) {
    Endpoint e = Endpoint.parse(text);

    assertThat(e).isEqualTo(Endpoint.of(host, port));
    assertThat(Endpoint.parse(e.authority())).isEqualTo(e);
  }

  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      quoteCharacter = '"',
      value = {
        "127.0.0.1        | address: '127.0.0.1' (expected: host:port, e.g. 127.0.0.1:8081)",
        ":8080            | address: ':8080' (expected: host:port, e.g. 127.0.0.1:8081)",
        "host:            | address: 'host:' (expected: host:port, e.g. 127.0.0.1:8081)",
        "\"\"             | address: '' (expected: host:port, e.g. 127.0.0.1:8081)",
        "host:abc         | port: 'abc' (expected: a number from 1 to 65535)",
        "host:99999999999 | port: '99999999999' (expected: a number from 1 to 65535)",
        "host:0           | port: 0 (expected: 1-65535)",
        "::1:8080         | address: '::1:8080' (expected: host:port, IPv6 as [::1]:8080)",
        "[::1]            | address: '[::1]' (expected: host:port, IPv6 as [::1]:8080)",
        "a b:80           | host: 'a b' (expected: a host name of letters, digits, '-' and '.', or an IP address)",
        "https://h:443    | address: 'https://h:443' (expected: host:port without a scheme; for TLS or HTTP/2 to a service's endpoints set its upstream options, e.g. services.<name>.upstream.tls: true)",
      })
  void parseErrorsNameThePart(String text, String message) {
    assertThatThrownBy(() -> Endpoint.parse(text))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(message);
  }

  @Test
  void orderIsHostPortWeightZoneAttributes() {
    Endpoint a = Endpoint.of("10.0.0.1", 80);
    Endpoint b = Endpoint.of("10.0.0.1", 81);
    Endpoint c = b.withWeight(2);
    Endpoint d = c.withZone("a");
    Endpoint e = d.withZone("b");
    Endpoint f = e.toBuilder().attribute("x", "1").build();
    Endpoint g = e.toBuilder().attribute("x", "2").build();
    Endpoint h = e.toBuilder().attribute("x", "2").attribute("y", "0").build();
    Endpoint i = Endpoint.of("10.0.0.2", 1);
    List<Endpoint> expected = List.of(a, b, c, d, e, f, g, h, i);

    List<Endpoint> shuffled = new ArrayList<>(expected);
    Collections.reverse(shuffled);
    Collections.sort(shuffled);

    assertThat(shuffled).containsExactlyElementsOf(expected);
  }

  @Test
  void orderIsConsistentWithEqualsForLookalikeAttributes() {
    // Both print their attributes as "{a=b, c=d}"; they differ, so they must not compare equal.
    Endpoint one = Endpoint.builder("h", 1).attribute("a", "b, c=d").build();
    Endpoint two = Endpoint.builder("h", 1).attribute("a", "b").attribute("c", "d").build();

    assertThat(one.attributes()).hasToString(two.attributes().toString());
    assertThat(one).isNotEqualTo(two);
    assertThat(one.compareTo(two)).isNotZero();
    assertThat(EndpointSet.of("s", 1, List.of(one, two)).endpoints()).hasSize(2);
  }

  @org.junit.jupiter.params.ParameterizedTest
  @org.junit.jupiter.params.provider.ValueSource(
      strings = {"my_host", "a b", "a/b", "-a", ".a", "a..b", "hé", "[::1]", "::g", "x@y"})
  void rejectsHostsAUriCannotCarry(String host) {
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> Endpoint.of(host, 80))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("host: '" + host + "'");
  }

  @org.junit.jupiter.params.ParameterizedTest
  @org.junit.jupiter.params.provider.ValueSource(
      strings = {
        "127.0.0.1",
        "ip-10-0-0-1.ec2.internal",
        "Catalog.WHALERAY.local",
        "::1",
        "fe80::1"
      })
  void acceptsNamesAndAddresses(String host) {
    org.assertj.core.api.Assertions.assertThat(Endpoint.of(host, 80).host()).isEqualTo(host);
  }
}
