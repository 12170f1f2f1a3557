package dev.whaleray.reference;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The Terraform module in {@code terraform/} without a terraform binary (CI has none): every {@code
 * .tf} file is parsed by HashiCorp's HCL parser ({@code @cdktf/hcl2json}, pinned in {@code
 * terraform/test/package.json}, installed with npm under {@code target/}) into JSON, and the JSON
 * is checked here: references resolve (variables, locals, resources, data sources), and the
 * router's facts come from the router (its config defaults, the README's status table, its
 * environment variable names in the sources), not from a second copy in this test. Needs node and
 * npm ({@code .ci/run} installs them); without them it fails, saying so.
 */
class TerraformModuleIT {

  static final Path MODULE = Path.of("terraform").toAbsolutePath();
  static final Path PARSER = MODULE.resolve("test");
  static final Path WORK = Path.of("target", "terraform-hcl2json").toAbsolutePath();
  static final Pattern VAR = Pattern.compile("(?<![\\w.])var\\.(\\w+)");
  static final Pattern LOCAL = Pattern.compile("(?<![\\w.])local\\.(\\w+)");
  static final Pattern DATA = Pattern.compile("(?<![\\w.])data\\.(\\w+)\\.(\\w+)");
  static final Pattern RESOURCE = Pattern.compile("(?<![\\w.])(aws_\\w+)\\.(\\w+)");

  static Map<String, JsonNode> files;
  static JsonNode locals;
  static JsonNode variables;

  @BeforeAll
  static void parse() throws Exception {
    JsonNode parsed = new ObjectMapper().readTree(runParser(MODULE).toFile());
    files = new TreeMap<>();
    parsed.get("files").fields().forEachRemaining(e -> files.put(e.getKey(), e.getValue()));
    assertTrue(
        files.containsKey("variables.tf")
            && files.containsKey("outputs.tf")
            && files.containsKey("versions.tf"),
        "module files: " + files.keySet());
    variables = files.get("variables.tf").path("variable");
    locals = mergedLocals();
  }

  @Test
  void everyReferenceIsDeclared() {
    Set<String> declaredVars = new TreeSet<>();
    variables.fieldNames().forEachRemaining(declaredVars::add);
    Set<String> resources = new TreeSet<>();
    Set<String> data = new TreeSet<>();
    files.forEach(
        (name, f) -> {
          if (!name.equals("variables.tf")) {
            assertTrue(
                f.path("variable").isMissingNode(),
                name + " declares variables: keep them in variables.tf");
          }
          f.path("resource")
              .fields()
              .forEachRemaining(
                  t ->
                      t.getValue()
                          .fieldNames()
                          .forEachRemaining(n -> resources.add(t.getKey() + "." + n)));
          f.path("data")
              .fields()
              .forEachRemaining(
                  t ->
                      t.getValue()
                          .fieldNames()
                          .forEachRemaining(n -> data.add(t.getKey() + "." + n)));
        });
    List<String> problems = new ArrayList<>();
    files.forEach(
        (name, f) ->
            strings(
                f,
                s -> {
                  if (!s.contains("${")) {
                    return;
                  }
                  for (Matcher m = VAR.matcher(s); m.find(); ) {
                    if (!declaredVars.contains(m.group(1))) {
                      problems.add(
                          name + ": var." + m.group(1) + " is not declared in variables.tf");
                    }
                  }
                  for (Matcher m = LOCAL.matcher(s); m.find(); ) {
                    if (!locals.has(m.group(1))) {
                      problems.add(
                          name + ": local." + m.group(1) + " is not defined in any locals block");
                    }
                  }
                  for (Matcher m = DATA.matcher(s); m.find(); ) {
                    if (!data.contains(m.group(1) + "." + m.group(2))) {
                      problems.add(
                          name + ": data." + m.group(1) + "." + m.group(2) + " does not exist");
                    }
                  }
                  for (Matcher m = RESOURCE.matcher(s); m.find(); ) {
                    if (!resources.contains(m.group(1) + "." + m.group(2))) {
                      problems.add(
                          name
                              + ": "
                              + m.group(1)
                              + "."
                              + m.group(2)
                              + " is not a resource of the module");
                    }
                  }
                }));
    assertEquals(List.of(), problems);
    assertTrue(resources.size() >= 10, "resources found: " + resources);
  }

