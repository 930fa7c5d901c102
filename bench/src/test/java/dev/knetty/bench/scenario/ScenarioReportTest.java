package dev.knetty.bench.scenario;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.knetty.bench.load.LoadResult;
import dev.knetty.bench.load.LoadSpec;
import dev.knetty.bench.proc.ProcessUsage;
import dev.knetty.bench.report.Environment;
import dev.knetty.bench.report.LoadAverage;
import dev.knetty.bench.report.TimeSeriesPlot;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import javax.xml.parsers.DocumentBuilderFactory;
import org.HdrHistogram.Histogram;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ScenarioReportTest {

  private static Phase phase(String name, long baseMicros) {
    Histogram latency = new Histogram(3_600_000_000L, 3);
    for (int i = 0; i < 100; i++) {
      latency.recordValue(baseMicros + i * 50L);
    }
    LoadSpec spec =
        LoadSpec.builder(URI.create("http://127.0.0.1:1/"))
            .name(name)
            .openLoop(100)
            .duration(Duration.ofSeconds(1))
            .build();
    return new Phase(
        name,
        new LoadResult(spec, 100, 100, Map.of(), latency, Duration.ofSeconds(1), List.of(), 0),
        new ProcessUsage(7, 0.25, 1, 50L << 20, 40L << 20, 4, 100));
  }

  private static ScenarioResult result() {
    return new ScenarioResult(
        "demo",
        "Two phases | one chart",
        List.of(phase("direct", 100_000), phase("queue-proxy", 102_000)),
        List.of(Check.between("p95 latency (ms)", 104.5, 100, 105), Check.atMost("errors", 3, 0)),
        List.of(
            new Chart(
                "pods",
                "demo: pods",
                "Pods",
                List.of(
                    new TimeSeriesPlot.Series(
                        "ready",
                        List.of(
                            new TimeSeriesPlot.Point(0, 1), new TimeSeriesPlot.Point(1, 2)))))));
  }

  private static final Environment ENV =
      new Environment(2, "Test CPU", 4096, "Linux 6.1", "OpenJDK 64-Bit Server VM 17.0.15");

  private static ScenarioRun run(int index, double load, ScenarioResult result) {
    LoadAverage la = new LoadAverage(load, load, load);
    return new ScenarioRun(index, "2026-01-01T00:00:0" + index + "Z", la, la, 0, result);
  }

  private static ScenarioResult withMetrics(double p95, double rps, boolean pass) {
    return new ScenarioResult(
        "demo",
        "Metrics",
        List.of(phase("direct", 100_000)),
        List.of(new Check("p95 (ms)", Double.toString(p95), "<= 105", pass)),
        List.of(),
        List.of(
            new Metric("direct", "p95 ms", p95, 2),
            new Metric("direct", "req/s", rps, 0),
            new Metric("haproxy", "req/s", rps * 2, 0)),
        List.of("A note."));
  }

  @Test
  void aResultWithoutLoadPhasesHasNoPhaseTable() {
    String md =
        ScenarioReport.markdown(
            List.of(
                run(
                    1,
                    0.5,
                    new ScenarioResult(
                        "demo",
                        "No load",
                        List.of(),
                        List.of(Check.atMost("errors", 0, 0)),
                        List.of()))),
            ENV);
    assertThat(md)
        .doesNotContain("| phase |")
        .contains("No load\n\n2 CPUs (Test CPU), 4.0 GiB, Linux 6.1; OpenJDK")
        .contains("1 run; load average (1, 5, 15 min) before it: 0.50, 0.50, 0.50.")
        .contains("| errors | <= 0 | 0 pass |")
        .contains("(no load phases)");
  }

  @Test
  void writesJsonSvgAndMarkdown(@TempDir Path dir) throws Exception {
    List<Path> files = ScenarioReport.write(result(), dir);
    assertThat(files)
        .containsExactly(
            dir.resolve("demo.json"),
            dir.resolve("demo-latency.svg"),
            dir.resolve("demo-pods.svg"),
            dir.resolve("demo.md"));

    JsonNode json = new ObjectMapper().readTree(Files.readString(dir.resolve("demo.json")));
    assertThat(json.get("scenario").asText()).isEqualTo("demo");
    assertThat(json.get("passed").asBoolean()).isFalse();
    assertThat(json.get("environment").get("cpus").asInt()).isPositive();
    JsonNode run = json.get("runs").get(0);
    assertThat(run.get("loadBefore").get("one").isNumber()).isTrue();
    assertThat(run.get("phases")).hasSize(2);
    assertThat(run.get("phases").get(1).get("label").asText()).isEqualTo("queue-proxy");
    assertThat(run.get("phases").get(0).get("load").get("process").get("pid").asLong())
        .isEqualTo(7);
    assertThat(run.get("phases").get(0).get("processes").get(0).get("cpuSeconds").asDouble())
        .isEqualTo(0.25);
    assertThat(run.get("checks").get(1).get("passed").asBoolean()).isFalse();
    assertThat(run.get("charts").get(0).get("series").get(0).get("points")).hasSize(2);

    // One curve per phase in the latency picture.
    var svg =
        DocumentBuilderFactory.newInstance()
            .newDocumentBuilder()
            .parse(dir.resolve("demo-latency.svg").toFile());
    assertThat(svg.getElementsByTagName("path").getLength()).isEqualTo(2);
  }

  @Test
  void markdownHasAPhaseTableAndTheChecks() {
    String md = ScenarioReport.markdown(List.of(run(1, 0.25, result())), ENV);
    assertThat(md)
        .contains("## demo")
        .contains("Two phases | one chart")
        .contains("| direct | h1, open loop 100/s for 1s, 64 connections | 100 | 0 |")
        .contains("| 2.500 | 50.0 |")
        .contains("| check | expected | result |")
        .contains("| p95 latency (ms) | 100 to 105 | 104.50 pass |")
        .contains("| errors | <= 0 | 3 **FAIL** |");
  }

  @Test
  void repeatedRunsGiveMediansWithTheirSpreadAndEveryRunsChecks(@TempDir Path dir)
      throws Exception {
    List<ScenarioRun> runs =
        List.of(
            run(1, 0.5, withMetrics(103, 900, true)),
            run(2, 1.5, withMetrics(101, 1000, true)),
            run(3, 1.0, withMetrics(107, 1200, false)));
    String md = ScenarioReport.markdown(runs, ENV);
    assertThat(md)
        .contains("3 runs; load average (1, 5, 15 min) before each: 0.50, 0.50, 0.50; 1.50,")
        .contains("### Median of 3 runs (min–max)")
        .contains("| | p95 ms | req/s |")
        .contains("| direct | 103.00 (101.00–107.00) | 1000 (900–1200) |")
        .contains("| haproxy | - | 2000 (1800–2400) |")
        .contains("| check | expected | run 1 | run 2 | run 3 |")
        .contains("| p95 (ms) | <= 105 | 103.0 pass | 101.0 pass | 107.0 **FAIL** |")
        .contains("* A note.")
        .contains("### Run 2 (2026-01-01T00:00:02Z, load average 1.50, 1.50, 1.50 before");
    assertThat(md.split("\\* A note\\.", -1)).hasSize(2); // once, not per run

    ScenarioReport.write(runs, ENV, dir);
    JsonNode json = new ObjectMapper().readTree(Files.readString(dir.resolve("demo.json")));
    assertThat(json.get("runCount").asInt()).isEqualTo(3);
    assertThat(json.get("passed").asBoolean()).isFalse();
    JsonNode cell = json.get("summary").get(1);
    assertThat(cell.get("row").asText()).isEqualTo("direct");
    assertThat(cell.get("column").asText()).isEqualTo("req/s");
    assertThat(cell.get("median").asDouble()).isEqualTo(1000);
    assertThat(cell.get("min").asDouble()).isEqualTo(900);
    assertThat(cell.get("max").asDouble()).isEqualTo(1200);
    // The latency curve merges the three runs' histograms.
    assertThat(Files.readString(dir.resolve("demo-latency.svg"))).contains("3 runs merged");
  }

  @Test
  void theMedianOfAnEvenCountIsTheMeanOfTheMiddleTwo() {
    assertThat(ScenarioReport.median(new double[] {1, 2, 10, 20})).isEqualTo(6);
    assertThat(ScenarioReport.median(new double[] {5})).isEqualTo(5);
  }
}
