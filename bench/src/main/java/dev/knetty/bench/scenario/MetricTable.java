package dev.knetty.bench.scenario;

import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Collects a scenario's {@link Metric}s row by row and hands them out in the declared column order,
 * so that a row that lacks a column (e.g. no proxy CPU for the direct target) does not move that
 * column to the end of the report's table.
 */
public final class MetricTable {

  private final List<String> columns;
  private final Set<String> rows = new LinkedHashSet<>();
  private final Map<String, Map<String, Metric>> cells = new LinkedHashMap<>();

  /** A table with these columns, in this order. */
  public MetricTable(String... columns) {
    this.columns = List.of(columns);
    for (String column : columns) {
      cells.put(column, new LinkedHashMap<>());
    }
  }

  /**
   * Sets a cell.
   *
   * @throws IllegalArgumentException if {@code column} was not declared
   */
  public void put(String row, String column, double value, int decimals) {
    Map<String, Metric> byRow = cells.get(column);
    if (byRow == null) {
      throw new IllegalArgumentException(
          "column: " + column + " (expected: one of " + columns + ")");
    }
    rows.add(row);
    byRow.put(row, new Metric(row, column, value, decimals));
  }

  /** The cells, column by column in declared order, rows in the order first set. */
  public List<Metric> metrics() {
    return columns.stream()
        .flatMap(c -> rows.stream().map(r -> cells.get(c).get(r)))
        .filter(m -> m != null)
        .collect(Collectors.toList());
  }
}
