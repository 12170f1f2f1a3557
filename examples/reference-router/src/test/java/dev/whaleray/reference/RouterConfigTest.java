package dev.whaleray.reference;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.whaleray.router.Route;
import dev.whaleray.router.core.HealthCheck;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class RouterConfigTest {

  @Test
  void defaultsFollowTheDesign() {
    RouterConfig c = RouterConfig.defaults();
    assertThat(c.port).isEqualTo(8080);
    assertThat(c.adminPort).isEqualTo(9901);
    assertThat(c.discovery).isEqualTo("static");
    assertThat(c.lbPolicy).isEqualTo("round-robin");
    assertThat(c.shutdownGrace).isEqualTo(Duration.ofSeconds(20));
    assertThat(c.routes).containsExactly(Route.path("/services/{service}"));
    assertThat(c.discoverySettings)
        .containsEntry("namespace", "whaleray.local")
        .containsEntry("backendPort", "3000")
        .containsEntry("cloudmapRefresh", "5s");
  }

  @Test
  void readsTheDesignExampleFile() {
    RouterConfig c =
        RouterConfig.parse(
            String.join(
                "\n",
                "port: 8081",
                "adminPort: 0",
                "routes:",
                "  - path: /services/{service}",
                "  - host: catalog.example.com",
                "    service: catalog",
                "  - host: \"{service}.apps.example.com\"",
                "  - path: /shop",
                "    service: shop",
                "discovery:",
                "  type: static",
                "  static:",
                "    catalog: [ \"127.0.0.1:8081\", \"127.0.0.1:8082 weight=3 zone=us-east-1a\" ]",
                "  cloudmap: { namespace: prod.local, backendPort: 3001, dnsServers: [ \"127.0.0.1:15353\" ], dnsValid: 10s }",
                "loadBalancing: { policy: least-connections }",
                "proxy: { connectTimeout: 2s, responseTimeout: 500ms, preserveHost: true, retries: 2 }",
                "healthCheck: { path: /health, interval: 30s, timeout: 5s, healthyThreshold: 2, unhealthyThreshold: 3 }",
                "shutdownGrace: 25s",
                "zone: us-east-1a"),
            Map.of());
    assertThat(c.port).isEqualTo(8081);
    assertThat(c.adminPort).isZero();
    assertThat(c.routes)
        .containsExactly(
            Route.path("/services/{service}"),
            Route.host("catalog.example.com", "catalog"),
            Route.host("{service}.apps.example.com"),
            Route.path("/shop", "shop"));
    assertThat(c.lbPolicy).isEqualTo("least-connections");
    assertThat(c.discoverySettings)
        .containsEntry("namespace", "prod.local")
        .containsEntry("backendPort", "3001")
        .containsEntry("dnsServers", "127.0.0.1:15353")
        .containsEntry("dnsValid", "10s");
    assertThat(c.connectTimeout).isEqualTo(Duration.ofSeconds(2));
    assertThat(c.responseTimeout).isEqualTo(Duration.ofMillis(500));
    assertThat(c.preserveHost).isTrue();
    assertThat(c.retries).isEqualTo(2);
    assertThat(c.shutdownGrace).isEqualTo(Duration.ofSeconds(25));
    assertThat(c.zone).isEqualTo("us-east-1a");
    assertThat(c.healthCheckConfigured).isTrue();
  }

  @Test
  void environmentVariablesOverrideTheFile() {
    RouterConfig c =
        RouterConfig.parse(
            "port: 8081\nloadBalancing: { policy: weighted }\ndiscovery: { type: static }\n",
            Map.of(
                "WHALERAY_PORT", "9000",
                "WHALERAY_LB", "round-robin",
                "WHALERAY_DISCOVERY", "cloudmap-dns",
                "WHALERAY_NAMESPACE", "other.local",
                "WHALERAY_BACKEND_PORT", "4000",
                "WHALERAY_DNS_SERVERS", "169.254.169.253",
                "WHALERAY_DNS_VALID", "10s",
                "WHALERAY_SHUTDOWN_GRACE", "3s",
                "WHALERAY_ZONE", "eu-west-1b",
                "UNRELATED", "x"));
    assertThat(c.port).isEqualTo(9000);
    assertThat(c.lbPolicy).isEqualTo("round-robin");
    assertThat(c.discovery).isEqualTo("cloudmap-dns");
    assertThat(c.discoverySettings)
        .containsEntry("namespace", "other.local")
        .containsEntry("backendPort", "4000")
        .containsEntry("dnsServers", "169.254.169.253")
        .containsEntry("dnsValid", "10s");
    assertThat(c.shutdownGrace).isEqualTo(Duration.ofSeconds(3));
    assertThat(c.zone).isEqualTo("eu-west-1b");
  }

  @Test
  void errorsNameTheLineAndTheField() {
    assertThatThrownBy(() -> RouterConfig.parse("port: 8080\nprot: 1\n", Map.of()))
        .isInstanceOf(ConfigException.class)
        .hasMessageStartingWith("config line 2: prot: unknown key (expected one of: host, port,");
    assertThatThrownBy(() -> RouterConfig.parse("\n\nport: eighty\n", Map.of()))
        .hasMessage("config line 3: port: 'eighty' (expected: a number from 0 to 65535)");
    assertThatThrownBy(() -> RouterConfig.parse("port: 70000\n", Map.of()))
        .hasMessage("config line 1: port: '70000' (expected: a number from 0 to 65535)");
    assertThatThrownBy(() -> RouterConfig.parse("shutdownGrace: soon\n", Map.of()))
        .hasMessage(
            "config line 1: shutdownGrace: 'soon' (expected: a duration such as 500ms, 10s, 2m or"
                + " 1h)");
    assertThatThrownBy(
            () -> RouterConfig.parse("routes:\n  - path: /a\n  - path: services\n", Map.of()))
        .hasMessageStartingWith(
            "config line 2: routes[0]: service: route path=/a names no service");
    assertThatThrownBy(() -> RouterConfig.parse("routes:\n  - path: services\n", Map.of()))
        .hasMessage(
            "config line 2: routes[0]: path: 'services' (expected: a pattern starting with '/')");
    assertThatThrownBy(
            () -> RouterConfig.parse("routes:\n  - { path: /x, service: Bad_Name }\n", Map.of()))
        .hasMessageContaining("line 2: routes[0]: service: 'Bad_Name'");
    assertThatThrownBy(() -> RouterConfig.parse("proxy:\n  preserveHost: maybe\n", Map.of()))
        .hasMessage("config line 2: proxy.preserveHost: 'maybe' (expected: true or false)");
    assertThatThrownBy(() -> RouterConfig.parse("routes: {a: 1}\n", Map.of()))
        .hasMessage("config line 1: routes: expected a list, found a mapping");
    assertThatThrownBy(() -> RouterConfig.parse("port: [1\n", Map.of()))
        .hasMessageStartingWith("config line 2: not valid YAML:");
    assertThatThrownBy(() -> RouterConfig.parse("port: 1\nport: 2\n", Map.of()))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("port");
  }

  @Test
  void badEnvironmentValuesNameTheVariable() {
    assertThatThrownBy(() -> RouterConfig.parse("", Map.of("WHALERAY_PORT", "http")))
        .hasMessage("WHALERAY_PORT: 'http' (expected: a number from 0 to 65535)");
    assertThatThrownBy(() -> RouterConfig.parse("", Map.of("WHALERAY_SHUTDOWN_GRACE", "-1s")))
        .hasMessageStartingWith("WHALERAY_SHUTDOWN_GRACE: '-1s'");
    assertThatThrownBy(() -> RouterConfig.parse("", Map.of("WHALERAY_CONNECT_TIMEOUT", "0")))
        .hasMessage("WHALERAY_CONNECT_TIMEOUT: '0' (expected: more than 0)");
    assertThatThrownBy(() -> RouterConfig.parse("", Map.of("WHALERAY_SHUTDOWN_GRACE", "3000000h")))
        .hasMessage("WHALERAY_SHUTDOWN_GRACE: '3000000h' (expected: at most 24h)");
    assertThatThrownBy(() -> RouterConfig.parse("", Map.of("WHALERAY_BACKEND_PORT", "0")))
        .hasMessage("WHALERAY_BACKEND_PORT: '0' (expected: a number from 1 to 65535)");
  }

  @Test
  void readsTheAdminSectionAndItsVariables() {
    RouterConfig d = RouterConfig.parse("", Map.of());
    assertThat(d.admin.token).isNull();
    assertThat(d.admin.registry).isEqualTo("memory");
    RouterConfig f = RouterConfig.parse("admin: { token: abc123, registry: cloudmap }\n", Map.of());
    assertThat(f.admin.token).isEqualTo("abc123");
    assertThat(f.admin.registry).isEqualTo("cloudmap");
    assertThat(
            RouterConfig.parse("admin: { token: null, registry: memory }\n", Map.of()).admin.token)
        .isNull();
    RouterConfig e =
        RouterConfig.parse(
            "admin: { token: abc123 }\n",
            Map.of("WHALERAY_ADMIN_TOKEN", "from-env", "WHALERAY_REGISTRY", "cloudmap"));
    assertThat(e.admin.token).isEqualTo("from-env");
    assertThat(e.admin.registry).isEqualTo("cloudmap");
    assertThat(
            RouterConfig.parse("admin: { token: abc }\n", Map.of("WHALERAY_ADMIN_TOKEN", ""))
                .admin
                .token)
        .isNull();

    assertThatThrownBy(() -> RouterConfig.parse("port: 1\nadmin:\n  tokn: x\n", Map.of()))
        .isInstanceOf(ConfigException.class)
        .hasMessage("config line 3: admin.tokn: unknown key (expected one of: token, registry)");
    assertThatThrownBy(() -> RouterConfig.parse("admin:\n  registry: redis\n", Map.of()))
        .hasMessage("config line 2: admin.registry: 'redis' (expected: memory or cloudmap)");
    assertThatThrownBy(() -> RouterConfig.parse("admin:\n  token: \"a b\"\n", Map.of()))
        .hasMessageStartingWith("config line 2: admin.token: character 2 is not visible ASCII")
        .hasMessageNotContaining("a b");
    assertThatThrownBy(() -> RouterConfig.parse("admin: [ memory ]\n", Map.of()))
        .hasMessageStartingWith("config line 1: admin: expected a mapping");
    assertThatThrownBy(() -> RouterConfig.parse("", Map.of("WHALERAY_REGISTRY", "etcd")))
        .isInstanceOf(ConfigException.class)
        .hasMessage("WHALERAY_REGISTRY: 'etcd' (expected: memory or cloudmap)");
    assertThatThrownBy(() -> RouterConfig.parse("", Map.of("WHALERAY_ADMIN_TOKEN", "tab\there")))
        .isInstanceOf(ConfigException.class)
        .hasMessageStartingWith("WHALERAY_ADMIN_TOKEN: character 4 is not visible ASCII");
  }

  @Test
  void anEmptyFileMeansDefaults() {
    RouterConfig c = RouterConfig.parse("", Map.of());
    assertThat(c.port).isEqualTo(8080);
    assertThat(c.routes).hasSize(1);
    assertThat(List.of(c.discovery, c.lbPolicy)).containsExactly("static", "round-robin");
  }

  @Test
  void durationsParseLikeNginx() {
    assertThat(Durations.parse("f", "500ms")).isEqualTo(Duration.ofMillis(500));
    assertThat(Durations.parse("f", "10s")).isEqualTo(Duration.ofSeconds(10));
    assertThat(Durations.parse("f", "10")).isEqualTo(Duration.ofSeconds(10));
    assertThat(Durations.parse("f", "2m")).isEqualTo(Duration.ofMinutes(2));
    assertThat(Durations.parse("f", "1h")).isEqualTo(Duration.ofHours(1));
    assertThatThrownBy(() -> Durations.parse("f", "1d")).hasMessageStartingWith("f: '1d'");
    assertThatThrownBy(() -> Durations.parse("f", "")).hasMessageStartingWith("f: ''");
  }

  @Test
  void routesMayNameTheirOwnPolicy() {
    RouterConfig c =
        RouterConfig.parse(
            "routes:\n"
                + "  - path: /n/{service}\n"
                + "    loadBalancing: { policy: consistent-hash, hashKey: \"cookie:sid\" }\n"
                + "  - path: /services/{service}\n"
                + "loadBalancing: { policy: round-robin, slowStart: 10s }\n",
            Map.of());
    assertThat(c.routes.get(0).policy()).isEqualTo("consistent-hash");
    assertThat(c.routes.get(0).policyOptions()).containsEntry("hashKey", "cookie:sid");
    assertThat(c.routes.get(1).policy()).isNull();
    assertThat(c.lbOptions).containsEntry("slowStart", "10s");
  }

  @Test
  void unknownOptionsOfBuiltInPoliciesNameTheirLine() {
    assertThatThrownBy(() -> RouterConfig.parse("loadBalancing:\n  polcy: weighted\n", Map.of()))
        .hasMessage(
            "config line 2: loadBalancing.polcy: unknown key (expected one of: policy, slowStart,"
                + " zoneAware, zoneMinFraction, hashKey)");
    assertThatThrownBy(
            () ->
                RouterConfig.parse(
                    "loadBalancing: { policy: round-robin, hashKey: \"cookie:a\" }\n", Map.of()))
        .hasMessage(
            "config line 1: loadBalancing.hashKey: unknown key (expected one of: policy,"
                + " slowStart, zoneAware, zoneMinFraction for round-robin)");
    assertThatThrownBy(
            () ->
                RouterConfig.parse(
                    "loadBalancing: { policy: round-robin, slowStart: x }\n", Map.of()))
        .hasMessageStartingWith("config line 1: loadBalancing.policy: slowStart: 'x'");
  }

  @Test
  void unknownPoliciesNameTheirLine() {
    assertThatThrownBy(
            () ->
                RouterConfig.parse(
                    "routes:\n  - path: /n/{service}\n    loadBalancing: { policy: nope }\n",
                    Map.of()))
        .hasMessageStartingWith(
            "config line 3: routes[0].loadBalancing.policy: 'nope' is not available (expected"
                + " one of:");
    assertThatThrownBy(
            () ->
                RouterConfig.parse(
                    "routes:\n  - path: /n/{service}\n    loadBalancing: { hashKey: x }\n",
                    Map.of()))
        .hasMessageStartingWith("config line 3: routes[0].loadBalancing: missing policy");
    assertThatThrownBy(() -> RouterConfig.parse("\nloadBalancing: { policy: nope }\n", Map.of()))
        .hasMessageStartingWith("config line 2: loadBalancing.policy: 'nope' is not available");
    assertThatThrownBy(() -> RouterConfig.parse("", Map.of("WHALERAY_LB", "nope")))
        .hasMessageStartingWith("WHALERAY_LB: loadBalancing.policy: 'nope' is not available");
  }

  @Test
  void everyYamlExampleInTheReadmeIsValid() throws Exception {
    String readme = java.nio.file.Files.readString(java.nio.file.Path.of("../../README.md"));
    java.util.regex.Matcher m =
        java.util.regex.Pattern.compile("```yaml\n(.*?)```", java.util.regex.Pattern.DOTALL)
            .matcher(readme);
    int blocks = 0;
    while (m.find()) {
      RouterConfig c = RouterConfig.parse(m.group(1), Map.of());
      assertThat(c.routes).isNotEmpty();
      blocks++;
    }
    assertThat(blocks).isGreaterThanOrEqualTo(2);
  }

  @Test
  void readsRetriesAndTheirBudget() {
    RouterConfig defaults = RouterConfig.parse("port: 8080", Map.of());
    assertThat(defaults.retries).isEqualTo(2);
    assertThat(defaults.retryBudgetPercent).isEqualTo(20);
    RouterConfig c = RouterConfig.parse("retries: { attempts: 1, budgetPercent: 50 }", Map.of());
    assertThat(c.retries).isEqualTo(1);
    assertThat(c.retryBudgetPercent).isEqualTo(50);
    assertThatThrownBy(() -> RouterConfig.parse("retries: { attempts: 11 }", Map.of()))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("attempts");
  }

  @Test
  void readsRateLimitsForEveryServiceAndPerService() {
    assertThat(RouterConfig.parse("port: 8080", Map.of()).rateLimit).isNull();
    RouterConfig c =
        RouterConfig.parse(
            String.join(
                "\n",
                "rateLimit: { requestsPerSecond: 100, burst: 50 }",
                "services:",
                "  Catalog:",
                "    rateLimit: { requestsPerSecond: 10 }"),
            Map.of());
    assertThat(c.rateLimit).isEqualTo(dev.whaleray.router.core.RateLimit.of(100, 50));
    assertThat(c.serviceRateLimits)
        .containsExactly(Map.entry("catalog", dev.whaleray.router.core.RateLimit.of(10, 10)));
    RouterConfig env =
        RouterConfig.parse("port: 8080", Map.of("WHALERAY_RATE_LIMIT", "20/s burst=5"));
    assertThat(env.rateLimit).isEqualTo(dev.whaleray.router.core.RateLimit.of(20, 5));
    assertThatThrownBy(
            () -> RouterConfig.parse("port: 8080", Map.of("WHALERAY_RATE_LIMIT", "lots")))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("WHALERAY_RATE_LIMIT")
        .hasMessageContaining("100/s burst=50");
    RouterConfig perRoute =
        RouterConfig.parse(
            String.join(
                "\n",
                "routes:",
                "  - path: /search",
                "    service: catalog",
                "    rateLimit: { requestsPerSecond: 5, burst: 2 }",
                "  - path: /services/{service}"),
            Map.of());
    assertThat(perRoute.routes.get(0).rateLimitPerSecond()).isEqualTo(5.0);
    assertThat(perRoute.routes.get(0).rateLimitBurst()).isEqualTo(2);
    assertThat(perRoute.routes.get(1).rateLimitPerSecond()).isZero();
    assertThatThrownBy(() -> RouterConfig.parse("rateLimit: { burst: 5 }", Map.of()))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("requestsPerSecond");
    assertThatThrownBy(
            () ->
                RouterConfig.parse(
                    "services:\n  a.b:\n    rateLimit: { requestsPerSecond: 1 }", Map.of()))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("services.a.b");
    assertThatThrownBy(() -> RouterConfig.parse("services:\n  ab:\n    rateLimits: {}", Map.of()))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("rateLimits");
  }

  @Test
  void serviceUpstreamsNameTheirProtocolAndTls() {
    RouterConfig c =
        RouterConfig.parse(
            String.join(
                "\n",
                "services:",
                "  grpc:",
                "    upstream: { protocol: h2c }",
                "  secure:",
                "    upstream: { protocol: h2, trustStore: /certs/ca.pem, serverName: api.internal }",
                "  legacy:",
                "    upstream: { tls: true, verifyHostname: false }"),
            Map.of());
    dev.whaleray.router.undertow.UpstreamOptions grpc = c.serviceUpstreams.get("grpc");
    assertThat(grpc.protocol())
        .isEqualTo(dev.whaleray.router.undertow.UpstreamOptions.Protocol.H2C);
    assertThat(grpc.tls()).isFalse();
    dev.whaleray.router.undertow.UpstreamOptions secure = c.serviceUpstreams.get("secure");
    assertThat(secure.tls()).isTrue();
    assertThat(secure.trustStore()).isEqualTo(java.nio.file.Path.of("/certs/ca.pem"));
    assertThat(secure.serverName()).isEqualTo("api.internal");
    assertThat(secure.verifyHostname()).isTrue();
    dev.whaleray.router.undertow.UpstreamOptions legacy = c.serviceUpstreams.get("legacy");
    assertThat(legacy.protocol())
        .isEqualTo(dev.whaleray.router.undertow.UpstreamOptions.Protocol.HTTP1);
    assertThat(legacy.tls()).isTrue();
    assertThat(legacy.verifyHostname()).isFalse();

    assertThatThrownBy(
            () -> RouterConfig.parse("services:\n  x:\n    upstream: { protocol: h3 }", Map.of()))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("services.x.upstream")
        .hasMessageContaining("h3");
    assertThatThrownBy(
            () ->
                RouterConfig.parse(
                    "services:\n  x:\n    upstream: { protocol: h2c, tls: true }", Map.of()))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("h2c is cleartext");
    assertThatThrownBy(
            () ->
                RouterConfig.parse(
                    "services:\n  x:\n    upstream: { trustStore: /ca.pem }", Map.of()))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("need tls: true");
    assertThatThrownBy(
            () -> RouterConfig.parse("services:\n  x:\n    upstream: { protocl: h2c }", Map.of()))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("protocl");
  }

  @Test
  void accessLogTracingAndHttp2AreOnByDefaultAndCanBeTurnedOff() {
    RouterConfig defaults = RouterConfig.parse("port: 8080", Map.of());
    assertThat(defaults.accessLog).isTrue();
    assertThat(defaults.accessLogSample).isEqualTo(1.0);
    assertThat(defaults.createTraceparent).isTrue();
    assertThat(defaults.http2).isTrue();
    RouterConfig off =
        RouterConfig.parse(
            "accessLog: { enabled: false, sample: 0.25 }\n"
                + "tracing: { createTraceparent: false }\n"
                + "http2: { enabled: false }",
            Map.of());
    assertThat(off.accessLog).isFalse();
    assertThat(off.accessLogSample).isEqualTo(0.25);
    assertThat(off.createTraceparent).isFalse();
    assertThat(off.http2).isFalse();
    assertThat(RouterConfig.parse("", Map.of("WHALERAY_ACCESS_LOG", "false")).accessLog).isFalse();
    assertThatThrownBy(() -> RouterConfig.parse("", Map.of("WHALERAY_ACCESS_LOG", "no")))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("WHALERAY_ACCESS_LOG");
    assertThatThrownBy(() -> RouterConfig.parse("accessLog: { sample: 0 }", Map.of()))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("sample");
    assertThatThrownBy(() -> RouterConfig.parse("accessLog: { sample: lots }", Map.of()))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("lots");
    assertThatThrownBy(() -> RouterConfig.parse("tracing: { create: true }", Map.of()))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("create");
  }

  @Test
  void healthChecksAreOffUnlessEnabledOrThePathVariableIsSet() {
    RouterConfig configured =
        RouterConfig.parse(
            "healthCheck: { path: /ping, interval: 10s, timeout: 1s, healthyThreshold: 3, unhealthyThreshold: 4 }",
            Map.of());
    assertThat(configured.healthCheckConfigured).isTrue();
    assertThat(configured.healthCheck).isNull(); // DESIGN: off in the file unless enabled
    RouterConfig enabled =
        RouterConfig.parse(
            "healthCheck: { path: /ping, interval: 10s, timeout: 1s, healthyThreshold: 3, unhealthyThreshold: 4, enabled: true }",
            Map.of());
    assertThat(enabled.healthCheck.path()).isEqualTo("/ping");
    assertThat(enabled.healthCheck.interval()).isEqualTo(Duration.ofSeconds(10));
    assertThat(enabled.healthCheck.timeout()).isEqualTo(Duration.ofSeconds(1));
    assertThat(enabled.healthCheck.healthyThreshold()).isEqualTo(3);
    assertThat(enabled.healthCheck.unhealthyThreshold()).isEqualTo(4);
    // The variable turns checks on, with the file's other settings.
    RouterConfig byEnv =
        RouterConfig.parse(
            "healthCheck: { interval: 7s }", Map.of("WHALERAY_HEALTH_CHECK_PATH", "/health"));
    assertThat(byEnv.healthCheck.path()).isEqualTo("/health");
    assertThat(byEnv.healthCheck.interval()).isEqualTo(Duration.ofSeconds(7));
    assertThat(
            RouterConfig.parse("port: 1", Map.of("WHALERAY_HEALTH_CHECK_PATH", "/h")).healthCheck)
        .isNotNull();
    assertThatThrownBy(
            () -> RouterConfig.parse("port: 1", Map.of("WHALERAY_HEALTH_CHECK_PATH", "health")))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("WHALERAY_HEALTH_CHECK_PATH");
    assertThatThrownBy(() -> RouterConfig.parse("healthCheck: { path: ping }", Map.of()))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("healthCheck.path");
  }

  @Test
  void aServiceHasAHealthCheckOfItsOwnOverTheRouterWideOne() {
    RouterConfig c =
        RouterConfig.parse(
            String.join(
                "\n",
                "healthCheck: { path: /ping, interval: 10s, timeout: 1s, enabled: true }",
                "services:",
                "  db: { healthCheck: { mode: tcp, interval: 2s } }",
                "  Legacy: { healthCheck: { enabled: false } }",
                "  web: { healthCheck: { path: /ready } }",
                "listeners:",
                "  - { port: 2222, service: ssh, protocol: tcp }",
                "  - { port: 2223, service: db, protocol: tcp }",
                "  - { port: 8081, service: web }"),
            Map.of());
    HealthCheck db = c.serviceHealthChecks.get("db").orElseThrow();
    assertThat(db.mode()).isEqualTo(HealthCheck.Mode.TCP);
    assertThat(db.interval()).isEqualTo(Duration.ofSeconds(2));
    assertThat(db.timeout()).isEqualTo(Duration.ofSeconds(1)); // from the router-wide block
    assertThat(c.serviceHealthChecks.get("legacy")).isEmpty(); // names are lower case
    HealthCheck web = c.serviceHealthChecks.get("web").orElseThrow();
    assertThat(web.path()).isEqualTo("/ready");
    assertThat(web.mode()).isEqualTo(HealthCheck.Mode.HTTP);
    assertThat(web.interval()).isEqualTo(Duration.ofSeconds(10));

    // What the router uses: a TCP listener's service without a block of its own is checked by
    // TCP connect (ssh); one with a block keeps it (db); HTTP listeners change nothing.
    Map<String, HealthCheck> used = ReferenceRouter.serviceHealthChecks(c);
    assertThat(used.get("ssh").mode()).isEqualTo(HealthCheck.Mode.TCP);
    assertThat(used.get("ssh").interval()).isEqualTo(Duration.ofSeconds(10));
    assertThat(used.get("db")).isEqualTo(db);
    assertThat(used).containsEntry("legacy", null);
    assertThat(used.get("web")).isEqualTo(web);
    assertThat(used).containsOnlyKeys("ssh", "db", "legacy", "web");

    // A block on a service turns its checks on even when the router-wide ones are off.
    RouterConfig own =
        RouterConfig.parse("services:\n  db: { healthCheck: { mode: tcp } }", Map.of());
    assertThat(own.healthCheck).isNull();
    assertThat(own.serviceHealthChecks.get("db").orElseThrow().mode())
        .isEqualTo(HealthCheck.Mode.TCP);

    assertThatThrownBy(
            () -> RouterConfig.parse("services:\n  db: { healthCheck: { mode: udp } }", Map.of()))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("udp");
    assertThatThrownBy(
            () -> RouterConfig.parse("services:\n  db: { healthCheck: { path: ready } }", Map.of()))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("services.db.healthCheck.path");
    assertThatThrownBy(
            () -> RouterConfig.parse("services:\n  db: { healthCheck: { every: 1s } }", Map.of()))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("every");
  }

  @Test
  void healthCheckModeTcpForServicesThatSpeakNoHttp() {
    RouterConfig tcp =
        RouterConfig.parse(
            "healthCheck: { mode: TCP, interval: 3s, timeout: 1s, enabled: true }", Map.of());
    assertThat(tcp.healthCheck.mode()).isEqualTo(HealthCheck.Mode.TCP);
    assertThat(tcp.healthCheck.interval()).isEqualTo(Duration.ofSeconds(3));
    assertThat(tcp.healthCheck.timeout()).isEqualTo(Duration.ofSeconds(1));
    assertThat(RouterConfig.parse("healthCheck: { enabled: true }", Map.of()).healthCheck.mode())
        .isEqualTo(HealthCheck.Mode.HTTP);
    assertThat(
            RouterConfig.parse("healthCheck: { mode: http, enabled: true }", Map.of())
                .healthCheck
                .mode())
        .isEqualTo(HealthCheck.Mode.HTTP);
    // The path variable turns the file's checks on in the file's mode.
    assertThat(
            RouterConfig.parse(
                    "healthCheck: { mode: tcp }", Map.of("WHALERAY_HEALTH_CHECK_PATH", "/"))
                .healthCheck
                .mode())
        .isEqualTo(HealthCheck.Mode.TCP);
    // The mode variable sets the mode of checks turned on, and turns none on by itself.
    assertThat(
            RouterConfig.parse(
                    "healthCheck: { enabled: true }", Map.of("WHALERAY_HEALTH_CHECK_MODE", "tcp"))
                .healthCheck
                .mode())
        .isEqualTo(HealthCheck.Mode.TCP);
    assertThat(
            RouterConfig.parse("port: 1", Map.of("WHALERAY_HEALTH_CHECK_MODE", "tcp")).healthCheck)
        .isNull();
    assertThatThrownBy(() -> RouterConfig.parse("\nhealthCheck: { mode: ping }\n", Map.of()))
        .isInstanceOf(ConfigException.class)
        .hasMessage("config line 2: healthCheck.mode: 'ping' (expected: http or tcp)");
    assertThatThrownBy(
            () -> RouterConfig.parse("port: 1", Map.of("WHALERAY_HEALTH_CHECK_MODE", "icmp")))
        .isInstanceOf(ConfigException.class)
        .hasMessage("WHALERAY_HEALTH_CHECK_MODE: 'icmp' (expected: http or tcp)");
  }

  @Test
  void aCircuitBreakerOnceConfigured() {
    assertThat(RouterConfig.parse("port: 8080", Map.of()).circuitBreaker).isNull();
    RouterConfig c =
        RouterConfig.parse(
            "circuitBreaker: { failureRatePercent: 40, minimumRequests: 10, window: 5s, openFor: 3s }",
            Map.of());
    assertThat(c.circuitBreaker.failureRatePercent()).isEqualTo(40);
    assertThat(c.circuitBreaker.minimumRequests()).isEqualTo(10);
    assertThat(c.circuitBreaker.window()).isEqualTo(Duration.ofSeconds(5));
    assertThat(c.circuitBreaker.openFor()).isEqualTo(Duration.ofSeconds(3));
    assertThat(RouterConfig.parse("circuitBreaker: { enabled: false }", Map.of()).circuitBreaker)
        .isNull();
    assertThatThrownBy(() -> RouterConfig.parse("circuitBreaker: { failureRate: 40 }", Map.of()))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("failureRate");
  }

  @Test
  void readsOutlierDetectionOnByDefault() {
    RouterConfig defaults = RouterConfig.parse("port: 8080", Map.of());
    assertThat(defaults.outliers.enabled()).isTrue();
    assertThat(defaults.outliers.consecutiveFailures()).isEqualTo(5);
    assertThat(defaults.outliers.baseEjection()).isEqualTo(Duration.ofSeconds(30));
    assertThat(defaults.outliers.maxEjectedPercent()).isEqualTo(50);

    RouterConfig c =
        RouterConfig.parse(
            "outlierDetection: { consecutiveFailures: 3, baseEjection: 10s, maxEjectedPercent: 34 }",
            Map.of());
    assertThat(c.outliers.consecutiveFailures()).isEqualTo(3);
    assertThat(c.outliers.baseEjection()).isEqualTo(Duration.ofSeconds(10));
    assertThat(c.outliers.maxEjectedPercent()).isEqualTo(34);

    assertThat(
            RouterConfig.parse("outlierDetection: { enabled: false }", Map.of()).outliers.enabled())
        .isFalse();
    assertThatThrownBy(
            () -> RouterConfig.parse("outlierDetection: { maxEjectedPercent: 150 }", Map.of()))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("line 1")
        .hasMessageContaining("maxEjectedPercent");
    assertThatThrownBy(() -> RouterConfig.parse("outlierDetection: { consecutive: 3 }", Map.of()))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("consecutive");
  }

  @Test
  void readsEdgeTimeoutsAndLimits() {
    RouterConfig c =
        RouterConfig.parse(
            String.join(
                "\n",
                "timeouts: { connect: 2s, response: 30s, idle: 90s, clientHeader: 10s, clientBody: 20s }",
                "limits:",
                "  maxConnections: 5000",
                "  maxConnectionsPerClient: 100",
                "  maxRequests: 2000",
                "  maxBodySize: 10m",
                "  requestBuffer: 32k",
                "  minUploadRate: 1k",
                "routes:",
                "  - path: /upload",
                "    service: files",
                "    maxBodySize: 1g",
                "  - path: /services/{service}"),
            Map.of());
    assertThat(c.connectTimeout).isEqualTo(Duration.ofSeconds(2));
    assertThat(c.responseTimeout).isEqualTo(Duration.ofSeconds(30));
    assertThat(c.limits.idle).isEqualTo(Duration.ofSeconds(90));
    assertThat(c.limits.clientHeader).isEqualTo(Duration.ofSeconds(10));
    assertThat(c.limits.clientBody).isEqualTo(Duration.ofSeconds(20));
    assertThat(c.limits.maxConnections).isEqualTo(5000);
    assertThat(c.limits.maxConnectionsPerClient).isEqualTo(100);
    assertThat(c.limits.maxRequests).isEqualTo(2000);
    assertThat(c.limits.maxBodySize).isEqualTo(10L << 20);
    assertThat(c.limits.requestBuffer).isEqualTo(32 << 10);
    assertThat(c.limits.minUploadRate).isEqualTo(1024);
    assertThat(c.routes.get(0).maxBodySize()).isEqualTo(1L << 30);
    assertThat(c.routes.get(1).maxBodySize()).isEqualTo(-1);
  }

  @Test
  void edgeDefaultsAreSafe() {
    RouterConfig.Limits l = RouterConfig.defaults().limits;
    assertThat(l.clientHeader).isEqualTo(Duration.ofSeconds(30));
    assertThat(l.clientBody).isEqualTo(Duration.ofSeconds(60));
    assertThat(l.requestBuffer).isEqualTo(64 * 1024);
    assertThat(l.maxConnections).isEqualTo(10_000);
    assertThat(l.minUploadRate).isEqualTo(500);
  }

  @Test
  void badEdgeSettingsNameTheField() {
    assertThatThrownBy(() -> RouterConfig.parse("limits: { maxBodySize: 10x }", Map.of()))
        .hasMessageContaining("limits.maxBodySize")
        .hasMessageContaining("expected: a size");
    assertThatThrownBy(() -> RouterConfig.parse("timeouts: { clientHeadr: 1s }", Map.of()))
        .hasMessageContaining("clientHeadr")
        .hasMessageContaining("clientHeader");
    assertThatThrownBy(() -> RouterConfig.parse("timeouts: { clientBody: 0s }", Map.of()))
        .hasMessageContaining("timeouts.clientBody");
    assertThatThrownBy(() -> RouterConfig.parse("", Map.of("WHALERAY_MAX_BODY_SIZE", "lots")))
        .hasMessageContaining("WHALERAY_MAX_BODY_SIZE");
    assertThat(
            RouterConfig.parse(
                    "",
                    Map.of(
                        "WHALERAY_CLIENT_HEADER_TIMEOUT", "5s",
                        "WHALERAY_CLIENT_BODY_TIMEOUT", "7s",
                        "WHALERAY_MAX_CONNECTIONS", "100",
                        "WHALERAY_MAX_BODY_SIZE", "2m"))
                .limits
                .maxBodySize)
        .isEqualTo(2L << 20);
  }

  // listeners: extra frontends (issue 13)

  @Test
  void readsListeners() {
    RouterConfig c =
        RouterConfig.parse(
            "listeners:\n"
                + "  - { port: 2222, service: ssh, protocol: tcp }\n"
                + "  - { port: 8081, service: Catalog }\n",
            Map.of());
    assertThat(c.listeners)
        .extracting(l -> l.port() + " " + l.service() + " " + l.protocol())
        .containsExactly("2222 ssh tcp", "8081 catalog http");
    assertThat(RouterConfig.defaults().listeners).isEmpty();
    assertThat(c.withPort(0).listeners).isEqualTo(c.listeners);
  }

  @Test
  void listenerConnectionLimitsDefaultToTheLimitsSection() {
    RouterConfig c =
        RouterConfig.parse(
            "limits: { maxConnections: 300 }\n"
                + "listeners:\n"
                + "  - { port: 2222, service: ssh, protocol: tcp, maxConnections: 50 }\n"
                + "  - { port: 8081, service: catalog }\n",
            Map.of());
    assertThat(c.listeners)
        .extracting(l -> l.maxConnections(c.limits.maxConnections))
        .containsExactly(50, 300);
    assertThatThrownBy(
            () ->
                RouterConfig.parse(
                    "listeners:\n  - { port: 2222, service: ssh, maxConnections: 0 }\n", Map.of()))
        .isInstanceOf(ConfigException.class)
        .hasMessage(
            "config line 2: listeners[0].maxConnections: '0' (expected: a number from 1 to"
                + " 1000000)");
  }

  @Test
  void badListenersAreRefusedNamingLineAndField() {
    assertThatThrownBy(
            () ->
                RouterConfig.parse(
                    "listeners:\n  - { port: 2222, service: ssh, proto: tcp }\n", Map.of()))
        .isInstanceOf(ConfigException.class)
        .hasMessageStartingWith("config line 2: listeners[0].proto: unknown key");
    assertThatThrownBy(
            () ->
                RouterConfig.parse(
                    "listeners:\n  - { port: 2222, service: ssh, protocol: udp }\n", Map.of()))
        .hasMessage("config line 2: listeners[0].protocol: 'udp' (expected: http or tcp)");
    assertThatThrownBy(() -> RouterConfig.parse("listeners:\n  - { port: 2222 }\n", Map.of()))
        .hasMessageStartingWith("config line 2: listeners[0]: service missing");
    assertThatThrownBy(() -> RouterConfig.parse("listeners:\n  - { service: ssh }\n", Map.of()))
        .hasMessageStartingWith("config line 2: listeners[0]: port missing");
    assertThatThrownBy(
            () -> RouterConfig.parse("listeners:\n  - { port: 0, service: ssh }\n", Map.of()))
        .hasMessage("config line 2: listeners[0].port: '0' (expected: a number from 1 to 65535)");
    assertThatThrownBy(
            () ->
                RouterConfig.parse("listeners:\n  - { port: 2222, service: Bad_Name }\n", Map.of()))
        .hasMessageContaining("line 2: listeners[0].service: 'Bad_Name'");
    assertThatThrownBy(
            () ->
                RouterConfig.parse(
                    "listeners:\n  - { port: 2222, service: a }\n  - { port: 2222, service: b }\n",
                    Map.of()))
        .hasMessageStartingWith(
            "config line 3: listeners[1].port: 2222 is already the port of the listener for a");
  }

  @Test
  void listenerPortsMayNotClashWithTheRoutersPorts() {
    assertThatThrownBy(
            () -> RouterConfig.parse("listeners:\n  - { port: 8080, service: a }\n", Map.of()))
        .isInstanceOf(ConfigException.class)
        .hasMessage(
            "config line 2: listeners[0].port: 8080 is the router's port too (expected: a port of"
                + " its own)");
    assertThatThrownBy(
            () ->
                RouterConfig.parse(
                    "adminPort: 9000\nlisteners:\n  - { port: 9000, service: a, protocol: tcp }\n",
                    Map.of()))
        .hasMessageContaining("listeners[0].port: 9000 is the admin port too");
    assertThatThrownBy(
            () ->
                RouterConfig.parse(
                    "listeners:\n  - { port: 7000, service: a }\n",
                    Map.of("WHALERAY_PORT", "7000")))
        .hasMessageContaining("listeners[0].port: 7000 is the router's port too");
  }

  @Test
  void readsTheTlsSectionAndItsVariables() {
    assertThat(RouterConfig.parse("port: 8080", Map.of()).tls.enabled()).isFalse();
    RouterConfig c =
        RouterConfig.parse(
            String.join(
                "\n",
                "tls:",
                "  port: 9443",
                "  certificates:",
                "    - { cert: /certs/a.pem, key: /certs/a.key }",
                "    - { cert: /certs/b.pem, key: /certs/b.key }",
                "  protocols: [ TLSv1.3 ]",
                "  redirectHttp: true"),
            Map.of());
    assertThat(c.tls.enabled()).isTrue();
    assertThat(c.tls.port).isEqualTo(9443);
    assertThat(c.tls.certs)
        .containsExactly(
            java.nio.file.Path.of("/certs/a.pem"), java.nio.file.Path.of("/certs/b.pem"));
    assertThat(c.tls.keys)
        .containsExactly(
            java.nio.file.Path.of("/certs/a.key"), java.nio.file.Path.of("/certs/b.key"));
    assertThat(c.tls.protocols).containsExactly("TLSv1.3");
    assertThat(c.tls.redirectHttp).isTrue();
    dev.whaleray.router.undertow.TlsOptions options = c.tls.options("/health", true);
    assertThat(options.port()).isEqualTo(9443);
    assertThat(options.redirectExemptPath()).isEqualTo("/health");

    // One pair from the environment, in place of the file's; the port too.
    RouterConfig e =
        RouterConfig.parse(
            "tls: { certificates: [ { cert: /certs/a.pem, key: /certs/a.key } ] }",
            Map.of(
                "WHALERAY_TLS_PORT", "8444",
                "WHALERAY_TLS_CERT", "/run/secrets/tls.pem",
                "WHALERAY_TLS_KEY", "/run/secrets/tls.key"));
    assertThat(e.tls.port).isEqualTo(8444);
    assertThat(e.tls.certs).containsExactly(java.nio.file.Path.of("/run/secrets/tls.pem"));
    assertThat(e.tls.keys).containsExactly(java.nio.file.Path.of("/run/secrets/tls.key"));
    assertThat(e.tls.protocols).containsExactly("TLSv1.3", "TLSv1.2");
    assertThat(e.tls.redirectHttp).isFalse();
    RouterConfig envOnly =
        RouterConfig.parse("", Map.of("WHALERAY_TLS_CERT", "/c.pem", "WHALERAY_TLS_KEY", "/c.key"));
    assertThat(envOnly.tls.port).isEqualTo(8443);
    assertThat(envOnly.tls.enabled()).isTrue();
  }

  @Test
  void tlsErrorsNameTheLineOrVariableAndTheField() {
    assertThatThrownBy(() -> RouterConfig.parse("tls:\n  prot: 1\n", Map.of()))
        .isInstanceOf(ConfigException.class)
        .hasMessageStartingWith("config line 2: tls.prot: unknown key");
    assertThatThrownBy(
            () -> RouterConfig.parse("tls:\n  certificates:\n    - { cert: /a.pem }\n", Map.of()))
        .isInstanceOf(ConfigException.class)
        .hasMessageStartingWith("config line 3: tls.certificates[0]")
        .hasMessageContaining("key missing");
    assertThatThrownBy(
            () ->
                RouterConfig.parse(
                    "tls:\n  certificates: [ { cert: /a.pem, key: /a.key, pass: x } ]\n", Map.of()))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("line 2")
        .hasMessageContaining("pass: unknown key");
    assertThatThrownBy(
            () ->
                RouterConfig.parse(
                    "tls:\n  certificates: [ { cert: /a.pem, key: /a.key } ]\n"
                        + "  protocols: [ TLSv1.3, TLSv1.1 ]\n",
                    Map.of()))
        .isInstanceOf(ConfigException.class)
        .hasMessageStartingWith("config line 3: tls.protocols: TLSv1.1 (expected: TLSv1.3 or");
    assertThatThrownBy(() -> RouterConfig.parse("tls:\n  redirectHttp: maybe\n", Map.of()))
        .hasMessage("config line 2: tls.redirectHttp: 'maybe' (expected: true or false)");
    assertThatThrownBy(() -> RouterConfig.parse("tls:\n  port: 0\n", Map.of()))
        .hasMessageStartingWith("config line 2: tls.port: '0'");
    assertThatThrownBy(() -> RouterConfig.parse("tls:\n  certificates: []\n", Map.of()))
        .hasMessageStartingWith("config line 2: tls.certificates: empty");
    assertThatThrownBy(() -> RouterConfig.parse("tls: { port: 9443 }\n", Map.of()))
        .isInstanceOf(ConfigException.class)
        .hasMessageStartingWith("tls: no certificate");
    assertThatThrownBy(
            () ->
                RouterConfig.parse(
                    "port: 9443\ntls: { port: 9443, certificates: [ { cert: a, key: b } ] }\n",
                    Map.of()))
        .hasMessageStartingWith("tls.port: 9443 is also the plain port");
    assertThatThrownBy(() -> RouterConfig.parse("", Map.of("WHALERAY_TLS_CERT", "/c.pem")))
        .isInstanceOf(ConfigException.class)
        .hasMessageStartingWith("WHALERAY_TLS_KEY: missing");
    assertThatThrownBy(() -> RouterConfig.parse("", Map.of("WHALERAY_TLS_PORT", "https")))
        .hasMessage("WHALERAY_TLS_PORT: 'https' (expected: a number from 1 to 65535)");
    assertThatThrownBy(() -> RouterConfig.parse("", Map.of("WHALERAY_TLS_PORT", "8443")))
        .hasMessageStartingWith("tls: no certificate");
  }

  @Test
  void warmupIsOffByDefaultAndReadFromTheFileOrTheVariableUpToFiveMinutes() {
    assertThat(RouterConfig.parse("", Map.of()).warmup()).isZero();
    assertThat(RouterConfig.parse("warmup: 10s\n", Map.of()).warmup())
        .isEqualTo(Duration.ofSeconds(10));
    assertThat(RouterConfig.parse("warmup: 10s\n", Map.of("WHALERAY_WARMUP", "2500ms")).warmup())
        .isEqualTo(Duration.ofMillis(2500));
    assertThat(RouterConfig.parse("", Map.of("WHALERAY_WARMUP", "5m")).warmup())
        .isEqualTo(Duration.ofMinutes(5));
    assertThatThrownBy(() -> RouterConfig.parse("\nwarmup: 6m\n", Map.of()))
        .isInstanceOf(ConfigException.class)
        .hasMessage("config line 2: warmup: '6m' (expected: at most 5m)");
    assertThatThrownBy(() -> RouterConfig.parse("", Map.of("WHALERAY_WARMUP", "301s")))
        .isInstanceOf(ConfigException.class)
        .hasMessage("WHALERAY_WARMUP: '301s' (expected: at most 5m)");
    assertThatThrownBy(() -> RouterConfig.parse("", Map.of("WHALERAY_WARMUP", "soon")))
        .isInstanceOf(ConfigException.class)
        .hasMessageStartingWith("WHALERAY_WARMUP: 'soon'");
  }

  @Test
  void theWarmupCopyListensOnLoopbackWithTheDefaultRouteAndKeepsTheHandlerSettings() {
    RouterConfig c =
        RouterConfig.parse(
            "port: 8081\nroutes:\n  - host: \"{service}.apps.example.com\"\n"
                + "accessLog: { enabled: false }\nproxy: { retries: 4 }\n"
                + "listeners:\n  - { port: 5432, service: db, protocol: tcp }\n"
                + "rateLimit: { requestsPerSecond: 100, burst: 50 }\n"
                + "limits: { maxConnections: 2, maxConnectionsPerClient: 1 }\n"
                + "services:\n  demo:\n    rateLimit: { requestsPerSecond: 10 }\n",
            Map.of());
    RouterConfig w = c.forWarmup();
    assertThat(w.host).isEqualTo("127.0.0.1");
    assertThat(w.port).isZero();
    assertThat(w.routes()).hasSize(1);
    assertThat(w.routes().get(0).toString()).contains("/services/{service}");
    assertThat(w.listeners).isEmpty();
    assertThat(w.accessLog).isFalse();
    assertThat(w.retries).isEqualTo(4);
    // Nothing that would turn the warm-up's requests away: they are not clients'.
    assertThat(w.rateLimit).isNull();
    assertThat(w.serviceRateLimits).isEmpty();
    assertThat(w.limits.maxConnections).isEqualTo(64);
    assertThat(w.limits.maxConnectionsPerClient).isZero();
    // The original is untouched.
    assertThat(c.listeners).hasSize(1);
    assertThat(c.rateLimit).isNotNull();
    assertThat(c.serviceRateLimits).containsKey("demo");
    assertThat(c.limits.maxConnectionsPerClient).isEqualTo(1);
  }
}
