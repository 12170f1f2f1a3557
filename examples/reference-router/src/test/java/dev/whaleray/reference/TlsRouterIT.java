package dev.whaleray.reference;

import static org.assertj.core.api.Assertions.assertThat;

import dev.whaleray.router.undertow.testing.TestBackend;
import dev.whaleray.router.undertow.testing.TestCertificates;
import java.net.InetAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The jar with a {@code tls:} section (and with the variables), over https with the JDK client. */
class TlsRouterIT {

  @TempDir Path dir;

  private static String presented(TestCertificates ca, int port, String sni) throws Exception {
    try (SSLSocket s =
        (SSLSocket)
            ca.clientContext()
                .getSocketFactory()
                .createSocket(InetAddress.getLoopbackAddress(), port)) {
      s.setSoTimeout(5000);
      SSLParameters p = s.getSSLParameters();
      p.setServerNames(List.of(new SNIHostName(sni)));
      s.setSSLParameters(p);
      s.startHandshake();
      return ((X509Certificate) s.getSession().getPeerCertificates()[0])
          .getSubjectX500Principal()
          .getName();
    }
  }

  private static HttpResponse<String> https(TestCertificates ca, int port, String path)
      throws Exception {
    return https(ca, port, path, HttpClient.Version.HTTP_1_1);
  }

