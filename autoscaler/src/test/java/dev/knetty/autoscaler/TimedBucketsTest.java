package dev.knetty.autoscaler;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Knative's bucketing tests ({@code bucketing_test.go}) and the edge cases of §3.5. */
class TimedBucketsTest {

  private static final long S = TimedBuckets.NANOS_PER_SECOND;

  /** Divisible by 2, 3 and 5, so every granularity below aligns with it. */
  private static final long BASE = 1_700_000_010L * S;

  /** An unaligned "time.Now()". */
  private static final long NOW = BASE + 123_456_789L;

  private static long at(long base, double seconds) {
    return base + Math.round(seconds * S);
  }

  /** The test helper of bucketing_test.go: buckets from lastWrite back, minus the idle ones. */
  private static Map<Long, Double> buckets(TimedBuckets b, long nanos) {
    Map<Long, Double> out = new HashMap<>();
    long now = b.bucketTime(nanos);
    long count = b.buckets.length - (now - b.lastWrite) / b.granularity;
    long t = b.lastWrite;
    long i = b.index(t);
    for (long n = 0; n < count; n++, i--, t -= b.granularity) {
      out.put(t, b.buckets[b.slot(i)]);
    }
    return out;
  }

  private static double sum(TimedBuckets b, long nanos) {
    return buckets(b, nanos).values().stream().mapToDouble(Double::doubleValue).sum();
  }

  @Test
  void sameBucketSumsAndGapsStayEmpty() {
    TimedBuckets b = new TimedBuckets(120, 1);
    assertThat(b.isEmpty(BASE)).isTrue();
    b.record(BASE, 1); // activator scale from 0
    b.record(at(BASE, 0.1), 10); // a pod's stat in the same second
    b.record(at(BASE, 1), 1);
    b.record(at(BASE, 3), 1);
    Map<Long, Double> got = buckets(b, at(BASE, 60));
    got.values().removeIf(v -> v == 0);
    long t = BASE / S;
    assertThat(got).containsOnly(Map.entry(t, 11.0), Map.entry(t + 1, 1.0), Map.entry(t + 3, 1.0));
  }

  @Test
  void fiveSecondGranularity() {
    TimedBuckets b = new TimedBuckets(120, 5);
    b.record(BASE, 1);
    b.record(at(BASE, 3), 11);
    b.record(at(BASE, 6), 1);
    Map<Long, Double> got = buckets(b, at(BASE, 60));
    got.values().removeIf(v -> v == 0);
    long t = BASE / S;
    assertThat(got).containsOnly(Map.entry(t, 12.0), Map.entry(t + 5, 1.0));
  }

  @Test
  void manyRepetitions() {
    TimedBuckets b = new TimedBuckets(60, 1);
    long t = BASE;
    for (int p = 0; p < 5; p++) {
      t += S;
      for (int r = 0; r < 5; r++) {
        b.record(t, p + r);
      }
    }
    assertThat(sum(b, t)).isEqualTo(100);
    assertThat(sum(b, t)).isEqualTo(100); // reading changes nothing
  }

  @Test
  void manyRepetitionsOutOfOrder() {
    TimedBuckets b = new TimedBuckets(60, 1);
    int[] d = {0, 3, 2, 1, 4};
    long end = BASE;
    for (int p = 0; p < 5; p++) {
      end = BASE + d[p] * S;
      for (int r = 0; r < 5; r++) {
        b.record(end, p + r);
      }
    }
    assertThat(sum(b, end)).isEqualTo(100);
  }

  @Test
  void weightedAverage() {
    WeightedBuckets b = new WeightedBuckets(5, 1);
    double m = b.smoothingCoeff();
    b.record(NOW, 2);
    double expected = 2 * m;
    assertThat(b.windowAverage(NOW)).isEqualTo(expected);
    // A second later, no write: the weight decays once.
    expected *= 1 - m;
    assertThat(b.windowAverage(NOW + S)).isEqualTo(expected);
    b.record(NOW + S, 2);
    expected += 2 * m;
    assertThat(b.windowAverage(NOW + S)).isEqualTo(expected);
    // Fill the window with [2, 3, 4, 5, 6].
    for (int i = 0; i < 5; i++) {
      b.record(NOW + (2 + i) * S, i + 2);
    }
    double q = 1 - m;
    expected = 6 * m + 5 * m * q + 4 * m * q * q + 3 * m * q * q * q + 2 * m * q * q * q * q;
    assertThat(b.windowAverage(NOW + 6 * S)).isCloseTo(expected, within(1e-12));
    // Nothing for more than a window.
    assertThat(b.windowAverage(NOW + 16 * S)).isEqualTo(0);
  }

