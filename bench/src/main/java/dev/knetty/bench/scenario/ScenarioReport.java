package dev.knetty.bench.scenario;

import dev.knetty.bench.report.Environment;
import dev.knetty.bench.report.Json;
import dev.knetty.bench.report.LoadAverage;
import dev.knetty.bench.report.LoadSummary;
import dev.knetty.bench.report.PercentilePlot;
import dev.knetty.bench.report.TimeSeriesPlot;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.HdrHistogram.Histogram;

/**
 * Writes the runs of a scenario as {@code <name>.json} (everything, for machines), {@code
 * <name>-latency.svg} (one percentile curve per phase, the runs' histograms merged), {@code
 * <name>-<chart>.svg} per chart (of the last run) and {@code <name>.md} (tables for people: the
 * summary as medians with their spread over the runs, the checks of every run, then each run's
 * phases).
 */
public final class ScenarioReport {

  private ScenarioReport() {}

  /** The JSON document. */
  record Document(
      String scenario,
      String description,
      boolean passed,
      Environment environment,
      int runCount,
      List<SummaryCell> summary,
      List<RunDocument> runs) {}

  record RunDocument(
      int run,
      String startedAt,
      LoadAverage loadBefore,
      LoadAverage loadAfter,
      double quietWaitSeconds,
      boolean passed,
      List<PhaseDocument> phases,
      List<Check> checks,
      List<Chart> charts,
      List<Metric> metrics,
      List<String> notes) {}

  record PhaseDocument(String label, LoadSummary load, List<ProcessDocument> processes) {}

  /** A process's cost during a phase's measured part. */
  record ProcessDocument(
      String name,
      long pid,
      double cpuSeconds,
      double cpuMillisPer1000Requests,
      double peakRssMiB,
      double maxSampledRssMiB) {}

  /**
   * One cell of the summary over all runs.
   *
   * @param values the cell's value in each run that has it, in run order
   */
  public record SummaryCell(
      String row,
      String column,
      double median,
      double min,
      double max,
      List<Double> values,
      int decimals) {

    String text(boolean spread) {
      Metric f = new Metric(row, column, median, decimals);
      return spread && values.size() > 1
          ? f.format(median) + " (" + f.format(min) + "–" + f.format(max) + ")"
          : f.format(median);
    }
  }

  /**
   * Writes the reports of one run of {@code result}, on this machine now.
   *
   * @return the files written
   */
  public static List<Path> write(ScenarioResult result, Path dir) throws IOException {
    LoadAverage now = LoadAverage.now();
    return write(
        List.of(new ScenarioRun(1, Instant.now().toString(), now, now, 0, result)),
        Environment.capture(),
        dir);
  }

  /**
   * Writes every file into {@code dir}.
   *
   * @param runs the repetitions of one scenario, at least one
   * @return the files written
   */
  public static List<Path> write(List<ScenarioRun> runs, Environment environment, Path dir)
      throws IOException {
    if (runs.isEmpty()) {
      throw new IllegalArgumentException("runs: empty (expected: at least one run)");
    }
    Files.createDirectories(dir);
    List<Path> files = new ArrayList<>();
    ScenarioResult last = runs.get(runs.size() - 1).result();
    String name = last.scenario();

    Path json = dir.resolve(name + ".json");
    List<RunDocument> runDocuments = new ArrayList<>();
    for (ScenarioRun run : runs) {
      runDocuments.add(document(run));
    }
    Json.write(
        json,
        new Document(
            name,
            last.description(),
            runs.stream().allMatch(r -> r.result().passed()),
            environment,
            runs.size(),
            summarize(runs),
            runDocuments));
    files.add(json);

    List<PercentilePlot.Curve> curves = mergedCurves(runs);
    if (!curves.isEmpty()) {
      Path svg = dir.resolve(name + "-latency.svg");
      String title =
          name
              + ": latency by percentile"
              + (runs.size() > 1 ? " (" + runs.size() + " runs merged)" : "");
      PercentilePlot.write(svg, title, curves);
      files.add(svg);
    }
    for (Chart chart : last.charts()) {
      Path svg = dir.resolve(name + "-" + chart.name() + ".svg");
      TimeSeriesPlot.write(svg, chart.title(), chart.yLabel(), chart.series());
      files.add(svg);
    }

    Path md = dir.resolve(name + ".md");
    Files.writeString(md, markdown(runs, environment), StandardCharsets.UTF_8);
    files.add(md);
    return files;
  }

