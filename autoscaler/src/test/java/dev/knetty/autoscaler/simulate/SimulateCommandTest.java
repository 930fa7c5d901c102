package dev.knetty.autoscaler.simulate;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import picocli.CommandLine;

class SimulateCommandTest {

  private static final String HEADER =
      "{\"config\": {}, \"annotations\": {}, \"containerConcurrency\": 0}";

  @TempDir Path dir;

  private final StringWriter out = new StringWriter();
  private final StringWriter err = new StringWriter();

  private int run(String stdin, String... args) {
    SimulateCommand cmd = new SimulateCommand();
    cmd.stdin = new ByteArrayInputStream(stdin.getBytes(StandardCharsets.UTF_8));
    return new CommandLine(cmd)
        .setOut(new PrintWriter(out))
        .setErr(new PrintWriter(err))
        .execute(args);
  }

  @Test
  void readsStandardInputAndWritesStandardOutput() {
    String trace =
        HEADER
            + "\n{\"t\": 0, \"ready\": 0}\n{\"t\": 0.5, \"stat\": {\"concurrency\": 1}}\n"
            + "{\"t\": 2, \"tick\": true}\n";
    assertThat(run(trace)).isZero();
    assertThat(out.toString())
        .isEqualTo(
            "{\"t\":2,\"valid\":true,\"desiredScale\":1,\"excessBurstCapacity\":-212,"
                + "\"panicMode\":false,\"activators\":3,\"observedStable\":1.0,"
                + "\"observedPanic\":1.0}\n");
    assertThat(err.toString()).isEmpty();
  }

  @Test
  void writesToAnOutputFile() throws Exception {
    Path in = dir.resolve("in.jsonl");
    Path outFile = dir.resolve("out.jsonl");
    Files.writeString(in, HEADER + "\n{\"t\": 2, \"tick\": true}\n");
    assertThat(run("", "--input", in.toString(), "--output", outFile.toString())).isZero();
    assertThat(Files.readString(outFile)).isEqualTo("{\"t\":2,\"valid\":false}\n");
    assertThat(out.toString()).isEmpty();
  }

  @Test
  void aHeaderAloneIsAValidEmptyRun() {
    assertThat(run(HEADER + "\n")).isZero();
    assertThat(out.toString()).isEmpty();
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(
      delimiter = '|',
      quoteCharacter = '`',
      value = {
        "empty header line | `` | line 1: expected a JSON object",
        "malformed header | `{\"config\": ` | line 1: malformed JSON",
        "header not an object | `[1]` | line 1: expected a JSON object",
        "unknown header field | `{\"conf\": {}}` | line 1: unknown field conf",
        "non-string config value | `{\"config\": {\"max-scale\": 5}}` | line 1: config.max-scale: 5 (expected: a string)",
        "invalid config | `{\"config\": {\"stable-window\": \"5s\"}}` | line 1: stable-window: 5s (expected: between 6s and 1h, whole seconds)",
        "invalid annotation | `{\"annotations\": {\"autoscaling.knative.dev/window\": \"1s\"}}` | line 1: autoscaling.knative.dev/window: 1s (expected: between 6s and 1h, whole seconds)",
        "bad containerConcurrency | `{\"containerConcurrency\": -1}` | line 1: containerConcurrency: -1 (expected: an integer >= 0)",
        "containerConcurrency over the limit | `{\"containerConcurrency\": 1001}` | line 1: containerConcurrency: 1001 (expected: between 0 and container-concurrency-max-limit (1000))",
        "non-KPA class | `{\"annotations\": {\"autoscaling.knative.dev/class\": \"hpa.autoscaling.knative.dev\"}}` | line 1: autoscaling.knative.dev/class: hpa.autoscaling.knative.dev",
      })
  void badHeaders(String name, String header, String message) {
    assertBad(header + "\n{\"t\": 2, \"tick\": true}\n", message);
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(
      delimiter = '|',
      quoteCharacter = '`',
      value = {
        "malformed JSON | `{\"t\": 2, \"tick\": tru}` | line 3: malformed JSON",
        "not an object | `[2]` | line 3: expected a JSON object",
        "blank line | `` | line 3: expected a JSON object",
        "unknown event | `{\"t\": 2, \"scale\": 3}` | line 3: unknown event field scale",
        "no event | `{\"t\": 2}` | line 3: unknown event (expected: one of ready, stat, tick)",
        "missing t | `{\"tick\": true}` | line 3: missing t",
        "t not a number | `{\"t\": \"2\", \"tick\": true}` | line 3: t: 2 (expected: a number)",
        "negative t | `{\"t\": -1, \"tick\": true}` | line 3: t: -1 (expected: between 0 and",
        "time going backwards | `{\"t\": 0.5, \"tick\": true}` | line 3: t: 0.5 is before the previous event (expected: non-decreasing)",
        "two events | `{\"t\": 2, \"tick\": true, \"ready\": 1}` | line 3: more than one event (tick and ready) in one line",
        "negative ready | `{\"t\": 2, \"ready\": -1}` | line 3: ready: -1 (expected: an integer >= 0)",
        "fractional ready | `{\"t\": 2, \"ready\": 1.5}` | line 3: ready: 1.5 (expected: an integer >= 0)",
        "tick false | `{\"t\": 2, \"tick\": false}` | line 3: tick: false (expected: true)",
        "unknown stat field | `{\"t\": 2, \"stat\": {\"qps\": 1}}` | line 3: unknown stat field qps",
        "string stat | `{\"t\": 2, \"stat\": {\"rps\": \"1\"}}` | line 3: stat.rps: 1 (expected: a number)",
        "infinite stat | `{\"t\": 2, \"stat\": {\"rps\": 1e999}}` | line 3: stat.rps: 1e999 (expected: a finite number)",
        "trailing content | `{\"t\": 2, \"tick\": true} {}` | line 3: trailing content after the JSON object",
        "duplicate field | `{\"t\": 2, \"t\": 3, \"tick\": true}` | line 3: malformed JSON",
      })
  void badEvents(String name, String event, String message) {
    // Line 2 is valid; the problem is on line 3; line 4 would be valid again.
    assertBad(
        HEADER + "\n{\"t\": 1, \"tick\": true}\n" + event + "\n{\"t\": 9, \"tick\": true}\n",
        message);
  }

  @Test
  void emptyInput() {
    assertBad("", "line 1: empty input (expected: a header line with the settings)");
  }

  @Test
  void unwritableOutput() throws Exception {
    Path in = dir.resolve("in.jsonl");
    Files.writeString(in, HEADER + "\n");
    Path outFile = dir.resolve("no-such-dir").resolve("out.jsonl");
    assertThat(run("", "--input", in.toString(), "--output", outFile.toString()))
        .isEqualTo(SimulateCommand.OUTPUT_FAILED);
    assertThat(err.toString()).startsWith("output: cannot write ");
    assertThat(err.toString().strip().lines()).hasSize(1);
  }

  @Test
  void missingInputFile() {
    assertThat(run("", "--input", dir.resolve("absent.jsonl").toString()))
        .isEqualTo(SimulateCommand.BAD_INPUT);
    assertThat(err.toString()).startsWith("input: cannot read ");
    assertThat(out.toString()).isEmpty();
  }

  private void assertBad(String trace, String message) {
    assertThat(run(trace)).isEqualTo(SimulateCommand.BAD_INPUT);
    // Nothing of the valid ticks before the bad line is printed.
    assertThat(out.toString()).isEmpty();
    String e = err.toString();
    assertThat(e).startsWith(message).endsWith(System.lineSeparator());
    assertThat(e.strip().lines()).hasSize(1);
  }
}