  @Test
  void linearWindowAverage() {
    TimedBuckets b = new TimedBuckets(5, 1);
    long now = NOW;
    // firstWrite makes a single sample count fully (without it: 0.2).
    b.record(now, 1);
    assertThat(b.windowAverage(now)).isEqualTo(1);
    for (int i = 1; i < 5; i++) {
      b.record(now + i * S, i + 1);
    }
    assertThat(b.windowAverage(now + 4 * S)).isEqualTo(15.0 / 5);
    // `now` lagging behind the last write.
    assertThat(b.windowAverage(now + 3_600_000_000L)).isEqualTo(15.0 / 5);
    // A short hole: trailing empty buckets are not averaged.
    assertThat(b.windowAverage(now + 6 * S)).isEqualTo((15.0 - 1 - 2) / (5 - 2));
    // A long hole.
    assertThat(b.windowAverage(now + 10 * S)).isEqualTo(0);
    // Writing across a hole zeroes the skipped buckets.
    b.record(now + 6 * S, 91);
    assertThat(b.windowAverage(now + 6 * S)).isEqualTo((15.0 - 1 - 2 + 91) / 5);
    // Much later: start over.
    now += 60 * S;
    b.record(now, 1984);
    assertThat(b.windowAverage(now)).isEqualTo(1984);
    // A late write within the window extends it backwards.
    b.record(now - 3 * S, 4);
    assertThat(b.windowAverage(now)).isEqualTo((4.0 + 1984) / 4);
    now += S;
    b.record(now, 5);
    assertThat(b.windowAverage(now)).isEqualTo((4.0 + 1984 + 5) / 5);
    b.record(now - 3 * S, 10);
    assertThat(b.windowAverage(now)).isEqualTo((4.0 + 10 + 1984 + 5) / 5);
    // Too old: ignored.
    b.record(now - 6 * S, 10);
    assertThat(b.windowAverage(now)).isEqualTo((4.0 + 10 + 1984 + 5) / 5);
    // Exactly one window old: ignored too.
    b.record(now - 5 * S, 10);
    assertThat(b.windowAverage(now)).isEqualTo((4.0 + 10 + 1984 + 5) / 5);
    // Nothing for exactly one window: the data is reset.
    b.record(now + 5 * S, 10);
    assertThat(b.windowAverage(now + 5 * S)).isEqualTo(10);
  }

  @Test
  void boundaryWithTwoSecondBuckets() {
    TimedBuckets b = new TimedBuckets(10, 2);
    for (int i = 0; i < 5; i++) {
      b.record(BASE + i * 2 * S, i + 1);
    }
    assertThat(b.windowAverage(BASE + 8 * S)).isEqualTo(15.0 / 5);
    // A gap of exactly the window: 0.
    assertThat(b.windowAverage(BASE + 18 * S)).isEqualTo(0);
    // 9 s after the last write (one bucket and a half): the newest bucket alone remains.
    assertThat(b.windowAverage(BASE + 17 * S)).isEqualTo(5);
  }

  @Test
  void negativeValues() {
    TimedBuckets b = new TimedBuckets(5, 1);
    b.record(NOW, -10);
    b.record(NOW + S, -20);
    b.record(NOW + 2 * S, -30);
    assertThat(b.windowAverage(NOW + 2 * S)).isEqualTo(-20);
    b.record(NOW + 3 * S, 40);
    b.record(NOW + 4 * S, 50);
    assertThat(b.windowAverage(NOW + 4 * S)).isEqualTo(6);
  }

