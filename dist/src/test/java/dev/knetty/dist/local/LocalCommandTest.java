package dev.knetty.dist.local;

import static org.assertj.core.api.Assertions.assertThat;

import dev.knetty.dist.Knetty;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** {@code knetty local}'s start: options and files it refuses, before anything runs. */
class LocalCommandTest {

  @TempDir Path dir;

  private final StringWriter err = new StringWriter();

  @Test
  void anInvalidFileFailsAtStartWithItsLineAndProblem() throws Exception {
    Path file = dir.resolve("bad.yaml");
    Files.writeString(
        file,
        "revisions:\n  - name: a\n    command: x\n    annotations:\n"
            + "      autoscaling.knative.dev/min-scale: \"-2\"\n");

    assertThat(run("local", "-f", file.toString())).isEqualTo(LocalCommand.BAD_OPTION);
    assertThat(err.toString())
        .startsWith("knetty local: --file: " + file + " line 5: revision default/a: ")
        .contains("autoscaling.knative.dev/min-scale");
  }

  @Test
  void aMissingFileFailsAtStart() {
    assertThat(run("local", "-f", dir.resolve("nope.yaml").toString()))
        .isEqualTo(LocalCommand.BAD_OPTION);
    assertThat(err.toString()).contains("nope.yaml: no such file");
  }

  @Test
  void aBadPortNamesTheOption() {
    assertThat(run("local", "--demo", "--port", "70000")).isEqualTo(LocalCommand.BAD_OPTION);
    assertThat(err.toString()).contains("--port: 70000 (expected: 0-65535)");
  }

  @Test
  void aFileOrTheDemoExactlyOnce() {
    assertThat(run("local")).isEqualTo(2);
    assertThat(run("local", "--demo", "-f", "x.yaml")).isEqualTo(2);
    assertThat(err.toString()).contains("mutually exclusive");
  }

  @Test
  void theDemoTellsHowToSendTraffic() {
    LocalSpec spec = Demo.spec(JavaRuntime.current());
    assertThat(spec.revisions())
        .singleElement()
        .satisfies(r -> assertThat(r.key()).isEqualTo(Demo.REVISION));
    assertThat(spec.revisions().get(0).scaling().decider().initialScale()).isZero();
    assertThat(String.join("\n", Demo.instructions("http://127.0.0.1:8080")))
        .contains("curl -i http://127.0.0.1:8080/")
        .contains("bin/knetty bench load ");
  }

  private int run(String... args) {
    CommandLine cmd = Knetty.commandLine();
    cmd.setErr(new PrintWriter(err, true));
    cmd.setOut(new PrintWriter(new StringWriter(), true));
    return cmd.execute(args);
  }
}
