package dev.knetty.dist.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.knetty.common.RevisionKey;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class LocalFileTest {

  @TempDir Path dir;

  private static final String VALID =
      String.join(
          "\n",
          "autoscaler:",
          "  stable-window: 8s",
          "  scale-to-zero-grace-period: 4s",
          "revisions:",
          "  - name: hello",
          "    command: [\"python3\", \"app.py\"]",
          "    env: {GREETING: hi}",
          "    containerConcurrency: 10",
          "    timeoutSeconds: 60",
          "    annotations:",
          "      autoscaling.knative.dev/target: \"5\"",
          "      autoscaling.knative.dev/max-scale: \"3\"",
          "  - name: shell",
          "    namespace: team-a",
          "    command: exec ./serve --port $PORT",
          "");

  @Test
  void readsRevisionsAndAutoscalerSettings() throws Exception {
    LocalSpec spec = LocalFile.parse(bytes(VALID), dir);

    assertThat(spec.autoscaler().stableWindow()).isEqualTo(Duration.ofSeconds(8));
    assertThat(spec.autoscaler().scaleToZeroGracePeriod()).isEqualTo(Duration.ofSeconds(4));
    LocalRevision hello = spec.revisions().get(0);
    assertThat(hello.key()).isEqualTo(new RevisionKey("default", "hello"));
    assertThat(hello.command()).containsExactly("python3", "app.py");
    assertThat(hello.env()).isEqualTo(Map.of("GREETING", "hi"));
    assertThat(hello.workingDir()).isEqualTo(dir);
    assertThat(hello.settings().containerConcurrency()).isEqualTo(10);
    assertThat(hello.settings().timeoutSeconds()).isEqualTo(60);
    assertThat(hello.scaling().maxScale()).isEqualTo(3);
    assertThat(hello.spec().key()).isEqualTo(hello.key());

    LocalRevision shell = spec.revisions().get(1);
    assertThat(shell.key()).isEqualTo(new RevisionKey("team-a", "shell"));
    assertThat(shell.command()).isEqualTo(List.of("sh", "-c", "exec ./serve --port $PORT"));
    assertThat(shell.displayName()).isEqualTo("team-a/shell");
  }

  @Test
  void theExampleFileIsValid() throws Exception {
    Path example = Path.of("..", "examples", "local", "knetty-local.yaml");
    LocalSpec spec = LocalFile.load(example);
    assertThat(spec.revisions()).isNotEmpty();
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(
      delimiter = '|',
      textBlock =
          """
          syntax       | 'revisions:\\n  - name: a\\n    command: [x\\n'                  | 4 | expected ',' or ']'
          unknown key  | 'revisions:\\n  - name: a\\n    comand: x\\n'                    | 3 | unknown key 'comand'
          no command   | 'revisions:\\n  - name: a\\n'                                    | 2 | revision default/a: no command
          bad name     | 'revisions:\\n  - name: Hello_World\\n    command: x\\n'         | 2 | name: Hello_World (expected: a DNS label
          duplicate    | 'revisions:\\n  - name: a\\n    command: x\\n  - name: a\\n    command: y\\n' | 4 | listed twice (first at line 2)
          annotation   | 'revisions:\\n  - name: a\\n    command: x\\n    annotations:\\n      autoscaling.knative.dev/target: \"-1\"\\n' | 5 | autoscaling.knative.dev/target
          unknown ann. | 'revisions:\\n  - name: a\\n    command: x\\n    annotations:\\n      autoscaling.knative.dev/trget: \"1\"\\n' | 5 | unknown annotation 'autoscaling.knative.dev/trget'
          autoscaler   | 'autoscaler:\\n  stable-window: 2s\\nrevisions:\\n  - name: a\\n    command: x\\n' | 2 | stable-window
          cc           | 'revisions:\\n  - name: a\\n    command: x\\n    containerConcurrency: many\\n' | 4 | containerConcurrency: 'many' (expected: an integer >= 0)
          PORT in env  | 'revisions:\\n  - name: a\\n    command: x\\n    env: {PORT: \"1\"}\\n' | 4 | env: PORT
          no revisions | 'autoscaler: {}\\n'                                             | 1 | no 'revisions'
          empty        | ''                                                              | 1 | an empty file
          """)
  void anInvalidFileNamesTheLineAndTheProblem(String what, String yaml, int line, String problem) {
    String content = yaml.replace("\\n", "\n").replace("\\\"", "\"");
    assertThatThrownBy(() -> LocalFile.parse(bytes(content), dir))
        .isInstanceOf(LocalFileException.class)
        .hasMessageContaining(problem)
        .satisfies(e -> assertThat(((LocalFileException) e).line()).as(what).isEqualTo(line));
  }

  @Test
  void loadNamesTheFileAndTheLine() throws Exception {
    Path file = dir.resolve("bad.yaml");
    Files.writeString(file, "revisions:\n  - name: a\n    comand: x\n");

    assertThatThrownBy(() -> LocalFile.load(file))
        .isInstanceOf(LocalFileException.class)
        .hasMessageStartingWith(file + " line 3: unknown key 'comand'");
    assertThatThrownBy(() -> LocalFile.load(dir.resolve("missing.yaml")))
        .hasMessageEndingWith("missing.yaml: no such file");
  }

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }
}
