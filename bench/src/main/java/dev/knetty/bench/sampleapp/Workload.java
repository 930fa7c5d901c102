package dev.knetty.bench.sampleapp;

import dev.knetty.bench.GoDurations;
import java.time.Duration;
import java.util.Arrays;
import java.util.BitSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * What one request to {@code /} asks for, parsed like Knative's autoscale test image: {@code sleep}
 * (milliseconds, or a Go duration such as {@code 1.5s}), {@code prime} (largest prime below N) and
 * {@code bloat} (MiB to allocate). Zero means "not asked", as in Knative's image.
 */
record Workload(Duration sleep, int prime, int bloatMb) {

  /** Server-sent events of {@code /sse}: {@code n} events, {@code interval} apart. */
  record Sse(int events, Duration interval) {}

  boolean isEmpty() {
    return sleep.isZero() && prime == 0 && bloatMb == 0;
  }

  /**
   * Parses and bounds the query parameters.
   *
   * @throws IllegalArgumentException with a message naming the parameter, its value and what is
   *     expected (the 400 answer)
   */
  static Workload parse(Map<String, List<String>> params, SampleAppConfig config) {
    Duration sleep = duration(params, "sleep", Duration.ZERO, config.maxSleep());
    int prime = integer(params, "prime", 0, 0, config.maxPrime());
    int bloat = integer(params, "bloat", 0, 0, config.maxBloatMb());
    return new Workload(sleep, prime, bloat);
  }

  /** Parses {@code n} (default 10) and {@code interval} (default 100 ms) of {@code /sse}. */
  static Sse parseSse(Map<String, List<String>> params, SampleAppConfig config) {
    int n = integer(params, "n", 10, 1, config.maxSseEvents());
    Duration interval = duration(params, "interval", Duration.ofMillis(100), config.maxSleep());
    return new Sse(n, interval);
  }

  private static String first(Map<String, List<String>> params, String name) {
    List<String> values = params.get(name);
    return values == null || values.isEmpty() || values.get(0).isEmpty() ? null : values.get(0);
  }

  private static int integer(
      Map<String, List<String>> params, String name, int absent, int min, int max) {
    String value = first(params, name);
    if (value == null) {
      return absent;
    }
    long parsed;
    try {
      parsed = Long.parseLong(value.trim());
    } catch (NumberFormatException e) {
      parsed = Long.MIN_VALUE;
    }
    if (parsed < min || parsed > max) {
      throw new IllegalArgumentException(
          name + ": " + value + " (expected: an integer in [" + min + ", " + max + "])");
    }
    return (int) parsed;
  }

  /** Milliseconds as a bare integer (Knative's form), otherwise a Go duration. */
  private static Duration duration(
      Map<String, List<String>> params, String name, Duration absent, Duration max) {
    String value = first(params, name);
    if (value == null) {
      return absent;
    }
    Duration parsed;
    try {
      parsed = Duration.ofMillis(Long.parseLong(value.trim()));
    } catch (NumberFormatException e) {
      try {
        parsed = GoDurations.parse(value);
      } catch (IllegalArgumentException notADuration) {
        parsed = null;
      }
    }
    if (parsed == null || parsed.isNegative() || parsed.compareTo(max) > 0) {
      throw new IllegalArgumentException(
          name
              + ": "
              + value
              + " (expected: milliseconds or a duration such as 1.5s, from 0 to "
              + GoDurations.format(max)
              + ")");
    }
    return parsed;
  }

  /** Knative's sleep line, e.g. {@code Slept for 100.13 milliseconds.} */
  static String slept(long nanos) {
    return String.format(Locale.ROOT, "Slept for %.2f milliseconds.", nanos / 1e6);
  }

  /** Knative's prime line: {@code The largest prime less than N is P.} */
  static String prime(int n) {
    int p = largestPrimeBelow(n);
    return p < 0
        ? "There are no primes smaller than " + n + "."
        : "The largest prime less than " + n + " is " + p + ".";
  }

  /**
   * Allocates {@code mb} MiB and writes every byte, so the memory is really committed (Knative's
   * image does the same), then lets it go.
   */
  static String bloat(int mb) {
    byte[] bytes = new byte[mb * 1024 * 1024];
    Arrays.fill(bytes, (byte) 1);
    return "Allocated " + mb + " Mb of memory.";
  }

  /**
   * The largest prime strictly below {@code n}, or -1 when there is none. A full sieve of
   * Eratosthenes, so the CPU cost grows with {@code n} like Knative's sieve of Atkin. (Knative's
   * version stops at {@code n - 2}; we answer what the message says.)
   */
  static int largestPrimeBelow(int n) {
    if (n <= 2) {
      return -1;
    }
    BitSet composite = new BitSet(n);
    for (int i = 2; (long) i * i < n; i++) {
      if (!composite.get(i)) {
        for (long j = (long) i * i; j < n; j += i) {
          composite.set((int) j);
        }
      }
    }
    return composite.previousClearBit(n - 1);
  }
}
