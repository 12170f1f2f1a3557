package dev.whaleray.discovery.staticlist;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.whaleray.router.Endpoint;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** {@code ports=metrics:9100,grpc:50051} in a static entry (issue #16). */
class StaticConfigPortsTest {

  @Test
  void namedPortsBesideTheDefaultPort() {
    Endpoint e = StaticConfigParser.parseEntry("127.0.0.1:8080 ports=metrics:9100,grpc:50051");

    assertThat(e.port()).isEqualTo(8080);
    assertThat(e.ports()).containsExactly(Map.entry("grpc", 50051), Map.entry("metrics", 9100));
    assertThat(e.attributes()).isEmpty();
    // toString prints the entry syntax back.
    assertThat(StaticConfigParser.parseEntry(e.toString())).isEqualTo(e);
  }

  @Test
  void inAFileWithOtherOptions() {
    Map<String, List<Endpoint>> services =
        StaticConfigParser.parse(
            "discovery:\n"
                + "  static:\n"
                + "    demo: [ \"127.0.0.1:8080 weight=2 ports=metrics:9100 version=3\" ]\n",
            "config.yaml");
    Endpoint e = services.get("demo").get(0);
    assertThat(e.weight()).isEqualTo(2);
    assertThat(e.port("metrics")).isEqualTo(9100);
    assertThat(e.attributes()).containsExactly(Map.entry("version", "3"));
  }

  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      value = {
        "127.0.0.1:8080 ports= | ports: '' (expected: name:number[,name:number], e.g."
            + " ports=metrics:9100,grpc:50051)",
        "127.0.0.1:8080 ports=metrics | ports: 'metrics' in 'metrics' (expected: name:number, e.g."
            + " ports=metrics:9100,grpc:50051)",
        "127.0.0.1:8080 ports=metrics:9100, | ports: '' in 'metrics:9100,' (expected: name:number,"
            + " e.g. ports=metrics:9100,grpc:50051)",
        "127.0.0.1:8080 ports=Metrics:9100 | ports: name 'Metrics' in 'Metrics:9100' (expected: 1-31"
            + " of [a-z0-9-] starting with a letter)",
        "127.0.0.1:8080 ports=9100:9100 | ports: name '9100' in '9100:9100' (expected: 1-31 of"
            + " [a-z0-9-] starting with a letter)",
        "127.0.0.1:8080 ports=metrics:abc | ports: metrics: 'abc' (expected: a number from 1 to"
            + " 65535)",
        "127.0.0.1:8080 ports=metrics:70000 | ports: metrics: '70000' (expected: a number from 1 to"
            + " 65535)",
        "127.0.0.1:8080 ports=a:1,a:2 | ports: 'a' given twice in 'a:1,a:2'",
      })
  void badPortsAreNamed(String entry, String message) {
    assertThatThrownBy(() -> StaticConfigParser.parseEntry(entry))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(message);
  }

  @Test
  void aFileErrorNamesLineAndField() {
    assertThatThrownBy(
            () ->
                StaticConfigParser.parse(
                    "discovery:\n  static:\n    demo: [ \"127.0.0.1:8080 ports=metrics:0\" ]\n",
                    "config.yaml"))
        .hasMessage(
            "config.yaml line 3: discovery.static.demo[0]: ports: metrics: '0' (expected: a number"
                + " from 1 to 65535)");
  }
}
