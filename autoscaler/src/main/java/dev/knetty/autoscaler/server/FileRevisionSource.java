package dev.knetty.autoscaler.server;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.knetty.common.RevisionKey;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.yaml.snakeyaml.error.Mark;
import org.yaml.snakeyaml.error.MarkedYAMLException;

/**
 * Revisions listed in a YAML (or JSON) file, reloaded when the file changes:
 *
 * <pre>{@code
 * revisions:
 *   - namespace: default
 *     name: hello-00001
 *     containerConcurrency: 10        # optional, default 0 (unlimited)
 *     reachable: true                 # optional, default true
 *     annotations:                    # optional
 *       autoscaling.knative.dev/target: "5"
 *       autoscaling.knative.dev/min-scale: "1"
 * }</pre>
 *
 * <p>The file is checked every poll interval (its modification time, size and identity, so that an
 * atomically replaced file or a Kubernetes ConfigMap symlink swap is seen) and re-read when any of
 * them changed; only revisions that were added, changed or removed are passed on. A file that
 * cannot be read or parsed changes nothing: the last good revisions stay, one warning names the
 * line and the problem, and {@code knetty.autoscaler.revisions.file.errors} counts it. Unknown keys
 * are errors (a misspelt {@code containerConcurency} would otherwise go unnoticed); annotation
 * values are taken as written ({@code min-scale: 1} is {@code "1"}) and checked by the autoscaler,
 * per revision.
 */
public final class FileRevisionSource implements RevisionSource {

  private static final Logger LOG = LoggerFactory.getLogger(FileRevisionSource.class);

