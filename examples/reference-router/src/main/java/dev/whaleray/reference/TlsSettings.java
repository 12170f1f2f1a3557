package dev.whaleray.reference;

import dev.whaleray.router.undertow.TlsOptions;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * The TLS listener's settings ({@code tls: { port, certificates: [ { cert, key } ], protocols,
 * redirectHttp }}, {@code WHALERAY_TLS_PORT}, {@code WHALERAY_TLS_CERT}, {@code WHALERAY_TLS_KEY}):
 * off until a certificate is given. Immutable.
 */
final class TlsSettings {
  static final TlsSettings NONE =
      new TlsSettings(8443, List.of(), List.of(), TlsOptions.SUPPORTED_PROTOCOLS, false, false);

  final int port;
  final List<Path> certs;
  final List<Path> keys;
  final List<String> protocols;
  final boolean redirectHttp;

  /** Whether the file's {@code tls:} section or {@code WHALERAY_TLS_PORT} asked for TLS. */
  private final boolean asked;

  private TlsSettings(
      int port,
      List<Path> certs,
      List<Path> keys,
      List<String> protocols,
      boolean redirectHttp,
      boolean asked) {
    this.port = port;
    this.certs = List.copyOf(certs);
    this.keys = List.copyOf(keys);
    this.protocols = List.copyOf(protocols);
    this.redirectHttp = redirectHttp;
    this.asked = asked;
  }

  /** True when a TLS listener is to run. */
  boolean enabled() {
    return !certs.isEmpty();
  }

  /** These settings overridden by the file's {@code tls:} section. */
  TlsSettings withFile(YamlFile.Value section) {
    Map<String, YamlFile.Value> m =
        section.mapping(
            new LinkedHashSet<>(List.of("port", "certificates", "protocols", "redirectHttp")));
    int p = port;
    List<Path> c = certs;
    List<Path> k = keys;
    List<String> pr = protocols;
    boolean r = redirectHttp;
    YamlFile.Value v;
    if ((v = m.get("port")) != null) {
      p = v.integer(1, 65535);
    }
    if ((v = m.get("certificates")) != null) {
      c = new ArrayList<>();
      k = new ArrayList<>();
      for (YamlFile.Value item : v.list()) {
        Map<String, YamlFile.Value> pair =
            item.mapping(new LinkedHashSet<>(List.of("cert", "key")));
        if (!pair.containsKey("cert") || !pair.containsKey("key")) {
          throw item.error(
              (pair.containsKey("cert") ? "key" : "cert")
                  + " missing (expected: { cert: /certs/a.pem, key: /certs/a.key })");
        }
        c.add(fileName(pair.get("cert")));
        k.add(fileName(pair.get("key")));
      }
      if (c.isEmpty()) {
        throw v.error("empty (expected: at least one { cert, key })");
      }
    }
    if ((v = m.get("protocols")) != null) {
      pr = new ArrayList<>();
      for (YamlFile.Value item : v.list()) {
        pr.add(item.scalar().trim());
      }
      try {
        TlsOptions.builder().protocols(pr);
      } catch (IllegalArgumentException e) {
        throw v.error(String.valueOf(e.getMessage()).replaceFirst("^tls protocols: ", ""));
      }
    }
    if ((v = m.get("redirectHttp")) != null) {
      r = v.bool();
    }
    return new TlsSettings(p, c, k, pr, r, true);
  }

  /** A file name; the file itself is read at start-up (and a bad one stops it, named). */
  private static Path fileName(YamlFile.Value v) {
    String text = v.scalar().trim();
    if (text.isEmpty()) {
      throw v.error("empty (expected: a PEM file)");
    }
    try {
      return Path.of(text);
    } catch (java.nio.file.InvalidPathException e) {
      throw v.error("'" + text + "': not a file name");
    }
  }

  /** These settings overridden by {@code WHALERAY_TLS_PORT}, {@code _CERT} and {@code _KEY}. */
  TlsSettings withEnv(Map<String, String> env) {
    int p = port;
    List<Path> c = certs;
    List<Path> k = keys;
    boolean a = asked;
    String v;
    if ((v = env.get("WHALERAY_TLS_PORT")) != null) {
      try {
        p = Integer.parseInt(v.trim());
      } catch (NumberFormatException e) {
        p = -1;
      }
      if (p < 1 || p > 65535) {
        throw new ConfigException(
            "WHALERAY_TLS_PORT: '" + v + "' (expected: a number from 1 to 65535)");
      }
      a = true;
    }
    String cert = env.get("WHALERAY_TLS_CERT");
    String key = env.get("WHALERAY_TLS_KEY");
    if (cert != null || key != null) {
      if (cert == null || key == null) {
        throw new ConfigException(
            (cert == null ? "WHALERAY_TLS_CERT" : "WHALERAY_TLS_KEY")
                + ": missing (expected: WHALERAY_TLS_CERT and WHALERAY_TLS_KEY together)");
      }
      // One pair, in place of the file's certificates.
      c = List.of(envFile("WHALERAY_TLS_CERT", cert));
      k = List.of(envFile("WHALERAY_TLS_KEY", key));
    }
    return new TlsSettings(p, c, k, protocols, redirectHttp, a);
  }

  private static Path envFile(String variable, String value) {
    try {
      if (!value.isBlank()) {
        return Path.of(value.trim());
      }
    } catch (java.nio.file.InvalidPathException e) {
      // named below
    }
    throw new ConfigException(variable + ": '" + value + "' (expected: a PEM file)");
  }

  /** Checks what only the whole config can: TLS asked for has certificates, ports differ. */
  void check(int plainPort) {
    if (asked && certs.isEmpty()) {
      throw new ConfigException(
          "tls: no certificate (expected: tls.certificates in the file, or WHALERAY_TLS_CERT and"
              + " WHALERAY_TLS_KEY)");
    }
    if (enabled() && plainPort != 0 && plainPort == port) {
      throw new ConfigException(
          "tls.port: " + port + " is also the plain port (expected: another port)");
    }
  }

  /** The library's options, or null when TLS is off; h2 offered by ALPN when {@code http2}. */
  @Nullable TlsOptions options(@Nullable String healthPath, boolean http2) {
    if (!enabled()) {
      return null;
    }
    TlsOptions.Builder b =
        TlsOptions.builder()
            .port(port)
            .protocols(protocols)
            .redirectHttp(redirectHttp)
            .redirectExemptPath(healthPath)
            .alpnH2(http2);
    for (int i = 0; i < certs.size(); i++) {
      b.certificate(certs.get(i), keys.get(i));
    }
    return b.build();
  }

  /** A copy on another port (0: ephemeral), for tests. */
  TlsSettings withPort(int port) {
    return new TlsSettings(port, certs, keys, protocols, redirectHttp, asked);
  }
}
