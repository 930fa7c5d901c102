package dev.knetty.bench;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
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
 * Each multi-process scenario end to end for a second or two with small numbers: it runs, writes
 * its reports and stops its processes. No timing is asserted; the numbers are not meaningful.
 */
class ScenarioSmokeTest {

  /** Small, quickly started JVMs for every child. */
  private static final String JVM = "-Xmx64m -XX:+UseSerialGC -XX:TieredStopAtLevel=1";

  private final StringWriter out = new StringWriter();
  private final StringWriter err = new StringWriter();

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

  private static List<String> column(JsonNode array, String field) {
    List<String> values = new ArrayList<>();
    array.forEach(n -> values.add(n.get(field).asText()));
    return values;
  }

  private static void assertAllStopped(JsonNode run) {
    for (JsonNode phase : run.get("phases")) {
      for (JsonNode process : phase.get("processes")) {
        long pid = process.get("pid").asLong();
        if (pid != ProcessHandle.current().pid()) {
          assertThat(ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false))
              .as(process.get("name").asText() + " is gone")
              .isFalse();
        }
      }
    }
  }

  @Test
  void dataplaneRunsDirectQueueProxyAndActivatorAndJudgesP95(@TempDir Path dir) throws Exception {
    int exit =
        bench(
            "dataplane",
            "--rate=40",
            "--duration=1s",
            "--warmup=200ms",
            "--sleep=10ms",
            "--connections=4",
            "--app-jvm-args=" + JVM,
            "--queue-proxy-jvm-args=" + JVM,
            "--activator-jvm-args=" + JVM,
            "--no-fail-on-sla",
            "--out=" + dir);
    assertThat(exit).as(err.toString()).isZero();
    JsonNode run = run(dir, "dataplane");
    assertThat(column(run.get("phases"), "label"))
        .containsExactly("direct", "queue-proxy", "activator");
    for (JsonNode phase : run.get("phases")) {
      assertThat(phase.get("load").get("requests").asLong()).isEqualTo(40);
      assertThat(phase.get("load").get("errors").size()).isZero();
    }
    assertThat(column(run.get("phases").get(2).get("processes"), "name"))
        .containsExactly("activator", "queue-proxy", "sample-app", "load-generator");
    assertThat(column(run.get("checks"), "name"))
        .contains("direct p95 latency (ms)", "activator p95 latency (ms)");
    assertThat(run.get("checks").get(0).get("expected").asText()).isEqualTo("10 to 15");
    assertThat(out.toString()).contains("| activator |").contains("added p95 ms");
    assertThat(dir.resolve("dataplane-latency.svg")).exists();
    assertThat(dir.resolve("dataplane.md")).exists();
    assertAllStopped(run);
  }

  @Test
  void throughputComparesTargetsAndReportsAMissingPeerAsSkipped(@TempDir Path dir)
      throws Exception {
    int exit =
        bench(
            "throughput",
            "--targets=direct,queue-proxy-cc100,haproxy",
            "--haproxy-bin=" + dir.resolve("no-such-haproxy"),
            "--concurrency=4",
            "--duration=1s",
            "--warmup=200ms",
            "--app-jvm-args=" + JVM,
            "--queue-proxy-jvm-args=" + JVM,
            "--out=" + dir);
    assertThat(exit).as(err.toString()).isZero();
    JsonNode run = run(dir, "throughput");
    assertThat(column(run.get("phases"), "label")).containsExactly("direct", "queue-proxy-cc100");
    assertThat(run.get("notes").toString())
        .contains("haproxy: skipped, " + dir.resolve("no-such-haproxy") + " is not an executable");
    assertThat(out.toString()).contains("haproxy: skipped").contains("req/s ÷ direct");
    assertThat(column(run.get("phases").get(1).get("processes"), "name"))
        .containsExactly("queue-proxy-cc100", "sample-app", "load-generator");
    assertThat(run.get("phases").get(1).get("processes").get(0).get("peakRssMiB").asDouble())
        .isPositive();
    assertThat(dir.resolve("throughput-latency.svg")).exists();
    assertAllStopped(run);
  }

  @Test
  void bufferHoldsEveryRequestUntilAPodIsAddedThenAllSucceed(@TempDir Path dir) throws Exception {
    int exit =
        bench(
            "buffer",
            "--requests=200",
            "--app-jvm-args=" + JVM,
            "--queue-proxy-jvm-args=" + JVM,
            "--activator-jvm-args=" + JVM,
            "--out=" + dir);
    assertThat(exit).as(err.toString() + out).isZero();
    JsonNode run = run(dir, "buffer");
    for (JsonNode check : run.get("checks")) {
      assertThat(check.get("passed").asBoolean()).as(check.toString()).isTrue();
    }
    assertThat(run.get("phases").get(0).get("load").get("successes").asLong()).isEqualTo(200);
    assertThat(out.toString())
        .contains("| activator RSS |")
        .contains("| requests waiting at once |");
    assertThat(dir.resolve("buffer-over-time.svg")).exists();
    assertAllStopped(run);
  }

  @Test
  void scenariosRejectBadSettingsBeforeStartingAnything(@TempDir Path dir) {
    assertThat(bench("throughput", "--targets=direct,squid", "--out=" + dir)).isEqualTo(2);
    assertThat(err.toString()).contains("targets: squid (expected: one of [direct,");
    assertThat(bench("dataplane", "--sleep=2m", "--out=" + dir)).isEqualTo(2);
    assertThat(err.toString()).contains("sleep: 2m (expected: 0-1m)");
    assertThat(bench("buffer", "--requests=0", "--out=" + dir)).isEqualTo(2);
    assertThat(err.toString()).contains("requests: 0 (expected: 1-10000)");
    assertThat(dir.resolve("logs")).doesNotExist();
  }
}
