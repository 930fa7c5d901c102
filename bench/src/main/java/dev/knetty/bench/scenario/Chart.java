package dev.knetty.bench.scenario;

import dev.knetty.bench.report.TimeSeriesPlot;
import java.util.List;

/**
 * A time-series picture of a scenario (e.g. ready pods over time), written as {@code
 * <scenario>-<name>.svg}.
 */
public record Chart(String name, String title, String yLabel, List<TimeSeriesPlot.Series> series) {

  public Chart {
    if (!name.matches("[a-z0-9-]+")) {
      throw new IllegalArgumentException("name: " + name + " (expected: [a-z0-9-]+)");
    }
    series = List.copyOf(series);
  }
}
