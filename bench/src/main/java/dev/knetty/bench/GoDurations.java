package dev.knetty.bench;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.time.Duration;
import java.util.Locale;
import picocli.CommandLine;

/**
 * Go's {@code time.ParseDuration} syntax ({@code 100ms}, {@code 1.5s}, {@code 1m30s}), which
 * Knative's test images and vegeta use and which is what people type on a command line.
 */
public final class GoDurations {

  private GoDurations() {}

  /** picocli converter for options such as {@code --duration 30s}. */
  public static final class Converter implements CommandLine.ITypeConverter<Duration> {
    @Override
    public Duration convert(String value) {
      try {
        return parse(value);
      } catch (IllegalArgumentException e) {
        throw new CommandLine.TypeConversionException(e.getMessage());
      }
    }
  }

  /**
   * Parses a duration such as {@code 250ms}, {@code 2s}, {@code 1m30s} or {@code 0}: a sequence of
   * decimal numbers, each with a unit ({@code ns}, {@code us}, {@code µs}, {@code ms}, {@code s},
   * {@code m}, {@code h}). Negative durations are accepted here; callers bound them.
   *
   * @throws IllegalArgumentException naming the value when it is not a duration
   */
  public static Duration parse(String text) {
    String s = text.trim();
    boolean negative = s.startsWith("-");
    if (negative || s.startsWith("+")) {
      s = s.substring(1);
    }
    if (s.equals("0")) {
      return Duration.ZERO;
    }
    if (s.isEmpty()) {
      throw invalid(text);
    }
    BigDecimal nanos = BigDecimal.ZERO;
    int i = 0;
    while (i < s.length()) {
      int start = i;
      while (i < s.length() && (Character.isDigit(s.charAt(i)) || s.charAt(i) == '.')) {
        i++;
      }
      if (i == start) {
        throw invalid(text);
      }
      BigDecimal number;
      try {
        number = new BigDecimal(s.substring(start, i));
      } catch (NumberFormatException e) {
        throw invalid(text);
      }
      int unitStart = i;
      while (i < s.length() && !Character.isDigit(s.charAt(i)) && s.charAt(i) != '.') {
        i++;
      }
      nanos =
          nanos.add(
              number.multiply(BigDecimal.valueOf(unitNanos(s.substring(unitStart, i), text))));
    }
    BigDecimal rounded = nanos.setScale(0, RoundingMode.HALF_UP);
    if (rounded.compareTo(BigDecimal.valueOf(Long.MAX_VALUE)) > 0) {
      throw new IllegalArgumentException("duration: " + text + " (expected: at most 292 years)");
    }
    Duration d = Duration.ofNanos(rounded.longValue());
    return negative ? d.negated() : d;
  }

  private static long unitNanos(String unit, String text) {
    switch (unit) {
      case "ns":
        return 1L;
      case "us":
      case "µs":
        return 1_000L;
      case "ms":
        return 1_000_000L;
      case "s":
        return 1_000_000_000L;
      case "m":
        return 60_000_000_000L;
      case "h":
        return 3_600_000_000_000L;
      default:
        throw invalid(text);
    }
  }

  private static IllegalArgumentException invalid(String text) {
    return new IllegalArgumentException(
        "duration: " + text + " (expected: a number with a unit, e.g. 100ms, 1.5s, 2m)");
  }

  /** A short Go-style rendering: {@code 5m}, {@code 1.5s}, {@code 100ms}, {@code 250us}. */
  public static String format(Duration d) {
    if (d.isNegative()) {
      return "-" + format(d.negated());
    }
    long nanos;
    try {
      nanos = d.toNanos();
    } catch (ArithmeticException e) {
      return d.toHours() + "h";
    }
    if (nanos == 0) {
      return "0s";
    }
    if (nanos % 3_600_000_000_000L == 0) {
      return nanos / 3_600_000_000_000L + "h";
    }
    if (nanos % 60_000_000_000L == 0) {
      return nanos / 60_000_000_000L + "m";
    }
    if (nanos >= 1_000_000_000L) {
      return trim(nanos / 1e9) + "s";
    }
    if (nanos >= 1_000_000L) {
      return trim(nanos / 1e6) + "ms";
    }
    if (nanos >= 1_000L) {
      return trim(nanos / 1e3) + "us";
    }
    return nanos + "ns";
  }

  private static String trim(double value) {
    String s = String.format(Locale.ROOT, "%.3f", value);
    s = s.replaceAll("0+$", "");
    return s.endsWith(".") ? s.substring(0, s.length() - 1) : s;
  }
}
