package dev.whaleray.router.undertow.testing;

import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Base64;
import java.util.Date;
import java.util.concurrent.atomic.AtomicLong;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * A test certificate authority that issues leaf certificates with SAN DNS names and writes them as
 * PEM files (the chain, and the key as PKCS#8), as an operator would hand them to the router.
 */
public final class TestCertificates {
  private static final AtomicLong SERIAL = new AtomicLong(System.currentTimeMillis());

  private final KeyPair caKeys;
  private final X509Certificate ca;

  private TestCertificates(KeyPair caKeys, X509Certificate ca) {
    this.caKeys = caKeys;
    this.ca = ca;
  }

  /** A new CA with an RSA key. */
  public static TestCertificates newAuthority() throws Exception {
    KeyPair keys = rsa();
    X500Name name = new X500Name("CN=WhaleRay Test CA");
    JcaX509v3CertificateBuilder b =
        new JcaX509v3CertificateBuilder(
            name,
            BigInteger.valueOf(SERIAL.incrementAndGet()),
            Date.from(Instant.now().minus(1, ChronoUnit.DAYS)),
            Date.from(Instant.now().plus(1, ChronoUnit.DAYS)),
            name,
            keys.getPublic());
    b.addExtension(Extension.basicConstraints, true, new BasicConstraints(true));
    X509Certificate ca =
        new JcaX509CertificateConverter()
            .getCertificate(
                b.build(new JcaContentSignerBuilder("SHA256withRSA").build(keys.getPrivate())));
    return new TestCertificates(keys, ca);
  }

  /** The CA certificate. */
  public X509Certificate ca() {
    return ca;
  }

  /** A client context that trusts only this CA. */
  public SSLContext clientContext() throws Exception {
    KeyStore trust = KeyStore.getInstance("PKCS12");
    trust.load(null, null);
    trust.setCertificateEntry("ca", ca);
    TrustManagerFactory tmf =
        TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    tmf.init(trust);
    SSLContext context = SSLContext.getInstance("TLS");
    context.init(null, tmf.getTrustManagers(), null);
    return context;
  }

  /**
   * Issues a certificate for {@code cn} with SAN DNS {@code names} (an EC key when {@code ec}) and
   * writes {@code dir/<file>.pem} (leaf then CA) and {@code dir/<file>.key} (PKCS#8).
   *
   * @return the certificate file; the key file is beside it
   */
  public Path issue(Path dir, String file, boolean ec, String cn, String... names)
      throws Exception {
    KeyPair keys = ec ? ec() : rsa();
    JcaX509v3CertificateBuilder b =
        new JcaX509v3CertificateBuilder(
            ca,
            BigInteger.valueOf(SERIAL.incrementAndGet()),
            Date.from(Instant.now().minus(1, ChronoUnit.HOURS)),
            Date.from(Instant.now().plus(1, ChronoUnit.DAYS)),
            new X500Name("CN=" + cn),
            keys.getPublic());
    GeneralName[] san = new GeneralName[names.length];
    for (int i = 0; i < names.length; i++) {
      san[i] = new GeneralName(GeneralName.dNSName, names[i]);
    }
    if (san.length > 0) {
      b.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(san));
    }
    X509Certificate leaf =
        new JcaX509CertificateConverter()
            .getCertificate(
                b.build(new JcaContentSignerBuilder("SHA256withRSA").build(caKeys.getPrivate())));
    Path cert = dir.resolve(file + ".pem");
    Path key = dir.resolve(file + ".key");
    // Written beside and moved into place, as a secrets agent does: a reader never sees half.
    write(key, pem("PRIVATE KEY", keys.getPrivate().getEncoded()));
    write(cert, pem("CERTIFICATE", leaf.getEncoded()) + pem("CERTIFICATE", ca.getEncoded()));
    return cert;
  }

  /**
   * A server context with a certificate for SAN IP 127.0.0.1 and DNS {@code names}, issued by this
   * CA: a backend reached by address, as discovery hands them out.
   */
  public SSLContext serverContext(String... names) throws Exception {
    KeyPair keys = rsa();
    JcaX509v3CertificateBuilder b =
        new JcaX509v3CertificateBuilder(
            ca,
            BigInteger.valueOf(SERIAL.incrementAndGet()),
            Date.from(Instant.now().minus(1, ChronoUnit.HOURS)),
            Date.from(Instant.now().plus(1, ChronoUnit.DAYS)),
            new X500Name("CN=backend"),
            keys.getPublic());
    GeneralName[] san = new GeneralName[names.length + 1];
    san[0] = new GeneralName(GeneralName.iPAddress, "127.0.0.1");
    for (int i = 0; i < names.length; i++) {
      san[i + 1] = new GeneralName(GeneralName.dNSName, names[i]);
    }
    b.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(san));
    X509Certificate leaf =
        new JcaX509CertificateConverter()
            .getCertificate(
                b.build(new JcaContentSignerBuilder("SHA256withRSA").build(caKeys.getPrivate())));
    KeyStore store = KeyStore.getInstance("PKCS12");
    store.load(null, null);
    store.setKeyEntry(
        "server", keys.getPrivate(), new char[0], new java.security.cert.Certificate[] {leaf, ca});
    javax.net.ssl.KeyManagerFactory kmf =
        javax.net.ssl.KeyManagerFactory.getInstance(
            javax.net.ssl.KeyManagerFactory.getDefaultAlgorithm());
    kmf.init(store, new char[0]);
    SSLContext context = SSLContext.getInstance("TLS");
    context.init(kmf.getKeyManagers(), null, null);
    return context;
  }

  /** Writes the CA certificate as PEM to {@code file}: a trust store for the router. */
  public Path writeCa(Path file) throws Exception {
    write(file, pem("CERTIFICATE", ca.getEncoded()));
    return file;
  }

  /** The key file beside a certificate file from {@link #issue}. */
  public static Path keyOf(Path certFile) {
    String name = certFile.getFileName().toString();
    return certFile.resolveSibling(name.substring(0, name.length() - 4) + ".key");
  }

  private static void write(Path file, String text) throws Exception {
    Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
    Files.writeString(tmp, text, StandardCharsets.US_ASCII);
    Files.move(
        tmp,
        file,
        java.nio.file.StandardCopyOption.REPLACE_EXISTING,
        java.nio.file.StandardCopyOption.ATOMIC_MOVE);
  }

  /** PEM text of one block. */
  public static String pem(String type, byte[] der) {
    return "-----BEGIN "
        + type
        + "-----\n"
        + Base64.getMimeEncoder(64, new byte[] {'\n'}).encodeToString(der)
        + "\n-----END "
        + type
        + "-----\n";
  }

  private static KeyPair rsa() throws Exception {
    KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
    g.initialize(2048);
    return g.generateKeyPair();
  }

  private static KeyPair ec() throws Exception {
    KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
    g.initialize(new ECGenParameterSpec("secp256r1"));
    return g.generateKeyPair();
  }
}
