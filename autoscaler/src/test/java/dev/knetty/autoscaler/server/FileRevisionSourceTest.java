package dev.knetty.autoscaler.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.knetty.common.RevisionKey;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FileRevisionSourceTest {

  private static final RevisionKey HELLO = new RevisionKey("default", "hello-00001");
  private static final RevisionKey WORLD = new RevisionKey("default", "world-00002");
  private static final RevisionKey OTHER = new RevisionKey("team-a", "other-00001");

  @TempDir Path dir;

  private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
  private final Events events = new Events();
  private FileRevisionSource source;
  private long mtime = System.currentTimeMillis();

  @AfterEach
  void close() {
    if (source != null) {
      source.close();
    }
  }

  /** Everything the listener heard, as text. */
  private static final class Events implements RevisionSource.Listener {
    final List<String> seen = new CopyOnWriteArrayList<>();

    @Override
    public void upsert(RevisionSpec spec) {
      seen.add(
          "upsert "
              + spec.key()
              + " cc="
              + spec.containerConcurrency()
              + " reachable="
              + spec.reachable()
              + " "
              + new TreeMap<>(spec.annotations()));
    }

    @Override
    public void remove(RevisionKey key) {
      seen.add("remove " + key);
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

  private FileRevisionSource start(Path file, Duration poll) {
    source = new FileRevisionSource(file, poll, registry);
    source.start(events);
    return source;
  }

  private double errors() {
    return registry.get("knetty.autoscaler.revisions.file.errors").functionCounter().count();
  }

  private static final String V1 =
      """
      revisions:
        - namespace: default
          name: hello-00001
          containerConcurrency: 10
          annotations:
            autoscaling.knative.dev/target: "5"
            autoscaling.knative.dev/min-scale: 1
        - namespace: default
          name: world-00002
      """;

  @Test
  void deliversTheRevisionsThenOnlyWhatChanged() throws IOException {
    Path file = write(V1);
    start(file, Duration.ofHours(1)); // polled by hand below
    assertThat(source.synced()).isTrue();
    assertThat(events.seen)
        .containsExactly(
            "upsert default/hello-00001 cc=10 reachable=true"
                + " {autoscaling.knative.dev/min-scale=1, autoscaling.knative.dev/target=5}",
            "upsert default/world-00002 cc=0 reachable=true {}");
    events.seen.clear();

    write(
        """
        revisions:
          - namespace: default
            name: hello-00001
            containerConcurrency: 10
            annotations:
              autoscaling.knative.dev/target: "7"
          - {namespace: team-a, name: other-00001, reachable: false}
        """);
    source.poll();
    assertThat(events.seen)
        .containsExactly(
            "remove default/world-00002",
            "upsert default/hello-00001 cc=10 reachable=true {autoscaling.knative.dev/target=7}",
            "upsert team-a/other-00001 cc=0 reachable=false {}");

    events.seen.clear();
    source.poll(); // unchanged file: nothing
    write("revisions: []\n");
    source.poll();
    assertThat(events.seen)
        .containsExactly("remove default/hello-00001", "remove team-a/other-00001");
  }

  @Test
  void aBadFileKeepsTheLastGoodRevisionsAndIsCounted() throws IOException {
    // The polling itself is RevisionsFile's (common); this checks the wiring and the metric.
    Path file = write(V1);
    start(file, Duration.ofHours(1));
    events.seen.clear();

    write(
        "revisions:\n  - namespace: default\n    name: hello-00001\n    containerConcurrency: -3\n");
    source.poll();
    Files.delete(file);
    source.poll();

    assertThat(events.seen).isEmpty();
    assertThat(errors()).isEqualTo(2);
    assertThat(source.synced()).isTrue();

    write(V1.replace("name: world-00002", "name: world-00003"));
    source.poll();
    assertThat(events.seen)
        .containsExactly(
            "remove default/world-00002", "upsert default/world-00003 cc=0 reachable=true {}");
  }

  @Test
  void jsonWorksToo() throws IOException {
    assertThat(
            FileRevisionSource.load(
                write(
                    "{\"revisions\": [{\"namespace\": \"default\", \"name\": \"hello-00001\","
                        + " \"containerConcurrency\": 3,"
                        + " \"annotations\": {\"autoscaling.knative.dev/window\": \"10s\"}}]}")))
        .containsExactly(
            RevisionSpec.of(HELLO, 3, Map.of("autoscaling.knative.dev/window", "10s")));
  }

  @Test
  void problemsNameTheLine() throws IOException {
    assertProblem(
        "revisions:\n  - namespace: default\n    name: x\n    containerConcurrency: -1\n",
        "line 4: containerConcurrency: -1 (expected: an integer >= 0)");
    assertProblem(
        "revisions:\n  - namespace: default\n    name: x\n    containerConcurrency: ten\n",
        "line 4: containerConcurrency: ten (expected: an integer >= 0)");
    assertProblem(
        "revisions:\n  - namespace: Default\n    name: x\n",
        "line 2: namespace: Default (expected: a DNS label");
    assertProblem("revisions:\n  - name: x\n", "line 2: a revision without namespace");
    assertProblem(
        "revisions:\n  - namespace: a\n    name: x\n    containerConcurency: 1\n",
        "line 4: unknown key 'containerConcurency' (expected: namespace, name,");
    assertProblem(
        "revisions:\n  - namespace: a\n    name: x\n  - namespace: a\n    name: x\n",
        "line 4: revision a/x is listed twice (first at line 2)");
    assertProblem(
        "revisions:\n  - namespace: a\n    name: x\n    annotations:\n      k: [1]\n",
        "line 5: annotation k: a list (expected: a string)");
    assertProblem(
        "revisions:\n  - namespace: a\n    name: x\n    reachable: yes please\n",
        "line 4: reachable: yes please (expected: true or false)");
    assertProblem(
        "revisions:\n  - namespace: a\n    name: x\n    annotations: [a]\n",
        "line 4: annotations: a list (expected: a map)");
    assertProblem(
        "revisions:\n  - namespace: a\n    name: x\n    containerConcurrency: 3000000000\n",
        "line 4: containerConcurrency: 3000000000 (expected: an integer <= 2147483647)");
  }

  private void assertProblem(String yaml, String message) throws IOException {
    Path file = write(yaml);
    assertThatThrownBy(() -> FileRevisionSource.load(file))
        .isInstanceOf(IOException.class)
        .hasMessageStartingWith(file + " " + message);
  }

  @Test
  void theFixedSourceDeliversOnce() {
    RevisionSource fixed =
        RevisionSource.fixed(
            List.of(RevisionSpec.of(HELLO, 1, Map.of()), RevisionSpec.of(OTHER, 0, Map.of())));
    assertThat(fixed.synced()).isFalse();
    fixed.start(events);
    assertThat(fixed.synced()).isTrue();
    assertThat(events.seen).hasSize(2);
    fixed.close();
  }

  @Test
  void specsValidateThemselves() {
    assertThatThrownBy(() -> RevisionSpec.of(WORLD, -1, Map.of()))
        .hasMessage("containerConcurrency: -1 (expected: >= 0)");
  }
}
