package dev.knetty.bench.report;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.knetty.bench.load.IntervalSample;
import dev.knetty.bench.load.LoadResult;
import dev.knetty.bench.load.LoadSpec;
import dev.knetty.bench.proc.ProcessUsage;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.HdrHistogram.Histogram;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LoadSummaryTest {

  private static LoadResult result() {
    Histogram latency = new Histogram(3_600_000_000L, 3);
    for (int i = 1; i <= 98; i++) {
      latency.recordValue(100_000 + i * 10L);
    }
    return new LoadResult(
        LoadSpec.builder(URI.create("http://127.0.0.1:8080/?sleep=100"))
            .name("direct")
            .openLoop(100)
            .duration(Duration.ofSeconds(1))
            .build(),
        100,
        98,
        Map.of("status_503", 2L),
        latency,
        Duration.ofMillis(1100),
        List.of(new IntervalSample(1.0, 100, 2, 100.5, 101.0, 101.0)),
        0);
  }

  @Test
  void jsonHasCountsErrorsPercentilesAndTheHistogram(@TempDir Path dir) throws Exception {
    LoadSummary summary =
        LoadSummary.of(result(), new ProcessUsage(42, 0.5, 3.0, 80L << 20, 70L << 20, 10, 100));
    Path file = dir.resolve("load.json");
    Json.write(file, summary);
    JsonNode json = new ObjectMapper().readTree(Files.readString(file));
    assertThat(json.get("name").asText()).isEqualTo("direct");
    assertThat(json.get("protocol").asText()).isEqualTo("h1");
    assertThat(json.get("mode").asText()).isEqualTo("open-loop");
    assertThat(json.get("requests").asLong()).isEqualTo(100);
    assertThat(json.get("successes").asLong()).isEqualTo(98);
    assertThat(json.get("errors").get("status_503").asLong()).isEqualTo(2);
    assertThat(json.get("latencyMs").get("p99").asDouble()).isCloseTo(100.98, within(0.05));
    assertThat(json.get("intervals")).hasSize(1);
    assertThat(json.get("process").get("cpuSecondsPer1000Requests").asDouble())
        .isCloseTo(5.0, within(1e-9));
    assertThat(json.get("process").get("peakRssBytes").asLong()).isEqualTo(80L << 20);
    Histogram decoded =
        Histogram.decodeFromCompressedByteBuffer(
            ByteBuffer.wrap(Base64.getDecoder().decode(json.get("histogram").asText())), 0);
    assertThat(decoded.getTotalCount()).isEqualTo(98);
  }

  @Test
  void noProcessNoProcessField() throws Exception {
    JsonNode json = new ObjectMapper().readTree(Json.write(LoadSummary.of(result(), null)));
    assertThat(json.has("process")).isFalse();
  }

  @Test
  void textSummarisesForPeople() {
    String text =
        LoadSummary.of(result(), new ProcessUsage(42, 0.5, 3.0, 80L << 20, 70L << 20, 10, 100))
            .text();
    assertThat(text)
        .contains("direct (h1, open loop 100/s for 1s, 64 connections)")
        .contains("100 (100.0/s), 98 successful")
        .contains("status_503 2")
        .contains("p95 ")
        .contains("p99.9 ")
        .contains("process 42")
        .contains("5.000 s per 1,000 requests")
        .contains("peak RSS 80.0 MiB");
  }
}
