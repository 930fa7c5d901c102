package dev.knetty.activator.endpoints;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.knetty.common.RevisionKey;
import dev.knetty.common.proxy.UpstreamTarget;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FileEndpointSourceTest {

  private static final RevisionKey HELLO = RevisionKey.parse("default/hello-00001");
  private static final RevisionKey WORLD = RevisionKey.parse("prod/world-00002");

  @TempDir Path dir;

  private final Map<RevisionKey, RevisionEndpoints> seen = new ConcurrentHashMap<>();
  private final EndpointSource.Listener listener =
      new EndpointSource.Listener() {
        @Override
        public void upsert(RevisionEndpoints revision) {
          seen.put(revision.revision(), revision);
        }

        @Override
        public void remove(RevisionKey revision) {
          seen.remove(revision);
        }
      };
  private FileEndpointSource source;

  @AfterEach
  void tearDown() {
    if (source != null) {
      source.close();
    }
  }

  private Path write(String name, String content) throws IOException {
    Path tmp = dir.resolve(name + ".tmp");
    Files.writeString(tmp, content, StandardCharsets.UTF_8);
    Path file = dir.resolve(name);
    // An atomic replace, as editors and ConfigMap volumes do.
    return Files.move(
        tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
  }

  private static final String HELLO_YAML =
      "revisions:\n"
          + "  - namespace: default\n"
          + "    name: hello-00001\n"
          + "    containerConcurrency: 1\n"
          + "    timeoutSeconds: 60\n"
          + "    responseStartTimeoutSeconds: 10\n"
          + "    endpoints:\n"
          + "      - address: 10.0.0.5:8012\n"
          + "        ready: false\n"
          + "      - 10.0.0.6:8012\n"
          + "      - address: '[fd00::7]:8012'\n"
          + "        terminating: true\n";

  @Test
  void readsRevisionsSettingsAndEndpoints() throws IOException {
    List<RevisionEndpoints> revisions = FileEndpointSource.load(write("e.yaml", HELLO_YAML));

    assertThat(revisions).hasSize(1);
    RevisionEndpoints r = revisions.get(0);
    assertThat(r.revision()).isEqualTo(HELLO);
    assertThat(r.settings().containerConcurrency()).isEqualTo(1);
    assertThat(r.settings().timeoutSeconds()).isEqualTo(60);
    assertThat(r.settings().responseStartTimeoutSeconds()).isEqualTo(10);
    assertThat(r.settings().idleTimeoutSeconds()).isZero();
    assertThat(r.endpoints())
        .containsExactly(
            new PodEndpoint(UpstreamTarget.of("10.0.0.5", 8012), false, false),
            new PodEndpoint(UpstreamTarget.of("10.0.0.6", 8012), true, false),
            new PodEndpoint(UpstreamTarget.of("fd00::7", 8012), true, true));
  }

  @Test
  void defaultsAreKnatives() throws IOException {
    List<RevisionEndpoints> revisions =
        FileEndpointSource.load(
            write("e.yaml", "revisions:\n  - namespace: default\n    name: hello-00001\n"));
    RevisionEndpoints r = revisions.get(0);
    assertThat(r.settings().containerConcurrency()).isZero();
    assertThat(r.settings().timeoutSeconds()).isEqualTo(300);
    assertThat(r.settings().responseStartTimeoutSeconds()).isZero();
    assertThat(r.endpoints()).isEmpty();
  }

  @Test
  void readsJson() throws IOException {
    String json =
        "{\"revisions\": [{\"namespace\": \"default\", \"name\": \"hello-00001\","
            + " \"containerConcurrency\": 10, \"endpoints\": [\"10.0.0.6:8012\"]}]}";
    List<RevisionEndpoints> revisions = FileEndpointSource.load(write("e.json", json));
    assertThat(revisions.get(0).settings().containerConcurrency()).isEqualTo(10);
    assertThat(revisions.get(0).endpoints()).hasSize(1);
  }

  @Test
  void problemsNameTheLine() throws IOException {
    assertProblem(
        "revisions:\n  - namespace: default\n    name: hello-00001\n    containerConcurency: 1\n",
        "line 4: unknown key 'containerConcurency'");
    assertProblem(
        "revisions:\n  - namespace: default\n    name: hello-00001\n    containerConcurrency: -1\n",
        "line 4: containerConcurrency: -1 (expected: between 0 and");
    assertProblem(
        "revisions:\n  - namespace: default\n    name: hello-00001\n    timeoutSeconds: x\n",
        "line 4: timeoutSeconds: x (expected: an integer)");
    assertProblem(
        "revisions:\n  - namespace: default\n    name: hello-00001\n    endpoints: 1\n",
        "line 4: endpoints: 1 (expected: a list)");
    assertProblem(
        "revisions:\n  - namespace: default\n    name: hello-00001\n    endpoints:\n"
            + "      - address: 10.0.0.6:8012\n        ready: maybe\n",
        "line 6: ready: maybe (expected: true or false)");
    assertProblem(
        "revisions:\n  - namespace: default\n    name: hello-00001\n    endpoints:\n"
            + "      - ready: true\n",
        "line 5: an endpoint needs an address");
    assertProblem(
        "revisions:\n  - namespace: default\n", "line 2: a revision needs a namespace and a name");
    assertProblem(
        "revisions:\n  - namespace: default\n    name: hello-00001\n    endpoints:\n"
            + "      - 10.0.0.6\n",
        "line 5: address: 10.0.0.6 (expected: IP:PORT");
    assertProblem(
        "revisions:\n  - namespace: default\n    name: hello-00001\n"
            + "  - namespace: default\n    name: hello-00001\n",
        "line 4: revision default/hello-00001 is listed twice (first at line 2)");
    assertProblem(
        "revisions:\n  - namespace: default\n    name: hello-00001\n    endpoints:\n"
            + "      - 10.0.0.6:8012\n      - 10.0.0.6:8012\n",
        "line 6: endpoint 10.0.0.6:8012 is listed twice (first at line 5)");
    assertProblem(
        "revisions:\n  - namespace: default\n    name: Hello\n",
        "line 3: name: Hello (expected: a DNS label");
  }

  private void assertProblem(String content, String message) throws IOException {
    Path file = write("bad.yaml", content);
    assertThatThrownBy(() -> FileEndpointSource.load(file))
        .isInstanceOf(IOException.class)
        .hasMessageContaining(file + " " + message);
  }

  @Test
  void reportsTheFileToTheListenerAndCountsBadFiles() throws IOException {
    // The polling itself is RevisionsFile's (common); this checks the wiring.
    Path file = write("e.yaml", HELLO_YAML);
    source = new FileEndpointSource(file, Duration.ofHours(1));
    assertThat(source.synced()).isFalse();

    source.start(listener);

    assertThat(source.synced()).isTrue();
    assertThat(seen).containsOnlyKeys(HELLO);

    write(
        "e.yaml",
        "revisions:\n  - namespace: prod\n    name: world-00002\n    endpoints: [10.0.0.9:80]\n");
    source.poll();
    assertThat(seen).containsOnlyKeys(WORLD);

    write("e.yaml", "revisions:\n  - namespace: prod\n    name: world-00002\n    bad: 1\n");
    source.poll();
    assertThat(source.errors()).isEqualTo(1);
    assertThat(seen).containsOnlyKeys(WORLD);
  }
}
