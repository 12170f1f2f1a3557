package dev.whaleray.router.undertow.internal.tls;

import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.util.List;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509ExtendedTrustManager;
import org.jspecify.annotations.Nullable;

/**
 * Client-side TLS contexts for upstream connections: the JDK's default authorities, or those of a
 * trust store file (PEM certificates, or a PKCS#12/JKS key store), with errors naming the file.
 */
public final class TrustStores {
  private TrustStores() {}

  /**
   * A TLS client context trusting {@code trustStore}'s authorities (the JDK's when null). Each
   * rejected server certificate is reported to {@code rejected} with the peer's {@code host:port}
   * (as the engine knows it) and the reason, before the handshake fails: Undertow's HTTP/1.1 client
   * only says the connection closed.
   *
   * @throws TlsFileException when the file cannot be read or holds no certificate
   */
  public static SSLContext clientContext(
      @Nullable Path trustStore,
      @Nullable String password,
      java.util.function.BiConsumer<String, String> rejected)
      throws TlsFileException {
    try {
      TrustManagerFactory tmf =
          TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
      tmf.init(trustStore == null ? null : load(trustStore, password));
      javax.net.ssl.TrustManager[] managers = tmf.getTrustManagers();
      for (int i = 0; i < managers.length; i++) {
        if (managers[i] instanceof X509ExtendedTrustManager) {
          managers[i] = new Reporting((X509ExtendedTrustManager) managers[i], rejected);
        }
      }
      SSLContext context = SSLContext.getInstance("TLS");
      context.init(null, managers, null);
      return context;
    } catch (GeneralSecurityException e) {
      throw new TlsFileException(
          trustStore == null ? Path.of("(default)") : trustStore, String.valueOf(e.getMessage()));
    }
  }

  /** Delegates every check; reports what the server side's checks reject. */
  private static final class Reporting extends X509ExtendedTrustManager {
    private final X509ExtendedTrustManager delegate;
    private final java.util.function.BiConsumer<String, String> rejected;

    Reporting(
        X509ExtendedTrustManager delegate, java.util.function.BiConsumer<String, String> rejected) {
      this.delegate = delegate;
      this.rejected = rejected;
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
        throws CertificateException {
      try {
        delegate.checkServerTrusted(chain, authType, engine);
      } catch (CertificateException e) {
        rejected.accept(engine.getPeerHost() + ":" + engine.getPeerPort(), e.getMessage());
        throw e;
      }
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket)
        throws CertificateException {
      delegate.checkServerTrusted(chain, authType, socket);
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType)
        throws CertificateException {
      delegate.checkServerTrusted(chain, authType);
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
        throws CertificateException {
      delegate.checkClientTrusted(chain, authType, engine);
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket)
        throws CertificateException {
      delegate.checkClientTrusted(chain, authType, socket);
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType)
        throws CertificateException {
      delegate.checkClientTrusted(chain, authType);
    }

    @Override
    public X509Certificate[] getAcceptedIssuers() {
      return delegate.getAcceptedIssuers();
    }
  }

  private static KeyStore load(Path file, @Nullable String password) throws TlsFileException {
    byte[] bytes;
    try {
      bytes = Files.readAllBytes(file);
    } catch (IOException e) {
      throw new TlsFileException(file, "cannot read the trust store: " + e);
    }
    try {
      if (new String(bytes, 0, Math.min(bytes.length, 4096), StandardCharsets.US_ASCII)
          .contains("-----BEGIN")) {
        List<X509Certificate> certificates = Pem.certificates(file, bytes);
        KeyStore store = KeyStore.getInstance("PKCS12");
        store.load(null, null);
        for (int i = 0; i < certificates.size(); i++) {
          store.setCertificateEntry("ca-" + i, certificates.get(i));
        }
        return store;
      }
      char[] secret = password == null ? null : password.toCharArray();
      for (String type : new String[] {"PKCS12", "JKS"}) {
        try (InputStream in = Files.newInputStream(file)) {
          KeyStore store = KeyStore.getInstance(type);
          store.load(in, secret);
          if (store.size() == 0) {
            throw new TlsFileException(file, "the trust store holds no certificate");
          }
          return store;
        } catch (IOException | GeneralSecurityException e) {
          // try the next type; the last error is reported below
        }
      }
      throw new TlsFileException(
          file, "neither PEM certificates nor a PKCS#12/JKS store (or a wrong password)");
    } catch (GeneralSecurityException | IOException e) {
      throw new TlsFileException(file, "cannot load the trust store: " + e.getMessage());
    }
  }
}
