package dev.whaleray.router.undertow.internal.tls;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.whaleray.router.undertow.testing.TestCertificates;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PemTest {
  @TempDir Path dir;

  private static CertifiedKey load(Path cert) throws Exception {
    Path key = TestCertificates.keyOf(cert);
    return Pem.pair(cert, Files.readAllBytes(cert), key, Files.readAllBytes(key));
  }

  @Test
  void readsRsaAndEcPairsWithTheirChainAndNames() throws Exception {
    TestCertificates ca = TestCertificates.newAuthority();
    CertifiedKey rsa = load(ca.issue(dir, "rsa", false, "rsa", "A.Example.com.", "*.apps.test"));
    assertThat(rsa.key().getAlgorithm()).isEqualTo("RSA");
    assertThat(rsa.chain()).hasSize(2); // leaf, then the CA
    assertThat(rsa.names()).containsExactly("a.example.com", "*.apps.test");
    CertifiedKey ec = load(ca.issue(dir, "ec", true, "ec", "ec.test"));
    assertThat(ec.key().getAlgorithm()).isEqualTo("EC");
    // No SAN: the CN serves as the name.
    assertThat(load(ca.issue(dir, "cn", false, "cn-only.test")).names())
        .containsExactly("cn-only.test");
  }

  @Test
  void wildcardsCoverExactlyOneLeftmostLabel() throws Exception {
    TestCertificates ca = TestCertificates.newAuthority();
    CertifiedKey k = load(ca.issue(dir, "w", false, "w", "*.apps.test"));
    assertThat(k.matchesWildcard("shop.apps.test")).isTrue();
    assertThat(k.matchesWildcard("apps.test")).isFalse();
    assertThat(k.matchesWildcard("a.shop.apps.test")).isFalse();
    assertThat(k.matchesWildcard(".apps.test")).isFalse();
    assertThat(k.matchesExactly("shop.apps.test")).isFalse();
  }

  @Test
  void errorsNameTheFileAndSayWhy() throws Exception {
    TestCertificates ca = TestCertificates.newAuthority();
    Path cert = ca.issue(dir, "a", false, "a", "a.test");
    Path otherKey = TestCertificates.keyOf(ca.issue(dir, "b", false, "b", "b.test"));
    byte[] certPem = Files.readAllBytes(cert);
    assertThatThrownBy(() -> Pem.pair(cert, certPem, otherKey, Files.readAllBytes(otherKey)))
        .isInstanceOf(TlsFileException.class)
        .hasMessageStartingWith(otherKey + ": the key does not belong");
    Path empty = dir.resolve("empty.pem");
    assertThatThrownBy(() -> Pem.certificates(empty, new byte[0]))
        .hasMessage(empty + ": no PEM CERTIFICATE block");
    assertThatThrownBy(
            () ->
                Pem.privateKey(
                    empty,
                    "-----BEGIN ENCRYPTED PRIVATE KEY-----\nAA==\n-----END ENCRYPTED PRIVATE KEY-----\n"
                        .getBytes(StandardCharsets.US_ASCII)))
        .hasMessageContaining("encrypted");
    assertThatThrownBy(
            () ->
                Pem.privateKey(
                    empty,
                    "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"
                        .getBytes(StandardCharsets.US_ASCII)))
        .hasMessage(empty + ": not an RSA, EC or EdDSA PKCS#8 private key");
    // The key file given where the certificate belongs.
    assertThatThrownBy(
            () -> Pem.certificates(cert, Files.readAllBytes(TestCertificates.keyOf(cert))))
        .hasMessage(cert + ": no PEM CERTIFICATE block");
  }

  @Test
  void aHandshakeThatChoseAnAliasBeforeASwapStillGetsThatPair() throws Exception {
    TestCertificates ca = TestCertificates.newAuthority();
    CertifiedKey v1 = load(ca.issue(dir, "a1", false, "a-v1", "a.test"));
    CertifiedKey v2 = load(ca.issue(dir, "a2", false, "a-v2", "a.test"));
    SniKeyManager km = new SniKeyManager(List.of(v1));
    String alias = km.chooseEngineServerAlias("RSA", null, null);
    assertThat(km.chooseEngineServerAlias("EC", null, null)).isNull();
    km.update(List.of(v2));
    assertThat(km.getCertificateChain(alias)[0]).isEqualTo(v1.chain().get(0));
    assertThat(km.getPrivateKey(alias)).isEqualTo(v1.key());
    String now = km.chooseEngineServerAlias("RSA", null, null);
    assertThat(km.getCertificateChain(now)[0]).isEqualTo(v2.chain().get(0));
    assertThat(km.getPrivateKey("nonsense")).isNull();
  }
}
