package dev.whaleray.router.undertow;

import static java.util.Objects.requireNonNull;

import java.nio.file.Path;
import java.util.Locale;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * How the router talks to a service's endpoints: the protocol (HTTP/1.1, HTTP/2 over cleartext by
 * prior knowledge, or HTTP/2 over TLS by ALPN), whether TLS is used, which certificate authorities
 * are trusted and which name the certificate must carry. Immutable.
 *
 * <p>The default, {@link #http1()} without TLS, takes the router's own pooled HTTP/1.1 path. Every
 * other combination goes through Undertow's client: HTTP/2 multiplexes a service's requests over
 * few connections per endpoint and IO thread, with the same pick, retries, timeouts, outlier
 * ejection and metrics.
 */
public final class UpstreamOptions {
  /** The wire protocol towards the endpoints. */
  public enum Protocol {
    /** HTTP/1.1 (over TLS when {@link #tls()}). */
    HTTP1,
    /** HTTP/2 over cleartext, by prior knowledge: the backend must speak h2c (gRPC servers do). */
    H2C,
    /** HTTP/2 over TLS, negotiated by ALPN; implies {@link #tls()}. */
    H2;

    /** The name in configuration: {@code http1}, {@code h2c} or {@code h2}. */
    public String configName() {
      return name().toLowerCase(Locale.ROOT);
    }

    /** The protocol called {@code name} in configuration (case-insensitive). */
    public static Protocol parse(String name) {
      for (Protocol p : values()) {
        if (p.configName().equalsIgnoreCase(name.trim())) {
          return p;
        }
      }
      throw new IllegalArgumentException(
          "unknown upstream protocol \"" + name + "\" (expected http1, h2c or h2)");
    }
  }

  private static final UpstreamOptions HTTP1 =
      new UpstreamOptions(Protocol.HTTP1, false, null, null, true, null);

  private final Protocol protocol;
  private final boolean tls;
  private final @Nullable Path trustStore;
  private final @Nullable String trustStorePassword;
  private final boolean verifyHostname;
  private final @Nullable String serverName;

  private UpstreamOptions(
      Protocol protocol,
      boolean tls,
      @Nullable Path trustStore,
      @Nullable String trustStorePassword,
      boolean verifyHostname,
      @Nullable String serverName) {
    this.protocol = protocol;
    this.tls = tls || protocol == Protocol.H2;
    this.trustStore = trustStore;
    this.trustStorePassword = trustStorePassword;
    this.verifyHostname = verifyHostname;
    this.serverName = serverName;
  }

  /** HTTP/1.1 in clear: the default. */
  public static UpstreamOptions http1() {
    return HTTP1;
  }

  /** HTTP/2 in clear by prior knowledge (h2c). */
  public static UpstreamOptions h2c() {
    return HTTP1.withProtocol(Protocol.H2C);
  }

  /** HTTP/2 over TLS (h2). */
  public static UpstreamOptions h2() {
    return HTTP1.withProtocol(Protocol.H2);
  }

  /** HTTP/1.1 over TLS. */
  public static UpstreamOptions https() {
    return HTTP1.withTls(true);
  }

  public Protocol protocol() {
    return protocol;
  }

  /** True when connections are TLS (always for {@link Protocol#H2}). */
  public boolean tls() {
    return tls;
  }

  /**
   * The certificate authorities trusted for the endpoints' certificates: a PEM file of
   * certificates, or a PKCS#12 or JKS key store; null trusts the JDK's default authorities.
   */
  public @Nullable Path trustStore() {
    return trustStore;
  }

  /** The password of a PKCS#12 or JKS {@link #trustStore()}; null for PEM or none. */
  public @Nullable String trustStorePassword() {
    return trustStorePassword;
  }

  /** True (the default) when an endpoint's certificate must name the host it is reached as. */
  public boolean verifyHostname() {
    return verifyHostname;
  }

  /**
   * The name sent in SNI and checked against the certificate, when it is not the endpoint's host:
   * discovery mostly answers IP addresses (Cloud Map, ECS), while certificates name hosts.
   */
  public @Nullable String serverName() {
    return serverName;
  }

  /** True for the router's own HTTP/1.1 path (no TLS). */
  public boolean isPlainHttp1() {
    return protocol == Protocol.HTTP1 && !tls;
  }

  public UpstreamOptions withProtocol(Protocol protocol) {
    return new UpstreamOptions(
        requireNonNull(protocol, "protocol"),
        protocol != Protocol.H2C && tls,
        trustStore,
        trustStorePassword,
        verifyHostname,
        serverName);
  }

  /** With or without TLS; h2c cannot be TLS (ask for {@link Protocol#H2}). */
  public UpstreamOptions withTls(boolean tls) {
    if (tls && protocol == Protocol.H2C) {
      throw new IllegalArgumentException("upstream h2c is cleartext: use protocol h2 for TLS");
    }
    if (!tls && protocol == Protocol.H2) {
      throw new IllegalArgumentException("upstream h2 is always TLS: use h2c for cleartext");
    }
    return new UpstreamOptions(
        protocol, tls, trustStore, trustStorePassword, verifyHostname, serverName);
  }

  /** Trusts the authorities in {@code file} (PEM, or a PKCS#12/JKS store with its password). */
  public UpstreamOptions withTrustStore(@Nullable Path file, @Nullable String password) {
    return new UpstreamOptions(protocol, tls, file, password, verifyHostname, serverName);
  }

  public UpstreamOptions withVerifyHostname(boolean verify) {
    return new UpstreamOptions(protocol, tls, trustStore, trustStorePassword, verify, serverName);
  }

  public UpstreamOptions withServerName(@Nullable String name) {
    if (name != null && (name.isBlank() || name.indexOf(':') >= 0 || name.indexOf('/') >= 0)) {
      throw new IllegalArgumentException("upstream serverName is not a host name: " + name);
    }
    return new UpstreamOptions(protocol, tls, trustStore, trustStorePassword, verifyHostname, name);
  }

  @Override
  public boolean equals(@Nullable Object o) {
    if (!(o instanceof UpstreamOptions)) {
      return false;
    }
    UpstreamOptions u = (UpstreamOptions) o;
    return protocol == u.protocol
        && tls == u.tls
        && verifyHostname == u.verifyHostname
        && Objects.equals(trustStore, u.trustStore)
        && Objects.equals(trustStorePassword, u.trustStorePassword)
        && Objects.equals(serverName, u.serverName);
  }

  @Override
  public int hashCode() {
    return Objects.hash(protocol, tls, trustStore, trustStorePassword, verifyHostname, serverName);
  }

  @Override
  public String toString() {
    return "UpstreamOptions{"
        + protocol.configName()
        + (tls ? ", tls" : "")
        + (trustStore == null ? "" : ", trustStore=" + trustStore)
        + (verifyHostname ? "" : ", verifyHostname=false")
        + (serverName == null ? "" : ", serverName=" + serverName)
        + "}";
  }
}
