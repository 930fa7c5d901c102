package dev.knetty.activator.endpoints;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.knetty.common.RevisionKey;
import dev.knetty.common.config.RevisionDefaults;
import dev.knetty.common.config.RevisionSettings;
import dev.knetty.common.proxy.UpstreamTarget;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

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
 * problem. Polling runs on its own daemon thread, which also calls the listener.
 */
public final class FileEndpointSource implements EndpointSource {

  private static final Logger LOG = LoggerFactory.getLogger(FileEndpointSource.class);

  private static final YAMLFactory YAML =
      YAMLFactory.builder().enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION).build();

  /** Files larger than this are refused (an endpoints file of 10,000 pods is ~1 MiB). */
  private static final long MAX_FILE_BYTES = 16L << 20;

  private final Path file;
  private final Duration pollInterval;
  private final ScheduledExecutorService poller;
  private final LongAdder errors = new LongAdder();

  // Guarded by this.
  private Listener listener;
  private Map<RevisionKey, RevisionEndpoints> current = Map.of();
  private Object lastVersion;
  private boolean closed;

  private volatile boolean synced;

  /**
   * @param file the endpoints file
   * @param pollInterval how often to look for changes, at least 1 ms
   */
  public FileEndpointSource(Path file, Duration pollInterval) {
    this.file = Objects.requireNonNull(file, "file");
    Objects.requireNonNull(pollInterval, "pollInterval");
    if (pollInterval.toMillis() < 1) {
      throw new IllegalArgumentException(
          "pollInterval: " + pollInterval + " (expected: at least 1ms)");
    }
    this.pollInterval = pollInterval;
    this.poller =
        Executors.newSingleThreadScheduledExecutor(
            new DefaultThreadFactory("activator-endpoints-file", true));
  }

  /**
   * Reads and checks an endpoints file.
   *
   * @throws IOException naming the file, and the line and problem for a bad file
   */
  public static List<RevisionEndpoints> load(Path file) throws IOException {
    byte[] content;
    try {
      if (Files.size(file) > MAX_FILE_BYTES) {
        throw new IOException(file + ": larger than " + MAX_FILE_BYTES + " bytes");
      }
      content = Files.readAllBytes(file);
    } catch (NoSuchFileException e) {
      throw new IOException(file + ": no such file", e);
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
      throw new IllegalStateException("endpoints file " + file + ": already started");
    }
    this.listener = Objects.requireNonNull(listener, "listener");
    if (closed) {
      return;
    }
    poll();
    long millis = pollInterval.toMillis();
    poller.scheduleWithFixedDelay(this::poll, millis, millis, TimeUnit.MILLISECONDS);
  }

  @Override
  public boolean synced() {
    return synced;
  }

  /** Files that could not be read or parsed so far. */
  public long errors() {
    return errors.sum();
  }

  @Override
  public synchronized void close() {
    closed = true;
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
      version = e.getClass(); // report a missing file once, not at every poll
    }
    if (version.equals(lastVersion)) {
      return;
    }
    lastVersion = version;
    List<RevisionEndpoints> revisions;
    try {
      revisions = load(file);
    } catch (IOException e) {
      errors.increment();
      LOG.warn(
          "Endpoints file {}; keeping the last good state ({} revisions)",
          e.getMessage(),
          current.size());
      return;
    }
    apply(revisions);
  }

  private void apply(List<RevisionEndpoints> revisions) {
    Map<RevisionKey, RevisionEndpoints> next = new LinkedHashMap<>();
    for (RevisionEndpoints r : revisions) {
      next.put(r.revision(), r);
    }
    int removed = 0;
    int changed = 0;
    for (RevisionKey key : current.keySet()) {
      if (!next.containsKey(key)) {
        listener.remove(key);
        removed++;
      }
    }
    for (RevisionEndpoints r : next.values()) {
      if (!r.equals(current.get(r.revision()))) {
        listener.upsert(r);
        changed++;
      }
    }
    LOG.info(
        "Endpoints file {}: {} revisions, {} added or changed, {} removed",
        file,
        next.size(),
        changed,
        removed);
    current = next;
    synced = true;
  }

  // ---------------------------------------------------------------- parsing

  /** A problem at a line of the file. */
  static final class Problem extends Exception {
    private static final long serialVersionUID = 1L;

    final int line;

    Problem(int line, String message) {
      super(message);
      this.line = line;
    }
  }

  static List<RevisionEndpoints> parse(byte[] content) throws Problem {
    try (JsonParser p = YAML.createParser(content)) {
      List<RevisionEndpoints> revisions = new ArrayList<>();
      JsonToken t = p.nextToken();
      if (t == null) {
        return revisions; // an empty file: no revisions
      }
      if (t != JsonToken.START_OBJECT) {
        throw problem(p, "a " + describe(p) + " (expected: a map with a 'revisions' list)");
      }
      Map<RevisionKey, Integer> lines = new HashMap<>();
      while (p.nextToken() == JsonToken.FIELD_NAME) {
        if (!p.currentName().equals("revisions")) {
          throw problem(p, "unknown key '" + p.currentName() + "' (expected: revisions)");
        }
        t = p.nextToken();
        if (t == JsonToken.VALUE_NULL) {
          continue;
        }
        if (t != JsonToken.START_ARRAY) {
          throw problem(p, "revisions: a " + describe(p) + " (expected: a list)");
        }
        while (p.nextToken() != JsonToken.END_ARRAY) {
          int line = line(p);
          RevisionEndpoints r = revision(p);
          Integer first = lines.putIfAbsent(r.revision(), line);
          if (first != null) {
            throw new Problem(
                line,
                "revision " + r.revision() + " is listed twice (first at line " + first + ")");
          }
          revisions.add(r);
        }
      }
      return revisions;
    } catch (JsonProcessingException e) {
      JsonLocation at = e.getLocation();
      throw new Problem(at == null ? 0 : at.getLineNr(), e.getOriginalMessage());
    } catch (IOException e) {
      throw new Problem(0, e.toString());
    }
  }

  private static RevisionEndpoints revision(JsonParser p) throws IOException, Problem {
    int line = line(p);
    if (p.currentToken() != JsonToken.START_OBJECT) {
      throw problem(p, "a revision is a " + describe(p) + " (expected: a map)");
    }
    String namespace = null;
    String name = null;
    Integer cc = null;
    Long timeout = null;
    Long responseStart = null;
    Long idle = null;
    List<PodEndpoint> endpoints = List.of();
    while (p.nextToken() == JsonToken.FIELD_NAME) {
      String key = p.currentName();
      p.nextToken();
      switch (key) {
        case "namespace":
          namespace = string(p, key);
          break;
        case "name":
          name = string(p, key);
          break;
        case "containerConcurrency":
          cc = (int) integer(p, key, Integer.MIN_VALUE, Integer.MAX_VALUE);
          break;
        case "timeoutSeconds":
          timeout = integer(p, key, Long.MIN_VALUE, Long.MAX_VALUE);
          break;
        case "responseStartTimeoutSeconds":
          responseStart = integer(p, key, Long.MIN_VALUE, Long.MAX_VALUE);
          break;
        case "idleTimeoutSeconds":
          idle = integer(p, key, Long.MIN_VALUE, Long.MAX_VALUE);
          break;
        case "endpoints":
          endpoints = endpoints(p);
          break;
        default:
          throw problem(
              p,
              "unknown key '"
                  + key
                  + "' (expected: namespace, name, containerConcurrency, timeoutSeconds,"
                  + " responseStartTimeoutSeconds, idleTimeoutSeconds, endpoints)");
      }
    }
    if (namespace == null || name == null) {
      throw new Problem(line, "a revision needs a namespace and a name");
    }
    try {
      RevisionKey key = new RevisionKey(namespace, name);
      RevisionSettings settings =
          RevisionSettings.resolve(
              RevisionDefaults.defaults(), cc, timeout, responseStart, idle, null);
      return new RevisionEndpoints(key, settings, endpoints);
    } catch (IllegalArgumentException e) {
      throw new Problem(line, e.getMessage());
    }
  }

  private static List<PodEndpoint> endpoints(JsonParser p) throws IOException, Problem {
    if (p.currentToken() == JsonToken.VALUE_NULL) {
      return List.of();
    }
    if (p.currentToken() != JsonToken.START_ARRAY) {
      throw problem(p, "endpoints: a " + describe(p) + " (expected: a list)");
    }
    List<PodEndpoint> endpoints = new ArrayList<>();
    Map<Object, Integer> lines = new HashMap<>();
    while (p.nextToken() != JsonToken.END_ARRAY) {
      int line = line(p);
      PodEndpoint e = endpoint(p);
      Integer first = lines.putIfAbsent(e.address(), line);
      if (first != null) {
        throw new Problem(
            line, "endpoint " + e.address() + " is listed twice (first at line " + first + ")");
      }
      endpoints.add(e);
    }
    return endpoints;
  }

  private static PodEndpoint endpoint(JsonParser p) throws IOException, Problem {
    if (p.currentToken() == JsonToken.VALUE_STRING) {
      return new PodEndpoint(address(p, p.getText()), true, false);
    }
    if (p.currentToken() != JsonToken.START_OBJECT) {
      throw problem(
          p, "an endpoint is a " + describe(p) + " (expected: IP:PORT or a map with an address)");
    }
    int line = line(p);
    String address = null;
    boolean ready = true;
    boolean terminating = false;
    while (p.nextToken() == JsonToken.FIELD_NAME) {
      String key = p.currentName();
      p.nextToken();
      switch (key) {
        case "address":
          address = string(p, key);
          break;
        case "ready":
          ready = bool(p, key);
          break;
        case "terminating":
          terminating = bool(p, key);
          break;
        default:
          throw problem(p, "unknown key '" + key + "' (expected: address, ready, terminating)");
      }
    }
    if (address == null) {
      throw new Problem(line, "an endpoint needs an address");
    }
    return new PodEndpoint(address(p, address), ready, terminating);
  }

  private static UpstreamTarget address(JsonParser p, String value) throws Problem {
    try {
      return PodEndpoint.parseAddress(value);
    } catch (IllegalArgumentException e) {
      throw problem(p, e.getMessage());
    }
  }

  private static String string(JsonParser p, String key) throws IOException, Problem {
    if (p.currentToken() != JsonToken.VALUE_STRING) {
      throw problem(p, key + ": a " + describe(p) + " (expected: a string)");
    }
    return p.getText();
  }

  private static long integer(JsonParser p, String key, long min, long max)
      throws IOException, Problem {
    if (p.currentToken() != JsonToken.VALUE_NUMBER_INT
        || p.getNumberType() == JsonParser.NumberType.BIG_INTEGER
        || p.getLongValue() < min
        || p.getLongValue() > max) {
      throw problem(p, key + ": " + p.getText() + " (expected: an integer)");
    }
    return p.getLongValue();
  }

  private static boolean bool(JsonParser p, String key) throws IOException, Problem {
    if (!p.currentToken().isBoolean()) {
      throw problem(p, key + ": " + p.getText() + " (expected: true or false)");
    }
    return p.getBooleanValue();
  }

  private static Problem problem(JsonParser p, String message) {
    return new Problem(line(p), message);
  }

  private static int line(JsonParser p) {
    return p.currentTokenLocation().getLineNr();
  }

  private static String describe(JsonParser p) {
    JsonToken t = p.currentToken();
    if (t == JsonToken.START_ARRAY) {
      return "list";
    }
    if (t == JsonToken.START_OBJECT) {
      return "map";
    }
    return "value '" + text(p) + "'";
  }

  private static String text(JsonParser p) {
    try {
      return p.getText();
    } catch (IOException e) {
      return "?";
    }
  }
}
