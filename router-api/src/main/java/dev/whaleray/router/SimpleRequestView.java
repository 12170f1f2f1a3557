package dev.whaleray.router;

import static java.util.Objects.requireNonNull;

import org.jspecify.annotations.Nullable;

/** A header-less request view; see {@link RequestView#of}. */
final class SimpleRequestView implements RequestView {
  private final String method;
  private final String host;
  private final String path;

  SimpleRequestView(String method, String host, String path) {
    this.method = requireNonNull(method, "method");
    this.host = requireNonNull(host, "host");
    this.path = requireNonNull(path, "path");
  }

  @Override
  public String method() {
    return method;
  }

  @Override
  public String host() {
    return host;
  }

  @Override
  public String path() {
    return path;
  }

  @Override
  public @Nullable String header(String name) {
    return null;
  }

  @Override
  public String toString() {
    return method + " " + host + path;
  }
}
