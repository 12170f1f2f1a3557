package dev.whaleray.router.undertow.internal.tls;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.Signature;
import java.security.cert.Certificate;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import javax.naming.InvalidNameException;
import javax.naming.ldap.LdapName;
import javax.naming.ldap.Rdn;

/** Reads PEM certificate chains and PKCS#8 private keys, with errors that name the file. */
final class Pem {
  private static final String[] KEY_ALGORITHMS = {"RSA", "EC", "Ed25519", "Ed448", "RSASSA-PSS"};

  private Pem() {}

  /** The chain, leaf first, from PEM {@code CERTIFICATE} blocks. */
  static List<X509Certificate> certificates(Path file, byte[] pem) throws TlsFileException {
    String text = new String(pem, StandardCharsets.US_ASCII);
    if (!text.contains("-----BEGIN CERTIFICATE-----")) {
      throw new TlsFileException(file, "no PEM CERTIFICATE block");
    }
    try {
      Collection<? extends Certificate> all =
          CertificateFactory.getInstance("X.509")
              .generateCertificates(new ByteArrayInputStream(pem));
      List<X509Certificate> chain = new ArrayList<>();
      for (Certificate c : all) {
        chain.add((X509Certificate) c);
      }
      if (chain.isEmpty()) {
        throw new TlsFileException(file, "no certificate in the file");
      }
      return List.copyOf(chain);
    } catch (CertificateException | RuntimeException e) {
      throw new TlsFileException(file, "not a PEM certificate chain: " + e.getMessage());
    }
  }

  /** The key of a PEM {@code PRIVATE KEY} (PKCS#8) block: RSA, EC or EdDSA. */
  static PrivateKey privateKey(Path file, byte[] pem) throws TlsFileException {
    String text = new String(pem, StandardCharsets.US_ASCII);
    if (text.contains("-----BEGIN RSA PRIVATE KEY-----")
        || text.contains("-----BEGIN EC PRIVATE KEY-----")) {
      throw new TlsFileException(
          file,
          "a PKCS#1 or SEC1 key; convert it to PKCS#8 with"
              + " 'openssl pkcs8 -topk8 -nocrypt -in old.key -out new.key'");
    }
    if (text.contains("-----BEGIN ENCRYPTED PRIVATE KEY-----")) {
      throw new TlsFileException(file, "an encrypted key; only unencrypted PKCS#8 is supported");
    }
    String begin = "-----BEGIN PRIVATE KEY-----";
    String end = "-----END PRIVATE KEY-----";
    int from = text.indexOf(begin);
    int to = from < 0 ? -1 : text.indexOf(end, from);
    if (from < 0 || to < 0) {
      throw new TlsFileException(file, "no PEM PRIVATE KEY (PKCS#8) block");
    }
    byte[] der;
    try {
      der = Base64.getMimeDecoder().decode(text.substring(from + begin.length(), to));
    } catch (IllegalArgumentException e) {
      throw new TlsFileException(file, "bad base64 in the PRIVATE KEY block");
    }
    PKCS8EncodedKeySpec spec = new PKCS8EncodedKeySpec(der);
    for (String algorithm : KEY_ALGORITHMS) {
      try {
        return KeyFactory.getInstance(algorithm).generatePrivate(spec);
      } catch (GeneralSecurityException | RuntimeException e) {
        // try the next algorithm
      }
    }
    throw new TlsFileException(file, "not an RSA, EC or EdDSA PKCS#8 private key");
  }

  /** Reads and checks a pair: the key must belong to the chain's first certificate. */
  static CertifiedKey pair(Path certFile, byte[] certPem, Path keyFile, byte[] keyPem)
      throws TlsFileException {
    List<X509Certificate> chain = certificates(certFile, certPem);
    PrivateKey key = privateKey(keyFile, keyPem);
    X509Certificate leaf = chain.get(0);
    if (!matches(key, leaf)) {
      throw new TlsFileException(
          keyFile, "the key does not belong to the first certificate of " + certFile);
    }
    List<String> names = dnsNames(leaf);
    if (names.isEmpty()) {
      throw new TlsFileException(certFile, "the certificate names no DNS host (SAN or CN)");
    }
    return new CertifiedKey(certFile, keyFile, chain, key, names);
  }

  private static boolean matches(PrivateKey key, X509Certificate cert) {
    String algorithm =
        switch (key.getAlgorithm()) {
          case "RSA" -> "SHA256withRSA";
          case "EC" -> "SHA256withECDSA";
          case "RSASSA-PSS" -> "RSASSA-PSS";
          default -> key.getAlgorithm(); // Ed25519, Ed448
        };
    try {
      byte[] probe = "whaleray".getBytes(StandardCharsets.US_ASCII);
      Signature signer = Signature.getInstance(algorithm);
      if (algorithm.equals("RSASSA-PSS")) {
        signer.setParameter(
            new java.security.spec.PSSParameterSpec(
                "SHA-256", "MGF1", java.security.spec.MGF1ParameterSpec.SHA256, 32, 1));
      }
      signer.initSign(key);
      signer.update(probe);
      byte[] signature = signer.sign();
      Signature verifier = Signature.getInstance(algorithm);
      if (algorithm.equals("RSASSA-PSS")) {
        verifier.setParameter(
            new java.security.spec.PSSParameterSpec(
                "SHA-256", "MGF1", java.security.spec.MGF1ParameterSpec.SHA256, 32, 1));
      }
      verifier.initVerify(cert.getPublicKey());
      verifier.update(probe);
      return verifier.verify(signature);
    } catch (GeneralSecurityException | RuntimeException e) {
      return false;
    }
  }

  /** The SAN DNS names, lower case; the subject's CN only when there is no SAN DNS name. */
  static List<String> dnsNames(X509Certificate cert) {
    List<String> names = new ArrayList<>();
    try {
      Collection<List<?>> sans = cert.getSubjectAlternativeNames();
      if (sans != null) {
        for (List<?> san : sans) {
          if (san.size() >= 2 && Integer.valueOf(2).equals(san.get(0))) {
            names.add(normalize(String.valueOf(san.get(1))));
          }
        }
      }
    } catch (CertificateException e) {
      // no usable SAN: fall back to the CN
    }
    if (names.isEmpty()) {
      try {
        for (Rdn rdn : new LdapName(cert.getSubjectX500Principal().getName()).getRdns()) {
          if (rdn.getType().equalsIgnoreCase("CN")) {
            names.add(normalize(String.valueOf(rdn.getValue())));
          }
        }
      } catch (InvalidNameException e) {
        // no CN either
      }
    }
    return List.copyOf(names);
  }

  /** Lower case, without a trailing dot. */
  static String normalize(String host) {
    String h = host.toLowerCase(Locale.ROOT);
    return h.endsWith(".") ? h.substring(0, h.length() - 1) : h;
  }
}
