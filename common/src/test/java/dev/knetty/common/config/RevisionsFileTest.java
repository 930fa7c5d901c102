package dev.knetty.common.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import dev.knetty.common.RevisionKey;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

class RevisionsFileTest {

  /** A revision as the test format reads it: {@code {namespace, name, value}}. */
  record Item(RevisionKey key, int value) {}

  private static final RevisionsFile.Format<Item> FORMAT =
      new RevisionsFile.Format<>(RevisionsFileTest::item, Item::key);

  private static Item item(JsonParser p) throws IOException, YamlProblem {
    String namespace = null;
    String name = null;
    int value = 0;
    while (p.nextToken() == JsonToken.FIELD_NAME) {
      String key = p.currentName();
      p.nextToken();
      switch (key) {
        case "namespace" -> namespace = YamlFields.dnsLabel(p, key);
        case "name" -> name = YamlFields.dnsLabel(p, key);
        case "value" -> value = YamlFields.intValue(p, key, 0);
        default -> throw YamlFields.unknownKey(p, key, "namespace, name, value");
      }
    }
    return new Item(new RevisionKey(namespace, name), value);
  }

  @TempDir Path dir;

  private final List<String> events = new CopyOnWriteArrayList<>();
  private final ListAppender<ILoggingEvent> logs = new ListAppender<>();
  private final Logger logger = (Logger) LoggerFactory.getLogger(RevisionsFile.class);
  private RevisionsFile<Item> source;
  private long mtime = System.currentTimeMillis();

  @BeforeEach
  void captureLogs() {
    logs.start();
    logger.addAppender(logs);
  }

  @AfterEach
  void tearDown() {
    logger.detachAppender(logs);
    if (source != null) {
      source.close();
    }
  }

  /** Writes the file with a later modification time, so a poll sees the change. */
  private Path write(String yaml) throws IOException {
    Path file = dir.resolve("revisions.yaml");
    Files.writeString(file, yaml, StandardCharsets.UTF_8);
    mtime += 10_000;
    Files.setLastModifiedTime(file, FileTime.fromMillis(mtime));
    return file;
  }

  private RevisionsFile<Item> start(Path file, Duration poll) {
    source = new RevisionsFile<>(FORMAT, file, poll, "Test file", "test-revisions-file");
    source.start(
        i -> events.add("upsert " + i.key() + " " + i.value()), k -> events.add("remove " + k));
    return source;
  }

  private List<String> warnings() {
    return logs.list.stream()
        .filter(e -> e.getLevel() == Level.WARN)
        .map(ILoggingEvent::getFormattedMessage)
        .toList();
  }

  private static final String V1 =
      """
      revisions:
        - {namespace: default, name: hello, value: 1}
        - {namespace: default, name: world, value: 2}
      """;

  @Test
  void deliversTheRevisionsThenOnlyWhatChanged() throws IOException {
    Path file = write(V1);
    start(file, Duration.ofHours(1)); // polled by hand below
    assertThat(source.synced()).isTrue();
    assertThat(events).containsExactly("upsert default/hello 1", "upsert default/world 2");
    events.clear();

    write(
        """
        revisions:
          - {namespace: default, name: hello, value: 1}
          - {namespace: default, name: world, value: 3}
          - {namespace: team-a, name: other}
        """);
    source.poll();
    assertThat(events).containsExactly("upsert default/world 3", "upsert team-a/other 0");

    events.clear();
    source.poll(); // unchanged file: nothing
    assertThat(events).isEmpty();

    write("revisions:\n  - {namespace: default, name: world, value: 3}\n");
    source.poll();
    assertThat(events).containsExactly("remove default/hello", "remove team-a/other");
  }

