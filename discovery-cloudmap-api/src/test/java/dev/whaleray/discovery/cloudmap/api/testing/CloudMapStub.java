package dev.whaleray.discovery.cloudmap.api.testing;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import org.jspecify.annotations.Nullable;

/**
 * A small in-process AWS Cloud Map: a JDK HTTP server on 127.0.0.1 and an ephemeral port that
 * speaks the service's JSON 1.1 protocol ({@code X-Amz-Target: Route53AutoNaming_v20170314.*},
 * {@code Content-Type: application/x-amz-json-1.1}) for {@code DiscoverInstances}, {@code
 * DiscoverInstancesRevision}, {@code RegisterInstance}, {@code DeregisterInstance}, {@code
 * ListNamespaces} (filter {@code NAME}) and {@code ListServices} (filter {@code NAMESPACE_ID}),
 * with the request and response shapes of the published API model. A namespace's id is {@code
 * ns-<name>}, a service's {@code srv-<namespace>-<name>}; a registration or removal bumps the
 * service's revision.
 *
 * <p>It checks what a real client must send (target, content type, a SigV4 {@code Authorization}
 * header, {@code NamespaceName} and {@code ServiceName}; {@code HealthStatus} when {@link
 * #requireHealthStatus} is on) and answers a violation with {@code 400 InvalidInput}, recording it
 * in {@link #problems()}. Health filtering follows the API ({@code HEALTHY}, {@code UNHEALTHY},
 * {@code ALL}, {@code HEALTHY_OR_ELSE_ALL}); instances are returned in random order, as the API
 * does. Errors are {@code {"__type": "...", "Message": "..."}} with HTTP 400 and {@code
 * x-amzn-ErrorType}. Thread-safe.
 */
public final class CloudMapStub implements AutoCloseable {
  /** The {@code X-Amz-Target} prefix of Cloud Map (API version 2017-03-14). */
  public static final String TARGET_PREFIX = "Route53AutoNaming_v20170314.";

  /** One registered instance. */
  public record Instance(String id, String health, Map<String, String> attributes) {
    public Instance {
      attributes = Collections.unmodifiableMap(new LinkedHashMap<>(attributes));
    }

    /** A healthy instance at {@code ip:port} with more attributes (key, value, key, value...). */
    public static Instance healthy(String id, String ip, int port, String... more) {
      return of(id, "HEALTHY", ip, port, more);
    }

    /** An instance with the given health status. */
    public static Instance of(String id, String health, String ip, int port, String... more) {
      Map<String, String> a = new LinkedHashMap<>();
      a.put("AWS_INSTANCE_IPV4", ip);
      a.put("AWS_INSTANCE_PORT", Integer.toString(port));
      for (int i = 0; i + 1 < more.length; i += 2) {
        a.put(more[i], more[i + 1]);
      }
      return new Instance(id, health, a);
    }
  }

  /** One request as received. */
  public record Request(String operation, String host, Map<String, Object> body, String auth) {}

  private record Service(long revision, List<Instance> instances) {}

  private final HttpServer server;
  private final ExecutorService executor;
  private final Map<String, Service> services = new ConcurrentHashMap<>();
  private final Map<String, Boolean> namespaces = new ConcurrentHashMap<>();
  private final List<Request> requests = new CopyOnWriteArrayList<>();
  private final List<String> problems = new CopyOnWriteArrayList<>();
  private final AtomicInteger discoverCalls = new AtomicInteger();
  private final AtomicInteger revisionCalls = new AtomicInteger();
  private final AtomicInteger throttleNext = new AtomicInteger();
  private volatile String throttleCode = "ThrottlingException";
  private volatile boolean requireHealthStatus = true;

