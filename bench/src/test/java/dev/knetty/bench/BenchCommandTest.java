package dev.knetty.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.knetty.bench.testing.TestOrigin;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class BenchCommandTest {

  private final StringWriter out = new StringWriter();
  private final StringWriter err = new StringWriter();
  private TestOrigin origin;

  @AfterEach
  void tearDown() {
    if (origin != null) {
      origin.close();
    }
  }

  private int bench(String... args) {
    return new CommandLine(new BenchCommand())
        .setOut(new PrintWriter(out))
        .setErr(new PrintWriter(err))
        .execute(args);
  }

  @Test
  void withoutASubcommandPrintsUsage() {
    assertThat(bench()).isZero();
    assertThat(out.toString()).contains("load").contains("direct").contains("autoscaler");
  }

  @Test
  void loadPrintsASummaryAndWritesJsonAndSvg(@TempDir Path dir) throws Exception {
    origin = TestOrigin.http1();
    Path json = dir.resolve("load.json");
    Path svg = dir.resolve("load.svg");
    int exit =
        bench(
            "load",
            origin.uri("/").toString(),
            "--rate=50",
            "--duration=500ms",
            "--connections=2",
            "--header=X-Test: yes",
            "--json=" + json,
            "--svg=" + svg,
            "--pid=" + ProcessHandle.current().pid());
    assertThat(exit).as(err.toString()).isZero();
    assertThat(out.toString())
        .contains("requests       25 (50.0/s), 25 successful")
        .contains("errors         none")
        .contains("latency (ms)   p50 ")
        .contains("process " + ProcessHandle.current().pid());
    JsonNode result = new ObjectMapper().readTree(Files.readString(json));
    assertThat(result.get("requests").asLong()).isCloseTo(25, within(1L));
    assertThat(result.get("process").get("peakRssBytes").asLong()).isPositive();
    assertThat(
            DocumentBuilderFactory.newInstance()
                .newDocumentBuilder()
                .parse(svg.toFile())
                .getElementsByTagName("path")
                .getLength())
        .isEqualTo(1);
  }

  @Test
  void loadRefusesOtherHosts() {
    assertThat(bench("load", "http://192.0.2.1:8080/", "--duration=1s"))
        .isEqualTo(CommandLine.ExitCode.USAGE);
    assertThat(err.toString()).contains("never load-tests other hosts");
  }

  @Test
  void loadReportsBadOptionsAsUsageErrors() {
    assertThat(bench("load", "http://127.0.0.1:1/", "--rate=0")).isEqualTo(2);
    assertThat(err.toString()).contains("rate: 0.0 (expected: > 0");
    assertThat(bench("load", "http://127.0.0.1:1/", "--header=nocolon")).isEqualTo(2);
    assertThat(err.toString()).contains("header: nocolon (expected: NAME:VALUE");
    assertThat(bench("load", "http://127.0.0.1:1/", "--pid=2147483647")).isEqualTo(2);
    assertThat(err.toString()).contains("pid 2147483647: cannot read");
  }

  /** The shared option mixins give each scenario exactly its own options. */
  @Test
  void scenarioCommandsOfferExactlyTheirOptions() {
    String[] openLoop = {"--rate=", "--sleep=", "--connections=", "--h2c"};
    String[] phase = {"--duration=", "--warmup=", "--timeout="};
    assertThat(help("direct"))
        .contains(openLoop)
        .contains(phase)
        .contains("--app-jvm-args=", "--p95-ceiling=")
        .doesNotContain("--queue-proxy-jvm-args", "--activator-jvm-args");
    assertThat(help("dataplane"))
        .contains(openLoop)
        .contains(phase)
        .contains("--app-jvm-args=", "--queue-proxy-jvm-args=", "--activator-jvm-args=");
    assertThat(help("throughput"))
        .contains(phase)
        .contains("--concurrency=", "--app-jvm-args=", "--queue-proxy-jvm-args=")
        .doesNotContain("--rate=", "--sleep=", "--activator-jvm-args");
    assertThat(help("buffer"))
        .contains("--h2c", "--connections=", "--app-jvm-args=", "--activator-jvm-args=")
        .doesNotContain("--rate=", "--duration=", "--warmup=");
    assertThat(help("ramp")).contains("--app-jvm-args=").doesNotContain("--queue-proxy-jvm-args");
  }

  private String help(String command) {
    out.getBuffer().setLength(0);
    assertThat(bench(command, "--help")).isZero();
    return out.toString();
  }

  /** The direct scenario end to end for about a second: child app, load, reports, cleanup. */
  @Test
  void directScenarioSmoke(@TempDir Path dir) throws Exception {
    int exit =
        bench(
            "direct",
            "--rate=50",
            "--duration=1s",
            "--warmup=200ms",
            "--sleep=10ms",
            "--connections=4",
            "--app-jvm-args=-Xmx64m -XX:+UseSerialGC -XX:TieredStopAtLevel=1",
            "--no-fail-on-sla",
            "--out=" + dir);
    assertThat(exit).as(err.toString()).isZero();
    assertThat(dir.resolve("direct.md")).exists();
    assertThat(dir.resolve("direct-latency.svg")).exists();
    assertThat(dir.resolve("direct-over-time.svg")).exists();
    assertThat(dir.resolve("logs/sample-app.log")).exists();
    assertThat(out.toString())
        .contains("| deployment | h1, open loop 50/s for 1s after 200ms warm-up");

    JsonNode json =
        new ObjectMapper()
            .readTree(Files.readString(dir.resolve("direct.json")))
            .get("runs")
            .get(0);
    JsonNode load = json.get("phases").get(0).get("load");
    assertThat(load.get("requests").asLong()).isCloseTo(50, within(1L));
    assertThat(load.get("process").get("peakRssBytes").asLong()).isPositive();
    assertThat(json.get("checks")).hasSize(3);
    long pid = load.get("process").get("pid").asLong();
    assertThat(ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false))
        .as("the app process is gone")
        .isFalse();
  }

  /** The autoscaler scenario end to end for about a second, with small numbers. */
  @Test
  void autoscalerScenarioSmoke(@TempDir Path dir) throws Exception {
    int exit =
        bench(
            "autoscaler",
            "--connections=20",
            "--revisions=100",
            "--stats-per-frame=5",
            "--warmup=200ms",
            "--duration=1s",
            "--ticks=5",
            "--no-fail-on-sla",
            "--out=" + dir);
    assertThat(exit).as(err.toString()).isZero();
    assertThat(out.toString()).contains("KMP ingest (stats/s)").contains("tickAll over 100");
    assertThat(dir.resolve("autoscaler.md")).exists();
    assertThat(dir.resolve("autoscaler-ingest.svg")).exists();
    assertThat(dir.resolve("autoscaler-ticks.svg")).exists();
    JsonNode json =
        new ObjectMapper()
            .readTree(Files.readString(dir.resolve("autoscaler.json")))
            .get("runs")
            .get(0);
    assertThat(json.get("checks")).hasSize(2);
    assertThat(json.get("checks").get(0).get("observed").asText()).isNotBlank();
    assertThat(json.get("charts").get(1).get("series").get(0).get("points")).hasSize(5);
  }

  @Test
  void autoscalerRejectsBadSettings(@TempDir Path dir) {
    assertThat(bench("autoscaler", "--connections=0", "--out=" + dir)).isEqualTo(2);
    assertThat(err.toString()).contains("connections: 0 (expected: 1 to 10000)");
  }

  @Test
  void directRejectsBadSettingsBeforeStartingAnything(@TempDir Path dir) {
    assertThat(bench("direct", "--rate=0", "--out=" + dir)).isEqualTo(2);
    assertThat(err.toString()).contains("rate: 0.0");
    assertThat(bench("direct", "--sleep=200ms", "--p95-ceiling=100ms", "--out=" + dir))
        .isEqualTo(2);
    assertThat(err.toString()).contains("p95Ceiling: 100ms (expected: >= sleep 200ms)");
    assertThat(dir.resolve("logs")).doesNotExist();
  }
}
