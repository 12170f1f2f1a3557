package dev.whaleray.loadbalancing;

import dev.whaleray.router.RequestView;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import org.jspecify.annotations.Nullable;

/** A request with headers (names case-insensitive), for policies that read them. */
final class TestRequest implements RequestView {
  private final Map<String, String> headers = new TreeMap<>();

  static TestRequest of() {
    return new TestRequest();
  }

  static TestRequest header(String name, String value) {
    return new TestRequest().with(name, value);
  }

  TestRequest with(String name, String value) {
    headers.put(name.toLowerCase(Locale.ROOT), value);
    return this;
  }

  @Override
  public String method() {
    return "GET";
  }

  @Override
  public String host() {
    return "example.com";
  }

  @Override
  public String path() {
    return "/";
  }

  @Override
  public @Nullable String header(String name) {
    return headers.get(name.toLowerCase(Locale.ROOT));
  }

  @Override
  public String toString() {
    return "GET example.com/ " + headers;
  }
}