  @Test
  void variablesAreDescribedAndTyped() {
    Set<String> required = Set.of("vpc_id", "cluster_arn", "listener_arn", "image");
    variables
        .fields()
        .forEachRemaining(
            e -> {
              JsonNode v = e.getValue().get(0);
              assertFalse(v.path("description").asText().isBlank(), e.getKey() + ": description");
              assertTrue(v.has("type"), e.getKey() + ": type");
              assertEquals(
                  !required.contains(e.getKey()),
                  v.has("default"),
                  e.getKey()
                      + (required.contains(e.getKey()) ? ": required, no default" : ": default"));
            });
    JsonNode aws = files.get("versions.tf").at("/terraform/0/required_providers/0/aws");
    assertEquals("hashicorp/aws", aws.path("source").asText());
    assertTrue(aws.path("version").asText().startsWith("~> 5."), "aws provider: " + aws);
  }

  @Test
  void containerMatchesTheRouter() throws IOException {
    RouterConfig defaults = RouterConfig.defaults();
    assertEquals(defaults.port(), locals.path("container_port").asInt(), "local.container_port");
    String health = healthPathFromReadme();
    assertEquals(health, locals.path("health_path").asText(), "local.health_path");

    JsonNode container = locals.path("container_definition");
    assertEquals("${local.port_mappings}", container.path("portMappings").asText());
    String mappings = locals.path("port_mappings").asText();
    Matcher pm =
        Pattern.compile("\\{\\s*containerPort\\s*=\\s*([\\w.]+),\\s*hostPort\\s*=\\s*(\\d+)")
            .matcher(mappings);
    List<String> ports = new ArrayList<>();
    while (pm.find()) {
      ports.add(pm.group(1));
      assertEquals("0", pm.group(2), "hostPort of " + pm.group(1) + " (bridge: dynamic)");
    }
    assertEquals("local.container_port", ports.get(0), "first port mapping: " + mappings);
    assertEquals(defaults.adminPort, locals.path("admin_port").asInt(), "local.admin_port");
    if (ports.size() > 1) {
      assertEquals("local.admin_port", ports.get(1), "second port mapping: " + mappings);
    }

    JsonNode command = locals.path("health_check_command");
    assertEquals("${local.health_check_command}", container.at("/healthCheck/command").asText());
    String probe = command.get(command.size() - 1).asText();
    assertTrue(
        probe.contains("/dev/tcp/127.0.0.1/" + defaults.port())
            && probe.contains("GET " + health + " "),
        "health check probes port " + defaults.port() + " path " + health + ": " + probe);
    assertEquals("CMD", command.get(0).asText(), "bash's /dev/tcp needs bash, not CMD-SHELL's sh");

    JsonNode task = resource("aws_ecs_task_definition", "router");
    assertEquals("bridge", task.path("network_mode").asText());
    assertEquals("EC2", task.at("/requires_compatibilities/0").asText());
    assertTrue(task.path("container_definitions").asText().contains("local.container_definition"));
    assertEquals("awslogs", container.at("/logConfiguration/logDriver").asText());
    assertEquals(
        "${aws_cloudwatch_log_group.router.name}",
        container.at("/logConfiguration/options/awslogs-group").asText());
  }