  private static RunDocument document(ScenarioRun run) {
    ScenarioResult r = run.result();
    List<PhaseDocument> phases = new ArrayList<>();
    for (Phase phase : r.phases()) {
      List<ProcessDocument> processes = new ArrayList<>();
      for (Phase.Accounted p : phase.processes()) {
        processes.add(
            new ProcessDocument(
                p.name(),
                p.usage().pid(),
                p.usage().cpuSeconds(),
                p.cpuMillisPer1000(phase.result()),
                p.peakRssMiB(),
                p.usage().maxSampledRssBytes() / (1024.0 * 1024.0)));
      }
      phases.add(new PhaseDocument(phase.label(), phase.summary(), processes));
    }
    return new RunDocument(
        run.index(),
        run.startedAt(),
        run.loadBefore(),
        run.loadAfter(),
        run.quietWaitSeconds(),
        r.passed(),
        phases,
        r.checks(),
        r.charts(),
        r.metrics(),
        r.notes());
  }

  /** One curve per phase label, each the union of that phase's latencies over all runs. */
  private static List<PercentilePlot.Curve> mergedCurves(List<ScenarioRun> runs) {
    Map<String, Histogram> merged = new LinkedHashMap<>();
    for (ScenarioRun run : runs) {
      for (Phase phase : run.result().phases()) {
        Histogram h = merged.get(phase.label());
        if (h == null) {
          merged.put(phase.label(), phase.result().latency().copy());
        } else {
          h.add(phase.result().latency());
        }
      }
    }
    List<PercentilePlot.Curve> curves = new ArrayList<>();
    merged.forEach((label, h) -> curves.add(new PercentilePlot.Curve(label, h)));
    return curves;
  }

  /** Each summary cell's median, min and max over the runs, in the order of first appearance. */
  public static List<SummaryCell> summarize(List<ScenarioRun> runs) {
    Map<List<String>, List<Double>> values = new LinkedHashMap<>();
    Map<List<String>, Integer> decimals = new LinkedHashMap<>();
    for (ScenarioRun run : runs) {
      for (Metric m : run.result().metrics()) {
        List<String> key = List.of(m.row(), m.column());
        values.computeIfAbsent(key, k -> new ArrayList<>()).add(m.value());
        decimals.putIfAbsent(key, m.decimals());
      }
    }
    List<SummaryCell> cells = new ArrayList<>();
    values.forEach(
        (key, v) -> {
          double[] sorted = v.stream().mapToDouble(Double::doubleValue).sorted().toArray();
          cells.add(
              new SummaryCell(
                  key.get(0),
                  key.get(1),
                  median(sorted),
                  sorted[0],
                  sorted[sorted.length - 1],
                  v,
                  decimals.get(key)));
        });
    return cells;
  }

  static double median(double[] sorted) {
    int n = sorted.length;
    return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
  }

  /** The whole report: environment, summary over the runs, checks per run, then each run. */
  public static String markdown(List<ScenarioRun> runs, Environment environment) {
    ScenarioResult last = runs.get(runs.size() - 1).result();
    StringBuilder md = new StringBuilder();
    md.append("## ").append(last.scenario()).append("\n\n");
    md.append(last.description()).append("\n\n");
    md.append(environment.describe()).append(". ");
    md.append(runs.size()).append(runs.size() == 1 ? " run" : " runs");
    md.append("; load average (1, 5, 15 min) before ")
        .append(runs.size() == 1 ? "it" : "each")
        .append(": ");
    List<String> loads = new ArrayList<>();
    for (ScenarioRun run : runs) {
      loads.add(run.loadBefore().toString());
    }
    md.append(String.join("; ", loads)).append(".\n\n");

    List<SummaryCell> summary = summarize(runs);
    if (!summary.isEmpty()) {
      md.append(
          runs.size() == 1
              ? "### Results\n\n"
              : "### Median of " + runs.size() + " runs (min–max)\n\n");
      md.append(summaryTable(summary, runs.size() > 1)).append('\n');
    }
    Set<String> notes = new LinkedHashSet<>();
    runs.forEach(r -> notes.addAll(r.result().notes()));
    for (String note : notes) {
      md.append("* ").append(note).append('\n');
    }
    if (!notes.isEmpty()) {
      md.append('\n');
    }
    if (!last.checks().isEmpty()) {
      md.append("### Checks\n\n").append(checksTable(runs)).append('\n');
    }
    for (ScenarioRun run : runs) {
      md.append("### Run ")
          .append(run.index())
          .append(" (")
          .append(run.startedAt())
          .append(", load average ")
          .append(run.loadBefore())
          .append(" before, ")
          .append(run.loadAfter())
          .append(" after)\n\n");
      md.append(phaseTable(run.result()));
      md.append(run.result().phases().isEmpty() ? "(no load phases)\n\n" : "");
    }
    return md.toString();
  }

