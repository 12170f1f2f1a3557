package dev.whaleray.loadbalancing;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class HashKeyTest {
  private static long h(String s) {
    return Hashing.hash(s, 0, s.length());
  }

  @Test
  void cookieValueIsFoundWherever() {
    long abc = h("abc");
    assertThat(HashKey.cookie("sid=abc", "sid")).isEqualTo(abc);
    assertThat(HashKey.cookie("a=1; sid=abc; b=2", "sid")).isEqualTo(abc);
    assertThat(HashKey.cookie("a=1;sid=abc", "sid")).isEqualTo(abc);
    assertThat(HashKey.cookie("  sid = abc  ;", "sid")).isEqualTo(abc);
    assertThat(HashKey.cookie("sid=\"abc\"", "sid")).isEqualTo(abc);
    assertThat(HashKey.cookie("a=x=y; sid=abc", "sid")).isEqualTo(abc);
    assertThat(HashKey.cookie("flag; sid=abc", "sid")).isEqualTo(abc);
  }

  @Test
  void cookieNameMustMatchExactly() {
    assertThat(HashKey.cookie("xsid=1; sidx=2; SID=3", "sid")).isEqualTo(HashKey.ABSENT);
    assertThat(HashKey.cookie("xsid=1; sid=2", "sid")).isEqualTo(h("2"));
    assertThat(HashKey.cookie("a=sid=3", "sid")).isEqualTo(HashKey.ABSENT);
  }

  @Test
  void missingOrEmptyCookieIsAbsent() {
    assertThat(HashKey.cookie("", "sid")).isEqualTo(HashKey.ABSENT);
    assertThat(HashKey.cookie("sid=", "sid")).isEqualTo(HashKey.ABSENT);
    assertThat(HashKey.cookie("sid=;a=1", "sid")).isEqualTo(HashKey.ABSENT);
    assertThat(HashKey.cookie("sid", "sid")).isEqualTo(HashKey.ABSENT);
    assertThat(HashKey.cookie(";;; ", "sid")).isEqualTo(HashKey.ABSENT);
  }

  @Test
  void forwardedForFirstEntryTrimmed() {
    long ip = h("203.0.113.7");
    assertThat(HashKey.firstForwardedFor("203.0.113.7")).isEqualTo(ip);
    assertThat(HashKey.firstForwardedFor("203.0.113.7, 10.0.0.1")).isEqualTo(ip);
    assertThat(HashKey.firstForwardedFor("  203.0.113.7 ,10.0.0.1")).isEqualTo(ip);
    assertThat(HashKey.firstForwardedFor("")).isEqualTo(HashKey.ABSENT);
    assertThat(HashKey.firstForwardedFor(" , 10.0.0.1")).isEqualTo(HashKey.ABSENT);
  }

  @Test
  void headerKeyReadsTheNamedHeader() {
    HashKey key = HashKey.parse("header:X-Session-Id");
    assertThat(key.hash(TestRequest.header("x-session-id", "s1"))).isEqualTo(h("s1"));
    assertThat(key.hash(TestRequest.header("X-Other", "s1"))).isEqualTo(HashKey.ABSENT);
    assertThat(key.toString()).isEqualTo("header:X-Session-Id");
    assertThat(HashKey.parse(null).toString()).isEqualTo("client-ip");
    assertThat(HashKey.parse(" cookie:sid ").toString()).isEqualTo("cookie:sid");
  }

  @Test
  void hashesDifferAndRangesNeedNoSubstring() {
    assertThat(h("a")).isNotEqualTo(h("b"));
    assertThat(h("ab")).isNotEqualTo(h("ba"));
    assertThat(Hashing.hash("xxabcxx", 2, 5)).isEqualTo(h("abc"));
    // Golden value: deterministic across runs and JVMs (keys must map alike on every router).
    assertThat(h("")).isEqualTo(Hashing.fmix64(0xcbf29ce484222325L));
  }

  @org.junit.jupiter.api.Test
  void clientIpFallsBackToThePeerAddress() {
    HashKey key = HashKey.parse("client-ip");
    dev.whaleray.router.RequestView direct =
        new dev.whaleray.router.RequestView() {
          @Override
          public String method() {
            return "GET";
          }

          @Override
          public String host() {
            return "h";
          }

          @Override
          public String path() {
            return "/";
          }

          @Override
          public String header(String name) {
            return null;
          }

          @Override
          public String remoteAddress() {
            return "192.0.2.7";
          }
        };
    long h = key.hash(direct);
    org.assertj.core.api.Assertions.assertThat(h).isNotEqualTo(HashKey.ABSENT);
    org.assertj.core.api.Assertions.assertThat(key.hash(direct)).isEqualTo(h);
    org.assertj.core.api.Assertions.assertThat(
            key.hash(dev.whaleray.router.RequestView.of("GET", "h", "/")))
        .isEqualTo(HashKey.ABSENT);
  }
}
