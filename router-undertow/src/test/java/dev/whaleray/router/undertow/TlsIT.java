package dev.whaleray.router.undertow;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.whaleray.router.Endpoint;
import dev.whaleray.router.undertow.testing.TestBackend;
import dev.whaleray.router.undertow.testing.TestCertificates;
import dev.whaleray.router.undertow.testing.TestDiscovery;
import io.undertow.server.HttpHandler;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyFactory;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLHandshakeException;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLServerSocket;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * TLS termination on a real listener, with the JDK's TLS client: the certificate presented per SNI
 * name, the protocol floor, a certificate file replaced while the server runs, and the plain port's
 * redirect.
 */
class TlsIT {

  @TempDir Path dir;

  private static SSLSocket connect(SSLContext context, int port, String sni, String... protocols)
      throws Exception {
    SSLSocket s =
        (SSLSocket) context.getSocketFactory().createSocket(InetAddress.getLoopbackAddress(), port);
    s.setSoTimeout(5000);
    SSLParameters p = s.getSSLParameters();
    if (sni != null) {
      p.setServerNames(List.of(new SNIHostName(sni)));
    }
    if (protocols.length > 0) {
      p.setProtocols(protocols);
    }
    s.setSSLParameters(p);
    s.startHandshake();
    return s;
  }

  /** The leaf certificate presented for {@code sni} on a fresh client (no session resumption). */
  private static X509Certificate presented(TestCertificates ca, int port, String sni)
      throws Exception {
    try (SSLSocket s = connect(ca.clientContext(), port, sni)) {
      return (X509Certificate) s.getSession().getPeerCertificates()[0];
    }
  }

  private static String cn(X509Certificate c) {
    return c.getSubjectX500Principal().getName();
  }

  private static List<String> sans(X509Certificate c) throws Exception {
    List<String> names = new ArrayList<>();
    for (List<?> san : c.getSubjectAlternativeNames()) {
      names.add(String.valueOf(san.get(1)));
    }
    return names;
  }

  private static HttpHandler ok() {
    return exchange -> exchange.getResponseSender().send("ok " + exchange.getRequestURI());
  }

