package dev.whaleray.router.internal;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class JsonTest {
  static String q(String s) {
    return Json.quote(new StringBuilder(), s).toString();
  }

  @Test
  void escapesWhatJsonAndHtmlNeed() {
    assertThat(q("plain")).isEqualTo("\"plain\"");
    assertThat(q("a\"b\\c")).isEqualTo("\"a\\\"b\\\\c\"");
    assertThat(q("l1\nl2\r\t")).isEqualTo("\"l1\\nl2\\r\\t\"");
    assertThat(q("\u0000\u001f\u007f")).isEqualTo("\"\\u0000\\u001f\\u007f\"");
    assertThat(q("<script>")).isEqualTo("\"\\u003cscript\\u003e\"");
    assertThat(q("caf\u00e9 \ud83d\ude00")).isEqualTo("\"caf\u00e9 \ud83d\ude00\"");
    assertThat(q("lone \ud83d end")).isEqualTo("\"lone \\ud83d end\"");
    assertThat(q("\ude00x")).isEqualTo("\"\\ude00x\"");
  }
}
