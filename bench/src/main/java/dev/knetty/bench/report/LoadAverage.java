package dev.knetty.bench.report;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/**
 * The system's load averages over 1, 5 and 15 minutes ({@code /proc/loadavg}, what {@code uptime}
 * shows): how busy a shared machine was around a measurement. All -1 where unknown.
 */
public record LoadAverage(double one, double five, double fifteen) {

  /** Unknown (no {@code /proc/loadavg}). */
  public static final LoadAverage UNKNOWN = new LoadAverage(-1, -1, -1);

  /** The load averages now. */
  public static LoadAverage now() {
    try {
      return parse(Files.readString(Path.of("/proc/loadavg")));
    } catch (IOException | RuntimeException e) {
      return UNKNOWN;
    }
  }

  /** Parses a {@code /proc/loadavg} line ({@code 0.52 0.58 0.59 1/467 12345}). */
  static LoadAverage parse(String line) {
    String[] f = line.trim().split("\\s+");
    return new LoadAverage(
        Double.parseDouble(f[0]), Double.parseDouble(f[1]), Double.parseDouble(f[2]));
  }

  /** {@code 0.52, 0.58, 0.59}, as {@code uptime} prints it. */
  @Override
  public String toString() {
    return String.format(Locale.ROOT, "%.2f, %.2f, %.2f", one, five, fifteen);
  }
}
