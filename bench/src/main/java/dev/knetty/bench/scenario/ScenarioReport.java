package dev.knetty.bench.scenario;

import dev.knetty.bench.report.Json;
import dev.knetty.bench.report.LoadSummary;
import dev.knetty.bench.report.PercentilePlot;
import dev.knetty.bench.report.TimeSeriesPlot;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Writes a {@link ScenarioResult} as {@code <name>.json} (everything, for machines), {@code
 * <name>-latency.svg} (one percentile curve per phase), {@code <name>-<chart>.svg} per chart and
 * {@code <name>.md} (tables for people).
 */
public final class ScenarioReport {

  private ScenarioReport() {}

  /** The JSON document. */
  record Document(
      String scenario,
      String description,
      boolean passed,
      List<PhaseDocument> phases,
      List<Check> checks,
      List<Chart> charts) {}

  record PhaseDocument(String label, LoadSummary load) {}

  /**
   * Writes every file into {@code dir}.
   *
   * @return the files written
   */
  public static List<Path> write(ScenarioResult result, Path dir) throws IOException {
    Files.createDirectories(dir);
    List<Path> files = new ArrayList<>();
    String name = result.scenario();

    Path json = dir.resolve(name + ".json");
    List<PhaseDocument> phases = new ArrayList<>();
    List<PercentilePlot.Curve> curves = new ArrayList<>();
    for (Phase phase : result.phases()) {
      phases.add(new PhaseDocument(phase.label(), phase.summary()));
      curves.add(new PercentilePlot.Curve(phase.label(), phase.result().latency()));
    }
    Json.write(
        json,
        new Document(
            name, result.description(), result.passed(), phases, result.checks(), result.charts()));
    files.add(json);

    if (!curves.isEmpty()) {
      Path svg = dir.resolve(name + "-latency.svg");
      PercentilePlot.write(svg, name + ": latency by percentile", curves);
      files.add(svg);
    }
    for (Chart chart : result.charts()) {
      Path svg = dir.resolve(name + "-" + chart.name() + ".svg");
      TimeSeriesPlot.write(svg, chart.title(), chart.yLabel(), chart.series());
      files.add(svg);
    }

    Path md = dir.resolve(name + ".md");
    Files.writeString(md, markdown(result), StandardCharsets.UTF_8);
    files.add(md);
    return files;
  }

  /** The phases and checks as markdown tables. */
  public static String markdown(ScenarioResult result) {
    StringBuilder md = new StringBuilder();
    md.append("## ").append(result.scenario()).append("\n\n");
    md.append(result.description()).append("\n\n");
    if (!result.phases().isEmpty()) {
      md.append(
          "| phase | load | requests | errors | p50 ms | p90 ms | p95 ms | p99 ms | p99.9 ms"
              + " | max ms | CPU s / 1k req | peak RSS MiB |\n");
      md.append("|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|\n");
    }
    for (Phase phase : result.phases()) {
      LoadSummary s = phase.summary();
      LoadSummary.Latency l = s.latencyMs();
      md.append(
          String.format(
              Locale.ROOT,
              "| %s | %s | %d | %d | %.2f | %.2f | %.2f | %.2f | %.2f | %.2f | %s | %s |\n",
              cell(phase.label()),
              cell(s.shape()),
              s.requests(),
              phase.result().errorCount(),
              l.p50(),
              l.p90(),
              l.p95(),
              l.p99(),
              l.p999(),
              l.max(),
              s.process() == null
                  ? "-"
                  : String.format(Locale.ROOT, "%.3f", s.process().cpuSecondsPer1000Requests()),
              s.process() == null
                  ? "-"
                  : String.format(
                      Locale.ROOT, "%.1f", s.process().peakRssBytes() / (1024.0 * 1024.0))));
    }
    if (!result.checks().isEmpty()) {
      md.append(result.phases().isEmpty() ? "" : "\n")
          .append("| check | observed | expected | result |\n|---|--:|--:|---|\n");
      for (Check check : result.checks()) {
        md.append("| ")
            .append(cell(check.name()))
            .append(" | ")
            .append(cell(check.observed()))
            .append(" | ")
            .append(cell(check.expected()))
            .append(" | ")
            .append(check.passed() ? "pass" : "**FAIL**")
            .append(" |\n");
      }
    }
    return md.toString();
  }

  private static String cell(String text) {
    return text.replace("|", "\\|").replace('\n', ' ');
  }
}
