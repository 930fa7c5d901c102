package dev.knetty.common.kmp;

import java.time.Duration;
import java.util.Objects;

/** Argument checks with Armeria-style messages: {@code "name: value (expected: ...)"}. */
final class Checks {

  private Checks() {}

  private static final Duration ONE_MILLI = Duration.ofMillis(1);
  private static final Duration MAX_MILLIS = Duration.ofMillis(Integer.MAX_VALUE);

  static int range(String name, int value, int min, int max) {
    if (value < min || value > max) {
      throw new IllegalArgumentException(
          name + ": " + value + " (expected: " + min + " to " + max + ")");
    }
    return value;
  }

  static int atLeast(String name, int value, int min) {
    if (value < min) {
      throw new IllegalArgumentException(name + ": " + value + " (expected: >= " + min + ")");
    }
    return value;
  }

  static long atLeast(String name, long value, long min) {
    if (value < min) {
      throw new IllegalArgumentException(name + ": " + value + " (expected: >= " + min + ")");
    }
    return value;
  }

  /** A finite, non-negative double; KMP never carries NaN, infinities or negative stats. */
  static double nonNegative(String name, double value) {
    if (!(value >= 0) || value == Double.POSITIVE_INFINITY) {
      throw new IllegalArgumentException(name + ": " + value + " (expected: a finite number >= 0)");
    }
    return value;
  }

  /** A string of {@code minLength} to {@link KmpProtocol#MAX_NAME_LENGTH} characters. */
  static String name(String name, String value, int minLength) {
    Objects.requireNonNull(value, name);
    if (value.length() < minLength || value.length() > KmpProtocol.MAX_NAME_LENGTH) {
      throw new IllegalArgumentException(
          name
              + ": \""
              + value
              + "\" (expected: "
              + minLength
              + " to "
              + KmpProtocol.MAX_NAME_LENGTH
              + " characters)");
    }
    return value;
  }

  /** A positive duration of at most {@code Integer.MAX_VALUE} milliseconds (wire: u32 ms). */
  static Duration positiveMillis(String name, Duration value) {
    Objects.requireNonNull(value, name);
    if (value.compareTo(ONE_MILLI) < 0 || value.compareTo(MAX_MILLIS) > 0) {
      throw new IllegalArgumentException(
          name + ": " + value + " (expected: 1 ms to " + Integer.MAX_VALUE + " ms)");
    }
    return value;
  }

  static void idleTimeout(Duration idleTimeout, Duration heartbeatInterval) {
    if (idleTimeout.compareTo(heartbeatInterval) <= 0) {
      throw new IllegalArgumentException(
          "idleTimeout: "
              + idleTimeout
              + " (expected: > heartbeatInterval "
              + heartbeatInterval
              + ")");
    }
  }

  static void waterMarks(int low, int high) {
    Checks.atLeast("writeBufferLowWaterMark", low, 1);
    if (high < low) {
      throw new IllegalArgumentException(
          "writeBufferHighWaterMark: "
              + high
              + " (expected: >= writeBufferLowWaterMark "
              + low
              + ")");
    }
  }
}
