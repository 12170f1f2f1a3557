package dev.whaleray.router.undertow.internal.tls;

import java.net.Socket;
import java.security.Principal;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.util.List;
import javax.net.ssl.ExtendedSSLSession;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SNIServerName;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLSession;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.StandardConstants;
import javax.net.ssl.X509ExtendedKeyManager;
import org.jspecify.annotations.Nullable;

/**
 * Picks a certificate per handshake by the client's SNI host name against each certificate's DNS
 * names: an exact name first, then a wildcard, in configuration order; with no SNI or no match the
 * first certificate is the default. {@link #update} swaps the whole set at once: new handshakes see
 * the new one, open connections keep what they negotiated.
 *
 * <p>Aliases carry the generation of the set they came from, so a handshake that chose an alias
 * just before a swap still gets that alias's chain and key (the previous set is kept).
 */
final class SniKeyManager extends X509ExtendedKeyManager {

  private static final class Generation {
    final long number;
    final List<CertifiedKey> keys;

    Generation(long number, List<CertifiedKey> keys) {
      this.number = number;
      this.keys = keys;
    }
  }

  private volatile Generation current;
  private volatile @Nullable Generation previous;

  SniKeyManager(List<CertifiedKey> keys) {
    this.current = new Generation(0, List.copyOf(keys));
  }

  /** Serves {@code keys} to the handshakes that start from now on. */
  synchronized void update(List<CertifiedKey> keys) {
    Generation old = current;
    previous = old;
    current = new Generation(old.number + 1, List.copyOf(keys));
  }

  /** The certificates served now, in configuration order. */
  List<CertifiedKey> keys() {
    return current.keys;
  }

  @Override
  public @Nullable String chooseEngineServerAlias(
      String keyType, Principal @Nullable [] issuers, @Nullable SSLEngine engine) {
    return choose(keyType, engine == null ? null : engine.getHandshakeSession());
  }

  @Override
  public @Nullable String chooseServerAlias(
      String keyType, Principal @Nullable [] issuers, @Nullable Socket socket) {
    SSLSession session = socket instanceof SSLSocket s ? s.getHandshakeSession() : null;
    return choose(keyType, session);
  }

  private @Nullable String choose(String keyType, @Nullable SSLSession session) {
    Generation g = current;
    String host = sniHost(session);
    int index = -1;
    if (host != null) {
      index = find(g.keys, keyType, host, true);
      if (index < 0) {
        index = find(g.keys, keyType, host, false);
      }
      if (index < 0 && anyNamed(g.keys, host)) {
        // The name is served, but with another key type: the JDK asks again for that type.
        return null;
      }
    }
    if (index < 0) {
      // No SNI, or a name no certificate serves: the first certificate, and only it. Asked for
      // another key type, answer none; the JDK asks again with the default's type (clients
      // offer both RSA and ECDSA signatures), instead of handing out another host's certificate.
      index = keyType.equals(g.keys.get(0).key().getAlgorithm()) ? 0 : -1;
    }
    return index < 0 ? null : "g" + g.number + "." + index;
  }

  private static int find(List<CertifiedKey> keys, String keyType, String host, boolean exact) {
    for (int i = 0; i < keys.size(); i++) {
      CertifiedKey k = keys.get(i);
      if (keyType.equals(k.key().getAlgorithm())
          && (exact ? k.matchesExactly(host) : k.matchesWildcard(host))) {
        return i;
      }
    }
    return -1;
  }

  private static boolean anyNamed(List<CertifiedKey> keys, String host) {
    for (CertifiedKey k : keys) {
      if (k.matchesExactly(host) || k.matchesWildcard(host)) {
        return true;
      }
    }
    return false;
  }

  private static @Nullable String sniHost(@Nullable SSLSession session) {
    if (!(session instanceof ExtendedSSLSession extended)) {
      return null;
    }
    for (SNIServerName name : extended.getRequestedServerNames()) {
      if (name.getType() == StandardConstants.SNI_HOST_NAME && name instanceof SNIHostName h) {
        return Pem.normalize(h.getAsciiName());
      }
    }
    return null;
  }

  private @Nullable CertifiedKey byAlias(@Nullable String alias) {
    if (alias == null || !alias.startsWith("g")) {
      return null;
    }
    int dot = alias.indexOf('.');
    if (dot < 0) {
      return null;
    }
    long number;
    int index;
    try {
      number = Long.parseLong(alias.substring(1, dot));
      index = Integer.parseInt(alias.substring(dot + 1));
    } catch (NumberFormatException e) {
      return null;
    }
    Generation g = current;
    if (g.number != number) {
      g = previous;
      if (g == null || g.number != number) {
        g = current; // older than the previous set: serve the current one's certificate
      }
    }
    return index >= 0 && index < g.keys.size() ? g.keys.get(index) : null;
  }

  @Override
  public X509Certificate @Nullable [] getCertificateChain(String alias) {
    CertifiedKey k = byAlias(alias);
    return k == null ? null : k.chain().toArray(new X509Certificate[0]);
  }

  @Override
  public @Nullable PrivateKey getPrivateKey(String alias) {
    CertifiedKey k = byAlias(alias);
    return k == null ? null : k.key();
  }

  @Override
  public String @Nullable [] getServerAliases(String keyType, Principal @Nullable [] issuers) {
    Generation g = current;
    List<String> aliases = new java.util.ArrayList<>();
    for (int i = 0; i < g.keys.size(); i++) {
      if (keyType.equals(g.keys.get(i).key().getAlgorithm())) {
        aliases.add("g" + g.number + "." + i);
      }
    }
    return aliases.isEmpty() ? null : aliases.toArray(new String[0]);
  }

  @Override
  public String @Nullable [] getClientAliases(String keyType, Principal @Nullable [] issuers) {
    return null;
  }

  @Override
  public @Nullable String chooseClientAlias(
      String[] keyType, Principal @Nullable [] issuers, @Nullable Socket socket) {
    return null;
  }
}
