package dev.knetty.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class AllCommandTest {

  private final StringWriter out = new StringWriter();
  private final StringWriter err = new StringWriter();

  private int bench(String... args) {
    return new CommandLine(new BenchCommand())
        .setOut(new PrintWriter(out))
        .setErr(new PrintWriter(err))
        .execute(args);
  }

  @Test
  void jmhResultsBecomeAMarkdownTable(@TempDir Path dir) throws Exception {
    PrintStream original = System.out; // JMH prints its progress to System.out
    System.setOut(new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8));
    int exit;
    try {
      exit =
          bench(
              "all",
              "--only=jmh",
              "--jmh-include=.*KnativeHeadersBenchmark.*",
              "--jmh-args=-f 0 -wi 0 -i 1 -r 100ms",
              "--out=" + dir);
    } finally {
      System.setOut(original);
    }
    assertThat(exit).as(err.toString()).isZero();
    assertThat(out.toString()).contains("jmh: done");
    assertThat(Files.readString(dir.resolve("jmh.md")))
        .contains("| KnativeHeadersBenchmark.isKubeletProbe |  | 1 |")
        .contains("| KnativeHeadersBenchmark.routingHeaders |")
        .contains("ns/op");
    assertThat(dir.resolve("jmh.json")).exists();
  }

  @Test
  void aFailingScenarioIsReportedAndTheOthersStillRun(@TempDir Path dir) {
    // coldstart cannot find knetty local on the bench module's class path.
    int exit =
        bench(
            "all",
            "--only=coldstart,jmh",
            "--jmh-include=nothing-matches-this",
            "--runs=1",
            "--out=" + dir);
    assertThat(exit).isEqualTo(1);
    assertThat(out.toString()).contains("coldstart: FAILED");
    assertThat(err.toString()).contains("knetty local is not on the class path");
  }

  @Test
  void rejectsUnknownNamesAndBadJmhArgs(@TempDir Path dir) {
    assertThat(bench("all", "--only=squid", "--out=" + dir)).isEqualTo(2);
    assertThat(err.toString()).contains("--only: [squid] (expected: some of [dataplane,");
    assertThat(bench("all", "--jmh-args=-f x", "--out=" + dir)).isEqualTo(2);
    assertThat(err.toString()).contains("--jmh-args:");
  }
}
