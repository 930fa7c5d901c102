package dev.knetty.bench;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.knetty.bench.testing.FakeLocalMode;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * {@code bench coldstart} and {@code bench ramp} end to end against {@link FakeLocalMode}, which
 * keeps local mode's contract (file, ports, routing headers, {@code /revisions}) with real
 * sample-app pods: they run, wait for zero pods, measure and report. No timing is asserted.
 */
class LocalModeScenariosTest {

  private static final String APP_JVM = "-Xmx64m -XX:+UseSerialGC -XX:TieredStopAtLevel=1";

  private final StringWriter out = new StringWriter();
  private final StringWriter err = new StringWriter();

  private static String fakeLocal() {
    return String.join(
        " ",
        Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-Xmx64m",
        "-cp",
        System.getProperty("java.class.path"),
        FakeLocalMode.class.getName());
  }

  private int bench(String... args) {
    return new CommandLine(new BenchCommand())
        .setOut(new PrintWriter(out))
        .setErr(new PrintWriter(err))
        .execute(args);
  }

  private static JsonNode run(Path dir, String scenario) throws Exception {
    return new ObjectMapper()
        .readTree(Files.readString(dir.resolve(scenario + ".json")))
        .get("runs")
        .get(0);
  }

  private static List<String> labels(JsonNode run) {
    List<String> labels = new ArrayList<>();
    run.get("phases").forEach(p -> labels.add(p.get("label").asText()));
    return labels;
  }

  @Test
  void coldstartMeasuresRepeatedAndParallelColdStarts(@TempDir Path dir) throws Exception {
    int exit =
        bench(
            "coldstart",
            "--repetitions=2",
            "--parallel=3",
            "--local-command=" + fakeLocal(),
            "--app-jvm-args=" + APP_JVM,
            "--out=" + dir);
    assertThat(exit).as(err.toString()).isZero();
    JsonNode run = run(dir, "coldstart");
    assertThat(labels(run)).containsExactly("one at a time", "parallel 3");
    assertThat(run.get("phases").get(0).get("load").get("successes").asLong()).isEqualTo(2);
    assertThat(run.get("phases").get(1).get("load").get("successes").asLong()).isEqualTo(3);
    assertThat(run.get("phases").get(1).get("load").get("latencyMs").get("max").asDouble())
        .isPositive();
    assertThat(err.toString())
        .contains("cold start 2 of 2: 200 after")
        .contains("3 cold starts at once");
    assertThat(out.toString()).contains("| parallel 3 |").contains("N=100 not run by default");
    assertThat(dir.resolve("coldstart-latency.svg")).exists();
    String yaml = Files.readString(dir.resolve("logs/local.yaml"));
    assertThat(yaml)
        .contains("allow-zero-initial-scale: \"true\"")
        .contains("- name: cold")
        .contains("- name: p3-3")
        .contains("autoscaling.knative.dev/initial-scale: \"0\"");
  }

  @Test
  void rampRunsEachStepAndPlotsThePods(@TempDir Path dir) throws Exception {
    int exit =
        bench(
            "ramp",
            "--rates=20,40",
            "--step=1s",
            "--sleep=10ms",
            "--connections=20",
            "--local-command=" + fakeLocal(),
            "--app-jvm-args=" + APP_JVM,
            "--no-fail-on-sla",
            "--out=" + dir);
    assertThat(exit).as(err.toString()).isZero();
    JsonNode run = run(dir, "ramp");
    assertThat(labels(run)).containsExactly("20 req/s", "40 req/s");
    assertThat(run.get("phases").get(1).get("load").get("requests").asLong()).isEqualTo(40);
    assertThat(run.get("checks").get(0).get("name").asText()).isEqualTo("errors");
    assertThat(run.get("checks").get(0).get("passed").asBoolean()).isTrue();
    JsonNode series = run.get("charts").get(0).get("series");
    assertThat(series.get(1).get("label").asText()).isEqualTo("ready");
    assertThat(
            series.get(1).get("points").findValues("value").stream()
                .mapToDouble(JsonNode::asDouble)
                .max()
                .orElse(0))
        .as("a pod was ready during the ramp")
        .isEqualTo(1);
    assertThat(dir.resolve("ramp-pods.svg")).exists();
    assertThat(Files.readString(dir.resolve("logs/local.yaml")))
        .contains("autoscaling.knative.dev/max-scale: \"6\"")
        .contains("autoscaling.knative.dev/target: \"10\"");
  }

  @Test
  void withoutLocalModeTheScenarioSaysHowToGetIt(@TempDir Path dir) {
    // The bench module's own class path has no launcher.
    assertThat(bench("coldstart", "--out=" + dir)).isNotZero();
    assertThat(err.toString()).contains("knetty local is not on the class path");
  }
}
