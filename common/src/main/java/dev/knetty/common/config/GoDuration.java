package dev.knetty.common.config;

import java.time.Duration;

/**
 * Go's {@code time.ParseDuration} and {@code Duration.String}, exactly: Knative reads every
 * duration of its config maps and annotations with the former ({@code 60s}, {@code 1m30s}, {@code
 * 1h}, {@code 500ms}, {@code 1.5h}, {@code -2s}, {@code 0}) and prints them with the latter.
 */
public final class GoDuration {

  private GoDuration() {}

  private static final long NANOS_PER_SECOND = 1_000_000_000L;

  /** 2^63 as an unsigned value: the magnitude limit of Go's parser. */
  private static final long TWO_63 = Long.MIN_VALUE;

  /**
   * Parses {@code value} as Go's {@code time.ParseDuration} does: a possibly signed sequence of
   * decimal numbers, each with optional fraction and a unit ({@code ns}, {@code us}, {@code µs},
   * {@code ms}, {@code s}, {@code m}, {@code h}); {@code "0"} needs no unit.
   *
   * @throws IllegalArgumentException naming the problem, for anything Go rejects
   */
  public static Duration parse(String value) {
    return Duration.ofNanos(parseNanos(value));
  }

  /** {@link #parse} in nanoseconds. */
  public static long parseNanos(String value) {
    String s = value;
    long d = 0; // unsigned accumulation, as Go does
    boolean neg = false;
    if (!s.isEmpty()) {
      char c = s.charAt(0);
      if (c == '-' || c == '+') {
        neg = c == '-';
        s = s.substring(1);
      }
    }
    if (s.equals("0")) {
      return 0;
    }
    if (s.isEmpty()) {
      throw invalid(value);
    }
    int i = 0;
    int n = s.length();
    while (i < n) {
      char c = s.charAt(i);
      if (c != '.' && (c < '0' || c > '9')) {
        throw invalid(value);
      }
      // The integer part: Go's leadingInt fails on overflow past 2^63.
      int start = i;
      long v = 0;
      while (i < n && s.charAt(i) >= '0' && s.charAt(i) <= '9') {
        if (Long.compareUnsigned(v, Long.divideUnsigned(TWO_63, 10)) > 0) {
          throw invalid(value);
        }
        v = v * 10 + (s.charAt(i) - '0');
        if (Long.compareUnsigned(v, TWO_63) > 0) {
          throw invalid(value);
        }
        i++;
      }
      boolean pre = i != start;
      // The fraction: Go's leadingFraction drops digits that would overflow.
      long f = 0;
      double scale = 1;
      boolean post = false;
      if (i < n && s.charAt(i) == '.') {
        i++;
        int fracStart = i;
        boolean overflow = false;
        while (i < n && s.charAt(i) >= '0' && s.charAt(i) <= '9') {
          if (!overflow) {
            if (Long.compareUnsigned(f, Long.MAX_VALUE / 10) > 0) {
              overflow = true;
            } else {
              long y = f * 10 + (s.charAt(i) - '0');
              if (Long.compareUnsigned(y, TWO_63) > 0) {
                overflow = true;
              } else {
                f = y;
                scale *= 10;
              }
            }
          }
          i++;
        }
        post = i != fracStart;
      }
      if (!pre && !post) {
        throw invalid(value); // no digits, e.g. ".s"
      }
      int unitStart = i;
      while (i < n && s.charAt(i) != '.' && (s.charAt(i) < '0' || s.charAt(i) > '9')) {
        i++;
      }
      if (unitStart == i) {
        throw new IllegalArgumentException("missing unit in duration \"" + value + "\"");
      }
      long unit = unit(s.substring(unitStart, i));
      if (unit == 0) {
        throw new IllegalArgumentException(
            "unknown unit \"" + s.substring(unitStart, i) + "\" in duration \"" + value + "\"");
      }
      if (Long.compareUnsigned(v, Long.divideUnsigned(TWO_63, unit)) > 0) {
        throw invalid(value);
      }
      v *= unit;
      if (f > 0) {
        // Go: float64 is needed to be nanosecond accurate for fractions of hours.
        v += (long) ((double) f * ((double) unit / scale));
        if (Long.compareUnsigned(v, TWO_63) > 0) {
          throw invalid(value);
        }
      }
      d += v;
      if (Long.compareUnsigned(d, TWO_63) > 0) {
        throw invalid(value);
      }
    }
    if (neg) {
      return -d; // -2^63 stays -2^63
    }
    if (Long.compareUnsigned(d, Long.MAX_VALUE) > 0) {
      throw invalid(value);
    }
    return d;
  }

  private static long unit(String u) {
    switch (u) {
      case "ns":
        return 1;
      case "us":
      case "\u00b5s": // micro sign
      case "\u03bcs": // Greek mu
        return 1_000;
      case "ms":
        return 1_000_000;
      case "s":
        return NANOS_PER_SECOND;
      case "m":
        return 60 * NANOS_PER_SECOND;
      case "h":
        return 3600 * NANOS_PER_SECOND;
      default:
        return 0;
    }
  }

  private static IllegalArgumentException invalid(String value) {
    return new IllegalArgumentException("invalid duration \"" + value + "\"");
  }

  /** Go's {@code Duration.String}: {@code 1h0m0s}, {@code 1m30s}, {@code 1.5s}, {@code 500ms}. */
  public static String format(Duration duration) {
    return format(toNanosSaturated(duration));
  }

  /** {@link #format(Duration)} of a count of nanoseconds. */
  public static String format(long nanos) {
    if (nanos == 0) {
      return "0s";
    }
    boolean neg = nanos < 0;
    long u = Math.abs(nanos); // Long.MIN_VALUE stays negative; treated as unsigned below
    StringBuilder sb = new StringBuilder();
    if (Long.compareUnsigned(u, NANOS_PER_SECOND) < 0) {
      int prec;
      String unit;
      if (u < 1_000) {
        prec = 0;
        unit = "ns";
      } else if (u < 1_000_000) {
        prec = 3;
        unit = "\u00b5s";
      } else {
        prec = 6;
        unit = "ms";
      }
      sb.append(Long.toUnsignedString(u / pow10(prec)));
      appendFraction(sb, u % pow10(prec), prec);
      sb.append(unit);
    } else {
      long secs = Long.divideUnsigned(u, NANOS_PER_SECOND);
      long frac = Long.remainderUnsigned(u, NANOS_PER_SECOND);
      long hours = secs / 3600;
      long minutes = secs / 60 % 60;
      if (hours > 0) {
        sb.append(hours).append('h');
      }
      if (hours > 0 || minutes > 0) {
        sb.append(minutes).append('m');
      }
      sb.append(secs % 60);
      appendFraction(sb, frac, 9);
      sb.append('s');
    }
    return neg ? "-" + sb : sb.toString();
  }

  private static void appendFraction(StringBuilder sb, long frac, int prec) {
    if (frac == 0) {
      return;
    }
    String digits = String.format("%0" + prec + "d", frac);
    int end = digits.length();
    while (digits.charAt(end - 1) == '0') {
      end--;
    }
    sb.append('.').append(digits, 0, end);
  }

  private static long pow10(int n) {
    long p = 1;
    for (int i = 0; i < n; i++) {
      p *= 10;
    }
    return p;
  }

  /** The duration in nanoseconds, saturated at the {@code long} range as Go's durations are. */
  static long toNanosSaturated(Duration d) {
    try {
      return d.toNanos();
    } catch (ArithmeticException e) {
      return d.isNegative() ? Long.MIN_VALUE : Long.MAX_VALUE;
    }
  }
}
