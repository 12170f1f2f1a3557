package dev.whaleray.reference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.core.SdkField;
import software.amazon.awssdk.core.SdkPojo;
import software.amazon.awssdk.core.protocol.MarshallingType;
import software.amazon.awssdk.core.traits.ListTrait;
import software.amazon.awssdk.core.traits.MapTrait;
import software.amazon.awssdk.services.ecs.model.Compatibility;
import software.amazon.awssdk.services.ecs.model.ContainerDefinition;
import software.amazon.awssdk.services.ecs.model.LogDriver;
import software.amazon.awssdk.services.ecs.model.NetworkMode;
import software.amazon.awssdk.services.ecs.model.PortMapping;
import software.amazon.awssdk.services.ecs.model.RegisterTaskDefinitionRequest;
import software.amazon.awssdk.services.ecs.model.TransportProtocol;
import software.amazon.awssdk.utils.builder.SdkBuilder;

/**
 * {@code ecs/task-definition.json} is a RegisterTaskDefinition request (what {@code aws ecs
 * register-task-definition --cli-input-json} sends). It is read here member by member through the
 * AWS SDK's own model of that request ({@link RegisterTaskDefinitionRequest#sdkFields()}, the
 * member names and types of the published ECS API model): an unknown member, a wrong type, or an
 * enum value the model does not know fails, naming the JSON path. Then the router's needs: bridge
 * mode, a dynamic host port for the router's port, a stopTimeout within ECS's limits that outlasts
 * the router's drain and grace.
 */
class EcsTaskDefinitionTest {

  static final Path TASK_DEFINITION = Path.of("ecs/task-definition.json");

  static RegisterTaskDefinitionRequest request;
  static JsonNode json;

  @BeforeAll
  static void read() throws IOException {
    json = new ObjectMapper().readTree(Files.readString(TASK_DEFINITION));
    request =
        (RegisterTaskDefinitionRequest) pojo(json, RegisterTaskDefinitionRequest::builder, "$");
  }

  @Test
  void requiredMembersArePresent() {
    // Required in the API model: family and containerDefinitions; ECS refuses a container
    // without name or image.
    assertNotNull(request.family(), "family");
    assertTrue(
        request.hasContainerDefinitions() && !request.containerDefinitions().isEmpty(),
        "containerDefinitions");
    for (ContainerDefinition c : request.containerDefinitions()) {
      assertNotNull(c.name(), "containerDefinitions[].name");
      assertNotNull(c.image(), "containerDefinitions[].image of " + c.name());
    }
  }

  @Test
  void bridgeModeOnEc2WithDynamicHostPortForTheRouter() {
    assertEquals(NetworkMode.BRIDGE, request.networkMode());
    assertEquals(List.of(Compatibility.EC2), request.requiresCompatibilities());
    ContainerDefinition router = router();
    int port = RouterConfig.defaults().port();
    PortMapping traffic =
        router.portMappings().stream()
            .filter(m -> m.containerPort() == port)
            .findFirst()
            .orElseThrow(() -> new AssertionError("no portMapping for the router's port " + port));
    assertEquals(0, traffic.hostPort(), "hostPort of " + port + " (0: a dynamic host port)");
    for (PortMapping m : router.portMappings()) {
      assertEquals(0, m.hostPort(), "hostPort of " + m.containerPort());
      assertEquals(TransportProtocol.TCP, m.protocol(), "protocol of " + m.containerPort());
    }
    assertEquals(LogDriver.AWSLOGS, router.logConfiguration().logDriver());
  }

  @Test
  void stopTimeoutOutlastsTheDrain() {
    ContainerDefinition router = router();
    assertNotNull(router.stopTimeout(), "stopTimeout");
    // ECS: at most 120 s (EC2 and Fargate alike).
    assertTrue(
        router.stopTimeout() >= 2 && router.stopTimeout() <= 120,
        "stopTimeout " + router.stopTimeout() + " outside 2-120");
    Map<String, String> env =
        router.environment().stream().collect(Collectors.toMap(kv -> kv.name(), kv -> kv.value()));
    RouterConfig config = RouterConfig.load(null, env);
    long drainAndGrace = config.shutdownDrain.plus(config.shutdownGrace).toSeconds();
    assertTrue(
        router.stopTimeout() > drainAndGrace,
        "stopTimeout "
            + router.stopTimeout()
            + " s must exceed WHALERAY_SHUTDOWN_DRAIN + "
            + "WHALERAY_SHUTDOWN_GRACE = "
            + drainAndGrace
            + " s, or ECS kills the drain");
    assertNotNull(router.healthCheck(), "healthCheck");
  }

