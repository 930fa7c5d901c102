package dev.knetty.activator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class ActivatorCommandTest {

  @TempDir Path dir;

  private final StringWriter out = new StringWriter();
  private final StringWriter err = new StringWriter();

  private CommandLine commandLine(ActivatorCommand command) {
    return new CommandLine(command)
        .setOut(new PrintWriter(out, true))
        .setErr(new PrintWriter(err, true));
  }

  private Path endpoints() throws IOException {
    return Files.writeString(
        dir.resolve("endpoints.yaml"),
        "revisions:\n  - namespace: default\n    name: hello\n    containerConcurrency: 1\n");
  }

  private String fails(String... args) {
    err.getBuffer().setLength(0);
    int exit = commandLine(new ActivatorCommand()).execute(args);
    assertThat(exit).as(String.join(" ", args)).isEqualTo(ActivatorCommand.BAD_OPTION);
    String message = err.toString();
    assertThat(message.lines().count()).as(message).isEqualTo(1);
    return message.strip();
  }

  @Test
  void badOptionsExitWithOneLineNamingTheOptionAndValue() throws IOException {
    String file = "--endpoints=" + endpoints();
    assertThat(fails(file, "--max-waiting=0"))
        .isEqualTo("--max-waiting: 0 (expected: 1-2147483647)");
    assertThat(fails(file, "--port=http")).isEqualTo("--port: http (expected: an integer)");
    assertThat(fails(file, "--max-connects-per-pod=0"))
        .isEqualTo("--max-connects-per-pod: 0 (expected: 1-2147483647)");
    assertThat(fails(file, "--connect-timeout=0s"))
        .isEqualTo("--connect-timeout: PT0S (expected: > 0)");
    assertThat(fails(file, "--probe-interval=soon"))
        .isEqualTo("--probe-interval: soon (expected: a duration such as 300ms, 45s or 5m)");
    assertThat(fails(file, "--autoscaler=autoscaler"))
        .isEqualTo("--autoscaler: autoscaler (expected: HOST:PORT)");
    assertThat(fails(file, "--retry-after=1500ms"))
        .isEqualTo("--retry-after: PT1.5S (expected: whole seconds)");
    assertThat(fails(file, "--endpoints-poll-interval=0s"))
        .isEqualTo("--endpoints-poll-interval: PT0S (expected: at least 1ms)");
    assertThat(fails()).startsWith("--endpoints: missing");
  }

  @Test
  void aBadEndpointsFileIsRefusedAtStart() throws IOException {
    Path bad = Files.writeString(dir.resolve("bad.yaml"), "revisions:\n  - namespace: default\n");
    assertThat(fails("--endpoints=" + bad))
        .isEqualTo("--endpoints: " + bad + " line 2: a revision needs a namespace and a name");
    assertThat(fails("--endpoints=" + dir.resolve("none.yaml")))
        .isEqualTo("--endpoints: " + dir.resolve("none.yaml") + ": no such file");
  }

  @Test
  void runsUntilStoppedAndAnswersProbes() throws Exception {
    ActivatorCommand command = new ActivatorCommand();
    command.onSignals = false;
    CommandLine cl = commandLine(command);
    CompletableFuture<Integer> exit =
        CompletableFuture.supplyAsync(
            () ->
                cl.execute(
                    "--endpoints=" + endpoints(dir),
                    "--host=127.0.0.1",
                    "--port=0",
                    "--metrics-port=-1",
                    "--event-loop-threads=1"));
    // The whole line: printf writes it in pieces, which this thread may see half-way.
    Pattern ready =
        Pattern.compile("knetty activator: port (\\d+), metrics port -1, autoscaler none\\R");
    await().atMost(Duration.ofSeconds(60)).until(() -> ready.matcher(out.toString()).find());
    Matcher m = ready.matcher(out.toString());
    assertThat(m.find()).as(out.toString()).isTrue();
    int port = Integer.parseInt(m.group(1));

    try (Socket s = new Socket("127.0.0.1", port)) {
      s.getOutputStream()
          .write("GET / HTTP/1.1\r\nHost: x\r\nUser-Agent: kube-probe/1.30\r\n\r\n".getBytes());
      s.setSoTimeout(60_000);
      assertThat(ActivatorTestSupport.readResponse(s.getInputStream()).status()).isEqualTo(200);
    }

    command.stop.complete(null);
    assertThat(exit.get(60, TimeUnit.SECONDS)).isZero();
  }

  private static Path endpoints(Path dir) {
    try {
      return Files.writeString(
          dir.resolve("run.yaml"), "revisions:\n  - namespace: default\n    name: hello\n");
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }
}
