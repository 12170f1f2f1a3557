package dev.whaleray.discovery.staticlist;

import static java.util.Objects.requireNonNull;

import dev.whaleray.router.Endpoint;
import java.io.IOException;
import java.io.StringReader;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import org.jspecify.annotations.Nullable;
import org.yaml.snakeyaml.DumperOptions;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;
import org.yaml.snakeyaml.error.Mark;
import org.yaml.snakeyaml.error.MarkedYAMLException;
import org.yaml.snakeyaml.error.YAMLException;
import org.yaml.snakeyaml.nodes.MappingNode;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.NodeTuple;
import org.yaml.snakeyaml.nodes.ScalarNode;
import org.yaml.snakeyaml.nodes.SequenceNode;
import org.yaml.snakeyaml.nodes.Tag;
import org.yaml.snakeyaml.representer.Representer;

/**
 * Reads the {@code discovery.static} section of the router's YAML config into service names and
 * endpoints, so that the reference router can check the file at start-up and {@link
 * StaticDiscovery} can reload it.
 *
 * <p>The section maps each service name (a DNS label: 1-63 of {@code [a-z0-9-]}, case-insensitive,
 * kept in lower case) to a list of entries {@code host:port [weight=N] [zone=Z]
 * [ports=name:number,...] [key=value ...]}:
 *
 * <pre>{@code
 * discovery:
 *   type: static
 *   static:
 *     catalog: [ "127.0.0.1:8081", "127.0.0.1:8082 weight=3 zone=us-east-1a" ]
 *     orders:
 *       - "[::1]:9000 version=2"
 *     demo: [ "127.0.0.1:8080 ports=metrics:9100,grpc:50051" ]
 * }</pre>
 *
 * <p>{@code weight} is 0 to {@link Endpoint#MAX_WEIGHT} (default {@link Endpoint#DEFAULT_WEIGHT});
 * {@code ports} lists the endpoint's named ports beside its default port (names of 1-31 {@code
 * [a-z0-9-]} starting with a letter, numbers 1-65535); any other {@code key=value} becomes an
 * attribute of the endpoint. A service with an empty list (or no value) exists with no endpoint. A
 * file without a {@code discovery} or {@code static} section lists no service; other sections are
 * not read. Every error names the line and the field, e.g. {@code config.yaml line 7:
 * discovery.static.catalog[1]: port: 'abc' (expected: a number from 1 to 65535)}.
 *
 * <p>The file is read as YAML nodes only: no tag constructs a Java object, and aliases, nesting and
 * size are bounded. Thread-safe (stateless).
 */
public final class StaticConfigParser {

  /** Files larger than this are rejected rather than read. */
  static final int MAX_FILE_BYTES = 1 << 20;

  private static final String ENTRY_FORM = "\"host:port [weight=N] [zone=Z] [key=value]\"";

  private StaticConfigParser() {}

  /**
   * Parses the {@code discovery.static} section of a YAML document.
   *
   * @param yaml the whole config file
   * @param sourceName what error messages call the file, e.g. {@code config.yaml}
   * @return service name (lower case) to endpoints in file order, sorted by service name
   * @throws IllegalArgumentException naming the file, line and field that is wrong
   */
  public static Map<String, List<Endpoint>> parse(String yaml, String sourceName) {
    requireNonNull(yaml, "yaml");
    requireNonNull(sourceName, "sourceName");
    return new Walk(sourceName).services(compose(yaml, sourceName));
  }

  /**
   * Reads and parses a YAML file (UTF-8); see {@link #parse(String, String)}.
   *
   * @throws IllegalArgumentException when the file cannot be read or is wrong, naming the file (and
   *     the line and field)
   */
  public static Map<String, List<Endpoint>> parse(Path file) {
    requireNonNull(file, "file");
    byte[] content;
    try {
      content = read(file);
    } catch (IOException e) {
      throw new IllegalArgumentException(file + ": cannot read the file (" + e + ")", e);
    }
    return parse(decode(content, file.toString()), file.toString());
  }

