package dev.whaleray.reference;

import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.jspecify.annotations.Nullable;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.error.MarkedYAMLException;
import org.yaml.snakeyaml.error.YAMLException;
import org.yaml.snakeyaml.nodes.MappingNode;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.NodeTuple;
import org.yaml.snakeyaml.nodes.ScalarNode;
import org.yaml.snakeyaml.nodes.SequenceNode;

/**
 * A YAML document read as a node tree (never as Java objects: no tags are constructed), with
 * accessors whose errors name the file, the line and the dotted field.
 */
final class YamlFile {
  private final String source;

  private YamlFile(String source) {
    this.source = source;
  }

  /** One node and its dotted path, e.g. {@code discovery.static}. */
  final class Value {
    final Node node;
    final String path;

    Value(Node node, String path) {
      this.node = node;
      this.path = path;
    }

    ConfigException error(String message) {
      return new ConfigException(
          source + " line " + (node.getStartMark().getLine() + 1) + ": " + path + ": " + message);
    }

    boolean isNull() {
      return node instanceof ScalarNode
          && "tag:yaml.org,2002:null".equals(node.getTag().getValue());
    }

    String scalar() {
      if (!(node instanceof ScalarNode)) {
        throw error("expected a single value, found a " + kind());
      }
      return ((ScalarNode) node).getValue();
    }

    int integer(int min, int max) {
      String s = scalar().trim();
      try {
        int v = Integer.parseInt(s);
        if (v >= min && v <= max) {
          return v;
        }
      } catch (NumberFormatException e) {
        // fall through
      }
      throw error("'" + s + "' (expected: a number from " + min + " to " + max + ")");
    }

    boolean bool() {
      String s = scalar().trim().toLowerCase(java.util.Locale.ROOT);
      if (s.equals("true") || s.equals("false")) {
        return Boolean.parseBoolean(s);
      }
      throw error("'" + s + "' (expected: true or false)");
    }

    java.time.Duration duration() {
      try {
        return Durations.parse(path, scalar());
      } catch (IllegalArgumentException e) {
        throw new ConfigException(
            source + " line " + (node.getStartMark().getLine() + 1) + ": " + e.getMessage());
      }
    }

    /** The entries of a mapping, in order; rejects keys outside {@code allowed} (if not null). */
    Map<String, Value> mapping(@Nullable Set<String> allowed) {
      if (isNull()) {
        return Map.of();
      }
      if (!(node instanceof MappingNode)) {
        throw error("expected a mapping (key: value lines), found a " + kind());
      }
      Map<String, Value> result = new LinkedHashMap<>();
      for (NodeTuple t : ((MappingNode) node).getValue()) {
        Value key = new Value(t.getKeyNode(), path);
        String k = key.scalar();
        String childPath = path.isEmpty() ? k : path + "." + k;
        if (allowed != null && !allowed.contains(k)) {
          throw new Value(t.getKeyNode(), childPath)
              .error("unknown key (expected one of: " + String.join(", ", allowed) + ")");
        }
        if (result.containsKey(k)) {
          throw new Value(t.getKeyNode(), childPath).error("given twice");
        }
        result.put(k, new Value(t.getValueNode(), childPath));
      }
      return result;
    }

    /** The items of a sequence; a single scalar counts as a one-item list. */
    List<Value> list() {
      if (isNull()) {
        return List.of();
      }
      if (node instanceof ScalarNode) {
        return List.of(this);
      }
      if (!(node instanceof SequenceNode)) {
        throw error("expected a list, found a " + kind());
      }
      List<Value> result = new ArrayList<>();
      List<Node> items = ((SequenceNode) node).getValue();
      for (int i = 0; i < items.size(); i++) {
        result.add(new Value(items.get(i), path + "[" + i + "]"));
      }
      return result;
    }

    private String kind() {
      if (node instanceof MappingNode) {
        return "mapping";
      }
      if (node instanceof SequenceNode) {
        return "list";
      }
      return "value";
    }
  }

  /** Reads a file; an empty file is an empty mapping. */
  static Value read(Path file) {
    String text;
    try {
      text = Files.readString(file, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new ConfigException(file + ": cannot read: " + e.getMessage(), e);
    }
    return parse(text, file.toString());
  }

  /** Parses YAML text; {@code source} names it in errors. */
  static Value parse(String text, String source) {
    LoaderOptions options = new LoaderOptions();
    options.setAllowDuplicateKeys(false);
    options.setMaxAliasesForCollections(20);
    options.setAllowRecursiveKeys(false);
    options.setCodePointLimit(4 * 1024 * 1024);
    YamlFile file = new YamlFile(source);
    Node root;
    try (Reader reader = new java.io.StringReader(text)) {
      root = new Yaml(options).compose(reader);
    } catch (MarkedYAMLException e) {
      throw new ConfigException(
          source
              + " line "
              + (e.getProblemMark().getLine() + 1)
              + ": not valid YAML: "
              + e.getProblem(),
          e);
    } catch (YAMLException | IOException e) {
      throw new ConfigException(source + ": not valid YAML: " + e.getMessage(), e);
    } catch (RuntimeException e) {
      // SnakeYAML lets some errors out as other exceptions (a bad %-escape in a tag, an escape
      // cut off at the end): found by RouterConfigFuzzTest.
      throw new ConfigException(source + ": not valid YAML: " + e, e);
    }
    if (root == null) {
      root =
          new MappingNode(
              org.yaml.snakeyaml.nodes.Tag.MAP,
              List.of(),
              org.yaml.snakeyaml.DumperOptions.FlowStyle.AUTO);
    }
    return file.new Value(root, "");
  }
}
