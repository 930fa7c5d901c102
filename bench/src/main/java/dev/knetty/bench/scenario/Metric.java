package dev.knetty.bench.scenario;

import java.util.Locale;
import java.util.Objects;

/**
 * One number of a scenario's summary table, e.g. row {@code queue-proxy}, column {@code p95 ms}.
 * Over repeated runs the report shows each cell's median and its spread (min-max).
 *
 * @param decimals how many decimals the table shows
 */
public record Metric(String row, String column, double value, int decimals) {

  public Metric {
    Objects.requireNonNull(row, "row");
    Objects.requireNonNull(column, "column");
    if (decimals < 0 || decimals > 6) {
      throw new IllegalArgumentException("decimals: " + decimals + " (expected: 0-6)");
    }
  }

  /** {@code value} with this metric's decimals. */
  public String format(double v) {
    if (Double.isNaN(v)) {
      return "-";
    }
    return String.format(Locale.ROOT, "%." + decimals + "f", v);
  }
}