  @Test
  void aBadFileKeepsTheLastGoodStateAndIsReportedOnce() throws IOException {
    Path file = write(V1);
    start(file, Duration.ofHours(1));
    events.clear();

    write("revisions:\n  - namespace: default\n    name: hello\n    valu: 1\n");
    source.poll();
    source.poll(); // the same bad file: reported once

    assertThat(events).isEmpty();
    assertThat(source.errors()).isEqualTo(1);
    assertThat(warnings())
        .singleElement()
        .asString()
        .contains(
            "Test file " + file + " line 4: unknown key 'valu'",
            "keeping the last good state (2 revisions)");

    write("revisions: [\n");
    source.poll();
    Files.delete(file);
    source.poll();
    source.poll(); // still missing: counted once
    assertThat(source.errors()).isEqualTo(3);
    assertThat(warnings()).hasSize(3);
    assertThat(warnings().get(2)).contains(file + ": no such file");
    assertThat(events).isEmpty();
    assertThat(source.synced()).isTrue();

    write(V1.replace("value: 2", "value: 5"));
    source.poll();
    assertThat(events).containsExactly("upsert default/world 5");
  }

  @Test
  void aMissingFileIsNotSyncedUntilItAppears() throws IOException {
    Path file = dir.resolve("revisions.yaml");
    start(file, Duration.ofHours(1));
    assertThat(source.synced()).isFalse();
    assertThat(source.errors()).isEqualTo(1);

    write(V1);
    source.poll();
    assertThat(source.synced()).isTrue();
    assertThat(events).hasSize(2);
  }

  @Test
  void changesAreSeenByThePollingThread() throws IOException {
    Path file = write(V1);
    List<String> threads = new CopyOnWriteArrayList<>();
    source = new RevisionsFile<>(FORMAT, file, Duration.ofMillis(20), "Test file", "test-poller");
    source.start(
        i -> {
          threads.add(Thread.currentThread().getName() + " " + Thread.currentThread().isDaemon());
          events.add("upsert " + i.key() + " " + i.value());
        },
        k -> events.add("remove " + k));
    threads.clear();

    write(V1.replace("value: 2", "value: 7"));
    await().atMost(Duration.ofSeconds(30)).until(() -> events.contains("upsert default/world 7"));
    assertThat(threads).singleElement().asString().startsWith("test-poller").endsWith(" true");
  }

  @Test
  void aConfigMapSymlinkSwapIsSeen() throws IOException {
    // A ConfigMap volume: revisions.yaml -> ..data/revisions.yaml, ..data -> ..<timestamp>; an
    // update writes a new timestamped directory and swaps ..data. Same size, same modification
    // time: only the file's identity tells.
    FileTime time = FileTime.fromMillis(mtime);
    Path v1 = Files.createDirectory(dir.resolve("..2024_01"));
    Files.setLastModifiedTime(Files.writeString(v1.resolve("revisions.yaml"), V1), time);
    Files.createSymbolicLink(dir.resolve("..data"), v1.getFileName());
    Path file =
        Files.createSymbolicLink(dir.resolve("revisions.yaml"), Path.of("..data/revisions.yaml"));
    start(file, Duration.ofMillis(20));
    events.clear();

    Path v2 = Files.createDirectory(dir.resolve("..2024_02"));
    Files.setLastModifiedTime(
        Files.writeString(v2.resolve("revisions.yaml"), V1.replace("value: 2", "value: 9")), time);
    Path tmp = Files.createSymbolicLink(dir.resolve("..data_tmp"), v2.getFileName());
    Files.move(tmp, dir.resolve("..data"), StandardCopyOption.ATOMIC_MOVE);

    await().atMost(Duration.ofSeconds(30)).until(() -> events.contains("upsert default/world 9"));
    assertThat(events).containsExactly("upsert default/world 9");
  }

  @Test
  void aListenerFailureDoesNotStopThePolling() throws IOException {
    Path file = write(V1);
    source = new RevisionsFile<>(FORMAT, file, Duration.ofMillis(20), "Test file", "test-poller");
    source.start(
        i -> {
          if (i.value() == 13) {
            throw new IllegalStateException("unlucky");
          }
          events.add("upsert " + i.key() + " " + i.value());
        },
        k -> events.add("remove " + k));

    write(V1.replace("value: 2", "value: 13"));
    await()
        .atMost(Duration.ofSeconds(30))
        .until(() -> warnings().stream().anyMatch(w -> w.contains("unlucky")));
    write(V1.replace("value: 2", "value: 14"));
    await().atMost(Duration.ofSeconds(30)).until(() -> events.contains("upsert default/world 14"));
  }