  @Test
  void anUnknownMemberOrWrongTypeIsNamed() throws IOException {
    ObjectMapper m = new ObjectMapper();
    AssertionError unknown =
        org.junit.jupiter.api.Assertions.assertThrows(
            AssertionError.class,
            () ->
                pojo(
                    m.readTree(
                        "{\"family\":\"f\",\"containerDefinitions\":[{\"name\":\"a\","
                            + "\"portMapings\":[]}]}"),
                    RegisterTaskDefinitionRequest::builder,
                    "$"));
    assertTrue(
        unknown.getMessage().contains("$.containerDefinitions[0].portMapings"),
        unknown.getMessage());
    AssertionError type =
        org.junit.jupiter.api.Assertions.assertThrows(
            AssertionError.class,
            () ->
                pojo(
                    m.readTree("{\"containerDefinitions\":[{\"stopTimeout\":\"30\"}]}"),
                    RegisterTaskDefinitionRequest::builder,
                    "$"));
    assertTrue(
        type.getMessage().contains("$.containerDefinitions[0].stopTimeout"), type.getMessage());
    AssertionError enumValue =
        org.junit.jupiter.api.Assertions.assertThrows(
            AssertionError.class,
            () ->
                pojo(
                    m.readTree("{\"networkMode\":\"bridged\"}"),
                    RegisterTaskDefinitionRequest::builder,
                    "$"));
    assertTrue(enumValue.getMessage().contains("$.networkMode"), enumValue.getMessage());
  }

  static ContainerDefinition router() {
    return request.containerDefinitions().stream()
        .filter(
            c ->
                c.portMappings().stream()
                    .anyMatch(m -> m.containerPort() == RouterConfig.defaults().port()))
        .findFirst()
        .orElseThrow(() -> new AssertionError("no container maps the router's port"));
  }

  /** A model object from JSON, member by member through the SDK's field list. */
  static Object pojo(JsonNode node, Supplier<? extends SdkPojo> builderSupplier, String at) {
    if (!node.isObject()) {
      fail(at + ": expected an object, got " + node.getNodeType());
    }
    SdkPojo builder = builderSupplier.get();
    Map<String, SdkField<?>> fields = new LinkedHashMap<>();
    for (SdkField<?> f : builder.sdkFields()) {
      fields.put(f.locationName(), f);
    }
    for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> e = it.next();
      SdkField<?> f = fields.get(e.getKey());
      if (f == null) {
        fail(
            at
                + "."
                + e.getKey()
                + ": not a member of the ECS API model here (known: "
                + fields.keySet()
                + ")");
      }
      Object value = value(e.getValue(), f, at + "." + e.getKey());
      f.set(builder, value);
      checkEnum(builder, f, at + "." + e.getKey(), e.getValue());
    }
    return ((SdkBuilder<?, ?>) builder).build();
  }

  /** A string member with an enum type (getter "xxx()" returning an enum): a known value. */
  private static void checkEnum(SdkPojo builder, SdkField<?> f, String at, JsonNode raw) {
    if (f.marshallingType() != MarshallingType.STRING) {
      return;
    }
    Object built = ((SdkBuilder<?, ?>) builder).build();
    String getter = Character.toLowerCase(f.memberName().charAt(0)) + f.memberName().substring(1);
    try {
      Object v = built.getClass().getMethod(getter).invoke(built);
      if (v instanceof Enum<?> en && en.name().equals("UNKNOWN_TO_SDK_VERSION")) {
        fail(
            at
                + ": '"
                + raw.asText()
                + "' is not one of "
                + java.util.Arrays.stream(en.getDeclaringClass().getEnumConstants())
                    .filter(c -> c != en)
                    .map(String::valueOf)
                    .toList());
      }
    } catch (ReflectiveOperationException e) {
      // no typed getter: a plain string
    }
  }

  private static Object value(JsonNode v, SdkField<?> f, String at) {
    MarshallingType<?> t = f.marshallingType();
    if (v.isNull()) {
      return null;
    }
    if (t == MarshallingType.STRING) {
      return expect(v.isTextual(), v.asText(), at, "a string", v);
    }
    if (t == MarshallingType.INTEGER) {
      return expect(v.isInt(), v.asInt(), at, "an integer", v);
    }
    if (t == MarshallingType.LONG) {
      return expect(v.isIntegralNumber(), v.asLong(), at, "an integer", v);
    }
    if (t == MarshallingType.BOOLEAN) {
      return expect(v.isBoolean(), v.asBoolean(), at, "true or false", v);
    }
    if (t == MarshallingType.DOUBLE) {
      return expect(v.isNumber(), v.asDouble(), at, "a number", v);
    }
    if (t == MarshallingType.LIST) {
      if (!v.isArray()) {
        fail(at + ": expected a list, got " + v.getNodeType());
      }
      SdkField<?> member = f.getTrait(ListTrait.class).memberFieldInfo();
      List<Object> out = new ArrayList<>();
      for (int i = 0; i < v.size(); i++) {
        out.add(value(v.get(i), member, at + "[" + i + "]"));
      }
      return out;
    }
    if (t == MarshallingType.MAP) {
      if (!v.isObject()) {
        fail(at + ": expected a map, got " + v.getNodeType());
      }
      SdkField<?> member = f.getTrait(MapTrait.class).valueFieldInfo();
      Map<String, Object> out = new LinkedHashMap<>();
      v.fields()
          .forEachRemaining(
              e -> out.put(e.getKey(), value(e.getValue(), member, at + "." + e.getKey())));
      return out;
    }
    if (t == MarshallingType.SDK_POJO) {
      return pojo(v, f.constructor(), at);
    }
    throw new AssertionError(at + ": member type " + t + " not handled by this test");
  }

  private static Object expect(boolean ok, Object value, String at, String what, JsonNode v) {
    if (!ok) {
      fail(at + ": expected " + what + ", got " + v.getNodeType() + " " + v);
    }
    return value;
  }
}