  private CloudMapStub() throws IOException {
    server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 50);
    executor = Executors.newFixedThreadPool(4);
    server.setExecutor(executor);
    server.createContext("/", this::handle);
    server.start();
  }

  /** Starts a stub with no namespace. */
  public static CloudMapStub start() throws IOException {
    return new CloudMapStub();
  }

  /** {@code http://127.0.0.1:port}, for {@code cloudmapEndpoint}. */
  public URI endpoint() {
    return URI.create("http://127.0.0.1:" + port());
  }

  /** The port. */
  public int port() {
    return server.getAddress().getPort();
  }

  /** Creates the namespace (services can only be found in an existing one). */
  public CloudMapStub namespace(String namespace) {
    namespaces.put(namespace, true);
    return this;
  }

  /** Registers (or replaces) a service's instances with a revision; creates the namespace. */
  public CloudMapStub service(String namespace, String service, long revision, Instance... list) {
    namespaces.put(namespace, true);
    services.put(namespace + "/" + service, new Service(revision, List.of(list)));
    return this;
  }

  /** Deletes a service: calls for it answer {@code ServiceNotFound}. */
  public CloudMapStub remove(String namespace, String service) {
    services.remove(namespace + "/" + service);
    return this;
  }

  /** The next {@code times} calls answer HTTP 400 with this throttling error code. */
  public CloudMapStub throttle(int times, String errorCode) {
    throttleCode = errorCode;
    throttleNext.set(times);
    return this;
  }

  /** Whether a request without {@code HealthStatus} is refused (default true). */
  public CloudMapStub requireHealthStatus(boolean required) {
    requireHealthStatus = required;
    return this;
  }

  /** {@code DiscoverInstances} calls answered so far (any status). */
  public int discoverInstancesCalls() {
    return discoverCalls.get();
  }

  /** {@code DiscoverInstancesRevision} calls answered so far (any status). */
  public int revisionCalls() {
    return revisionCalls.get();
  }

  /** Every request, in arrival order. */
  public List<Request> requests() {
    return List.copyOf(requests);
  }

  /** Protocol violations seen (wrong target, content type, missing fields...); empty when none. */
  public List<String> problems() {
    return List.copyOf(problems);
  }

  private void handle(HttpExchange exchange) throws IOException {
    try (exchange) {
      String target = exchange.getRequestHeaders().getFirst("X-Amz-Target");
      String contentType = exchange.getRequestHeaders().getFirst("Content-Type");
      String host = String.valueOf(exchange.getRequestHeaders().getFirst("Host"));
      String auth = String.valueOf(exchange.getRequestHeaders().getFirst("Authorization"));
      String text =
          new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8).trim();
      if (!"POST".equals(exchange.getRequestMethod())
          || !"/".equals(exchange.getRequestURI().getPath())) {
        problem(
            exchange,
            "expected POST /, got " + exchange.getRequestMethod() + " " + exchange.getRequestURI());
        return;
      }
      if (target == null || !target.startsWith(TARGET_PREFIX)) {
        problem(exchange, "X-Amz-Target: " + target + " (expected: " + TARGET_PREFIX + "...)");
        return;
      }
      if (!"application/x-amz-json-1.1".equals(contentType)) {
        problem(
            exchange, "Content-Type: " + contentType + " (expected application/x-amz-json-1.1)");
        return;
      }
      if (!auth.startsWith("AWS4-HMAC-SHA256 Credential=")) {
        problem(exchange, "Authorization: " + auth + " (expected a SigV4 signature)");
        return;
      }
      Map<String, Object> body;
      try {
        body = new FlatJson(text).object();
      } catch (IllegalArgumentException e) {
        problem(exchange, "body: " + e.getMessage() + ": " + text);
        return;
      }
      String operation = target.substring(TARGET_PREFIX.length());
      requests.add(new Request(operation, host, body, auth));
      switch (operation) {
        case "DiscoverInstances" -> {
          discoverCalls.incrementAndGet();
          discover(exchange, body, true);
        }
        case "DiscoverInstancesRevision" -> {
          revisionCalls.incrementAndGet();
          discover(exchange, body, false);
        }
        case "RegisterInstance" -> register(exchange, body);
        case "DeregisterInstance" -> deregister(exchange, body);
        case "ListNamespaces" -> listNamespaces(exchange, body);
        case "ListServices" -> listServices(exchange, body);
        default -> problem(exchange, "operation " + operation + " is not served by the stub");
      }
    }
  }

  private void discover(HttpExchange exchange, Map<String, Object> body, boolean instances)
      throws IOException {
    Object namespace = body.get("NamespaceName");
    Object service = body.get("ServiceName");
    if (!(namespace instanceof String) || !(service instanceof String)) {
      problem(exchange, "NamespaceName and ServiceName are required strings: " + body);
      return;
    }
    Object health = body.get("HealthStatus");
    if (instances && requireHealthStatus && health == null) {
      problem(exchange, "HealthStatus missing: " + body);
      return;
    }
    if (health != null
        && !List.of("HEALTHY", "UNHEALTHY", "ALL", "HEALTHY_OR_ELSE_ALL").contains(health)) {
      problem(exchange, "HealthStatus: " + health);
      return;
    }
    if (throttleNext.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
      error(exchange, throttleCode, "Rate exceeded");
      return;
    }
    if (!namespaces.containsKey(namespace)) {
      error(exchange, "NamespaceNotFound", "No namespace exists with the name " + namespace);
      return;
    }
    Service s = services.get(namespace + "/" + service);
    if (s == null) {
      error(exchange, "ServiceNotFound", "No service exists with the name " + service);
      return;
    }
    if (!instances) {
      json(exchange, 200, "{\"InstancesRevision\":" + s.revision() + "}");
      return;
    }
    List<Instance> selected = filter(s.instances(), health == null ? "ALL" : (String) health);
    int max = body.get("MaxResults") instanceof Number n ? n.intValue() : 100;
    List<Instance> shuffled = new ArrayList<>(selected);
    Collections.shuffle(shuffled);
    StringBuilder sb = new StringBuilder("{\"Instances\":[");
    for (int i = 0; i < Math.min(max, shuffled.size()); i++) {
      Instance in = shuffled.get(i);
      if (i > 0) {
        sb.append(',');
      }
      sb.append("{\"InstanceId\":")
          .append(quote(in.id()))
          .append(",\"NamespaceName\":")
          .append(quote((String) namespace))
          .append(",\"ServiceName\":")
          .append(quote((String) service))
          .append(",\"HealthStatus\":")
          .append(quote(in.health()))
          .append(",\"Attributes\":{");
      boolean first = true;
      for (Map.Entry<String, String> a : in.attributes().entrySet()) {
        if (!first) {
          sb.append(',');
        }
        first = false;
        sb.append(quote(a.getKey())).append(':').append(quote(a.getValue()));
      }
      sb.append("}}");
    }
    sb.append("],\"InstancesRevision\":").append(s.revision()).append('}');
    json(exchange, 200, sb.toString());
  }

  /** The instances of a service now (registered through the API included). */
  public List<Instance> instances(String namespace, String service) {
    Service s = services.get(namespace + "/" + service);
    return s == null ? List.of() : s.instances();
  }

  private static String serviceId(String key) {
    return "srv-" + key.replace('/', '-');
  }

  private @Nullable String keyOfServiceId(@Nullable Object id) {
    for (String key : services.keySet()) {
      if (serviceId(key).equals(id)) {
        return key;
      }
    }
    return null;
  }

  private final AtomicInteger operations = new AtomicInteger();

  private void register(HttpExchange exchange, Map<String, Object> body) throws IOException {
    Object instanceId = body.get("InstanceId");
    if (!(instanceId instanceof String) || !(body.get("Attributes") instanceof Map<?, ?> attrs)) {
      problem(exchange, "RegisterInstance needs InstanceId and Attributes: " + body);
      return;
    }
    String key = keyOfServiceId(body.get("ServiceId"));
    if (key == null) {
      error(exchange, "ServiceNotFound", "No service exists with the id " + body.get("ServiceId"));
      return;
    }
    Map<String, String> attributes = new LinkedHashMap<>();
    attrs.forEach((k, v) -> attributes.put(String.valueOf(k), String.valueOf(v)));
    services.compute(
        key,
        (k, old) -> {
          List<Instance> list = new ArrayList<>();
          for (Instance i : old.instances()) {
            if (!i.id().equals(instanceId)) {
              list.add(i);
            }
          }
          list.add(new Instance((String) instanceId, "HEALTHY", attributes));
          return new Service(old.revision() + 1, List.copyOf(list));
        });
    json(exchange, 200, "{\"OperationId\":\"op-" + operations.incrementAndGet() + "\"}");
  }

  private void deregister(HttpExchange exchange, Map<String, Object> body) throws IOException {
    Object instanceId = body.get("InstanceId");
    String key = keyOfServiceId(body.get("ServiceId"));
    if (key == null) {
      error(exchange, "ServiceNotFound", "No service exists with the id " + body.get("ServiceId"));
      return;
    }
    boolean[] found = new boolean[1];
    services.compute(
        key,
        (k, old) -> {
          List<Instance> list = new ArrayList<>();
          for (Instance i : old.instances()) {
            if (i.id().equals(instanceId)) {
              found[0] = true;
            } else {
              list.add(i);
            }
          }
          return found[0] ? new Service(old.revision() + 1, List.copyOf(list)) : old;
        });
    if (!found[0]) {
      error(exchange, "InstanceNotFound", "No instance exists with the id " + instanceId);
      return;
    }
    json(exchange, 200, "{\"OperationId\":\"op-" + operations.incrementAndGet() + "\"}");
  }

  /** The value of the filter named {@code name} (condition EQ), or null when there is none. */
  private static @Nullable String filter(Map<String, Object> body, String name) {
    if (body.get("Filters") instanceof List<?> filters) {
      for (Object f : filters) {
        if (f instanceof Map<?, ?> m
            && name.equals(m.get("Name"))
            && m.get("Values") instanceof List<?> values
            && !values.isEmpty()) {
          return String.valueOf(values.get(0));
        }
      }
    }
    return null;
  }

  private void listNamespaces(HttpExchange exchange, Map<String, Object> body) throws IOException {
    String name = filter(body, "NAME");
    StringBuilder sb = new StringBuilder("{\"Namespaces\":[");
    boolean first = true;
    for (String ns : new java.util.TreeSet<>(namespaces.keySet())) {
      if (name != null && !name.equals(ns)) {
        continue;
      }
      sb.append(first ? "" : ",")
          .append("{\"Id\":")
          .append(quote("ns-" + ns))
          .append(",\"Name\":")
          .append(quote(ns))
          .append(",\"Type\":\"DNS_PRIVATE\"}");
      first = false;
    }
    json(exchange, 200, sb.append("]}").toString());
  }

  private void listServices(HttpExchange exchange, Map<String, Object> body) throws IOException {
    String namespaceId = filter(body, "NAMESPACE_ID");
    StringBuilder sb = new StringBuilder("{\"Services\":[");
    boolean first = true;
    for (String key : new java.util.TreeSet<>(services.keySet())) {
      String ns = key.substring(0, key.indexOf('/'));
      if (namespaceId != null && !namespaceId.equals("ns-" + ns)) {
        continue;
      }
      sb.append(first ? "" : ",")
          .append("{\"Id\":")
          .append(quote(serviceId(key)))
          .append(",\"Name\":")
          .append(quote(key.substring(key.indexOf('/') + 1)))
          .append('}');
      first = false;
    }
    json(exchange, 200, sb.append("]}").toString());
  }

  private static List<Instance> filter(List<Instance> all, String health) {
    List<Instance> healthy = all.stream().filter(i -> i.health().equals("HEALTHY")).toList();
    return switch (health) {
      case "HEALTHY" -> healthy;
      case "UNHEALTHY" -> all.stream().filter(i -> i.health().equals("UNHEALTHY")).toList();
      case "HEALTHY_OR_ELSE_ALL" -> healthy.isEmpty() ? all : healthy;
      default -> all;
    };
  }

  private void problem(HttpExchange exchange, String message) throws IOException {
    problems.add(message);
    error(exchange, "InvalidInput", message);
  }

  private static void error(HttpExchange exchange, String type, String message) throws IOException {
    exchange.getResponseHeaders().add("x-amzn-ErrorType", type);
    exchange.getResponseHeaders().add("x-amzn-RequestId", "stub-request");
    json(exchange, 400, "{\"__type\":" + quote(type) + ",\"Message\":" + quote(message) + "}");
  }

  private static void json(HttpExchange exchange, int status, String body) throws IOException {
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    exchange.getResponseHeaders().add("Content-Type", "application/x-amz-json-1.1");
    exchange.getResponseHeaders().add("x-amzn-RequestId", "stub-request");
    exchange.sendResponseHeaders(status, bytes.length);
    try (OutputStream out = exchange.getResponseBody()) {
      out.write(bytes);
    }
  }

  static String quote(String s) {
    StringBuilder sb = new StringBuilder("\"");
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '"' -> sb.append("\\\"");
        case '\\' -> sb.append("\\\\");
        case '\n' -> sb.append("\\n");
        case '\r' -> sb.append("\\r");
        case '\t' -> sb.append("\\t");
        default -> {
          if (c < 0x20) {
            sb.append(String.format("\\u%04x", (int) c));
          } else {
            sb.append(c);
          }
        }
      }
    }
    return sb.append('"').toString();
  }

  @Override
  public void close() {
    server.stop(0);
    executor.shutdownNow();
  }

  /**
   * Parses the request bodies the SDK sends: one JSON object of strings, numbers, booleans and
   * nested objects of strings (QueryParameters).
   */
  private static final class FlatJson {
    private final String s;
    private int i;

    FlatJson(String s) {
      this.s = s;
    }

    Map<String, Object> object() {
      Map<String, Object> m = objectAt();
      skipSpace();
      if (i != s.length()) {
        throw new IllegalArgumentException("trailing characters at " + i);
      }
      return m;
    }

    private Map<String, Object> objectAt() {
      expect('{');
      Map<String, Object> m = new LinkedHashMap<>();
      skipSpace();
      if (peek() == '}') {
        i++;
        return m;
      }
      while (true) {
        skipSpace();
        String key = string();
        skipSpace();
        expect(':');
        skipSpace();
        m.put(key, value());
        skipSpace();
        char c = next();
        if (c == '}') {
          return m;
        }
        if (c != ',') {
          throw new IllegalArgumentException("expected , or } at " + (i - 1));
        }
      }
    }

    private @Nullable Object value() {
      char c = peek();
      if (c == '"') {
        return string();
      }
      if (c == '{') {
        return objectAt();
      }
      if (c == '[') {
        return arrayAt();
      }
      if (s.startsWith("true", i)) {
        i += 4;
        return true;
      }
      if (s.startsWith("false", i)) {
        i += 5;
        return false;
      }
      if (s.startsWith("null", i)) {
        i += 4;
        return null;
      }
      int start = i;
      while (i < s.length() && "+-0123456789.eE".indexOf(s.charAt(i)) >= 0) {
        i++;
      }
      if (start == i) {
        throw new IllegalArgumentException("unexpected '" + c + "' at " + i);
      }
      String n = s.substring(start, i);
      return n.contains(".") || n.contains("e") || n.contains("E")
          ? (Object) Double.parseDouble(n)
          : (Object) Long.parseLong(n);
    }

    private List<Object> arrayAt() {
      expect('[');
      List<Object> list = new ArrayList<>();
      skipSpace();
      if (peek() == ']') {
        i++;
        return list;
      }
      while (true) {
        skipSpace();
        list.add(value());
        skipSpace();
        char c = next();
        if (c == ']') {
          return list;
        }
        if (c != ',') {
          throw new IllegalArgumentException("expected , or ] at " + (i - 1));
        }
      }
    }

    private String string() {
      expect('"');
      StringBuilder sb = new StringBuilder();
      while (true) {
        char c = next();
        if (c == '"') {
          return sb.toString();
        }
        if (c == '\\') {
          char e = next();
          switch (e) {
            case 'n' -> sb.append('\n');
            case 't' -> sb.append('\t');
            case 'r' -> sb.append('\r');
            case 'b' -> sb.append('\b');
            case 'f' -> sb.append('\f');
            case 'u' -> {
              sb.append((char) Integer.parseInt(s.substring(i, i + 4), 16));
              i += 4;
            }
            default -> sb.append(e);
          }
        } else {
          sb.append(c);
        }
      }
    }

    private void skipSpace() {
      while (i < s.length() && Character.isWhitespace(s.charAt(i))) {
        i++;
      }
    }

    private char peek() {
      if (i >= s.length()) {
        throw new IllegalArgumentException("unexpected end");
      }
      return s.charAt(i);
    }

    private char next() {
      char c = peek();
      i++;
      return c;
    }

    private void expect(char c) {
      if (next() != c) {
        throw new IllegalArgumentException("expected '" + c + "' at " + (i - 1));
      }
    }
  }
}
