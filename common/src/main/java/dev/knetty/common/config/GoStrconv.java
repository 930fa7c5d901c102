package dev.knetty.common.config;

import java.math.BigDecimal;
import java.util.regex.Pattern;

/**
 * The parts of Go's {@code strconv} that Knative's config parsing uses ({@code ParseFloat}, {@code
 * ParseInt}, {@code ParseBool}), with Go's syntax rather than Java's: no surrounding blanks, no
 * {@code d}/{@code f} suffixes, digit-separating underscores allowed in floats as in Go literals.
 *
 * <p>Deliberate differences: {@code NaN} and infinities are rejected (Go accepts them, and then the
 * range checks let e.g. {@code max-scale-up-rate: NaN} through), and hexadecimal floats are
 * rejected (nobody writes {@code 0x1p4} in a config map).
 */
final class GoStrconv {

  private GoStrconv() {}

  private static final Pattern DECIMAL_FLOAT =
      Pattern.compile("[+-]?(?:[0-9][0-9_]*(?:\\.[0-9_]*)?|\\.[0-9][0-9_]*)(?:[eE][+-]?[0-9_]+)?");

  private static final Pattern DECIMAL_INT = Pattern.compile("[+-]?[0-9]+");

  /** Go's {@code strconv.ParseFloat(s, 64)} for finite decimal values; {@code null} otherwise. */
  static Double parseFloat(String s) {
    if (!DECIMAL_FLOAT.matcher(s).matches()) {
      return null;
    }
    if (s.indexOf('_') >= 0) {
      if (!underscoreOk(s)) {
        return null;
      }
      s = s.replace("_", "");
    }
    double v = Double.parseDouble(s); // correctly rounded, as Go's parser is
    return Double.isFinite(v) ? v : null; // Go: out of range is ErrRange
  }

  /** Go's {@code underscoreOK}: underscores only between digits. */
  private static boolean underscoreOk(String s) {
    char saw = '^';
    int i = 0;
    if (!s.isEmpty() && (s.charAt(0) == '+' || s.charAt(0) == '-')) {
      i = 1;
    }
    for (; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c >= '0' && c <= '9') {
        saw = '0';
      } else if (c == '_') {
        if (saw != '0') {
          return false;
        }
        saw = '_';
      } else {
        if (saw == '_') {
          return false;
        }
        saw = '!';
      }
    }
    return saw != '_';
  }

  /** Go's {@code strconv.ParseInt(s, 10, 32)}; {@code null} when it fails. */
  static Integer parseInt32(String s) {
    Long v = parseInt64(s);
    return v == null || v != v.intValue() ? null : v.intValue();
  }

  /** Go's {@code strconv.ParseInt(s, 10, 64)}; {@code null} when it fails. */
  static Long parseInt64(String s) {
    if (!DECIMAL_INT.matcher(s).matches()) {
      return null;
    }
    try {
      return Long.parseLong(s); // accepts the same leading '+'
    } catch (NumberFormatException e) {
      return null; // out of range
    }
  }

  /** Go's {@code strconv.ParseBool}; {@code null} when it fails. */
  static Boolean parseBool(String s) {
    switch (s) {
      case "1":
      case "t":
      case "T":
      case "TRUE":
      case "true":
      case "True":
        return Boolean.TRUE;
      case "0":
      case "f":
      case "F":
      case "FALSE":
      case "false":
      case "False":
        return Boolean.FALSE;
      default:
        return null;
    }
  }

  /** A number as people write it: {@code 100}, {@code 0.7}, {@code 1.5}. */
  static String format(double v) {
    if (!Double.isFinite(v)) {
      return Double.toString(v);
    }
    if (v == Math.rint(v) && Math.abs(v) < 1e15) {
      return Long.toString((long) v);
    }
    return BigDecimal.valueOf(v).stripTrailingZeros().toPlainString();
  }
}