  @Test
  void environmentNamesAreTheRoutersOwn() throws IOException {
    Set<String> known = routerVariableNames();
    Set<String> names = new TreeSet<>();
    for (String group : List.of("base_environment", "dns_environment", "api_environment")) {
      locals.path(group).fieldNames().forEachRemaining(names::add);
    }
    Matcher secret =
        Pattern.compile("name\\s*=\\s*\"(\\w+)\"").matcher(locals.path("secrets").asText());
    while (secret.find()) {
      names.add(secret.group(1));
    }
    for (String n : names) {
      if (n.startsWith("WHALERAY_")) {
        assertTrue(known.contains(n), n + " is not read by the router (its names: " + known + ")");
      } else {
        assertEquals("AWS_REGION", n, "a variable the router does not read");
      }
    }
    assertTrue(
        names.containsAll(
            List.of(
                "WHALERAY_DISCOVERY",
                "WHALERAY_NAMESPACE",
                "WHALERAY_DNS_SERVERS",
                "WHALERAY_BACKEND_PORT",
                "WHALERAY_LB",
                "WHALERAY_SHUTDOWN_DRAIN",
                "WHALERAY_SHUTDOWN_GRACE",
                "WHALERAY_ADMIN_TOKEN",
                "WHALERAY_REGISTRY")),
        "names: " + names);

    // The JSON task definition is the same container: its variables are the module's.
    JsonNode json = new ObjectMapper().readTree(Path.of("ecs/task-definition.json").toFile());
    JsonNode c = json.at("/containerDefinitions/0");
    c.path("environment")
        .forEach(
            kv ->
                assertTrue(
                    names.contains(kv.path("name").asText()),
                    "ecs/task-definition.json sets "
                        + kv.path("name").asText()
                        + ", the module does not"));
    assertEquals(
        locals.path("health_check_command"),
        c.at("/healthCheck/command"),
        "ecs/task-definition.json and the module probe health alike");
    assertEquals(
        stopTimeoutDefault(),
        c.path("stopTimeout").asInt(),
        "ecs/task-definition.json's stopTimeout is the module's default");
  }

  @Test
  void stopTimeoutOutlastsTheDrain() {
    RouterConfig defaults = RouterConfig.defaults();
    assertEquals(
        defaults.shutdownDrain.toSeconds(),
        variableDefault("shutdown_drain_seconds").asLong(),
        "shutdown_drain_seconds default = the router's");
    assertEquals(
        defaults.shutdownGrace.toSeconds(),
        variableDefault("shutdown_grace_seconds").asLong(),
        "shutdown_grace_seconds default = the router's");
    assertEquals(
        "${var.shutdown_drain_seconds + var.shutdown_grace_seconds + var.stop_timeout_margin_seconds}",
        locals.path("stop_timeout").asText());
    assertEquals("${local.stop_timeout}", locals.at("/container_definition/stopTimeout").asText());
    int stop = stopTimeoutDefault();
    long drain =
        variableDefault("shutdown_drain_seconds").asLong()
            + variableDefault("shutdown_grace_seconds").asLong();
    assertTrue(stop > drain && stop <= 120, "stopTimeout " + stop + " vs drain + grace " + drain);
    assertTrue(
        variables
            .at("/stop_timeout_margin_seconds/0/validation/0/condition")
            .asText()
            .contains(">= 1"),
        "the margin is validated positive");
    JsonNode task = resource("aws_ecs_task_definition", "router");
    boolean capped = false;
    for (JsonNode p : task.at("/lifecycle/0/precondition")) {
      capped |= p.path("condition").asText().equals("${local.stop_timeout <= 120}");
    }
    assertTrue(capped, "a precondition keeps stopTimeout <= 120");
    assertEquals(
        "${var.shutdown_drain_seconds}s",
        locals.at("/base_environment/WHALERAY_SHUTDOWN_DRAIN").asText());
    assertEquals(
        "${var.shutdown_grace_seconds}s",
        locals.at("/base_environment/WHALERAY_SHUTDOWN_GRACE").asText());
  }