  @Test
  void sniPicksEachNamesCertificateAndTheFirstIsTheDefault() throws Exception {
    TestCertificates ca = TestCertificates.newAuthority();
    Path def = ca.issue(dir, "default", false, "default", "default.test", "localhost");
    Path a = ca.issue(dir, "a", true, "a", "a.test");
    Path b = ca.issue(dir, "b", false, "b", "*.b.test");
    TlsOptions tls =
        TlsOptions.builder()
            .port(0)
            .certificate(def, TestCertificates.keyOf(def))
            .certificate(a, TestCertificates.keyOf(a))
            .certificate(b, TestCertificates.keyOf(b))
            .build();
    try (TestBackend backend = TestBackend.start("hello");
        TestDiscovery discovery =
            new TestDiscovery().set("hello", List.of(Endpoint.parse(backend.address())));
        RouterHandler handler = RouterHandler.builder().discovery(discovery).build();
        RouterServer server =
            RouterServer.builder(handler).host("127.0.0.1").port(0).tls(tls).start()) {
      int port = server.tlsPort();
      assertThat(port).isPositive().isNotEqualTo(server.port());

      X509Certificate forA = presented(ca, port, "a.test");
      assertThat(cn(forA)).isEqualTo("CN=a");
      assertThat(sans(forA)).containsExactly("a.test");
      assertThat(forA.getPublicKey().getAlgorithm()).isEqualTo("EC");

      X509Certificate forB = presented(ca, port, "api.b.test");
      assertThat(cn(forB)).isEqualTo("CN=b");
      assertThat(sans(forB)).containsExactly("*.b.test");
      // A wildcard covers one label only.
      assertThat(cn(presented(ca, port, "x.api.b.test"))).isEqualTo("CN=default");
      assertThat(cn(presented(ca, port, "b.test"))).isEqualTo("CN=default");
      // Names compare without case.
      assertThat(cn(presented(ca, port, "A.TEST"))).isEqualTo("CN=a");

      assertThat(cn(presented(ca, port, "unknown.test"))).isEqualTo("CN=default");
      assertThat(sans(presented(ca, port, null))).containsExactly("default.test", "localhost");

      // A whole request through the router over TLS, with hostname verification on.
      HttpClient client =
          HttpClient.newBuilder()
              .sslContext(ca.clientContext())
              .version(HttpClient.Version.HTTP_1_1)
              .connectTimeout(Duration.ofSeconds(5))
              .build();
      HttpResponse<String> r =
          client.send(
              HttpRequest.newBuilder(
                      URI.create("https://localhost:" + port + "/services/hello/x?y=1"))
                  .timeout(Duration.ofSeconds(10))
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      assertThat(r.statusCode()).isEqualTo(200);
      assertThat(r.body()).startsWith("hello GET /x?y=1");
      assertThat(r.sslSession().orElseThrow().getProtocol()).isEqualTo("TLSv1.3");
    }
  }

  @Test
  void onlyTls13And12AreAccepted() throws Exception {
    TestCertificates ca = TestCertificates.newAuthority();
    Path def = ca.issue(dir, "default", false, "default", "default.test");
    TlsOptions both =
        TlsOptions.builder().port(0).certificate(def, TestCertificates.keyOf(def)).build();
    try (RouterServer server =
        RouterServer.builder(ok()).host("127.0.0.1").port(0).tls(both).start()) {
      // Control: this JVM's client does speak TLS 1.1 (to a JDK server that allows it): the
      // failsafe JVM runs with tls-old-protocols.security, which lifts the JDK's own refusal.
      try (SSLServerSocket old = oldServer(def)) {
        CompletableFuture<Void> accept =
            CompletableFuture.runAsync(
                () -> {
                  try (SSLSocket in = (SSLSocket) old.accept()) {
                    in.startHandshake();
                  } catch (Exception e) {
                    throw new RuntimeException(e);
                  }
                });
        try (SSLSocket s = connect(ca.clientContext(), old.getLocalPort(), null, "TLSv1.1")) {
          assertThat(s.getSession().getProtocol()).isEqualTo("TLSv1.1");
        }
        accept.get(5, TimeUnit.SECONDS);
      }
      assertThatThrownBy(() -> connect(ca.clientContext(), server.tlsPort(), null, "TLSv1.1"))
          .isInstanceOf(SSLHandshakeException.class);
      assertThatThrownBy(() -> connect(ca.clientContext(), server.tlsPort(), null, "TLSv1"))
          .isInstanceOf(SSLHandshakeException.class);
      try (SSLSocket s = connect(ca.clientContext(), server.tlsPort(), null, "TLSv1.2")) {
        assertThat(s.getSession().getProtocol()).isEqualTo("TLSv1.2");
      }
    }
    TlsOptions only12 =
        TlsOptions.builder()
            .port(0)
            .certificate(def, TestCertificates.keyOf(def))
            .protocols(List.of("TLSv1.2"))
            .build();
    try (RouterServer server =
        RouterServer.builder(ok()).host("127.0.0.1").port(0).tls(only12).start()) {
      assertThatThrownBy(() -> connect(ca.clientContext(), server.tlsPort(), null, "TLSv1.3"))
          .isInstanceOf(SSLHandshakeException.class);
      try (SSLSocket s = connect(ca.clientContext(), server.tlsPort(), null)) {
        assertThat(s.getSession().getProtocol()).isEqualTo("TLSv1.2");
      }
    }
    assertThatThrownBy(() -> TlsOptions.builder().protocols(List.of("TLSv1.1")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("TLSv1.1");
  }

  /** A plain JDK TLS server that allows TLS 1.1, with the certificate and key of {@code cert}. */
  private static SSLServerSocket oldServer(Path cert) throws Exception {
    CertificateFactory cf = CertificateFactory.getInstance("X.509");
    Collection<? extends Certificate> chain;
    try (var in = Files.newInputStream(cert)) {
      chain = cf.generateCertificates(in);
    }
    String pem = Files.readString(TestCertificates.keyOf(cert));
    byte[] der =
        Base64.getMimeDecoder()
            .decode(
                pem.replace("-----BEGIN PRIVATE KEY-----", "")
                    .replace("-----END PRIVATE KEY-----", ""));
    PrivateKey key = KeyFactory.getInstance("RSA").generatePrivate(new PKCS8EncodedKeySpec(der));
    KeyStore ks = KeyStore.getInstance("PKCS12");
    ks.load(null, null);
    ks.setKeyEntry("k", key, "pw".toCharArray(), chain.toArray(new Certificate[0]));
    KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
    kmf.init(ks, "pw".toCharArray());
    SSLContext context = SSLContext.getInstance("TLS");
    context.init(kmf.getKeyManagers(), null, null);
    SSLServerSocket s =
        (SSLServerSocket)
            context
                .getServerSocketFactory()
                .createServerSocket(0, 5, InetAddress.getLoopbackAddress());
    s.setEnabledProtocols(new String[] {"TLSv1.1"});
    s.setSoTimeout(5000);
    return s;
  }

  @Test
  void aReplacedCertificateFileIsServedWithoutRestartAndOpenConnectionsKeepWorking()
      throws Exception {
    TestCertificates ca = TestCertificates.newAuthority();
    Path def = ca.issue(dir, "default", false, "default", "default.test");
    Path a = ca.issue(dir, "a", false, "a-v1", "a.test");
    TlsOptions tls =
        TlsOptions.builder()
            .port(0)
            .certificate(def, TestCertificates.keyOf(def))
            .certificate(a, TestCertificates.keyOf(a))
            .reloadInterval(Duration.ofMillis(200))
            .build();
    try (RouterServer server =
        RouterServer.builder(ok()).host("127.0.0.1").port(0).tls(tls).start()) {
      int port = server.tlsPort();
      assertThat(cn(presented(ca, port, "a.test"))).isEqualTo("CN=a-v1");

      try (SSLSocket kept = connect(ca.clientContext(), port, "a.test")) {
        assertThat(get(kept, "/one")).isEqualTo("ok /one");

        // Replaced in place (same name), with a new key too, as cert-manager or an agent does.
        ca.issue(dir, "a", true, "a-v2", "a.test");
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        String now = cn(presented(ca, port, "a.test"));
        while (!now.equals("CN=a-v2") && System.nanoTime() < deadline) {
          Thread.sleep(50);
          now = cn(presented(ca, port, "a.test"));
        }
        assertThat(now).as("new handshakes get the replaced certificate").isEqualTo("CN=a-v2");
        assertThat(cn(presented(ca, port, "other.test"))).isEqualTo("CN=default");

        // The connection opened before the swap is untouched and still serves requests.
        assertThat(get(kept, "/two")).isEqualTo("ok /two");
        assertThat(cn((X509Certificate) kept.getSession().getPeerCertificates()[0]))
            .isEqualTo("CN=a-v1");
      }

      // A broken file on reload: logged, and the last good certificate stays in service.
      Files.writeString(a, "-----BEGIN CERTIFICATE-----\nnot base64!\n-----END CERTIFICATE-----\n");
      Thread.sleep(1000); // five reload intervals
      assertThat(cn(presented(ca, port, "a.test"))).isEqualTo("CN=a-v2");
      ca.issue(dir, "a", false, "a-v3", "a.test");
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
      String now = cn(presented(ca, port, "a.test"));
      while (!now.equals("CN=a-v3") && System.nanoTime() < deadline) {
        Thread.sleep(50);
        now = cn(presented(ca, port, "a.test"));
      }
      assertThat(now).isEqualTo("CN=a-v3");
    }
  }

  /** One HTTP/1.1 keep-alive request on {@code s}; the body of a Content-Length response. */
  private static String get(SSLSocket s, String path) throws Exception {
    OutputStream out = s.getOutputStream();
    out.write(
        ("GET " + path + " HTTP/1.1\r\nHost: a.test\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
    out.flush();
    BufferedReader in =
        new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.US_ASCII));
    String status = in.readLine();
    assertThat(status).isEqualTo("HTTP/1.1 200 OK");
    int length = -1;
    for (String line = in.readLine(); !line.isEmpty(); line = in.readLine()) {
      if (line.toLowerCase(java.util.Locale.ROOT).startsWith("content-length:")) {
        length = Integer.parseInt(line.substring(15).trim());
      }
    }
    assertThat(length).isPositive();
    char[] body = new char[length];
    int n = 0;
    while (n < length) {
      int r = in.read(body, n, length - n);
      assertThat(r).isPositive();
      n += r;
    }
    return new String(body);
  }

  @Test
  void redirectHttpAnswers301ToHttpsExceptTheHealthPath() throws Exception {
    TestCertificates ca = TestCertificates.newAuthority();
    Path def = ca.issue(dir, "default", false, "default", "localhost");
    TlsOptions tls =
        TlsOptions.builder()
            .port(0)
            .certificate(def, TestCertificates.keyOf(def))
            .redirectHttp(true)
            .build();
    try (TestDiscovery discovery = new TestDiscovery();
        RouterHandler handler = RouterHandler.builder().discovery(discovery).build();
        RouterServer server =
            RouterServer.builder(handler).host("127.0.0.1").port(0).tls(tls).start()) {
      HttpClient client =
          HttpClient.newBuilder()
              .followRedirects(HttpClient.Redirect.NEVER)
              .version(HttpClient.Version.HTTP_1_1)
              .build();
      HttpResponse<String> r =
          client.send(
              HttpRequest.newBuilder(
                      URI.create("http://localhost:" + server.port() + "/services/a/b%20c?x=1&y"))
                  .timeout(Duration.ofSeconds(10))
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      assertThat(r.statusCode()).isEqualTo(301);
      assertThat(r.headers().firstValue("location"))
          .hasValue("https://localhost:" + server.tlsPort() + "/services/a/b%20c?x=1&y");

      HttpResponse<String> health =
          client.send(
              HttpRequest.newBuilder(URI.create("http://localhost:" + server.port() + "/health"))
                  .timeout(Duration.ofSeconds(10))
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      assertThat(health.statusCode()).isEqualTo(200);
      assertThat(health.body()).contains("OK");
    }
  }

  @Test
  void aBadPemAtStartStopsTheServerNamingTheFile() throws Exception {
    TestCertificates ca = TestCertificates.newAuthority();
    Path good = ca.issue(dir, "good", false, "good", "good.test");
    Path other = ca.issue(dir, "other", false, "other", "other.test");
    Path garbage = dir.resolve("garbage.pem");
    Files.writeString(garbage, "hello");
    assertThatThrownBy(
            () ->
                RouterServer.builder(ok())
                    .host("127.0.0.1")
                    .port(0)
                    .tls(
                        TlsOptions.builder()
                            .port(0)
                            .certificate(garbage, TestCertificates.keyOf(good))
                            .build())
                    .start())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining(garbage.toString());
    // A key that belongs to another certificate.
    assertThatThrownBy(
            () ->
                RouterServer.builder(ok())
                    .host("127.0.0.1")
                    .port(0)
                    .tls(
                        TlsOptions.builder()
                            .port(0)
                            .certificate(good, TestCertificates.keyOf(other))
                            .build())
                    .start())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining(TestCertificates.keyOf(other).toString())
        .hasMessageContaining("does not belong");
    Path pkcs1 = dir.resolve("rsa.key");
    Files.writeString(
        pkcs1, "-----BEGIN RSA PRIVATE KEY-----\nAAAA\n-----END RSA PRIVATE KEY-----\n");
    assertThatThrownBy(
            () ->
                RouterServer.builder(ok())
                    .host("127.0.0.1")
                    .port(0)
                    .tls(TlsOptions.builder().port(0).certificate(good, pkcs1).build())
                    .start())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining(pkcs1.toString())
        .hasMessageContaining("PKCS#8");
  }

  @Test
  void h2IsOfferedByAlpnOnlyWhenAskedFor() throws Exception {
    TestCertificates ca = TestCertificates.newAuthority();
    Path def = ca.issue(dir, "default", false, "default", "localhost");
    for (boolean h2 : new boolean[] {false, true}) {
      TlsOptions tls =
          TlsOptions.builder()
              .port(0)
              .certificate(def, TestCertificates.keyOf(def))
              .alpnH2(h2)
              .build();
      try (RouterServer server =
          RouterServer.builder(ok()).host("127.0.0.1").port(0).tls(tls).start()) {
        HttpClient client =
            HttpClient.newBuilder()
                .sslContext(ca.clientContext())
                .version(HttpClient.Version.HTTP_2)
                .connectTimeout(Duration.ofSeconds(5))
                .build();
        HttpResponse<String> r =
            client.send(
                HttpRequest.newBuilder(
                        URI.create("https://localhost:" + server.tlsPort() + "/alpn"))
                    .timeout(Duration.ofSeconds(10))
                    .build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.body()).isEqualTo("ok /alpn");
        assertThat(r.version())
            .isEqualTo(h2 ? HttpClient.Version.HTTP_2 : HttpClient.Version.HTTP_1_1);
      }
    }
  }

  /**
   * curl over TLS with ALPN h2, end to end: HTTP/2 on the client's side, and the backend's protocol
   * as configured (HTTP/1.1 by default, HTTP/2 with an h2c upstream).
   */
  @Test
  void curlGetsHttp2ByAlpnAndTheBackendItsOwnProtocol() throws Exception {
    org.assertj.core.api.Assumptions.assumeThat(Files.isExecutable(Path.of("/usr/bin/curl")))
        .as("curl")
        .isTrue();
    TestCertificates ca = TestCertificates.newAuthority();
    Path cert = ca.issue(dir, "site", false, "site", "localhost");
    Path caFile = ca.writeCa(dir.resolve("ca.pem"));
    try (TestBackend h1 = TestBackend.start("one");
        TestBackend h2 = TestBackend.startHttp2("two")) {
      TestDiscovery discovery =
          new TestDiscovery()
              .set("one", List.of(Endpoint.parse(h1.address())))
              .set("two", List.of(Endpoint.parse(h2.address())));
      try (RouterHandler handler =
              RouterHandler.builder()
                  .discovery(discovery)
                  .serviceUpstreams(java.util.Map.of("two", UpstreamOptions.h2c()))
                  .build();
          RouterServer server =
              RouterServer.builder(handler)
                  .host("127.0.0.1")
                  .port(0)
                  .tls(
                      TlsOptions.builder()
                          .port(0)
                          .certificate(cert, TestCertificates.keyOf(cert))
                          .alpnH2(true)
                          .build())
                  .start()) {
        for (String service : List.of("one", "two")) {
          Process p =
              new ProcessBuilder(
                      "curl",
                      "-s",
                      "--http2",
                      "--cacert",
                      caFile.toString(),
                      "--resolve",
                      "localhost:" + server.tlsPort() + ":127.0.0.1",
                      "-D",
                      "-",
                      "-w",
                      "\nversion=%{http_version}\n",
                      "https://localhost:" + server.tlsPort() + "/services/" + service + "/x")
                  .redirectErrorStream(true)
                  .start();
          String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
          assertThat(p.waitFor(20, TimeUnit.SECONDS)).isTrue();
          System.out.println("curl h2 over TLS to " + service + ":\n" + out);
          assertThat(out).containsPattern("(?m)^HTTP/2 200").contains("version=2");
          assertThat(out.toLowerCase())
              .contains("x-backend-protocol: " + (service.equals("one") ? "http/1.1" : "http/2.0"));
        }
      } finally {
        discovery.close();
      }
    }
  }
}