  /** The file's bytes; at most {@link #MAX_FILE_BYTES}. */
  static byte[] read(Path file) throws IOException {
    long size = Files.size(file);
    if (size > MAX_FILE_BYTES) {
      throw new IOException(
          "the file has " + size + " bytes (expected: at most " + MAX_FILE_BYTES + ")");
    }
    byte[] content = Files.readAllBytes(file);
    if (content.length > MAX_FILE_BYTES) { // it grew between the two calls
      throw new IOException(
          "the file has " + content.length + " bytes (expected: at most " + MAX_FILE_BYTES + ")");
    }
    return content;
  }

  /** Decodes UTF-8, rejecting malformed input instead of replacing it. */
  static String decode(byte[] content, String sourceName) {
    try {
      return StandardCharsets.UTF_8
          .newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT)
          .decode(ByteBuffer.wrap(content))
          .toString();
    } catch (CharacterCodingException e) {
      throw new IllegalArgumentException(sourceName + ": not valid UTF-8 text", e);
    }
  }

  /**
   * The lower-case service name when {@code name} is an RFC 1123 DNS label (1-63 of letters, digits
   * and '-', not starting or ending with '-'), else null.
   */
  static @Nullable String normalizeServiceName(String name) {
    int n = name.length();
    if (n == 0 || n > 63 || name.charAt(0) == '-' || name.charAt(n - 1) == '-') {
      return null;
    }
    for (int i = 0; i < n; i++) {
      char c = name.charAt(i);
      boolean ok =
          (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-';
      if (!ok) {
        return null;
      }
    }
    return name.toLowerCase(Locale.ROOT);
  }

  /** The message for a service name that is not a DNS label. */
  static String badServiceName(String name) {
    return "service name '" + name + "' (expected: a DNS label, 1-63 of [a-z0-9-])";
  }

  /**
   * Parses one entry, {@code host:port [weight=N] [zone=Z] [key=value ...]}.
   *
   * @throws IllegalArgumentException naming the part that is wrong (no location)
   */
  static Endpoint parseEntry(String entry) {
    String text = entry.strip();
    String[] parts = text.isEmpty() ? new String[] {""} : text.split("\\s+");
    Endpoint.Builder builder = parseAddress(parts[0]);
    Map<String, String> seen = new HashMap<>();
    for (int i = 1; i < parts.length; i++) {
      String option = parts[i];
      int eq = option.indexOf('=');
      if (eq <= 0) {
        throw new IllegalArgumentException(
            "option: '" + option + "' (expected: key=value, e.g. weight=2 or zone=us-east-1a)");
      }
      String key = option.substring(0, eq);
      String value = option.substring(eq + 1);
      if (seen.put(key, value) != null) {
        throw new IllegalArgumentException("option: '" + key + "' given twice");
      }
      switch (key) {
        case "weight":
          builder.weight(parseNumber("weight", value, 0, Endpoint.MAX_WEIGHT));
          break;
        case "zone":
          builder.zone(value);
          break;
        case "ports":
          parsePorts(builder, value);
          break;
        default:
          builder.attribute(key, value);
      }
    }
    return builder.build();
  }

  /**
   * {@code metrics:9100,grpc:50051}: the endpoint's named ports (issue #16).
   *
   * @throws IllegalArgumentException naming the bad part
   */
  private static void parsePorts(Endpoint.Builder builder, String value) {
    if (value.isEmpty()) {
      throw new IllegalArgumentException(
          "ports: '' (expected: name:number[,name:number], e.g. ports=metrics:9100,grpc:50051)");
    }
    Map<String, Integer> seen = new HashMap<>();
    for (String part : value.split(",", -1)) {
      int colon = part.indexOf(':');
      if (colon <= 0 || colon == part.length() - 1) {
        throw new IllegalArgumentException(
            "ports: '"
                + part
                + "' in '"
                + value
                + "' (expected: name:number, e.g. ports=metrics:9100,grpc:50051)");
      }
      String name = part.substring(0, colon);
      if (!Endpoint.isPortName(name)) {
        throw new IllegalArgumentException(
            "ports: name '"
                + name
                + "' in '"
                + value
                + "' (expected: 1-31 of [a-z0-9-] starting with a letter)");
      }
      int number = parseNumber("ports: " + name, part.substring(colon + 1), 1, 65535);
      if (seen.put(name, number) != null) {
        throw new IllegalArgumentException("ports: '" + name + "' given twice in '" + value + "'");
      }
      builder.port(name, number);
    }
  }

  private static Endpoint.Builder parseAddress(String address) {
    int colon = address.lastIndexOf(':');
    if (colon < 0) {
      throw new IllegalArgumentException(
          "address: '" + address + "' (expected: host:port, e.g. 127.0.0.1:8081)");
    }
    String host = address.substring(0, colon);
    if (host.startsWith("[") && host.endsWith("]") && host.length() > 2) {
      host = host.substring(1, host.length() - 1);
    } else if (host.indexOf(':') >= 0 || host.indexOf('[') >= 0 || host.indexOf(']') >= 0) {
      throw new IllegalArgumentException(
          "address: '" + address + "' (expected: host:port, IPv6 as [::1]:8081)");
    }
    if (host.isEmpty()) {
      throw new IllegalArgumentException(
          "host: '' in '" + address + "' (expected: host:port, e.g. 127.0.0.1:8081)");
    }
    int port = parseNumber("port", address.substring(colon + 1), 1, 65535);
    return Endpoint.builder(host, port);
  }

  private static int parseNumber(String field, String text, int min, int max) {
    boolean digits = !text.isEmpty() && text.length() <= 9;
    for (int i = 0; digits && i < text.length(); i++) {
      char c = text.charAt(i);
      digits = c >= '0' && c <= '9';
    }
    int value = digits ? Integer.parseInt(text) : -1;
    if (value < min || value > max) {
      throw new IllegalArgumentException(
          field + ": '" + text + "' (expected: a number from " + min + " to " + max + ")");
    }
    return value;
  }

  private static @Nullable Node compose(String yaml, String sourceName) {
    LoaderOptions options = new LoaderOptions();
    // Nodes only: compose() never constructs objects, and global tags (!!java...) are refused.
    options.setTagInspector(tag -> false);
    options.setAllowDuplicateKeys(false);
    options.setAllowRecursiveKeys(false);
    options.setMaxAliasesForCollections(50);
    options.setNestingDepthLimit(50);
    options.setCodePointLimit(MAX_FILE_BYTES);
    DumperOptions dumperOptions = new DumperOptions();
    Yaml parser =
        new Yaml(
            new SafeConstructor(options), new Representer(dumperOptions), dumperOptions, options);
    String text = yaml.startsWith("\uFEFF") ? yaml.substring(1) : yaml;
    try {
      return parser.compose(new StringReader(text));
    } catch (MarkedYAMLException e) {
      Mark mark = e.getProblemMark() != null ? e.getProblemMark() : e.getContextMark();
      String line = mark == null ? "" : " line " + (mark.getLine() + 1);
      String problem =
          e.getContext() == null
              ? String.valueOf(e.getProblem())
              : e.getProblem() == null ? e.getContext() : e.getContext() + ": " + e.getProblem();
      throw new IllegalArgumentException(
          sourceName + line + ": not valid YAML: " + oneLine(problem), e);
    } catch (YAMLException e) {
      throw new IllegalArgumentException(
          sourceName + ": not valid YAML: " + oneLine(String.valueOf(e.getMessage())), e);
    }
  }

  private static String oneLine(String s) {
    return s.replace('\n', ' ').strip();
  }

  /** One pass over the node tree; knows the file name for messages. */
  private static final class Walk {
    private final String sourceName;

    Walk(String sourceName) {
      this.sourceName = sourceName;
    }

    Map<String, List<Endpoint>> services(@Nullable Node root) {
      if (root == null || isNull(root)) {
        return Map.of();
      }
      if (!(root instanceof MappingNode)) {
        throw error(root, "config", describe(root) + " (expected: a mapping of settings)");
      }
      Node discovery = value((MappingNode) root, "discovery", "");
      if (discovery == null || isNull(discovery)) {
        return Map.of();
      }
      if (!(discovery instanceof MappingNode)) {
        throw error(discovery, "discovery", describe(discovery) + " (expected: a mapping)");
      }
      Node section = value((MappingNode) discovery, "static", "discovery.");
      if (section == null || isNull(section)) {
        return Map.of();
      }
      if (!(section instanceof MappingNode)) {
        throw error(
            section,
            "discovery.static",
            describe(section) + " (expected: a mapping of service names to endpoint lists)");
      }
      Map<String, List<Endpoint>> services = new TreeMap<>();
      Map<String, Node> firstSeen = new HashMap<>();
      for (NodeTuple tuple : ((MappingNode) section).getValue()) {
        Node keyNode = tuple.getKeyNode();
        if (!(keyNode instanceof ScalarNode)) {
          throw error(
              keyNode,
              "discovery.static",
              describe(keyNode) + " as a key (expected: a service name)");
        }
        String rawName = ((ScalarNode) keyNode).getValue();
        String field = "discovery.static." + rawName;
        String name = normalizeServiceName(rawName);
        if (name == null) {
          throw error(keyNode, field, badServiceName(rawName));
        }
        Node previous = firstSeen.putIfAbsent(name, keyNode);
        if (previous != null) {
          throw error(
              keyNode,
              field,
              "service '" + name + "' is listed twice (first at line " + line(previous) + ")");
        }
        services.put(name, endpoints(tuple.getValueNode(), field));
      }
      return Collections.unmodifiableMap(services);
    }

    private List<Endpoint> endpoints(Node node, String field) {
      if (isNull(node)) {
        return List.of();
      }
      if (!(node instanceof SequenceNode)) {
        throw error(node, field, describe(node) + " (expected: a list of " + ENTRY_FORM + ")");
      }
      List<Node> entries = ((SequenceNode) node).getValue();
      List<Endpoint> endpoints = new ArrayList<>(entries.size());
      for (int i = 0; i < entries.size(); i++) {
        Node entry = entries.get(i);
        String entryField = field + "[" + i + "]";
        if (!(entry instanceof ScalarNode) || isNull(entry)) {
          throw error(entry, entryField, describe(entry) + " (expected: " + ENTRY_FORM + ")");
        }
        try {
          endpoints.add(parseEntry(((ScalarNode) entry).getValue()));
        } catch (IllegalArgumentException e) {
          throw error(entry, entryField, String.valueOf(e.getMessage()));
        }
      }
      return List.copyOf(endpoints);
    }

    /** The value of {@code key} in a mapping, null when absent; a repeated key is an error. */
    private @Nullable Node value(MappingNode mapping, String key, String parentPath) {
      Node found = null;
      Node foundKey = null;
      for (NodeTuple tuple : mapping.getValue()) {
        Node k = tuple.getKeyNode();
        if (k instanceof ScalarNode && key.equals(((ScalarNode) k).getValue())) {
          if (foundKey != null) {
            throw error(k, parentPath + key, "listed twice (first at line " + line(foundKey) + ")");
          }
          foundKey = k;
          found = tuple.getValueNode();
        }
      }
      return found;
    }

    private IllegalArgumentException error(Node node, String field, String problem) {
      return new IllegalArgumentException(
          sourceName + " line " + line(node) + ": " + field + ": " + problem);
    }

    private static int line(Node node) {
      return node.getStartMark() == null ? 0 : node.getStartMark().getLine() + 1;
    }

    private static boolean isNull(Node node) {
      return node instanceof ScalarNode && Tag.NULL.equals(node.getTag());
    }

    private static String describe(Node node) {
      if (node instanceof MappingNode) {
        return "a mapping";
      }
      if (node instanceof SequenceNode) {
        return "a list";
      }
      if (isNull(node)) {
        return "nothing";
      }
      return "'" + ((ScalarNode) node).getValue() + "'";
    }
  }
}