  @Test
  void albServiceAndScaling() throws IOException {
    JsonNode tg = resource("aws_lb_target_group", "router");
    assertEquals("instance", tg.path("target_type").asText());
    assertEquals("${local.deregistration_delay}", tg.path("deregistration_delay").asText());
    assertEquals(
        "${coalesce(var.deregistration_delay_seconds, var.shutdown_grace_seconds)}",
        locals.path("deregistration_delay").asText(),
        "deregistration delay follows the grace");
    // Slow start on by default: a new task's first seconds are JIT-bound (jmh/RESULTS.md).
    assertEquals("${var.slow_start_seconds}", tg.path("slow_start").asText());
    assertEquals(60, variableDefault("slow_start_seconds").asInt());
    JsonNode hc = tg.at("/health_check/0");
    assertEquals("${local.health_path}", hc.path("path").asText());
    assertEquals("200", hc.path("matcher").asText());
    assertEquals("traffic-port", hc.path("port").asText());
    for (String k : List.of("interval", "timeout", "healthy_threshold", "unhealthy_threshold")) {
      assertTrue(hc.has(k), "health_check." + k + " set explicitly");
    }
    assertEquals(30, variableDefault("health_check_interval_seconds").asInt());
    assertEquals(5, variableDefault("healthy_threshold").asInt());
    assertEquals(2, variableDefault("unhealthy_threshold").asInt());

    JsonNode rule = resource("aws_lb_listener_rule", "services");
    assertEquals("${var.listener_arn}", rule.path("listener_arn").asText());
    assertEquals(
        "${aws_lb_target_group.router.arn}", rule.at("/action/0/target_group_arn").asText());
    assertEquals(
        "${var.listener_path_patterns}", rule.at("/condition/0/path_pattern/0/values").asText());
    assertEquals("/services/*", variableDefault("listener_path_patterns").get(0).asText());

    JsonNode service = resource("aws_ecs_service", "router");
    assertEquals("EC2", service.path("launch_type").asText());
    assertEquals("${local.container_port}", service.at("/load_balancer/0/container_port").asText());
    assertEquals("${var.name}", service.at("/load_balancer/0/container_name").asText());
    assertTrue(service.has("health_check_grace_period_seconds"));
    assertTrue(
        service.has("deployment_minimum_healthy_percent")
            && service.has("deployment_maximum_percent"));

    JsonNode policy = resource("aws_appautoscaling_policy", "cpu");
    JsonNode tracking = policy.at("/target_tracking_scaling_policy_configuration/0");
    assertEquals(
        "ECSServiceAverageCPUUtilization",
        tracking.at("/predefined_metric_specification/0/predefined_metric_type").asText());
    assertEquals("${var.cpu_target_percent}", tracking.path("target_value").asText());
    assertEquals(60, variableDefault("cpu_target_percent").asInt());

    JsonNode ns = resource("aws_service_discovery_private_dns_namespace", "this");
    assertEquals("${var.vpc_id}", ns.path("vpc").asText());
  }

  @Test
  void registryWritesOnlyWithTheCloudMapRegistry() {
    JsonNode doc = block("data", "aws_iam_policy_document", "task");
    Set<String> always = new TreeSet<>();
    doc.path("statement").forEach(s -> s.path("actions").forEach(a -> always.add(a.asText())));
    assertEquals(
        Set.of("servicediscovery:DiscoverInstances", "servicediscovery:DiscoverInstancesRevision"),
        always);
    Set<String> conditional = new TreeSet<>();
    for (JsonNode d : doc.at("/dynamic/statement")) {
      assertEquals("${var.admin_registry == \"cloudmap\" ? [1] : []}", d.path("for_each").asText());
      d.at("/content/0/actions").forEach(a -> conditional.add(a.asText()));
    }
    assertTrue(
        conditional.containsAll(
            List.of(
                "servicediscovery:RegisterInstance",
                "servicediscovery:DeregisterInstance",
                "servicediscovery:ListNamespaces",
                "servicediscovery:ListServices")),
        "registry actions: " + conditional);
  }

  @Test
  void aSyntaxErrorFailsTheParser() throws Exception {
    Path broken = WORK.resolve("broken-module");
    Files.createDirectories(broken);
    Files.writeString(broken.resolve("main.tf"), "resource \"aws_x\" \"y\" {\n  name = \n}\n");
    Process p =
        node(List.of("parse-tf.js", broken.toString(), WORK.resolve("broken.json").toString()));
    assertNotEquals(0, p.exitValue(), "the parser accepted a broken file");
  }

  // --- helpers

  static JsonNode resource(String type, String name) {
    return block("resource", type, name);
  }

  static JsonNode block(String kind, String type, String name) {
    for (JsonNode f : files.values()) {
      JsonNode b = f.path(kind).path(type).path(name);
      if (b.isArray() && b.size() > 0) {
        return b.get(0);
      }
    }
    throw new AssertionError(kind + " " + type + "." + name + " missing");
  }

  static JsonNode variableDefault(String name) {
    JsonNode d = variables.path(name).path(0).path("default");
    assertFalse(d.isMissingNode(), "variable " + name + " has a default");
    return d;
  }

  static int stopTimeoutDefault() {
    return variableDefault("shutdown_drain_seconds").asInt()
        + variableDefault("shutdown_grace_seconds").asInt()
        + variableDefault("stop_timeout_margin_seconds").asInt();
  }

