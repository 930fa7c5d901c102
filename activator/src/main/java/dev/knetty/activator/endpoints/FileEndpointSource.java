package dev.knetty.activator.endpoints;

import static dev.knetty.common.config.YamlFields.bool;
import static dev.knetty.common.config.YamlFields.describe;
import static dev.knetty.common.config.YamlFields.dnsLabel;
import static dev.knetty.common.config.YamlFields.intValue;
import static dev.knetty.common.config.YamlFields.isEmpty;
import static dev.knetty.common.config.YamlFields.line;
import static dev.knetty.common.config.YamlFields.listedOnce;
import static dev.knetty.common.config.YamlFields.longValue;
import static dev.knetty.common.config.YamlFields.problem;
import static dev.knetty.common.config.YamlFields.string;
import static dev.knetty.common.config.YamlFields.unknownKey;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import dev.knetty.common.RevisionKey;
import dev.knetty.common.config.ConfigException;
import dev.knetty.common.config.RevisionDefaults;
import dev.knetty.common.config.RevisionSettings;
import dev.knetty.common.config.RevisionsFile;
import dev.knetty.common.config.YamlProblem;
import dev.knetty.common.proxy.UpstreamTarget;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Revisions and their pods listed in a YAML (or JSON) file, reloaded when it changes:
 *
 * <pre>{@code
 * revisions:
 *   - namespace: default
 *     name: hello-00001
 *     containerConcurrency: 1             # default 0 (unlimited)
 *     timeoutSeconds: 300                 # default 300
 *     responseStartTimeoutSeconds: 0      # default 0 (disabled)
 *     idleTimeoutSeconds: 0               # default 0 (disabled)
 *     endpoints:
 *       - address: 10.0.0.5:8012          # the pod's queue-proxy
 *         ready: false                    # default true
 *         terminating: false              # default false
 *       - 10.0.0.6:8012                   # short for a ready endpoint
 * }</pre>
 *
 * <p>Settings are defaulted and checked as Knative does for a revision ({@link
 * RevisionSettings#resolve}). Unknown keys and a revision or address listed twice are errors.
 *
 * <p>The file is checked every poll interval (modification time, size and file identity, so an
 * atomic replace or a ConfigMap volume's symlink swap is seen) and re-read when one changed; only
 * revisions that were added, changed or removed are reported. A file that cannot be read or parsed
 * changes nothing: the last good state stays and one warning names the file, the line and the
 * problem. Polling runs on its own daemon thread, which also calls the listener ({@link
 * RevisionsFile}).
 */
public final class FileEndpointSource implements EndpointSource {

  private static final RevisionsFile.Format<RevisionEndpoints> FORMAT =
      new RevisionsFile.Format<>(FileEndpointSource::revision, RevisionEndpoints::revision);

  private final RevisionsFile<RevisionEndpoints> file;

  /**
   * @param file the endpoints file
   * @param pollInterval how often to look for changes, at least 1 ms
   */
  public FileEndpointSource(Path file, Duration pollInterval) {
    this.file =
        new RevisionsFile<>(
            FORMAT, file, pollInterval, "Endpoints file", "activator-endpoints-file");
  }

  /**
   * Reads and checks an endpoints file.
   *
   * @throws IOException naming the file, and the line and problem for a bad file
   */
  public static List<RevisionEndpoints> load(Path file) throws IOException {
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

  /** Files that could not be read or parsed so far. */
  public long errors() {
    return file.errors();
  }

  @Override
  public void close() {
    file.close();
  }

  /** Re-reads the file if it changed since the last look. */
  void poll() {
    file.poll();
  }

  // ---------------------------------------------------------------- parsing

  private static final String REVISION_KEYS =
      "namespace, name, containerConcurrency, timeoutSeconds, responseStartTimeoutSeconds,"
          + " idleTimeoutSeconds, endpoints";

  private static RevisionEndpoints revision(JsonParser p) throws IOException, YamlProblem {
    int line = line(p);
    String namespace = null;
    String name = null;
    Integer cc = null;
    Long timeout = null;
    Long responseStart = null;
    Long idle = null;
    List<PodEndpoint> endpoints = List.of();
    Map<String, Integer> lines = new HashMap<>(); // where to point a settings problem
    while (p.nextToken() == JsonToken.FIELD_NAME) {
      String key = p.currentName();
      p.nextToken();
      lines.put(key, line(p));
      switch (key) {
        case "namespace":
          namespace = dnsLabel(p, key);
          break;
        case "name":
          name = dnsLabel(p, key);
          break;
        case "containerConcurrency":
          cc = intValue(p, key, Integer.MIN_VALUE); // range: RevisionSettings
          break;
        case "timeoutSeconds":
          timeout = longValue(p, key, Long.MIN_VALUE);
          break;
        case "responseStartTimeoutSeconds":
          responseStart = longValue(p, key, Long.MIN_VALUE);
          break;
        case "idleTimeoutSeconds":
          idle = longValue(p, key, Long.MIN_VALUE);
          break;
        case "endpoints":
          endpoints = endpoints(p);
          break;
        default:
          throw unknownKey(p, key, REVISION_KEYS);
      }
    }
    if (namespace == null || name == null) {
      throw new YamlProblem(line, "a revision needs a namespace and a name");
    }
    try {
      RevisionSettings settings =
          RevisionSettings.resolve(
              RevisionDefaults.defaults(), cc, timeout, responseStart, idle, null);
      return new RevisionEndpoints(new RevisionKey(namespace, name), settings, endpoints);
    } catch (ConfigException e) {
      throw new YamlProblem(lines.getOrDefault(e.key(), line), e.getMessage());
    } catch (IllegalArgumentException e) {
      throw new YamlProblem(line, e.getMessage());
    }
  }

  private static List<PodEndpoint> endpoints(JsonParser p) throws IOException, YamlProblem {
    if (isEmpty(p)) {
      return List.of();
    }
    if (p.currentToken() != JsonToken.START_ARRAY) {
      throw problem(p, "endpoints: " + describe(p) + " (expected: a list)");
    }
    List<PodEndpoint> endpoints = new ArrayList<>();
    Map<UpstreamTarget, Integer> lines = new HashMap<>();
    while (p.nextToken() != JsonToken.END_ARRAY) {
      int line = line(p);
      PodEndpoint e = endpoint(p);
      listedOnce(lines, e.address(), line, "endpoint " + e.address());
      endpoints.add(e);
    }
    return endpoints;
  }

  private static PodEndpoint endpoint(JsonParser p) throws IOException, YamlProblem {
    if (p.currentToken() == JsonToken.VALUE_STRING) {
      return new PodEndpoint(address(p, p.getText()), true, false);
    }
    if (p.currentToken() != JsonToken.START_OBJECT) {
      throw problem(
          p, "endpoints: " + describe(p) + " (expected: IP:PORT or a map with an address)");
    }
    int line = line(p);
    UpstreamTarget address = null;
    boolean ready = true;
    boolean terminating = false;
    while (p.nextToken() == JsonToken.FIELD_NAME) {
      String key = p.currentName();
      p.nextToken();
      switch (key) {
        case "address":
          address = address(p, string(p, key));
          break;
        case "ready":
          ready = bool(p, key);
          break;
        case "terminating":
          terminating = bool(p, key);
          break;
        default:
          throw unknownKey(p, key, "address, ready, terminating");
      }
    }
    if (address == null) {
      throw new YamlProblem(line, "an endpoint needs an address");
    }
    return new PodEndpoint(address, ready, terminating);
  }

  private static UpstreamTarget address(JsonParser p, String value) throws YamlProblem {
    try {
      return PodEndpoint.parseAddress(value);
    } catch (IllegalArgumentException e) {
      throw problem(p, e.getMessage());
    }
  }
}