  private static HttpResponse<String> https(
      TestCertificates ca, int port, String path, HttpClient.Version version) throws Exception {
    HttpClient client =
        HttpClient.newBuilder()
            .sslContext(ca.clientContext())
            .version(version)
            .connectTimeout(Duration.ofSeconds(5))
            .build();
    return client.send(
        HttpRequest.newBuilder(URI.create("https://localhost:" + port + path))
            .timeout(Duration.ofSeconds(10))
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void servesHttpsWithSniAndReloadsAReplacedCertificateFromTheTlsSection() throws Exception {
    TestCertificates ca = TestCertificates.newAuthority();
    Path local = ca.issue(dir, "local", false, "local", "localhost");
    Path api = ca.issue(dir, "api", true, "api-v1", "api.test");
    try (TestBackend one = TestBackend.start("one")) {
      int port = RouterProcess.freePort();
      int tlsPort = RouterProcess.freePort();
      Path config = dir.resolve("router.yaml");
      Files.writeString(
          config,
          String.join(
              "\n",
              "discovery:",
              "  static:",
              "    app: [ \"" + one.address() + "\" ]",
              "tls:",
              "  port: " + tlsPort,
              "  certificates:",
              "    - { cert: " + local + ", key: " + TestCertificates.keyOf(local) + " }",
              "    - { cert: " + api + ", key: " + TestCertificates.keyOf(api) + " }",
              "  protocols: [ TLSv1.3, TLSv1.2 ]",
              "  redirectHttp: true",
              ""));
      try (RouterProcess router =
          RouterProcess.start(Map.of("WHALERAY_PORT", "" + port), "--config", config.toString())) {
        // The health path stays on the plain port (the ALB's check); everything else redirects.
        router.awaitHealthy(port, Duration.ofSeconds(20));
        HttpResponse<String> plain = ReferenceRouterIT.get(port, "/services/app/x?y=1");
        assertThat(plain.statusCode()).isEqualTo(301);
        assertThat(plain.headers().firstValue("location"))
            .hasValue("https://localhost:" + tlsPort + "/services/app/x?y=1");

        HttpResponse<String> r = https(ca, tlsPort, "/services/app/x?y=1");
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.body()).startsWith("one GET /x?y=1");
        // h2 by ALPN (http2 is on by default): the same route over HTTP/2 on the TLS port.
        HttpResponse<String> h2 = https(ca, tlsPort, "/services/app/h2", HttpClient.Version.HTTP_2);
        assertThat(h2.version()).isEqualTo(HttpClient.Version.HTTP_2);
        assertThat(h2.statusCode()).isEqualTo(200);
        assertThat(h2.body()).startsWith("one GET /h2");
        assertThat(presented(ca, tlsPort, "api.test")).isEqualTo("CN=api-v1");
        assertThat(presented(ca, tlsPort, "unknown.test")).isEqualTo("CN=local");

        ca.issue(dir, "api", true, "api-v2", "api.test");
        long started = System.nanoTime();
        long deadline = started + TimeUnit.SECONDS.toNanos(20);
        String now = presented(ca, tlsPort, "api.test");
        while (!now.equals("CN=api-v2") && System.nanoTime() < deadline) {
          Thread.sleep(100);
          now = presented(ca, tlsPort, "api.test");
        }
        assertThat(now).as("replaced certificate served without a restart").isEqualTo("CN=api-v2");
        System.out.printf(
            "replaced certificate served after %d ms%n", (System.nanoTime() - started) / 1_000_000);
        assertThat(router.process.isAlive()).isTrue();
        assertThat(https(ca, tlsPort, "/services/app/").statusCode()).isEqualTo(200);
      }
    }
  }

  /** The jar reaches services over h2c and over TLS with a trust store, as its YAML says. */
  @Test
  void servicesUpstreamOptionsReachH2cAndTlsBackends() throws Exception {
    TestCertificates ca = TestCertificates.newAuthority();
    Path trust = ca.writeCa(dir.resolve("internal-ca.pem"));
    try (TestBackend h2c = TestBackend.startHttp2("h2c");
        TestBackend secure =
            TestBackend.startTls("secure", ca.serverContext("secure.internal"), true)) {
      int port = RouterProcess.freePort();
      Path config = dir.resolve("router.yaml");
      Files.writeString(
          config,
          String.join(
              "\n",
              "discovery:",
              "  static:",
              "    grpcish: [ \"" + h2c.address() + "\" ]",
              "    secure: [ \"" + secure.address() + "\" ]",
              "    wrong: [ \"" + secure.address() + "\" ]",
              "services:",
              "  grpcish:",
              "    upstream: { protocol: h2c }",
              "  secure:",
              "    upstream: { protocol: h2, trustStore: "
                  + trust
                  + ", serverName: secure.internal }",
              "  wrong:",
              "    upstream: { tls: true, trustStore: " + trust + ", serverName: other.internal }",
              ""));
      try (RouterProcess router =
          RouterProcess.start(Map.of("WHALERAY_PORT", "" + port), "--config", config.toString())) {
        router.awaitHealthy(port, Duration.ofSeconds(20));
        HttpResponse<String> a = ReferenceRouterIT.get(port, "/services/grpcish/x");
        assertThat(a.statusCode()).as(a.body()).isEqualTo(200);
        assertThat(a.headers().firstValue("X-Backend-Protocol")).hasValue("HTTP/2.0");
        HttpResponse<String> b = ReferenceRouterIT.get(port, "/services/secure/x");
        assertThat(b.statusCode()).as(b.body()).isEqualTo(200);
        assertThat(b.headers().firstValue("X-Backend-Protocol")).hasValue("HTTP/2.0");
        assertThat(b.headers().firstValue("X-Backend-Scheme")).hasValue("https");
        HttpResponse<String> c = ReferenceRouterIT.get(port, "/services/wrong/x");
        assertThat(c.statusCode()).isEqualTo(502);
        assertThat(c.body()).contains("upstream TLS handshake failed").contains("other.internal");
      }
    }
  }

  @Test
  void theVariablesGiveOnePairAndABadPemStopsTheStartNamingTheFile() throws Exception {
    TestCertificates ca = TestCertificates.newAuthority();
    Path local = ca.issue(dir, "local", false, "local", "localhost");
    try (TestBackend one = TestBackend.start("one")) {
      int port = RouterProcess.freePort();
      int tlsPort = RouterProcess.freePort();
      Path config = dir.resolve("router.yaml");
      Files.writeString(config, "discovery:\n  static:\n    app: [ \"" + one.address() + "\" ]\n");
      Map<String, String> env =
          Map.of(
              "WHALERAY_PORT",
              "" + port,
              "WHALERAY_TLS_PORT",
              "" + tlsPort,
              "WHALERAY_TLS_CERT",
              local.toString(),
              "WHALERAY_TLS_KEY",
              TestCertificates.keyOf(local).toString());
      try (RouterProcess router = RouterProcess.start(env, "--config", config.toString())) {
        router.awaitHealthy(port, Duration.ofSeconds(20));
        HttpResponse<String> r = https(ca, tlsPort, "/services/app/env");
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.body()).startsWith("one GET /env");
        // Without redirectHttp the plain port keeps serving.
        assertThat(ReferenceRouterIT.get(port, "/services/app/plain").statusCode()).isEqualTo(200);
      }

      Path bad = dir.resolve("bad.pem");
      Files.writeString(bad, "-----BEGIN CERTIFICATE-----\nbroken\n-----END CERTIFICATE-----\n");
      Map<String, String> badEnv =
          Map.of(
              "WHALERAY_PORT",
              "" + RouterProcess.freePort(),
              "WHALERAY_TLS_PORT",
              "" + RouterProcess.freePort(),
              "WHALERAY_TLS_CERT",
              bad.toString(),
              "WHALERAY_TLS_KEY",
              TestCertificates.keyOf(local).toString());
      try (RouterProcess router = RouterProcess.start(badEnv, "--config", config.toString())) {
        assertThat(router.awaitExit(Duration.ofSeconds(20))).isEqualTo(2);
        assertThat(router.stderr()).contains(bad.toString()).contains("not a PEM certificate");
      }
    }
  }
}
