package dev.knetty.dist.local;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.knetty.common.RevisionKey;
import dev.knetty.common.config.AutoscalerConfig;
import dev.knetty.common.config.ConfigException;
import dev.knetty.common.config.RevisionAnnotations;
import dev.knetty.common.config.RevisionDefaults;
import dev.knetty.common.config.RevisionScaling;
import dev.knetty.common.config.RevisionSettings;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import org.yaml.snakeyaml.error.Mark;
import org.yaml.snakeyaml.error.MarkedYAMLException;

/**
 * Reads local mode's YAML file (format in {@code docs/local.md}):
 *
 * <pre>{@code
 * autoscaler:                          # optional: config-autoscaler keys
 *   stable-window: 10s
 * revisions:
 *   - name: hello
 *     namespace: default               # optional
 *     command: ["python3", "app.py"]   # or a string, run with sh -c
 *     env: {GREETING: hi}              # optional
 *     workingDir: .                    # optional, relative to the file
 *     containerConcurrency: 10         # optional, and the three timeouts
 *     annotations:
 *       autoscaling.knative.dev/target: "5"
 * }</pre>
 *
 * Everything is checked at once through the config model Knative's webhook rules are implemented in
 * ({@link AutoscalerConfig#fromMap}, {@link RevisionSettings#resolve}, {@link
 * RevisionAnnotations#parse}, {@link RevisionScaling#derive}); the first problem is reported with
 * its line. Unknown keys are errors, annotation keys included: a misspelt key would otherwise do
 * nothing, silently.
 */
final class LocalFile {

  /** The namespace of a revision that names none. */
  static final String DEFAULT_NAMESPACE = "default";

