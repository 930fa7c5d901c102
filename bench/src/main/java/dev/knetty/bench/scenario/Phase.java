package dev.knetty.bench.scenario;

import dev.knetty.bench.load.LoadResult;
import dev.knetty.bench.proc.ProcessUsage;
import dev.knetty.bench.report.LoadSummary;
import java.util.Objects;

/**
 * One load phase of a scenario, with what the process under test used during it.
 *
 * @param label names the phase in tables and as the curve of the latency plot
 * @param usage null when no process was accounted
 */
public record Phase(String label, LoadResult result, ProcessUsage usage) {

  public Phase {
    Objects.requireNonNull(label, "label");
    Objects.requireNonNull(result, "result");
  }

  public LoadSummary summary() {
    return LoadSummary.of(result, usage);
  }
}