  static JsonNode mergedLocals() {
    var merged = new ObjectMapper().createObjectNode();
    for (var e : files.entrySet()) {
      for (JsonNode block : e.getValue().path("locals")) {
        block
            .fields()
            .forEachRemaining(
                l -> {
                  assertFalse(merged.has(l.getKey()), "local." + l.getKey() + " defined twice");
                  merged.set(l.getKey(), l.getValue());
                });
      }
    }
    return merged;
  }

  static void strings(JsonNode n, Consumer<String> each) {
    if (n.isTextual()) {
      each.accept(n.asText());
    } else {
      n.forEach(c -> strings(c, each));
    }
  }

  /** The health path of the README's status table: "| `GET /health` | `200`...". */
  static String healthPathFromReadme() throws IOException {
    Matcher m =
        Pattern.compile("\\| `GET (/\\S+)` \\| `200`")
            .matcher(Files.readString(Path.of("../../README.md")));
    assertTrue(m.find(), "README.md status table names the health path");
    return m.group(1);
  }

  /** Every "WHALERAY_..." string literal in the router's sources: the names it reads. */
  static Set<String> routerVariableNames() throws IOException {
    Set<String> names = new TreeSet<>();
    Pattern p = Pattern.compile("\"(WHALERAY_[A-Z0-9_]+)\"");
    try (Stream<Path> s = Files.walk(Path.of("src/main/java"))) {
      for (Path f : (Iterable<Path>) s.filter(x -> x.toString().endsWith(".java"))::iterator) {
        Matcher m = p.matcher(Files.readString(f));
        while (m.find()) {
          names.add(m.group(1));
        }
      }
    }
    assertTrue(names.contains("WHALERAY_SHUTDOWN_GRACE"), "names from the sources: " + names);
    return names;
  }

  // --- node and npm

  static Path runParser(Path module) throws Exception {
    Files.createDirectories(WORK);
    for (String f : List.of("package.json", "package-lock.json", "parse-tf.js")) {
      Files.copy(PARSER.resolve(f), WORK.resolve(f), StandardCopyOption.REPLACE_EXISTING);
    }
    String pinned =
        new ObjectMapper()
            .readTree(PARSER.resolve("package.json").toFile())
            .at("/dependencies/@cdktf~1hcl2json")
            .asText();
    Path installed = WORK.resolve("node_modules/@cdktf/hcl2json/package.json");
    if (!Files.exists(installed)
        || !pinned.equals(
            new ObjectMapper().readTree(installed.toFile()).path("version").asText())) {
      String npm = executable("npm");
      Process p = run(List.of(npm, "ci", "--no-audit", "--no-fund"), 300);
      if (p.exitValue() != 0) {
        fail("npm ci in " + WORK + " failed (exit " + p.exitValue() + "):\n" + output(p));
      }
    }
    Path out = WORK.resolve("parsed.json");
    Files.deleteIfExists(out);
    Process p = node(List.of("parse-tf.js", module.toString(), out.toString()));
    if (p.exitValue() != 0) {
      fail("parsing " + module + " failed (exit " + p.exitValue() + "):\n" + output(p));
    }
    return out;
  }

  static Process node(List<String> args) throws Exception {
    List<String> cmd = new ArrayList<>();
    cmd.add(executable("node"));
    cmd.addAll(args);
    return run(cmd, 120);
  }

  static Process run(List<String> cmd, int seconds) throws Exception {
    Process p =
        new ProcessBuilder(cmd)
            .directory(WORK.toFile())
            .redirectErrorStream(true)
            .redirectOutput(WORK.resolve("process.log").toFile())
            .start();
    if (!p.waitFor(seconds, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      fail(String.join(" ", cmd) + " did not finish within " + seconds + " s");
    }
    return p;
  }

  static String output(Process p) throws IOException {
    return Files.readString(WORK.resolve("process.log"), UTF_8);
  }

  static String executable(String name) {
    for (String dir : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
      Path p = Path.of(dir, name);
      if (Files.isExecutable(p)) {
        return p.toString();
      }
    }
    fail(
        name
            + " is not on the PATH: TerraformModuleIT parses the Terraform module with node "
            + "(@cdktf/hcl2json from npm). Install Node.js and npm (Debian: apt-get install nodejs npm; "
            + ".ci/run does this when they are missing).");
    throw new AssertionError();
  }
}
