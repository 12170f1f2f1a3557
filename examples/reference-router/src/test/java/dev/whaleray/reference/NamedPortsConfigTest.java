package dev.whaleray.reference;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Named ports (issue #16) in the YAML routes and listeners and in the admin API's body. */
class NamedPortsConfigTest {

  @Test
  void routesTakeAPortAndPortTemplates() {
    RouterConfig c =
        RouterConfig.parse(
            "routes:\n"
                + "  - { host: metrics.example.com, service: demo, port: metrics }\n"
                + "  - { path: \"/grpc/{service}\", port: 50051 }\n"
                + "  - host: \"{port}--{service}.apps.example.com\"\n"
                + "  - path: /services/{service}\n",
            Map.of());
    assertThat(c.routes.get(0).port()).isEqualTo("metrics");
    assertThat(c.routes.get(1).port()).isEqualTo("50051");
    assertThat(c.routes.get(2).port()).isNull();
    assertThat(c.routes.get(3).port()).isNull();
  }

  @Test
  void aBadRoutePortNamesTheKey() {
    assertThatThrownBy(
            () ->
                RouterConfig.parse(
                    "routes:\n  - { path: \"/m/{service}\", port: Bad_Port }\n", Map.of()))
        .isInstanceOf(ConfigException.class)
        .hasMessage(
            "config line 2: routes[0].port: 'Bad_Port' (expected: a port name of [a-z0-9-] starting"
                + " with a letter, such as metrics, or a port number 1-65535)");
    assertThatThrownBy(
            () ->
                RouterConfig.parse(
                    "routes:\n  - { path: \"/m/{service}\", port: 70000 }\n", Map.of()))
        .hasMessageStartingWith("config line 2: routes[0].port: '70000'");
    assertThatThrownBy(
            () ->
                RouterConfig.parse(
                    "routes:\n  - { path: \"/m/{service}:{port}\", port: grpc }\n", Map.of()))
        .hasMessageContaining(
            "routes[0].port: port: route path=/m/{service}:{port} names its port"
                + " more than once");
  }

  @Test
  void listenersTakeAServicePort() {
    RouterConfig c =
        RouterConfig.parse(
            "listeners:\n"
                + "  - { port: 50051, service: demo, protocol: tcp, servicePort: grpc }\n"
                + "  - { port: 9100, service: demo, servicePort: Metrics }\n"
                + "  - { port: 8081, service: catalog }\n",
            Map.of());
    assertThat(c.listeners)
        .extracting(ListenerSettings.Listener::servicePort)
        .containsExactly("grpc", "metrics", null);
  }

  @Test
  void aBadListenerServicePortNamesTheKey() {
    assertThatThrownBy(
            () ->
                RouterConfig.parse(
                    "listeners:\n  - { port: 2222, service: ssh, servicePort: a_b }\n", Map.of()))
        .isInstanceOf(ConfigException.class)
        .hasMessageStartingWith("config line 2: listeners[0].servicePort: 'a_b' (expected:");
  }

  private final AdminInput input = new AdminInput(new ObjectMapper());

  private AdminInput.Body body(String json) throws AdminInput.BadInput {
    return input.body(json.getBytes(StandardCharsets.UTF_8));
  }

  @Test
  void adminBodyTakesPorts() throws Exception {
    assertThat(body("{\"ttl\":\"30s\",\"ports\":{\"metrics\":9100,\"grpc\":50051}}").ports())
        .containsExactly(Map.entry("grpc", 50051), Map.entry("metrics", 9100));
    assertThat(body("{\"ttl\":\"30s\"}").ports()).isEmpty();
    assertThat(body("").ports()).isEmpty();
    assertThat(body("{\"ports\":null}").ports()).isEmpty();
  }

  @Test
  void badAdminPortsAre400NamingTheField() {
    String[][] cases = {
      {"{\"ports\":[9100]}", "ports: [9100] (expected: an object such as {\"metrics\":9100})"},
      {
        "{\"ports\":{\"Bad_Name\":9100}}",
        "ports: name 'Bad_Name' (expected: 1-31 of [a-z0-9-] starting with a letter, e.g."
            + " \"metrics\")"
      },
      {"{\"ports\":{\"metrics\":0}}", "ports.metrics: 0 (expected: a port number from 1 to 65535)"},
      {
        "{\"ports\":{\"metrics\":\"9100\"}}",
        "ports.metrics: \"9100\" (expected: a port number from 1 to 65535)"
      },
      {
        "{\"ports\":{\"metrics\":70000}}",
        "ports.metrics: 70000 (expected: a port number from 1 to 65535)"
      },
    };
    for (String[] c : cases) {
      assertThatThrownBy(() -> body(c[0]))
          .as(c[0])
          .isInstanceOf(AdminInput.BadInput.class)
          .hasMessage(c[1])
          .satisfies(
              e ->
                  assertThat(c[1])
                      .startsWith(((AdminInput.BadInput) e).field() + ":")
                      .startsWith("ports"));
    }
  }
}
