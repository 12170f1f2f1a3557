package dev.whaleray.reference;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.whaleray.router.Endpoint;
import dev.whaleray.router.settings.Durations;
import java.io.IOException;
import java.time.Duration;
import java.util.Iterator;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.jspecify.annotations.Nullable;

/**
 * Reads and checks what an admin write sends: the service and {@code host:port} in the path, and
 * the JSON body {@code {"ttl":"30s","weight":1,"zone":"us-east-1a","ports":{"metrics":9100}}}
 * (every field optional: 30 s, weight 1, no zone, no named ports). Each refusal names its field.
 * Stateless.
 */
final class AdminInput {
  static final int MAX_BODY = 64 * 1024;
  static final Duration DEFAULT_TTL = Duration.ofSeconds(30);
  static final Duration MIN_TTL = Duration.ofSeconds(1);
  static final Duration MAX_TTL = Duration.ofHours(24);
  private static final Set<String> FIELDS = Set.of("ttl", "weight", "zone", "ports");

  private final ObjectMapper json;

  AdminInput(ObjectMapper json) {
    this.json = json;
  }

  /** The service and endpoint a write names. */
  record Target(String service, Endpoint endpoint) {
    @Override
    public String toString() {
      return service + " " + endpoint.authority();
    }
  }

  /** The body's values, defaults filled in. */
  record Body(Duration ttl, int weight, @Nullable String zone, Map<String, Integer> ports) {}

  /** A refusal naming the field; its message is {@code field: 'value' (expected: ...)}. */
  static final class BadInput extends Exception {
    private final String field;

    BadInput(String field, String message) {
      super(message, null, false, false);
      this.field = field;
    }

    /** From a message of the form {@code field: ...} (Endpoint's and Durations' messages). */
    static BadInput of(@Nullable String message) {
      String m = String.valueOf(message);
      int colon = m.indexOf(": ");
      return new BadInput(colon > 0 ? m.substring(0, colon) : "request", m);
    }

    String field() {
      return field;
    }
  }

  Target target(String serviceText, String addressText) throws BadInput {
    String service = serviceText.toLowerCase(Locale.ROOT);
    if (!service.matches("[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?")) {
      throw new BadInput(
          "service",
          "service: '"
              + serviceText
              + "' (expected: a DNS label, 1-63 letters, digits and '-', not starting or ending"
              + " with '-')");
    }
    try {
      return new Target(service, Endpoint.parse(addressText));
    } catch (IllegalArgumentException e) {
      throw BadInput.of(e.getMessage());
    }
  }

  Body body(byte[] bytes) throws BadInput {
    if (bytes.length > MAX_BODY) {
      throw new BadInput("body", "body: over " + MAX_BODY + " bytes");
    }
    if (new String(bytes, java.nio.charset.StandardCharsets.UTF_8).isBlank()) {
      return new Body(DEFAULT_TTL, Endpoint.DEFAULT_WEIGHT, null, Map.of());
    }
    JsonNode root;
    try {
      root = json.readTree(bytes);
    } catch (IOException e) {
      throw new BadInput("body", "body: not valid JSON (expected: {\"ttl\":\"30s\",\"weight\":1})");
    }
    if (root == null || !root.isObject()) {
      throw new BadInput("body", "body: expected a JSON object such as {\"ttl\":\"30s\"}");
    }
    for (Iterator<String> names = root.fieldNames(); names.hasNext(); ) {
      String name = names.next();
      if (!FIELDS.contains(name)) {
        throw new BadInput(
            name, name + ": unknown field (expected one of: ttl, weight, zone, ports)");
      }
    }
    return new Body(
        ttl(root.get("ttl")),
        weight(root.get("weight")),
        zone(root.get("zone")),
        ports(root.get("ports")));
  }

  private static Duration ttl(@Nullable JsonNode node) throws BadInput {
    if (node == null || node.isNull()) {
      return DEFAULT_TTL;
    }
    String text;
    if (node.isTextual()) {
      text = node.textValue();
    } else if (node.isIntegralNumber()) {
      text = node.asText(); // a bare number is seconds
    } else {
      throw new BadInput("ttl", "ttl: " + node + " (expected: a duration such as \"30s\")");
    }
    try {
      return Durations.parse("ttl", text, MIN_TTL, MAX_TTL);
    } catch (IllegalArgumentException e) {
      throw new BadInput("ttl", String.valueOf(e.getMessage()));
    }
  }

  private static int weight(@Nullable JsonNode node) throws BadInput {
    if (node == null || node.isNull()) {
      return Endpoint.DEFAULT_WEIGHT;
    }
    if (!node.isIntegralNumber()
        || !node.canConvertToInt()
        || node.intValue() < 0
        || node.intValue() > Endpoint.MAX_WEIGHT) {
      throw new BadInput(
          "weight",
          "weight: " + node + " (expected: a whole number from 0 to " + Endpoint.MAX_WEIGHT + ")");
    }
    return node.intValue();
  }

  /** {@code {"metrics":9100,"grpc":50051}}: the endpoint's named ports (issue #16). */
  private static Map<String, Integer> ports(@Nullable JsonNode node) throws BadInput {
    if (node == null || node.isNull()) {
      return Map.of();
    }
    if (!node.isObject()) {
      throw new BadInput(
          "ports", "ports: " + node + " (expected: an object such as {\"metrics\":9100})");
    }
    Map<String, Integer> ports = new TreeMap<>();
    for (Iterator<Map.Entry<String, JsonNode>> i = node.fields(); i.hasNext(); ) {
      Map.Entry<String, JsonNode> e = i.next();
      String name = e.getKey();
      JsonNode value = e.getValue();
      if (!Endpoint.isPortName(name)) {
        throw new BadInput(
            "ports",
            "ports: name '"
                + name
                + "' (expected: 1-31 of [a-z0-9-] starting with a letter, e.g. \"metrics\")");
      }
      if (!value.isIntegralNumber()
          || !value.canConvertToInt()
          || value.intValue() < 1
          || value.intValue() > 65535) {
        throw new BadInput(
            "ports." + name,
            "ports." + name + ": " + value + " (expected: a port number from 1 to 65535)");
      }
      ports.put(name, value.intValue());
    }
    return ports;
  }

  private static @Nullable String zone(@Nullable JsonNode node) throws BadInput {
    if (node == null || node.isNull()) {
      return null;
    }
    if (!node.isTextual() || !node.textValue().matches("[A-Za-z0-9-]{1,64}")) {
      throw new BadInput(
          "zone", "zone: " + node + " (expected: an availability zone such as \"us-east-1a\")");
    }
    return node.textValue();
  }
}
