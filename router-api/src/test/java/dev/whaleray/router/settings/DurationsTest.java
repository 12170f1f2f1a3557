package dev.whaleray.router.settings;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class DurationsTest {

  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      value = {
        "0|0",
        "0s|0",
        "250ms|250",
        "30s|30000",
        "2m|120000",
        "1h|3600000",
        "10|10000", // a bare number is seconds, as in nginx
        "' 10S '|10000",
        "500MS|500",
        "PT45S|45000",
        "pt0.5s|500",
        "P1D|86400000",
        "999999999999h|3599999999996400000"
      })
  void goodForms(String text, long millis) {
    assertThat(Durations.parse("f", text)).isEqualTo(Duration.ofMillis(millis));
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "",
        " ",
        "5 parsecs",
        "10 s",
        "1d",
        "30sec",
        "-1s",
        "+1s",
        "1.5s",
        "s",
        "ms",
        "1000000000000s",
        "PT-5S",
        "-PT5S",
        "PT",
        "P",
        "PT9999999999999999H",
        "１０s"
      })
  void badFormsNameTheSettingTheTextAndTheExpectedForms(String text) {
    assertThatThrownBy(() -> Durations.parse("slowStart", text))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(
            "slowStart: '" + text + "' (expected: a duration such as 500ms, 10s, 2m or 1h)");
  }

  @Test
  void rangesAreCheckedAndNamedInTheSameGrammar() {
    Duration min = Duration.ofMillis(100);
    Duration max = Duration.ofHours(24);
    assertThat(Durations.parse("dnsValid", "100ms", min, max)).isEqualTo(min);
    assertThat(Durations.parse("dnsValid", "24h", min, max)).isEqualTo(max);
    assertThatThrownBy(() -> Durations.parse("dnsValid", "99ms", min, max))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("dnsValid: '99ms' (expected: from 100ms to 24h)");
    assertThatThrownBy(() -> Durations.parse("dnsValid", "PT24H0.001S", min, max))
        .hasMessage("dnsValid: 'PT24H0.001S' (expected: from 100ms to 24h)");
    assertThatThrownBy(() -> Durations.parse("dnsValid", "soon", min, max))
        .hasMessage("dnsValid: 'soon' (expected: a duration such as 500ms, 10s, 2m or 1h)");
  }

  @ParameterizedTest
  @CsvSource({
    "0, 0s",
    "500, 500ms",
    "1500, 1500ms",
    "10000, 10s",
    "120000, 2m",
    "90000, 90s",
    "3600000, 1h",
    "5400000, 90m"
  })
  void formatWritesTheShortestExactFormThatParsesBack(long millis, String text) {
    assertThat(Durations.format(Duration.ofMillis(millis))).isEqualTo(text);
    assertThat(Durations.parse("f", text)).isEqualTo(Duration.ofMillis(millis));
  }

  @Test
  void requirePositiveNamesTheSetting() {
    assertThat(Durations.requirePositive("interval", Duration.ofMillis(1)))
        .isEqualTo(Duration.ofMillis(1));
    assertThatThrownBy(() -> Durations.requirePositive("interval", Duration.ZERO))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("interval: PT0S (expected: > 0)");
    assertThatThrownBy(() -> Durations.requirePositive("timeout", Duration.ofSeconds(-1)))
        .hasMessage("timeout: PT-1S (expected: > 0)");
  }
}
