package dev.knetty.bench.scenario;

import java.util.List;

/** What a scenario measured and how it was judged. */
public record ScenarioResult(
    String scenario,
    String description,
    List<Phase> phases,
    List<Check> checks,
    List<Chart> charts) {

  public ScenarioResult {
    phases = List.copyOf(phases);
    checks = List.copyOf(checks);
    charts = List.copyOf(charts);
  }

  /** Whether every check passed. */
  public boolean passed() {
    return checks.stream().allMatch(Check::passed);
  }
}
