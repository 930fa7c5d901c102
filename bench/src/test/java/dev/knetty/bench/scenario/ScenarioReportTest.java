package dev.knetty.bench.scenario;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.knetty.bench.load.LoadResult;
import dev.knetty.bench.load.LoadSpec;
import dev.knetty.bench.proc.ProcessUsage;
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

  @Test
  void aResultWithoutLoadPhasesHasNoPhaseTable() {
    String md =
        ScenarioReport.markdown(
            new ScenarioResult(
                "demo", "No load", List.of(), List.of(Check.atMost("errors", 0, 0)), List.of()));
    assertThat(md)
        .doesNotContain("| phase |")
        .contains("No load\n\n| check |")
        .contains("| errors | 0 |");
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
    assertThat(json.get("phases")).hasSize(2);
    assertThat(json.get("phases").get(1).get("label").asText()).isEqualTo("queue-proxy");
    assertThat(json.get("phases").get(0).get("load").get("process").get("pid").asLong())
        .isEqualTo(7);
    assertThat(json.get("checks").get(1).get("passed").asBoolean()).isFalse();
    assertThat(json.get("charts").get(0).get("series").get(0).get("points")).hasSize(2);

    // One curve per phase in the latency picture.
    var svg =
        DocumentBuilderFactory.newInstance()
            .newDocumentBuilder()
            .parse(dir.resolve("demo-latency.svg").toFile());
    assertThat(svg.getElementsByTagName("path").getLength()).isEqualTo(2);
  }

  @Test
  void markdownHasAPhaseTableAndTheChecks() {
    String md = ScenarioReport.markdown(result());
    assertThat(md)
        .contains("## demo")
        .contains("Two phases | one chart")
        .contains("| direct | h1, open loop 100/s for 1s, 64 connections | 100 | 0 |")
        .contains("| 2.500 | 50.0 |")
        .contains("| p95 latency (ms) | 104.50 | 100 to 105 | pass |")
        .contains("| errors | 3 | <= 0 | **FAIL** |");
  }
}
