package dev.knetty.bench.scenario;

import java.util.Locale;

/**
 * One pass/fail criterion of a scenario, e.g. Knative's SLA "p95 in [100 ms, 105 ms]".
 *
 * @param observed what the run measured, formatted
 * @param expected the bound, formatted
 */
public record Check(String name, String observed, String expected, boolean passed) {

  /** {@code min <= observed <= max}. */
  public static Check between(String name, double observed, double min, double max) {
    return new Check(
        name,
        format(observed),
        format(min) + " to " + format(max),
        observed >= min && observed <= max);
  }

  /** {@code observed <= max}. */
  public static Check atMost(String name, double observed, double max) {
    return new Check(name, format(observed), "<= " + format(max), observed <= max);
  }

  /** {@code |observed - expected| <= tolerance}. */
  public static Check near(String name, long observed, long expected, long tolerance) {
    return new Check(
        name,
        Long.toString(observed),
        expected + " ± " + tolerance,
        Math.abs(observed - expected) <= tolerance);
  }

  private static String format(double value) {
    return value == Math.rint(value) && Math.abs(value) < 1e15
        ? Long.toString((long) value)
        : String.format(Locale.ROOT, "%.2f", value);
  }
}
