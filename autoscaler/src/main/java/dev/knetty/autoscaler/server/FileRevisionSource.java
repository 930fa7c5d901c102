package dev.knetty.autoscaler.server;

import static dev.knetty.common.config.YamlFields.bool;
import static dev.knetty.common.config.YamlFields.describe;
import static dev.knetty.common.config.YamlFields.dnsLabel;
import static dev.knetty.common.config.YamlFields.intValue;
import static dev.knetty.common.config.YamlFields.isEmpty;
import static dev.knetty.common.config.YamlFields.line;
import static dev.knetty.common.config.YamlFields.problem;
import static dev.knetty.common.config.YamlFields.unknownKey;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import dev.knetty.common.RevisionKey;
import dev.knetty.common.config.RevisionsFile;
import dev.knetty.common.config.YamlProblem;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

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
 * per revision. Polling runs on its own daemon thread, which also calls the listener ({@link
 * RevisionsFile}).
 */
public final class FileRevisionSource implements RevisionSource {

  private static final RevisionsFile.Format<RevisionSpec> FORMAT =
      new RevisionsFile.Format<>(FileRevisionSource::revision, RevisionSpec::key);

  private final RevisionsFile<RevisionSpec> file;

  /**
   * @param file the revisions file
   * @param pollInterval how often to look for changes, at least 1 ms
   * @param registry where to count bad files
   */
  public FileRevisionSource(Path file, Duration pollInterval, MeterRegistry registry) {
    Objects.requireNonNull(registry, "registry");
    this.file =
        new RevisionsFile<>(
            FORMAT, file, pollInterval, "Revisions file", "autoscaler-revisions-file");
    FunctionCounter.builder(
            "knetty.autoscaler.revisions.file.errors", this.file, RevisionsFile::errors)
        .description("Revisions files that could not be read or parsed (the last good stays)")
        .register(registry);
  }

  /**
   * Reads and checks a revisions file.
   *
   * @throws IOException naming the file, and the line of a problem in it
   */
  public static List<RevisionSpec> load(Path file) throws IOException {
    return FORMAT.load(file);
  }

  @Override
  public void start(Listener listener) {
    Objects.requireNonNull(listener, "listener");
    file.start(listener::upsert, listener::remove);
  }

  @Override
  public boolean synced() {
    return file.synced();
  }

  @Override
  public void close() {
    file.close();
  }

  /** Re-reads the file if it changed since the last look. */
  void poll() {
    file.poll();
  }

  // --- parsing ---

  private static RevisionSpec revision(JsonParser p) throws IOException, YamlProblem {
    int line = line(p);
    String namespace = null;
    String name = null;
    int containerConcurrency = 0;
    boolean reachable = true;
    Map<String, String> annotations = Map.of();
    while (p.nextToken() == JsonToken.FIELD_NAME) {
      String field = p.currentName();
      p.nextToken();
      switch (field) {
        case "namespace":
          namespace = dnsLabel(p, field);
          break;
        case "name":
          name = dnsLabel(p, field);
          break;
        case "containerConcurrency":
          containerConcurrency = intValue(p, field, 0);
          break;
        case "reachable":
          reachable = bool(p, field);
          break;
        case "annotations":
          annotations = annotations(p);
          break;
        default:
          throw unknownKey(
              p, field, "namespace, name, containerConcurrency, reachable, annotations");
      }
    }
    if (namespace == null || name == null) {
      throw new YamlProblem(
          line, "a revision without " + (namespace == null ? "namespace" : "name"));
    }
    return new RevisionSpec(
        new RevisionKey(namespace, name), containerConcurrency, annotations, reachable);
  }

  private static Map<String, String> annotations(JsonParser p) throws IOException, YamlProblem {
    if (isEmpty(p)) {
      return Map.of();
    }
    if (p.currentToken() != JsonToken.START_OBJECT) {
      throw problem(p, "annotations: " + describe(p) + " (expected: a map)");
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
        throw problem(p, "annotation " + key + ": " + describe(p) + " (expected: a string)");
      }
    }
    return annotations;
  }
}