  private static final YAMLFactory YAML =
      YAMLFactory.builder().enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION).build();

  private final Path file;
  private final Duration pollInterval;
  private final Counter errors;
  private final ScheduledExecutorService poller;

  // Guarded by this.
  private Listener listener;
  private Map<RevisionKey, RevisionSpec> current = Map.of();
  private Object lastVersion;
  private ScheduledFuture<?> pollTask;
  private boolean closed;

  private volatile boolean synced;

  /**
   * @param file the revisions file
   * @param pollInterval how often to look for changes
   * @param registry where to count bad files
   */
  public FileRevisionSource(Path file, Duration pollInterval, MeterRegistry registry) {
    this.file = Objects.requireNonNull(file, "file");
    this.pollInterval = Objects.requireNonNull(pollInterval, "pollInterval");
    if (pollInterval.toMillis() < 1) {
      throw new IllegalArgumentException(
          "pollInterval: " + pollInterval + " (expected: at least 1 ms)");
    }
    this.errors =
        Counter.builder("knetty.autoscaler.revisions.file.errors")
            .description("Revisions files that could not be read or parsed (the last good stays)")
            .register(Objects.requireNonNull(registry, "registry"));
    this.poller =
        Executors.newSingleThreadScheduledExecutor(
            new DefaultThreadFactory("autoscaler-revisions-file", true));
  }

  /**
   * Reads and checks a revisions file.
   *
   * @throws IOException naming the file, and the line of a problem in it
   */
  public static List<RevisionSpec> load(Path file) throws IOException {
    byte[] content;
    try {
      content = Files.readAllBytes(file);
    } catch (NoSuchFileException e) {
      throw new IOException(file + ": no such file", e);
    } catch (IOException e) {
      throw new IOException(file + ": cannot read: " + e, e);
    }
    try {
      return parse(content);
    } catch (Problem e) {
      throw new IOException(file + " line " + e.line + ": " + e.getMessage(), e);
    }
  }

  @Override
  public synchronized void start(Listener listener) {
    if (this.listener != null) {
      throw new IllegalStateException("revisions file " + file + ": already started");
    }
    this.listener = Objects.requireNonNull(listener, "listener");
    if (closed) {
      return;
    }
    poll();
    long millis = pollInterval.toMillis();
    pollTask =
        poller.scheduleWithFixedDelay(this::pollQuietly, millis, millis, TimeUnit.MILLISECONDS);
  }

  @Override
  public boolean synced() {
    return synced;
  }

  @Override
  public synchronized void close() {
    closed = true;
    if (pollTask != null) {
      pollTask.cancel(false);
    }
    poller.shutdownNow();
  }

  /** Re-reads the file if it changed since the last look. */
  synchronized void poll() {
    if (closed) {
      return;
    }
    Object version;
    try {
      BasicFileAttributes a = Files.readAttributes(file, BasicFileAttributes.class);
      version = List.of(a.lastModifiedTime(), a.size(), String.valueOf(a.fileKey()));
    } catch (IOException e) {
      version = e.getClass(); // keep reporting a missing file once, not every poll
    }
    if (version.equals(lastVersion)) {
      return;
    }
    lastVersion = version;
    List<RevisionSpec> specs;
    try {
      specs = load(file);
    } catch (IOException e) {
      errors.increment();
      LOG.warn(
          "Revisions file {}; keeping the last good revisions ({})",
          e.getMessage(),
          current.size());
      return;
    }
    apply(specs);
  }

  /** The scheduled poll: a failure is logged and the next poll comes all the same. */
  private void pollQuietly() {
    try {
      poll();
    } catch (RuntimeException e) {
      LOG.warn("Revisions file {}: applying it failed: {}", file, e.toString());
    }
  }

  private void apply(List<RevisionSpec> specs) {
    Map<RevisionKey, RevisionSpec> next = new LinkedHashMap<>();
    for (RevisionSpec spec : specs) {
      next.put(spec.key(), spec);
    }
    int removed = 0;
    int changed = 0;
    for (RevisionKey key : current.keySet()) {
      if (!next.containsKey(key)) {
        listener.remove(key);
        removed++;
      }
    }
    for (RevisionSpec spec : next.values()) {
      if (!spec.equals(current.get(spec.key()))) {
        listener.upsert(spec);
        changed++;
      }
    }
    if (synced) {
      LOG.info(
          "Revisions file {} reloaded: {} revision(s), {} added or changed, {} removed",
          file,
          next.size(),
          changed,
          removed);
    } else {
      LOG.info("Revisions file {}: {} revision(s)", file, next.size());
    }
    current = next;
    synced = true;
  }

  // --- parsing ---

  /** A problem at a line of the file. */
  private static final class Problem extends Exception {
    private static final long serialVersionUID = 1L;

    final int line;

    Problem(int line, String message) {
      super(message);
      this.line = line;
    }
  }

  static List<RevisionSpec> parse(byte[] content) throws Problem {
    try (JsonParser p = YAML.createParser(content)) {
      List<RevisionSpec> specs = new ArrayList<>();
      JsonToken t = p.nextToken();
      if (t == null) {
        return specs; // an empty file: no revisions
      }
      if (t != JsonToken.START_OBJECT) {
        throw problem(p, "a " + describe(p) + " (expected: a map with a 'revisions' list)");
      }
      Map<RevisionKey, Integer> lines = new LinkedHashMap<>();
      while (p.nextToken() == JsonToken.FIELD_NAME) {
        if (!p.currentName().equals("revisions")) {
          throw problem(p, "unknown key '" + p.currentName() + "' (expected: revisions)");
        }
        t = p.nextToken();
        if (isEmpty(p)) {
          continue;
        }
        if (t != JsonToken.START_ARRAY) {
          throw problem(p, "revisions: a " + describe(p) + " (expected: a list)");
        }
        while (p.nextToken() != JsonToken.END_ARRAY) {
          int line = line(p);
          RevisionSpec spec = revision(p);
          Integer first = lines.putIfAbsent(spec.key(), line);
          if (first != null) {
            throw new Problem(
                line, "revision " + spec.key() + " is listed twice (first at line " + first + ")");
          }
          specs.add(spec);
        }
      }
      return specs;
    } catch (JsonProcessingException e) {
      if (e.getCause() instanceof MarkedYAMLException) { // YAML syntax: SnakeYAML knows where
        MarkedYAMLException yaml = (MarkedYAMLException) e.getCause();
        Mark mark = yaml.getProblemMark() != null ? yaml.getProblemMark() : yaml.getContextMark();
        throw new Problem(mark == null ? 0 : mark.getLine() + 1, yaml.getProblem());
      }
      int line = e.getLocation() == null ? 0 : e.getLocation().getLineNr();
      throw new Problem(line, e.getOriginalMessage().lines().findFirst().orElse(""));
    } catch (IOException e) { // reading from a byte array
      throw new Problem(0, e.toString());
    }
  }

  private static RevisionSpec revision(JsonParser p) throws IOException, Problem {
    if (p.currentToken() != JsonToken.START_OBJECT) {
      throw problem(p, "a " + describe(p) + " in revisions (expected: a map per revision)");
    }
    int line = line(p);
    String namespace = null;
    String name = null;
    int containerConcurrency = 0;
    boolean reachable = true;
    Map<String, String> annotations = Map.of();
    while (p.nextToken() == JsonToken.FIELD_NAME) {
      String field = p.currentName();
      JsonToken value = p.nextToken();
      switch (field) {
        case "namespace":
          namespace = label(p, field);
          break;
        case "name":
          name = label(p, field);
          break;
        case "containerConcurrency":
          if (value != JsonToken.VALUE_NUMBER_INT || p.getLongValue() < 0) {
            throw problem(p, field + ": " + p.getText() + " (expected: an integer >= 0)");
          }
          containerConcurrency = p.getIntValue(); // out of int range: a parse error
          break;
        case "reachable":
          if (!value.isBoolean()) {
            throw problem(p, field + ": " + p.getText() + " (expected: true or false)");
          }
          reachable = p.getBooleanValue();
          break;
        case "annotations":
          annotations = annotations(p);
          break;
        default:
          throw problem(
              p,
              "unknown key '"
                  + field
                  + "' (expected: namespace, name, containerConcurrency, reachable, annotations)");
      }
    }
    if (namespace == null || name == null) {
      throw new Problem(line, "a revision without " + (namespace == null ? "namespace" : "name"));
    }
    return new RevisionSpec(
        new RevisionKey(namespace, name), containerConcurrency, annotations, reachable);
  }

  private static String label(JsonParser p, String field) throws IOException, Problem {
    String value = p.currentToken().isScalarValue() ? p.getText() : null;
    if (value == null || !RevisionKey.isDnsLabel(value)) {
      throw problem(
          p,
          field
              + ": "
              + (value == null ? "a " + describe(p) : value)
              + " (expected: a DNS label: 1 to 63 of a-z, 0-9 and '-', not starting or ending"
              + " with '-')");
    }
    return value;
  }

  private static Map<String, String> annotations(JsonParser p) throws IOException, Problem {
    if (isEmpty(p)) {
      return Map.of();
    }
    if (p.currentToken() != JsonToken.START_OBJECT) {
      throw problem(p, "annotations: a " + describe(p) + " (expected: a map)");
    }
    Map<String, String> annotations = new LinkedHashMap<>();
    while (p.nextToken() == JsonToken.FIELD_NAME) {
      String key = p.currentName();
      JsonToken value = p.nextToken();
      if (value == JsonToken.VALUE_NULL) {
        annotations.put(key, "");
      } else if (value.isScalarValue()) {
        annotations.put(key, p.getText());
      } else {
        throw problem(p, "annotation " + key + ": a " + describe(p) + " (expected: a string)");
      }
    }
    return annotations;
  }

  /** A YAML key without a value ({@code revisions:}), or an explicit null. */
  private static boolean isEmpty(JsonParser p) throws IOException {
    JsonToken t = p.currentToken();
    return t == JsonToken.VALUE_NULL || (t == JsonToken.VALUE_STRING && p.getText().isEmpty());
  }

  private static String describe(JsonParser p) {
    JsonToken t = p.currentToken();
    if (t == JsonToken.START_ARRAY) {
      return "list";
    } else if (t == JsonToken.START_OBJECT) {
      return "map";
    }
    return "scalar";
  }

  private static int line(JsonParser p) {
    return p.currentTokenLocation().getLineNr();
  }

  private static Problem problem(JsonParser p, String message) {
    return new Problem(line(p), message);
  }
}
