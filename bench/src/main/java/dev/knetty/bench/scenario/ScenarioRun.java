package dev.knetty.bench.scenario;

import dev.knetty.bench.report.LoadAverage;
import java.util.Objects;

/**
 * One repetition of a scenario, with how busy the machine was around it.
 *
 * @param index from 1
 * @param startedAt ISO-8601 UTC
 * @param quietWaitSeconds how long the run waited for the load average to drop before it started
 */
public record ScenarioRun(
    int index,
    String startedAt,
    LoadAverage loadBefore,
    LoadAverage loadAfter,
    double quietWaitSeconds,
    ScenarioResult result) {

  public ScenarioRun {
    Objects.requireNonNull(startedAt, "startedAt");
    Objects.requireNonNull(loadBefore, "loadBefore");
    Objects.requireNonNull(loadAfter, "loadAfter");
    Objects.requireNonNull(result, "result");
  }
}