  @Test
  void descendingRecords() {
    TimedBuckets b = new TimedBuckets(5, 1);
    for (int i = 8; i >= 0; i--) {
      b.record(NOW + i * S, 5);
    }
    assertThat(b.windowAverage(NOW + 5 * S)).isEqualTo(5);
  }

  @Test
  void holes() {
    TimedBuckets b = new TimedBuckets(5, 1);
    for (int i = 0; i < 5; i++) {
      b.record(NOW + i * S, i + 1);
    }
    assertThat(sum(b, NOW + 4 * S)).isEqualTo(15);
    assertThat(b.windowAverage(NOW + 4 * S)).isEqualTo(3);
    // Writing at the 9th second zeroes seconds 5, 6, 7 (which held 1, 2, 3).
    b.record(NOW + 8 * S, 2);
    assertThat(sum(b, NOW + 8 * S)).isEqualTo(7);
  }

  @Test
  void emptyIsStrictButAverageIsZeroAtOneWindow() {
    TimedBuckets b = new TimedBuckets(5, 1);
    b.record(NOW, 10);
    assertThat(b.isEmpty(NOW + 5 * S)).isFalse();
    assertThat(b.windowAverage(NOW + 5 * S)).isEqualTo(0);
    assertThat(b.isEmpty(NOW + 6 * S)).isTrue();
    assertThat(b.windowAverage(NOW + 4 * S)).isEqualTo(10);
  }

  @Test
  void partialWindowAndGapsAsZeros() {
    TimedBuckets b = new TimedBuckets(60, 1);
    b.record(BASE, 10);
    b.record(BASE + 2 * S, 10);
    // Three buckets since the first write, the middle one a zero.
    assertThat(b.windowAverage(BASE + 2 * S)).isEqualTo(6.666667);
    // One trailing empty bucket is not counted: still 20 over 3.
    assertThat(b.windowAverage(BASE + 3 * S)).isEqualTo(6.666667);
  }

  @Test
  void resizeWindow() {
    TimedBuckets b = new TimedBuckets(5, 1);
    for (int i = 0; i < 6; i++) {
      b.record(NOW + i * S, i + 1);
    }
    long now = NOW + 5 * S;
    double initial = 2 + 3 + 4 + 5 + 6;
    assertThat(sum(b, now)).isEqualTo(initial);
    assertThat(b.windowAverage(now)).isEqualTo(initial / 5);

    b.resizeWindow(10, now);
    assertThat(b.buckets).hasSize(10);
    assertThat(b.window).isEqualTo(10);
    assertThat(sum(b, now)).isEqualTo(initial);
    // We know of at most 5 buckets.
    assertThat(b.windowAverage(now)).isEqualTo(initial / 5);

    now += S;
    b.record(now, 7);
    assertThat(sum(b, now)).isEqualTo(initial + 7);
    assertThat(b.windowAverage(now)).isEqualTo(TimedBuckets.round6((initial + 7) / 6));

    b.resizeWindow(4, now);
    assertThat(b.buckets).hasSize(4);
    double shrunk = initial + 7 - 2 - 3;
    assertThat(sum(b, now)).isEqualTo(shrunk);
    assertThat(b.windowAverage(now)).isEqualTo(shrunk / 4);

    double[] same = b.buckets;
    b.resizeWindow(4, now);
    assertThat(b.buckets).isSameAs(same);
  }

  @Test
  void resizeWindowWithThreeSecondBuckets() {
    TimedBuckets b = new TimedBuckets(5, 3); // ceil(5/3) = 2 buckets
    assertThat(b.buckets).hasSize(2);
    b.record(BASE, 10);
    b.record(BASE + S, 2);
    b.record(BASE + 2 * S, 3);
    b.record(BASE + 3 * S, 4);
    b.record(BASE + 4 * S, 5);
    b.record(BASE + 5 * S, 6);
    b.record(BASE + 6 * S, 7); // overwrites the first bucket's 15
    double expected = 4 + 5 + 6 + 7;
    assertThat(sum(b, BASE + 6 * S)).isEqualTo(expected);

    b.resizeWindow(10, BASE + 6 * S);
    assertThat(b.buckets).hasSize(4);
    assertThat(sum(b, BASE + 6 * S)).isEqualTo(expected);

    b.record(BASE + 9 * S + 300_000_000L, 42);
    expected += 42;
    assertThat(sum(b, BASE + 9 * S)).isEqualTo(expected);

    b.resizeWindow(4, BASE + 9 * S);
    assertThat(b.buckets).hasSize(2);
    assertThat(sum(b, BASE + 9 * S)).isEqualTo(42 + 7);
  }