  @Test
  void startsOnceAndNotAfterClose() throws IOException {
    Path file = write(V1);
    start(file, Duration.ofHours(1));
    assertThatThrownBy(() -> source.start(i -> {}, k -> {}))
        .isInstanceOf(IllegalStateException.class)
        .hasMessage("Test file " + file + ": already started");

    source.close();
    events.clear();
    write("revisions: []\n");
    source.poll();
    assertThat(events).isEmpty();
  }

  @Test
  void thePollIntervalIsAtLeastOneMillisecond() {
    assertThatThrownBy(
            () -> new RevisionsFile<>(FORMAT, dir, Duration.ZERO, "Test file", "test-poller"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("pollInterval: PT0S (expected: at least 1ms)");
  }

  // ------------------------------------------------------------- load and parse

  @Test
  void anEmptyFileHasNoRevisions() throws IOException {
    assertThat(FORMAT.load(write(""))).isEmpty();
    assertThat(FORMAT.load(write("revisions:\n"))).isEmpty();
    assertThat(FORMAT.load(write("revisions: ''\n"))).isEmpty();
    assertThat(FORMAT.load(write("{\"revisions\": []}"))).isEmpty();
  }

  @Test
  void jsonWorksToo() throws IOException {
    assertThat(
            FORMAT.load(
                write("{\"revisions\": [{\"namespace\": \"a\", \"name\": \"b\", \"value\": 3}]}")))
        .containsExactly(new Item(new RevisionKey("a", "b"), 3));
  }

  @Test
  void problemsNameTheFileAndTheLine() throws IOException {
    assertProblem("- a\n- b\n", "line 1: a list (expected: a map with a 'revisions' list)");
    assertProblem("hello\n", "line 1: hello (expected: a map with a 'revisions' list)");
    assertProblem("revision:\n  - x\n", "line 1: unknown key 'revision' (expected: revisions)");
    assertProblem("revisions: {a: 1}\n", "line 1: revisions: a map (expected: a list)");
    assertProblem(
        "revisions:\n  - {namespace: a, name: x}\n  - x\n",
        "line 3: revisions: x (expected: a map per revision)");
    assertProblem(
        "revisions:\n  - namespace: a\n    name: x\n  - namespace: a\n    name: x\n",
        "line 4: revision a/x is listed twice (first at line 2)");
    assertProblem(
        "revisions:\n  - namespace: a\n    namespace: b\n", "line 3: Duplicate field 'namespace'");
    assertProblem("revisions: [\n", "line 2: expected the node content, but found '<stream end>'");
    assertProblem(
        "revisions:\n  - namespace: default\n    name: 'hello\n",
        "line 4: found unexpected end of stream (while scanning a quoted scalar at line 3)");
  }

  private void assertProblem(String yaml, String message) throws IOException {
    Path file = write(yaml);
    assertThatThrownBy(() -> FORMAT.load(file))
        .isInstanceOf(IOException.class)
        .hasMessage(file + " " + message);
  }

  @Test
  void aMissingFileIsNamed() {
    Path missing = dir.resolve("nope.yaml");
    assertThatThrownBy(() -> FORMAT.load(missing))
        .isInstanceOf(IOException.class)
        .hasMessage(missing + ": no such file");
  }

  @Test
  void aDirectoryCannotBeRead() {
    assertThatThrownBy(() -> FORMAT.load(dir))
        .isInstanceOf(IOException.class)
        .hasMessageStartingWith(dir + ": cannot read: ");
  }

  @Test
  void aFileLargerThanTheCapIsRefused() throws IOException {
    Path file = dir.resolve("huge.yaml");
    try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "rw")) {
      f.setLength(RevisionsFile.MAX_FILE_BYTES + 1); // sparse: no disk used
    }
    assertThatThrownBy(() -> FORMAT.load(file))
        .isInstanceOf(IOException.class)
        .hasMessage(file + ": larger than " + RevisionsFile.MAX_FILE_BYTES + " bytes");
  }
}