  /** The summary cells as one table: a row per {@code row}, a column per {@code column}. */
  static String summaryTable(List<SummaryCell> cells, boolean spread) {
    Set<String> rows = new LinkedHashSet<>();
    Set<String> columns = new LinkedHashSet<>();
    Map<List<String>, SummaryCell> byKey = new LinkedHashMap<>();
    for (SummaryCell c : cells) {
      rows.add(c.row());
      columns.add(c.column());
      byKey.put(List.of(c.row(), c.column()), c);
    }
    StringBuilder md = new StringBuilder("| |");
    StringBuilder rule = new StringBuilder("|---|");
    for (String column : columns) {
      md.append(' ').append(cell(column)).append(" |");
      rule.append("--:|");
    }
    md.append('\n').append(rule).append('\n');
    for (String row : rows) {
      md.append("| ").append(cell(row)).append(" |");
      for (String column : columns) {
        SummaryCell c = byKey.get(List.of(row, column));
        md.append(' ').append(c == null ? "-" : c.text(spread)).append(" |");
      }
      md.append('\n');
    }
    return md.toString();
  }

  private static String checksTable(List<ScenarioRun> runs) {
    Map<String, String> expected = new LinkedHashMap<>();
    Map<String, String[]> observed = new LinkedHashMap<>();
    for (int i = 0; i < runs.size(); i++) {
      for (Check check : runs.get(i).result().checks()) {
        expected.putIfAbsent(check.name(), check.expected());
        String[] row = observed.computeIfAbsent(check.name(), k -> new String[runs.size()]);
        row[i] = check.observed() + (check.passed() ? " pass" : " **FAIL**");
      }
    }
    StringBuilder md = new StringBuilder("| check | expected |");
    StringBuilder rule = new StringBuilder("|---|--:|");
    for (ScenarioRun run : runs) {
      md.append(runs.size() == 1 ? " result |" : " run " + run.index() + " |");
      rule.append("--:|");
    }
    md.append('\n').append(rule).append('\n');
    observed.forEach(
        (name, row) -> {
          md.append("| ").append(cell(name)).append(" | ").append(cell(expected.get(name)));
          md.append(" |");
          Arrays.stream(row)
              .forEach(v -> md.append(' ').append(v == null ? "-" : cell(v)).append(" |"));
          md.append('\n');
        });
    return md.toString();
  }

  /** The phases: load, counts, percentiles, and the process under test's cost. */
  private static String phaseTable(ScenarioResult result) {
    if (result.phases().isEmpty()) {
      return "";
    }
    StringBuilder md = new StringBuilder();
    md.append(
        "| phase | load | requests | errors | p50 ms | p90 ms | p95 ms | p99 ms | p99.9 ms"
            + " | max ms | CPU s / 1k req | peak RSS MiB |\n");
    md.append("|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|\n");
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
    if (result.phases().stream().anyMatch(p -> p.processes().size() > 1)) {
      md.append("\n| phase | process | CPU ms / 1k req | peak RSS MiB |\n|---|---|--:|--:|\n");
      for (Phase phase : result.phases()) {
        for (Phase.Accounted p : phase.processes()) {
          md.append(
              String.format(
                  Locale.ROOT,
                  "| %s | %s | %.1f | %.1f |\n",
                  cell(phase.label()),
                  cell(p.name()),
                  p.cpuMillisPer1000(phase.result()),
                  p.peakRssMiB()));
        }
      }
    }
    return md.append('\n').toString();
  }

  private static String cell(String text) {
    return text.replace("|", "\\|").replace('\n', ' ');
  }
}