  private static final YAMLFactory YAML =
      YAMLFactory.builder().enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION).build();

  private static final Pattern ENV_NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");

  private static final List<String> REVISION_KEYS =
      List.of(
          "name",
          "namespace",
          "command",
          "env",
          "workingDir",
          "containerConcurrency",
          "timeoutSeconds",
          "responseStartTimeoutSeconds",
          "idleTimeoutSeconds",
          "annotations");

  private LocalFile() {}

  /**
   * Reads and checks {@code file}.
   *
   * @throws LocalFileException naming the file, and the line and the problem
   */
  static LocalSpec load(Path file) throws LocalFileException {
    byte[] content;
    try {
      content = Files.readAllBytes(file);
    } catch (NoSuchFileException e) {
      throw new LocalFileException(file + ": no such file", 0, e);
    } catch (IOException e) {
      throw new LocalFileException(file + ": cannot read: " + e.getMessage(), 0, e);
    }
    Path dir = file.toAbsolutePath().getParent();
    try {
      return parse(content, dir);
    } catch (LocalFileException e) {
      throw new LocalFileException(file + " line " + e.line() + ": " + e.getMessage(), e.line(), e);
    }
  }

  /**
   * Parses and checks {@code content}; relative working directories are resolved against {@code
   * baseDir}.
   *
   * @throws LocalFileException with the line and the problem
   */
  static LocalSpec parse(byte[] content, Path baseDir) throws LocalFileException {
    Node root = read(content);
    if (root == null || root.isNull()) {
      throw new LocalFileException("an empty file (expected: a map with a 'revisions' list)", 1);
    }
    Map<String, Node> top = root.map("the file");
    AutoscalerConfig config = AutoscalerConfig.defaults();
    Node revisions = null;
    for (Map.Entry<String, Node> e : top.entrySet()) {
      switch (e.getKey()) {
        case "autoscaler":
          config = autoscaler(e.getValue());
          break;
        case "revisions":
          revisions = e.getValue();
          break;
        default:
          throw e.getValue()
              .problem("unknown key '" + e.getKey() + "' (expected: autoscaler, revisions)");
      }
    }
    if (revisions == null || revisions.isNull()) {
      throw new LocalFileException("no 'revisions' (expected: a list of at least one revision)", 1);
    }
    List<Node> items = revisions.list("revisions");
    if (items.isEmpty()) {
      throw revisions.problem("revisions: an empty list (expected: at least one revision)");
    }
    List<LocalRevision> result = new ArrayList<>();
    Map<RevisionKey, Integer> lines = new HashMap<>();
    for (Node item : items) {
      LocalRevision r = revision(item, config, baseDir);
      Integer first = lines.putIfAbsent(r.key(), item.line);
      if (first != null) {
        throw item.problem(
            "revision " + r.key() + " is listed twice (first at line " + first + ")");
      }
      result.add(r);
    }
    return new LocalSpec(config, result);
  }

  private static AutoscalerConfig autoscaler(Node node) throws LocalFileException {
    if (node.isNull()) {
      return AutoscalerConfig.defaults();
    }
    Map<String, Node> fields = node.map("autoscaler");
    Map<String, String> data = new LinkedHashMap<>();
    for (Map.Entry<String, Node> e : fields.entrySet()) {
      if (!AutoscalerConfig.KEYS.contains(e.getKey())) {
        throw e.getValue()
            .problem(
                "autoscaler: unknown key '"
                    + e.getKey()
                    + "' (expected: a config-autoscaler key, e.g. stable-window,"
                    + " scale-to-zero-grace-period, container-concurrency-target-default)");
      }
      data.put(e.getKey(), e.getValue().scalar("autoscaler: " + e.getKey()));
    }
    try {
      return AutoscalerConfig.fromMap(data);
    } catch (ConfigException e) {
      throw at(fields, e.key(), node).problem("autoscaler: " + e.getMessage());
    }
  }

  private static LocalRevision revision(Node item, AutoscalerConfig config, Path baseDir)
      throws LocalFileException {
    Map<String, Node> f = item.map("a revision");
    for (Map.Entry<String, Node> e : f.entrySet()) {
      if (!REVISION_KEYS.contains(e.getKey())) {
        throw e.getValue()
            .problem(
                "unknown key '"
                    + e.getKey()
                    + "' (expected: "
                    + String.join(", ", REVISION_KEYS)
                    + ")");
      }
    }
    if (!f.containsKey("name")) {
      throw item.problem("a revision without a name");
    }
    String name = label(f.get("name"), "name");
    String namespace =
        f.containsKey("namespace") ? label(f.get("namespace"), "namespace") : DEFAULT_NAMESPACE;
    RevisionKey key = new RevisionKey(namespace, name);
    String what = "revision " + key + ": ";
    if (!f.containsKey("command")) {
      throw item.problem(
          what + "no command (expected: the app's command line, a list or a string)");
    }
    List<String> command = command(f.get("command"), what);
    Map<String, String> env = env(f.get("env"), what);
    Path workingDir = workingDir(f.get("workingDir"), baseDir, what);

    RevisionSettings settings;
    try {
      settings =
          RevisionSettings.resolve(
              RevisionDefaults.defaults(),
              intField(f, "containerConcurrency", what),
              longField(f, "timeoutSeconds", what),
              longField(f, "responseStartTimeoutSeconds", what),
              longField(f, "idleTimeoutSeconds", what),
              null);
    } catch (ConfigException e) {
      throw at(f, e.key(), item).problem(what + e.getMessage());
    }

    Node annotationsNode = f.get("annotations");
    Map<String, Node> annotationNodes =
        annotationsNode == null || annotationsNode.isNull()
            ? Map.of()
            : annotationsNode.map(what + "annotations");
    Map<String, String> annotations = new LinkedHashMap<>();
    for (Map.Entry<String, Node> e : annotationNodes.entrySet()) {
      String k = e.getKey();
      boolean known =
          k.startsWith(RevisionAnnotations.GROUP)
              ? RevisionAnnotations.unknownKeys(Map.of(k, "")).isEmpty()
              : k.equals(RevisionAnnotations.PROGRESS_DEADLINE);
      if (!known) {
        throw e.getValue()
            .problem(
                what
                    + "unknown annotation '"
                    + k
                    + "' (expected: an autoscaling.knative.dev/* annotation Knative knows, e.g."
                    + " autoscaling.knative.dev/target, or "
                    + RevisionAnnotations.PROGRESS_DEADLINE
                    + ")");
      }
      annotations.put(k, e.getValue().scalar(what + "annotation " + k));
    }
    RevisionScaling scaling;
    try {
      RevisionAnnotations parsed = RevisionAnnotations.parse(annotations, config);
      scaling = RevisionScaling.derive(config, parsed, settings.containerConcurrency(), true);
    } catch (ConfigException e) {
      throw at(annotationNodes, e.key(), item).problem(what + e.getMessage());
    }
    return new LocalRevision(key, command, env, workingDir, settings, annotations, scaling);
  }

  private static String label(Node node, String field) throws LocalFileException {
    String value = node.scalar(field);
    if (!RevisionKey.isDnsLabel(value)) {
      throw node.problem(
          field
              + ": "
              + value
              + " (expected: a DNS label: 1 to 63 of a-z, 0-9 and '-', not starting or ending"
              + " with '-')");
    }
    return value;
  }

  /** A list is the argument vector; a string is a shell command line ({@code sh -c}). */
  private static List<String> command(Node node, String what) throws LocalFileException {
    String expected =
        " (expected: a non-empty list of strings, e.g. [\"python3\", \"app.py\"], or a shell"
            + " command line)";
    if (node.token == JsonToken.START_ARRAY) {
      List<String> argv = new ArrayList<>();
      for (Node arg : node.items) {
        if (!arg.token.isScalarValue() || arg.isNull()) {
          throw arg.problem(what + "command: an item that is not a string" + expected);
        }
        argv.add(arg.text);
      }
      if (argv.isEmpty() || argv.get(0).isBlank()) {
        throw node.problem(what + "command: an empty program" + expected);
      }
      return argv;
    }
    if (node.isNull() || !node.token.isScalarValue() || node.text.isBlank()) {
      throw node.problem(what + "command: " + node.describe() + expected);
    }
    return List.of("sh", "-c", node.text);
  }

  private static Map<String, String> env(Node node, String what) throws LocalFileException {
    if (node == null || node.isNull()) {
      return Map.of();
    }
    Map<String, String> env = new LinkedHashMap<>();
    for (Map.Entry<String, Node> e : node.map(what + "env").entrySet()) {
      String name = e.getKey();
      if (!ENV_NAME.matcher(name).matches()) {
        throw e.getValue()
            .problem(
                what + "env: '" + name + "' (expected: a variable name, [A-Za-z_][A-Za-z0-9_]*)");
      }
      if (name.equals(PodLauncher.PORT_ENV)) {
        throw e.getValue()
            .problem(what + "env: PORT (expected: not set; local mode gives each pod a free port)");
      }
      env.put(name, e.getValue().isNull() ? "" : e.getValue().scalar(what + "env " + name));
    }
    return env;
  }

  private static Path workingDir(Node node, Path baseDir, String what) throws LocalFileException {
    if (node == null || node.isNull()) {
      return baseDir;
    }
    Path dir = baseDir.resolve(node.scalar(what + "workingDir")).normalize();
    if (!Files.isDirectory(dir)) {
      throw node.problem(what + "workingDir: " + dir + " (expected: an existing directory)");
    }
    return dir;
  }

  private static Integer intField(Map<String, Node> f, String field, String what)
      throws LocalFileException {
    Long v = longField(f, field, what);
    if (v == null) {
      return null;
    }
    if (v > Integer.MAX_VALUE) {
      throw f.get(field).problem(what + field + ": " + v + " (expected: an integer >= 0)");
    }
    return v.intValue();
  }

  private static Long longField(Map<String, Node> f, String field, String what)
      throws LocalFileException {
    Node node = f.get(field);
    if (node == null || node.isNull()) {
      return null;
    }
    if (node.token == JsonToken.VALUE_NUMBER_INT) {
      try {
        return Long.parseLong(node.text);
      } catch (NumberFormatException e) {
        // out of range: reported below
      }
    }
    throw node.problem(what + field + ": " + node.describe() + " (expected: an integer >= 0)");
  }

  /** The node of {@code key} in {@code fields}, else {@code fallback}: where to point a problem. */
  private static Node at(Map<String, Node> fields, String key, Node fallback) {
    Node n = fields.get(key);
    return n != null ? n : fallback;
  }

  // --- a YAML tree that knows its lines

  /**
   * A YAML value and the line of its key (map entries) or of its first token. Scalars keep their
   * text as written, so {@code min-scale: 1} is {@code "1"}.
   */
  private static final class Node {
    final int line;
    final JsonToken token;
    final String text;
    final List<Node> items;
    final Map<String, Node> fields;

    Node(int line, JsonToken token, String text, List<Node> items, Map<String, Node> fields) {
      this.line = line;
      this.token = token;
      this.text = text;
      this.items = items;
      this.fields = fields;
    }

    /** A YAML key without a value ({@code env:}), or an explicit null. */
    boolean isNull() {
      return token == JsonToken.VALUE_NULL
          || (token == JsonToken.VALUE_STRING && text.isEmpty() && fields == null);
    }

    Map<String, Node> map(String what) throws LocalFileException {
      if (fields == null) {
        throw problem(what + ": " + describe() + " (expected: a map)");
      }
      return fields;
    }

    List<Node> list(String what) throws LocalFileException {
      if (items == null) {
        throw problem(what + ": " + describe() + " (expected: a list)");
      }
      return items;
    }

    String scalar(String what) throws LocalFileException {
      if (!token.isScalarValue() || token == JsonToken.VALUE_NULL) {
        throw problem(what + ": " + describe() + " (expected: a string)");
      }
      return text;
    }

    /** For problems: {@code a list}, {@code a map}, {@code nothing} or the scalar, quoted. */
    String describe() {
      if (items != null) {
        return "a list";
      } else if (fields != null) {
        return "a map";
      } else if (isNull()) {
        return "nothing";
      }
      return "'" + text + "'";
    }

    LocalFileException problem(String message) {
      return new LocalFileException(message, line);
    }
  }

  private static Node read(byte[] content) throws LocalFileException {
    try (JsonParser p = YAML.createParser(content)) {
      JsonToken t = p.nextToken();
      return t == null ? null : value(p, line(p));
    } catch (JsonProcessingException e) {
      if (e.getCause() instanceof MarkedYAMLException) { // YAML syntax: SnakeYAML knows where
        MarkedYAMLException yaml = (MarkedYAMLException) e.getCause();
        Mark mark = yaml.getProblemMark() != null ? yaml.getProblemMark() : yaml.getContextMark();
        throw new LocalFileException(yaml.getProblem(), mark == null ? 0 : mark.getLine() + 1, e);
      }
      int line = e.getLocation() == null ? 0 : e.getLocation().getLineNr();
      throw new LocalFileException(
          e.getOriginalMessage().lines().findFirst().orElse("unparsable YAML"), line, e);
    } catch (IOException e) { // reading from a byte array
      throw new LocalFileException(e.toString(), 0, e);
    }
  }

  /** The value at the parser's current token; {@code line} is where it is named. */
  private static Node value(JsonParser p, int line) throws IOException {
    JsonToken t = p.currentToken();
    if (t == JsonToken.START_OBJECT) {
      Map<String, Node> fields = new LinkedHashMap<>();
      while (p.nextToken() == JsonToken.FIELD_NAME) {
        String name = p.currentName();
        int keyLine = line(p);
        p.nextToken();
        fields.put(name, value(p, keyLine));
      }
      return new Node(line, t, "", null, fields);
    }
    if (t == JsonToken.START_ARRAY) {
      List<Node> items = new ArrayList<>();
      while (p.nextToken() != JsonToken.END_ARRAY) {
        items.add(value(p, line(p)));
      }
      return new Node(line, t, "", items, null);
    }
    return new Node(line, t, t == JsonToken.VALUE_NULL ? "" : p.getText(), null, null);
  }

  private static int line(JsonParser p) {
    return p.currentTokenLocation().getLineNr();
  }
}