  @Test
  void resizeAfterAWindowOfSilenceForgets() {
    long start = NOW - 60 * S;
    TimedBuckets b = new TimedBuckets(5, 1);
    b.record(start, 19.82);
    assertThat(b.firstWrite).isEqualTo(b.lastWrite);
    b.resizeWindow(10, NOW);
    assertThat(b.firstWrite).isEqualTo(TimedBuckets.NEVER);
    assertThat(b.windowAverage(NOW)).isEqualTo(0);
  }

  @Test
  void weightedResize() {
    WeightedBuckets b = new WeightedBuckets(5, 1);
    assertThat(b.smoothingCoeff()).isEqualTo(WeightedBuckets.smoothingCoeff(5));
    for (int i = 0; i < 6; i++) {
      b.record(NOW + i * S, i + 1);
    }
    long now = NOW + 5 * S;
    assertThat(sum(b, now)).isEqualTo(2 + 3 + 4 + 5 + 6);
    // Computed by hand: m = 1 - 1e-4^(1/5) = 0.841511...; 6m + 5m(1-m) + ... = 5.8116
    assertThat(b.windowAverage(now)).isCloseTo(5.8116, within(1e-4));
    b.resizeWindow(10, now);
    assertThat(b.buckets).hasSize(10);
    assertThat(b.window).isEqualTo(10);
    assertThat(b.smoothingCoeff()).isEqualTo(WeightedBuckets.smoothingCoeff(10));
  }

  @ParameterizedTest
  @CsvSource({"100, 0.2", "60, 0.2", "40, 0.20567", "6, 0.78456", "5, 0.84151"})
  void decayMultiplier(double buckets, double expected) {
    // Knative's own test compares with a tolerance of 0.9999, i.e. not at all.
    assertThat(WeightedBuckets.smoothingCoeff(buckets)).isCloseTo(expected, within(1e-5));
  }

  @Test
  void weightedIsNeitherNormalisedNorRounded() {
    WeightedBuckets b = new WeightedBuckets(60, 1);
    b.record(BASE, 1);
    assertThat(b.windowAverage(BASE)).isEqualTo(0.2);
    b.record(BASE + S, 1.0 / 3);
    // 1/3 x 0.2 + 1 x 0.2 x 0.8: not rounded to 6 digits.
    assertThat(b.windowAverage(BASE + S)).isEqualTo(1.0 / 3 * 0.2 + 0.2 * 0.8);
    assertThat(b.isEmpty(BASE + 62 * S)).isTrue();
  }

  @Test
  void goRounding() {
    assertThat(TimedBuckets.round6(3.6e-17) == 0).isTrue();
    assertThat(TimedBuckets.round6(-3.6e-17) == 0).isTrue();
    assertThat(TimedBuckets.round6(1.0 / 3)).isEqualTo(0.333333);
    assertThat(TimedBuckets.round6(2.0 / 3)).isEqualTo(0.666667);
    assertThat(TimedBuckets.round6(-2.0 / 3)).isEqualTo(-0.666667);
    assertThat(TimedBuckets.round6(12345)).isEqualTo(12345);
    // Halves away from zero, unlike Math.round.
    assertThat(TimedBuckets.goRound(0.5)).isEqualTo(1);
    assertThat(TimedBuckets.goRound(-0.5)).isEqualTo(-1);
    assertThat(TimedBuckets.goRound(2.5)).isEqualTo(3);
    assertThat(TimedBuckets.goRound(-2.5)).isEqualTo(-3);
    assertThat(TimedBuckets.goRound(0.49999999999999994)).isEqualTo(0);
    assertThat(TimedBuckets.goRound(1234.5)).isEqualTo(1235);
  }
}
