package dev.knetty.autoscaler.server;

import dev.knetty.common.config.AutoscalerConfig;
import dev.knetty.common.config.ConfigException;
import dev.knetty.common.config.ConfigMaps;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Knative's {@code config-autoscaler} from a file (YAML or {@code .properties}, see {@link
 * ConfigMaps}) or from a directory holding one file per key, which is how Kubernetes mounts a
 * ConfigMap volume, re-read while the process runs.
 *
 * <p>Kubernetes updates a mounted ConfigMap by pointing the {@code ..data} symlink at a new
 * directory, so modification times say little: every poll reads the keys (a few small files) and
 * compares them with the last ones read. A changed config that parses goes to the listener; one
 * that does not is logged once (naming the key, the value and what was expected), counted in {@code
 * knetty.autoscaler.config.errors}, and the last good config stays.
 */
public final class AutoscalerConfigWatcher implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(AutoscalerConfigWatcher.class);

  private final Path path;
  private final Consumer<AutoscalerConfig> listener;
  private final Counter errors;
  private final ScheduledExecutorService poller;
  private Map<String, String> last; // guarded by this
  private Map<String, String> lastRefused;

  /**
   * Starts polling {@code path} every {@code interval}.
   *
   * @param path the file or directory; read once before, see {@link #load}
   * @param listener told about each changed config that parses, on the watcher's thread
   */
  public AutoscalerConfigWatcher(
      Path path, Duration interval, MeterRegistry registry, Consumer<AutoscalerConfig> listener) {
    this.path = Objects.requireNonNull(path, "path");
    this.listener = Objects.requireNonNull(listener, "listener");
    this.errors =
        Counter.builder("knetty.autoscaler.config.errors")
            .description("config-autoscaler changes that could not be read or parsed (not applied)")
            .register(registry);
    this.last = tryRead();
    this.poller =
        Executors.newSingleThreadScheduledExecutor(
            new DefaultThreadFactory("knetty-config-watcher", true));
    long millis = interval.toMillis();
    poller.scheduleWithFixedDelay(this::poll, millis, millis, TimeUnit.MILLISECONDS);
  }

  /**
   * Reads and parses the config at {@code path}, as Knative does; unknown keys are logged.
   *
   * @throws ConfigException naming the bad key, its value and what was expected
   * @throws UncheckedIOException when it cannot be read
   */
  public static AutoscalerConfig load(Path path) {
    return parse(path, read(path));
  }

  /** The keys and values at {@code path}: a directory's files, or a file's entries. */
  static Map<String, String> read(Path path) {
    if (!Files.isDirectory(path)) {
      return ConfigMaps.load(path);
    }
    // ConfigMap volumes: one file per key (a symlink into ..data); the ..data machinery and
    // other hidden entries are not keys.
    Map<String, String> data = new TreeMap<>();
    try (Stream<Path> entries = Files.list(path)) {
      for (Path entry : (Iterable<Path>) entries::iterator) {
        String key = entry.getFileName().toString();
        if (!key.startsWith(".") && Files.isRegularFile(entry)) {
          data.put(key, Files.readString(entry, StandardCharsets.UTF_8));
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + path, e);
    }
    return data;
  }

  private static AutoscalerConfig parse(Path path, Map<String, String> data) {
    AutoscalerConfig parsed = AutoscalerConfig.fromMap(data);
    Set<String> unknown = AutoscalerConfig.unknownKeys(data);
    if (!unknown.isEmpty()) {
      LOG.warn("{}: keys Knative does not read are ignored: {}", path, unknown);
    }
    return parsed;
  }

  private Map<String, String> tryRead() {
    try {
      return read(path);
    } catch (RuntimeException e) {
      return null;
    }
  }

  /** One poll: a changed config that parses goes to the listener. */
  synchronized void poll() {
    Map<String, String> data;
    try {
      data = read(path);
    } catch (RuntimeException e) {
      refused(null, e);
      return;
    }
    if (data.equals(last)) {
      return;
    }
    AutoscalerConfig config;
    try {
      config = parse(path, data);
    } catch (ConfigException e) {
      refused(data, e);
      return;
    }
    last = data;
    lastRefused = null;
    LOG.info("{}: config-autoscaler changed, applying it", path);
    try {
      listener.accept(config);
    } catch (RuntimeException e) {
      LOG.warn("{}: applying the changed config-autoscaler failed: {}", path, e.toString());
    }
  }

  /** Counts and logs a refused change once, not at every poll while it stays. */
  private void refused(Map<String, String> data, RuntimeException e) {
    Map<String, String> seen = data == null ? Map.of() : data;
    if (!seen.equals(lastRefused)) {
      lastRefused = seen;
      errors.increment();
      LOG.warn("{}: keeping the last good config-autoscaler: {}", path, e.getMessage());
    }
  }

  /** Stops polling. */
  @Override
  public void close() {
    poller.shutdownNow();
  }
}
