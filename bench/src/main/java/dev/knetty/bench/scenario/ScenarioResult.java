package dev.knetty.bench.scenario;

import java.util.List;

/**
 * What a scenario measured and how it was judged.
 *
 * @param metrics the headline numbers, a table by row and column (medians over repeated runs)
 * @param notes sentences for the reader: what was skipped and why, settings that matter
 */
public record ScenarioResult(
    String scenario,
    String description,
    List<Phase> phases,
    List<Check> checks,
    List<Chart> charts,
    List<Metric> metrics,
    List<String> notes) {

  public ScenarioResult {
    phases = List.copyOf(phases);
    checks = List.copyOf(checks);
    charts = List.copyOf(charts);
    metrics = List.copyOf(metrics);
    notes = List.copyOf(notes);
  }

  /** A result without a summary table or notes. */
  public ScenarioResult(
      String scenario,
      String description,
      List<Phase> phases,
      List<Check> checks,
      List<Chart> charts) {
    this(scenario, description, phases, checks, charts, List.of(), List.of());
  }

  /** Whether every check passed. */
  public boolean passed() {
    return checks.stream().allMatch(Check::passed);
  }
}
