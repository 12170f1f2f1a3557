package dev.whaleray.router.undertow;

import static java.util.Objects.requireNonNull;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * The TLS listener of a {@link RouterServer}: its port, its certificate/key pairs (PEM files,
 * chosen per connection by SNI against their SAN DNS names, the first one the default), the
 * protocol versions allowed (TLS 1.3 and 1.2 only) and whether the plain port redirects to it.
 * Immutable.
 */
public final class TlsOptions {
  /** The protocol versions that may be enabled, newest first; anything older is refused. */
  public static final List<String> SUPPORTED_PROTOCOLS = List.of("TLSv1.3", "TLSv1.2");

  private final int port;
  private final List<Path> certificateFiles;
  private final List<Path> keyFiles;
  private final List<String> protocols;
  private final boolean redirectHttp;
  private final @Nullable String redirectExemptPath;
  private final Duration reloadInterval;
  private final boolean alpnH2;
  private final int hash;

  private TlsOptions(Builder b) {
    this.port = b.port;
    this.certificateFiles = List.copyOf(b.certificateFiles);
    this.keyFiles = List.copyOf(b.keyFiles);
    this.protocols = List.copyOf(b.protocols);
    this.redirectHttp = b.redirectHttp;
    this.redirectExemptPath = b.redirectExemptPath;
    this.reloadInterval = b.reloadInterval;
    this.alpnH2 = b.alpnH2;
    this.hash =
        Objects.hash(
            port,
            certificateFiles,
            keyFiles,
            protocols,
            redirectHttp,
            redirectExemptPath,
            reloadInterval,
            alpnH2);
  }

  /** A builder; at least one {@link Builder#certificate} is required. */
  public static Builder builder() {
    return new Builder();
  }

  /** The port of the TLS listener (0: an ephemeral one). */
  public int port() {
    return port;
  }

  /** The PEM certificate chain files, in order; the first is the default certificate. */
  public List<Path> certificateFiles() {
    return certificateFiles;
  }

  /** The PKCS#8 PEM key files, one per certificate file. */
  public List<Path> keyFiles() {
    return keyFiles;
  }

  /** The protocol versions enabled, a subset of {@link #SUPPORTED_PROTOCOLS}. */
  public List<String> protocols() {
    return protocols;
  }

  /** Whether the plain port answers 301 to the same URL on https. */
  public boolean redirectHttp() {
    return redirectHttp;
  }

  /** The path the plain port still serves when it redirects (the load balancer's health check). */
  public @Nullable String redirectExemptPath() {
    return redirectExemptPath;
  }

  /** How often the certificate and key files are checked for changes. */
  public Duration reloadInterval() {
    return reloadInterval;
  }

  /** Whether h2 is offered by ALPN beside http/1.1 (needs the server's HTTP/2 support). */
  public boolean alpnH2() {
    return alpnH2;
  }

  @Override
  public boolean equals(@Nullable Object o) {
    return o instanceof TlsOptions t
        && port == t.port
        && certificateFiles.equals(t.certificateFiles)
        && keyFiles.equals(t.keyFiles)
        && protocols.equals(t.protocols)
        && redirectHttp == t.redirectHttp
        && Objects.equals(redirectExemptPath, t.redirectExemptPath)
        && reloadInterval.equals(t.reloadInterval)
        && alpnH2 == t.alpnH2;
  }

  @Override
  public int hashCode() {
    return hash;
  }

  @Override
  public String toString() {
    return "TlsOptions{port="
        + port
        + ", certificates="
        + certificateFiles
        + ", protocols="
        + protocols
        + ", redirectHttp="
        + redirectHttp
        + "}";
  }

  /** Builds {@link TlsOptions}; {@link #build} copies, so the builder may be reused. */
  public static final class Builder {
    private int port = 8443;
    private final List<Path> certificateFiles = new ArrayList<>();
    private final List<Path> keyFiles = new ArrayList<>();
    private List<String> protocols = SUPPORTED_PROTOCOLS;
    private boolean redirectHttp;
    private @Nullable String redirectExemptPath = "/health";
    private Duration reloadInterval = Duration.ofSeconds(5);
    private boolean alpnH2;

    private Builder() {}

    /** The port to bind, 0 for an ephemeral one; default 8443. */
    public Builder port(int port) {
      if (port < 0 || port > 65535) {
        throw new IllegalArgumentException("tls port: " + port + " (expected: 0-65535)");
      }
      this.port = port;
      return this;
    }

    /**
     * Adds a certificate: {@code certFile} holds the PEM chain (leaf first), {@code keyFile} its
     * unencrypted PKCS#8 PEM key ({@code BEGIN PRIVATE KEY}, RSA or EC). The first added is the
     * default for clients without SNI or with an unknown name.
     */
    public Builder certificate(Path certFile, Path keyFile) {
      certificateFiles.add(requireNonNull(certFile, "certFile"));
      keyFiles.add(requireNonNull(keyFile, "keyFile"));
      return this;
    }

    /** The protocol versions to enable, from {@code TLSv1.3} and {@code TLSv1.2}; default both. */
    public Builder protocols(List<String> protocols) {
      requireNonNull(protocols, "protocols");
      if (protocols.isEmpty()) {
        throw new IllegalArgumentException("tls protocols: empty (expected: TLSv1.3, TLSv1.2)");
      }
      for (String p : protocols) {
        if (!SUPPORTED_PROTOCOLS.contains(p)) {
          throw new IllegalArgumentException(
              "tls protocols: " + p + " (expected: TLSv1.3 or TLSv1.2; older ones are refused)");
        }
      }
      this.protocols = List.copyOf(new java.util.LinkedHashSet<>(protocols));
      return this;
    }

    /**
     * Whether the plain port answers every request but {@link #redirectExemptPath} with 301 to
     * {@code https://host:tlsPort/same-path?query} (as an ALB redirect rule); default false.
     */
    public Builder redirectHttp(boolean redirect) {
      this.redirectHttp = redirect;
      return this;
    }

    /** The path still served on the plain port when it redirects; default {@code /health}. */
    public Builder redirectExemptPath(@Nullable String path) {
      this.redirectExemptPath = path;
      return this;
    }

    /** How often the files are checked for a change; default 5 s. */
    public Builder reloadInterval(Duration interval) {
      requireNonNull(interval, "reloadInterval");
      if (interval.isNegative() || interval.isZero()) {
        throw new IllegalArgumentException(
            "tls reloadInterval: " + interval + " (expected: more than 0)");
      }
      this.reloadInterval = interval;
      return this;
    }

    /**
     * Whether to offer {@code h2} by ALPN beside {@code http/1.1}; default false. Only for a server
     * whose handler serves HTTP/2 exchanges.
     */
    public Builder alpnH2(boolean offer) {
      this.alpnH2 = offer;
      return this;
    }

    /** The options; throws when no certificate was added. */
    public TlsOptions build() {
      if (certificateFiles.isEmpty()) {
        throw new IllegalStateException("tls: no certificate (expected: at least one)");
      }
      return new TlsOptions(this);
    }
  }
}
