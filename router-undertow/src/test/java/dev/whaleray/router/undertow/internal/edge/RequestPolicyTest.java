package dev.whaleray.router.undertow.internal.edge;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class RequestPolicyTest {

  @ParameterizedTest
  @ValueSource(
      strings = {
        "a",
        "example.com",
        "example.com:8080",
        "127.0.0.1",
        "127.0.0.1:1",
        "[::1]",
        "[::1]:443",
        "a-b.c_d~e",
        "x:65535",
        "%41b",
        "[2001:db8::1]:80"
      })
  void validAuthorities(String s) {
    assertThat(RequestPolicy.isAuthority(s)).isTrue();
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "",
        ":80",
        "a:",
        "a:65536",
        "a:123456",
        "a:8x",
        "a b",
        "a@b",
        "a/b",
        "a?b",
        "a#b",
        "[::1",
        "[]",
        "[::g]",
        "[::1]x",
        "a:80:80",
        "%4",
        "%zz",
        "caf\u00e9",
        "a\u0000"
      })
  void invalidAuthorities(String s) {
    assertThat(RequestPolicy.isAuthority(s)).isFalse();
  }

  @ParameterizedTest
  @ValueSource(strings = {"0", "5", "10", "999999999999999999"})
  void validContentLengths(String s) {
    assertThat(RequestPolicy.isContentLength(s)).isTrue();
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "",
        "00",
        "05",
        "-1",
        "+5",
        "5 ",
        " 5",
        "5,5",
        "0x5",
        "1e3",
        "1000000000000000000",
        "9223372036854775807",
        "18446744073709551626"
      })
  void invalidContentLengths(String s) {
    assertThat(RequestPolicy.isContentLength(s)).isFalse();
  }
}
