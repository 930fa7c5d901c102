package dev.knetty.common.config;

import static dev.knetty.common.config.YamlFields.describe;
import static dev.knetty.common.config.YamlFields.isEmpty;
import static dev.knetty.common.config.YamlFields.line;
import static dev.knetty.common.config.YamlFields.problem;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import dev.knetty.common.RevisionKey;
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
import java.util.function.Consumer;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A YAML (or JSON) file with a top-level {@code revisions:} list, polled for changes; what each
 * revision looks like is the caller's ({@link Format}).
 *
 * <p>The file is checked every poll interval (modification time, size and file identity, so that an
 * atomic replace or a Kubernetes ConfigMap volume's symlink swap is seen) and re-read when one of
 * them changed; only revisions that were added, changed ({@code equals}) or removed are reported. A
 * file that cannot be read or parsed changes nothing: the last good state stays, one warning names
 * the file, the line and the problem, and {@link #errors()} counts it (a missing file once, not at
 * every poll). Polling runs on its own daemon thread, which also calls the listener: never an event
 * loop.
 *
 * @param <T> a revision as the caller reads it
 */
public final class RevisionsFile<T> implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(RevisionsFile.class);

  /** Files larger than this are refused (a file of 10,000 revisions or pods is ~1 MiB). */
  public static final long MAX_FILE_BYTES = 16L << 20;

  /**
   * How to read the revisions of a file.
   *
   * @param revision reads one revision; called at its map's {@code START_OBJECT}, it reads up to
   *     and including the {@code END_OBJECT}
   * @param key a revision's identity: a revision listed twice is a problem
   */
  public record Format<T>(YamlFields.Reader<T> revision, Function<? super T, RevisionKey> key) {

    public Format {
      Objects.requireNonNull(revision, "revision");
      Objects.requireNonNull(key, "key");
    }

    /**
     * Reads and checks {@code file}.
     *
     * @throws IOException naming the file, and the line and the problem for a bad file
     */
    public List<T> load(Path file) throws IOException {
      byte[] content = null;
      try {
        if (Files.size(file) <= MAX_FILE_BYTES) {
          content = Files.readAllBytes(file);
        }
      } catch (NoSuchFileException e) {
        throw new IOException(file + ": no such file", e);
      } catch (IOException e) {
        throw new IOException(file + ": cannot read: " + e, e);
      }
      if (content == null) {
        throw new IOException(file + ": larger than " + MAX_FILE_BYTES + " bytes");
      }
      try {
        return parse(content);
      } catch (YamlProblem e) {
        throw e.inFile(file);
      }
    }

    /** Parses and checks a file's {@code content}; an empty file has no revisions. */
    public List<T> parse(byte[] content) throws YamlProblem {
      return YamlFields.parse(content, this::revisions);
    }

    private List<T> revisions(JsonParser p) throws IOException, YamlProblem {
      List<T> revisions = new ArrayList<>();
      if (p.nextToken() == null) {
        return revisions;
      }
      if (p.currentToken() != JsonToken.START_OBJECT) {
        throw problem(p, describe(p) + " (expected: a map with a 'revisions' list)");
      }
      Map<RevisionKey, Integer> lines = new HashMap<>();
      while (p.nextToken() == JsonToken.FIELD_NAME) {
        if (!p.currentName().equals("revisions")) {
          throw YamlFields.unknownKey(p, p.currentName(), "revisions");
        }
        p.nextToken();
        if (isEmpty(p)) {
          continue;
        }
        if (p.currentToken() != JsonToken.START_ARRAY) {
          throw problem(p, "revisions: " + describe(p) + " (expected: a list)");
        }
        while (p.nextToken() != JsonToken.END_ARRAY) {
          if (p.currentToken() != JsonToken.START_OBJECT) {
            throw problem(p, "revisions: " + describe(p) + " (expected: a map per revision)");
          }
          int line = line(p);
          T r = revision.read(p);
          RevisionKey k = key.apply(r);
          YamlFields.listedOnce(lines, k, line, "revision " + k);
          revisions.add(r);
        }
      }
      return revisions;
    }
  }

  private final Format<T> format;
  private final Path file;
  private final Duration pollInterval;
  private final String what;
  private final ScheduledExecutorService poller;
  private final LongAdder errors = new LongAdder();

  // Guarded by this.
  private Consumer<? super T> upsert;
  private Consumer<? super RevisionKey> remove;
  private Map<RevisionKey, T> current = Map.of();
  private Object lastVersion;
  private boolean closed;

  private volatile boolean synced;

  /**
   * @param format how to read the file
   * @param file the file
   * @param pollInterval how often to look for changes, at least 1 ms
   * @param what what the file is, for log lines, e.g. {@code Endpoints file}
   * @param threadName the polling thread's name
   */
  public RevisionsFile(
      Format<T> format, Path file, Duration pollInterval, String what, String threadName) {
    this.format = Objects.requireNonNull(format, "format");
    this.file = Objects.requireNonNull(file, "file");
    this.pollInterval = Objects.requireNonNull(pollInterval, "pollInterval");
    if (pollInterval.toMillis() < 1) {
      throw new IllegalArgumentException(
          "pollInterval: " + pollInterval + " (expected: at least 1ms)");
    }
    this.what = Objects.requireNonNull(what, "what");
    this.poller =
        Executors.newSingleThreadScheduledExecutor(
            new DefaultThreadFactory(Objects.requireNonNull(threadName, "threadName"), true));
  }

  /**
   * Reads the file, reports every revision in it to {@code upsert}, then polls and reports changes
   * from the polling thread. Called once.
   */
  public synchronized void start(Consumer<? super T> upsert, Consumer<? super RevisionKey> remove) {
    if (this.upsert != null) {
      throw new IllegalStateException(what + " " + file + ": already started");
    }
    this.upsert = Objects.requireNonNull(upsert, "upsert");
    this.remove = Objects.requireNonNull(remove, "remove");
    if (closed) {
      return;
    }
    poll();
    long millis = pollInterval.toMillis();
    poller.scheduleWithFixedDelay(this::pollQuietly, millis, millis, TimeUnit.MILLISECONDS);
  }

  /** Whether a good file has been read and reported (the listener knows the whole set). */
  public boolean synced() {
    return synced;
  }

  /** Files that could not be read or parsed so far. */
  public long errors() {
    return errors.sum();
  }

  /** Stops polling; the listener hears nothing more. */
  @Override
  public synchronized void close() {
    closed = true;
    poller.shutdownNow();
  }

  /**
   * Re-reads the file now if it changed since the last look. The polling thread calls this; a
   * caller that knows the file changed may too. Does nothing before {@link #start} and after {@link
   * #close}.
   */
  public synchronized void poll() {
    if (closed || upsert == null) {
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
    List<T> revisions;
    try {
      revisions = format.load(file);
    } catch (IOException e) {
      errors.increment();
      LOG.warn(
          "{} {}; keeping the last good state ({} revisions)",
          what,
          e.getMessage(),
          current.size());
      return;
    }
    apply(revisions);
  }

  /** The scheduled poll: a listener's failure is logged and the next poll comes all the same. */
  private void pollQuietly() {
    try {
      poll();
    } catch (RuntimeException e) {
      LOG.warn("{} {}: applying it failed: {}", what, file, e.toString());
    }
  }

  private void apply(List<T> revisions) {
    Map<RevisionKey, T> next = new LinkedHashMap<>();
    for (T r : revisions) {
      next.put(format.key().apply(r), r);
    }
    int removed = 0;
    int changed = 0;
    for (RevisionKey key : current.keySet()) {
      if (!next.containsKey(key)) {
        remove.accept(key);
        removed++;
      }
    }
    for (Map.Entry<RevisionKey, T> e : next.entrySet()) {
      if (!e.getValue().equals(current.get(e.getKey()))) {
        upsert.accept(e.getValue());
        changed++;
      }
    }
    if (synced) {
      LOG.info(
          "{} {} reloaded: {} revisions, {} added or changed, {} removed",
          what,
          file,
          next.size(),
          changed,
          removed);
    } else {
      LOG.info("{} {}: {} revisions", what, file, next.size());
    }
    current = next;
    synced = true;
  }
}
