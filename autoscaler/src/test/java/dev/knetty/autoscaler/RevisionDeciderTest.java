package dev.knetty.autoscaler;

import static org.assertj.core.api.Assertions.assertThat;

import dev.knetty.common.config.AggregationAlgorithm;
import dev.knetty.common.config.DeciderSpec;
import dev.knetty.common.config.ScalingMetric;
import java.time.Duration;
import java.util.function.Consumer;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

/** Knative's {@code scaling/autoscaler_test.go}, with explicit times instead of time.Now(). */
class RevisionDeciderTest {

  private static final long S = TimedBuckets.NANOS_PER_SECOND;
  private static final long T0 = 1_700_000_000L * S;
  private static final double TARGET_UTILIZATION = 0.75;

  /** The spec of Knative's tests: 75 % utilization, rates of 10, threshold 2, 60 s window. */
  static DeciderSpec spec(double target, double tbc) {
    return spec(target, tbc, b -> {});
  }

  static DeciderSpec spec(double target, double tbc, Consumer<Spec> edit) {
    Spec s = new Spec();
    s.target = target;
    s.total = target / TARGET_UTILIZATION;
    s.tbc = tbc;
    edit.accept(s);
    return s.build();
  }

  /** A mutable DeciderSpec for tests. */
  static final class Spec {
    ScalingMetric metric = ScalingMetric.CONCURRENCY;
    double target = 10;
    double total = 10 / TARGET_UTILIZATION;
    double panicThreshold = 2;
    Duration stableWindow = Duration.ofSeconds(60);
    Duration panicWindow = Duration.ofSeconds(6);
    double tbc = 100;
    Duration scaleDownDelay = Duration.ZERO;
    int activationScale = 0;
    int initialScale = 1;
    boolean reachable = true;
    double activatorCapacity = 150;
    double maxScaleUpRate = 10;
    double maxScaleDownRate = 10;
    AggregationAlgorithm aggregation = AggregationAlgorithm.LINEAR;

    DeciderSpec build() {
      return new DeciderSpec(
          metric,
          target,
          total,
          panicThreshold,
          stableWindow,
          panicWindow,
          tbc,
          scaleDownDelay,
          activationScale,
          initialScale,
          reachable,
          activatorCapacity,
          maxScaleUpRate,
          maxScaleDownRate,
          aggregation);
    }
  }

  /** Knative's {@code expectedEBC}. */
  static int ebc(double totCap, double tbc, double panic, double pods) {
    return (int) Math.floor(totCap / TARGET_UTILIZATION * pods - tbc - panic);
  }

  private static void expect(
      RevisionDecider d, long now, int ready, double stable, double panic, int want, int ebc) {
    assertThat(d.scale(now, ready, stable, panic)).isTrue();
    assertThat(d.desiredScale()).as("desired scale").isEqualTo(want);
    assertThat(d.excessBurstCapacity()).as("excess burst capacity").isEqualTo(ebc);
  }

  private static void expect(
      RevisionDecider d, long now, int ready, double stable, double panic, int want) {
    assertThat(d.scale(now, ready, stable, panic)).isTrue();
    assertThat(d.desiredScale()).as("desired scale").isEqualTo(want);
  }

  @Nested
  class ScaleDownDelay {
    final DeciderSpec spec =
        spec(
            10,
            100,
            b -> {
              b.panicThreshold = 100;
              b.scaleDownDelay = Duration.ofMinutes(5);
            });

    @Test
    void simpleThenGradual() {
      RevisionDecider d = new RevisionDecider(spec, T0, 0);
      expect(d, T0 + 2 * S, 0, 40, 40, 4);
      // Five minutes at reduced concurrency: not yet.
      expect(d, T0 + 300 * S, 0, 0, 0, 4);
      // Five minutes and two seconds: down.
      expect(d, T0 + 302 * S, 0, 0, 0, 0);

      expect(d, T0 + 9 * 60 * S, 0, 40, 40, 4);
      expect(d, T0 + 10 * 60 * S, 0, 30, 30, 4); // 4 still dominates
      expect(d, T0 + 11 * 60 * S, 0, 0, 0, 4);
      expect(d, T0 + 14 * 60 * S, 0, 0, 0, 3); // 4 scrolls out
      expect(d, T0 + 15 * 60 * S, 0, 0, 0, 0); // everything scrolled out
    }

    @Test
    void ignoredWhenUnreachable() {
      RevisionDecider d = new RevisionDecider(spec, T0, 0);
      expect(d, T0 + 2 * S, 0, 40, 40, 4);
      expect(d, T0 + 60 * S, 0, 0, 0, 4);
      // Another revision took the traffic: no delay.
      d.update(
          spec(
              10,
              100,
              b -> {
                b.panicThreshold = 100;
                b.scaleDownDelay = Duration.ofMinutes(5);
                b.reachable = false;
              }),
          T0 + 62 * S);
      expect(d, T0 + 62 * S, 0, 0, 0, 0);
    }

    @Test
    void zeroDelayScalesDownAtOnce() {
      DeciderSpec noDelay =
          spec(
              10,
              100,
              b -> {
                b.panicThreshold = 100;
              });
      RevisionDecider d = new RevisionDecider(noDelay, T0, 0);
      expect(d, T0, 0, 40, 40, 4);
      // A one-slot window would keep 4 within the same two seconds; no window does not.
      expect(d, T0 + S / 2, 0, 20, 20, 2);
    }

    @Test
    void changedDelayTakesEffect() {
      DeciderSpec noDelay =
          spec(
              10,
              100,
              b -> {
                b.panicThreshold = 100;
              });
      RevisionDecider d = new RevisionDecider(noDelay, T0, 0);
      d.update(spec, T0);
      expect(d, T0 + 2 * S, 0, 40, 40, 4);
      expect(d, T0 + 4 * S, 0, 0, 0, 4);
    }
  }

  @Test
  void noDataNoAutoscale() {
    RevisionDecider d = new RevisionDecider(spec(10, 100), T0, 1);
    assertThat(d.scale(T0, 1)).isFalse();
    assertThat(d.valid()).isFalse();
    assertThat(d.result()).isEqualTo(ScaleResult.INVALID);
  }

  @Test
  void activatorOnlyRevisionWithoutDataDecidesZero() {
    // TBC -1: no scrape target in Knative, so silence averages to 0 instead of "no data".
    RevisionDecider d = new RevisionDecider(spec(10, -1), T0, 1);
    assertThat(d.scale(T0, 1)).isTrue();
    assertThat(d.desiredScale()).isZero();
    assertThat(d.excessBurstCapacity()).isEqualTo(-1);
  }

  @Test
  void recordedDataIsUsedAndProxiedIsTheCallersJob() {
    RevisionDecider d = new RevisionDecider(spec(10, 100), T0, 1);
    d.record(T0, 25, 3);
    assertThat(d.scale(T0, 1)).isTrue();
    assertThat(d.observedStable()).isEqualTo(25);
    assertThat(d.observedPanic()).isEqualTo(25);
    assertThat(d.desiredScale()).isEqualTo(3);
    // Nothing for longer than the stable window: no data again.
    assertThat(d.scale(T0 + 61 * S, 1)).isFalse();
  }

  @Test
  void sameSecondStatsAreSummedAndSecondsKeepTheirOrder() {
    RevisionDecider d = new RevisionDecider(spec(10, 100), T0, 1);
    d.record(T0 + 10 * S + S / 5, 5, 0);
    d.record(T0 + 10 * S + S / 2, 5, 0);
    d.record(T0 + 9 * S + S / 2, 3, 0); // late, within the window: its own bucket
    d.record(T0 + 10 * S + 9 * S / 10, 1, 0);
    d.record(T0 - 60 * S, 1000, 0); // a window older than the newest data: dropped
    assertThat(d.scale(T0 + 11 * S, 1)).isTrue();
    // Buckets 9 = 3 and 10 = 11: 14 over the 2 buckets since the first write.
    assertThat(d.observedStable()).isEqualTo(7);
    assertThat(d.observedPanic()).isEqualTo(7);
  }

  @Test
  void rpsMetricUsesRps() {
    DeciderSpec rps =
        spec(
            10,
            101,
            b -> {
              b.metric = ScalingMetric.RPS;
            });
    RevisionDecider d = new RevisionDecider(rps, T0, 1);
    d.record(T0, 1, 50);
    assertThat(d.scale(T0, 1)).isTrue();
    assertThat(d.desiredScale()).isEqualTo(5);
    assertThat(d.excessBurstCapacity()).isEqualTo(ebc(10, 101, 50, 1));
  }

  @Test
  void stableModeIncreaseWithConcurrencyDefault() {
    RevisionDecider d = new RevisionDecider(spec(10, 101), T0, 1);
    expect(d, T0, 1, 50, 10, 5, ebc(10, 101, 10, 1));
    expect(d, T0, 1, 100, 10, 10, ebc(10, 101, 10, 1));
  }

  @Test
  void unpanicAfterSlowIncrease() {
    RevisionDecider d = new RevisionDecider(spec(1, 98), T0, 1);
    long tm = T0;
    expect(d, tm, 10, 11, 25, 25, ebc(1, 98, 25, 10));
    assertThat(d.panicMode()).isTrue();
    // Half the stable window later, +1 pod per cycle: +15 pods.
    tm += 30 * S;
    expect(d, tm, 40, 30, 41, 41, ebc(1, 98, 41, 40));
    assertThat(d.panicMode()).isTrue();
    // The end: panic must end (strictly after the window), +30 pods.
    tm += 32 * S;
    expect(d, tm, 55, 50, 56, 50, ebc(1, 98, 56, 55));
    assertThat(d.panicMode()).isFalse();
    assertThat(d.maxPanicPods()).isZero();
  }

  @Test
  void panicExitIsStrict() {
    RevisionDecider d = new RevisionDecider(spec(1, 98), T0, 1);
    expect(d, T0, 10, 11, 25, 25);
    // Exactly one stable window later: still panicking, no scale-down.
    expect(d, T0 + 60 * S, 10, 11, 11, 25);
    assertThat(d.panicMode()).isTrue();
    expect(d, T0 + 60 * S + 1, 10, 11, 11, 11);
    assertThat(d.panicMode()).isFalse();
  }

  @Test
  void extendPanicWindow() {
    RevisionDecider d = new RevisionDecider(spec(1, 98), T0, 1);
    expect(d, T0, 10, 11, 25, 25, ebc(1, 98, 25, 10));
    expect(d, T0 + 30 * S, 40, 30, 80, 80, ebc(1, 98, 80, 40));
    // Extended: the exit is now one window after the extension.
    expect(d, T0 + 89 * S, 40, 30, 30, 80);
    expect(d, T0 + 91 * S, 40, 30, 30, 30);
  }

  @Test
  void stableModeDecrease() {
    RevisionDecider d = new RevisionDecider(spec(10, 98), T0, 1);
    expect(d, T0, 8, 100, 100, 10, ebc(10, 98, 100, 8));
    expect(d, T0, 8, 50, 50, 5, ebc(10, 98, 50, 8));
  }

  @Test
  void stableModeNoTrafficScaleToZero() {
    RevisionDecider d = new RevisionDecider(spec(10, 75), T0, 1);
    expect(d, T0, 1, 1, 0, 1, ebc(10, 75, 0, 1));
    expect(d, T0, 1, 0, 0, 0, ebc(10, 75, 0, 1));
  }

  @Test
  void activationScaleLiftsOnlyNonZero() {
    RevisionDecider d =
        new RevisionDecider(
            spec(
                10,
                75,
                b -> {
                  b.activationScale = 2;
                }),
            T0,
            1);
    expect(d, T0, 1, 0, 0, 0, ebc(10, 75, 0, 1));
    expect(d, T0, 1, 1, 0, 2, ebc(10, 75, 0, 1));
  }

  @Test
  void panicModeExponentialTrackAndStabilize() {
    RevisionDecider d = new RevisionDecider(spec(1, 101), T0, 1);
    expect(d, T0, 1, 6, 6, 6, ebc(1, 101, 6, 1));
    long tm = T0 + 1;
    expect(d, tm, 6, 36, 36, 36, ebc(1, 101, 36, 6));
    tm += S;
    expect(d, tm, 36, 216, 216, 216, ebc(1, 101, 216, 36));
    expect(d, tm, 216, 1296, 1296, 1296, ebc(1, 101, 1296, 216));
    tm += S;
    expect(d, tm, 1296, 1296, 1296, 1296, ebc(1, 101, 1296, 1296));
  }

  @Test
  void table() {
    // NoDataAtZeroNoAutoscale
    expect(new RevisionDecider(spec(10, 100), T0, 1), T0, 1, 0, 0, 0, ebc(10, 100, 0, 1));
    // StableModeUnlimitedTBC
    expect(new RevisionDecider(spec(181, -1), T0, 1), T0, 1, 21, 26, 1, -1);
    // 0TBC
    expect(new RevisionDecider(spec(10, 0), T0, 1), T0, 1, 50, 49, 5, 0);
    // StableModeNoChange
    expect(new RevisionDecider(spec(10, 100), T0, 1), T0, 1, 50, 50, 5, ebc(10, 100, 50, 1));
    // PanicStableLargerThanPanic: panicking for 5 s with 5 pods; stable wins.
    expect(new RevisionDecider(spec(1, 100), T0 - 5 * S, 5), T0, 5, 50, 30, 50, ebc(1, 100, 30, 5));
    // PanicStableLessThanPanic
    expect(new RevisionDecider(spec(1, 100), T0 - 5 * S, 5), T0, 5, 20, 30, 30, ebc(1, 100, 30, 5));
    // StableModeNoChangeAlreadyScaled
    expect(new RevisionDecider(spec(10, 100), T0, 1), T0, 5, 50, 50, 5, ebc(10, 100, 50, 5));
    // StableModeIncreaseWithSmallScaleUpRate: at least one more pod.
    expect(
        new RevisionDecider(
            spec(
                1,
                1982,
                b -> {
                  b.maxScaleUpRate = 1.1;
                }),
            T0,
            1),
        T0,
        2,
        3,
        3.1,
        3,
        ebc(1, 1982, 3.1, 2));
    // StableModeDecreaseWithSmallScaleDownRate
    expect(
        new RevisionDecider(
            spec(
                10,
                1982,
                b -> {
                  b.maxScaleDownRate = 1.1;
                }),
            T0,
            1),
        T0,
        100,
        1,
        1,
        90,
        ebc(10, 1982, 1, 100));
    // StableModeDecreaseNonReachable: no lower bound.
    expect(
        new RevisionDecider(
            spec(
                10,
                1982,
                b -> {
                  b.maxScaleDownRate = 1.1;
                  b.reachable = false;
                }),
            T0,
            1),
        T0,
        100,
        1,
        1,
        1,
        ebc(10, 1982, 1, 100));
    // PanicModeDoublePodCount
    expect(new RevisionDecider(spec(10, 84), T0, 1), T0, 1, 50, 100, 10, ebc(10, 84, 100, 1));
  }

  @Test
  void panicThenUnpanicScaleDown() {
    RevisionDecider d = new RevisionDecider(spec(10, 93), T0, 1);
    expect(d, T0, 1, 100, 100, 10, ebc(10, 93, 100, 1));
    long panicTime = T0 + S;
    expect(d, panicTime, 10, 100, 1000, 100, ebc(10, 93, 1000, 10));
    // Traffic dropped off: the scale stays while panicking.
    expect(d, panicTime + 30 * S, 10, 1, 1, 100, ebc(10, 93, 1, 10));
    // Down after the stable window.
    expect(d, panicTime + 61 * S, 10, 1, 1, 1, ebc(10, 93, 1, 10));
  }

  @Test
  void rateLimitScaleUp() {
    RevisionDecider d = new RevisionDecider(spec(10, 61), T0, 1);
    // Needs 100 pods, may only multiply by 10.
    expect(d, T0, 1, 1000, 1001, 10, ebc(10, 61, 1001, 1));
    expect(d, T0, 10, 1000, 1001, 100, ebc(10, 61, 1001, 10));
  }

  @Test
  void rateLimitScaleDown() {
    RevisionDecider d = new RevisionDecider(spec(10, 61), T0, 1);
    expect(d, T0, 100, 1, 1, 10, ebc(10, 61, 1, 100));
    expect(d, T0, 10, 1, 1, 1, ebc(10, 61, 1, 10));
  }

  @Test
  void cannotCountPods() {
    RevisionDecider d = new RevisionDecider(spec(10, 81), T0, 1);
    d.record(T0, 1000, 0);
    assertThat(d.scale(T0, Scaler.UNKNOWN)).isFalse();
    assertThat(d.result()).isEqualTo(ScaleResult.INVALID);
  }

  @Test
  void onePodAsMinimumWhenNoneIsReady() {
    RevisionDecider d = new RevisionDecider(spec(10, 81), T0, 1);
    // Rate-limited from max(1, 0) pods; the EBC uses the real 0.
    expect(d, T0, 0, 1000, 888, 10, ebc(10, 81, 888, 0));
  }

  @Test
  void updateTarget() {
    RevisionDecider d = new RevisionDecider(spec(10, 77), T0, 1);
    expect(d, T0, 1, 100, 101, 10, ebc(10, 77, 101, 1));
    d.update(
        spec(
            1,
            71,
            b -> {
              b.activatorCapacity = 21;
            }),
        T0);
    expect(d, T0, 10, 100, 101, 100, ebc(1, 71, 101, 10));
  }

  @Test
  void startsInPanicWithMoreThanOneReadyPod() {
    for (int ready = 0; ready < 2; ready++) {
      RevisionDecider d = new RevisionDecider(spec(100, 11), T0, ready);
      assertThat(d.panicMode()).isFalse();
      assertThat(d.maxPanicPods()).isEqualTo(ready);
    }
    RevisionDecider d = new RevisionDecider(spec(100, 11), T0, 2);
    assertThat(d.panicMode()).isTrue();
    assertThat(d.maxPanicPods()).isEqualTo(2);
    // And holds the two pods (no scale-down) for a stable window.
    expect(d, T0 + 2 * S, 2, 10, 10, 2);
    expect(d, T0 + 61 * S, 2, 10, 10, 1);
  }

  @Test
  void unknownReadyAtCreationCountsAsZero() {
    RevisionDecider d = new RevisionDecider(spec(100, 11), T0, Scaler.UNKNOWN);
    assertThat(d.maxPanicPods()).isZero();
    assertThat(d.panicMode()).isFalse();
  }

  @Test
  void initialExcessBurstCapacityTruncates() {
    assertThat(RevisionDecider.initialExcessBurstCapacity(spec(10, -1))).isEqualTo(-1);
    assertThat(RevisionDecider.initialExcessBurstCapacity(spec(10, 0))).isZero();
    // 1 x 13.33 - 20 = -6.67: truncated towards zero, not floored.
    assertThat(RevisionDecider.initialExcessBurstCapacity(spec(10, 20))).isEqualTo(-6);
    assertThat(
            RevisionDecider.initialExcessBurstCapacity(
                spec(
                    10,
                    5,
                    b -> {
                      b.initialScale = 3;
                    })))
        .isEqualTo(35); // 3 x 13.33 - 5 = 35.0
  }

  @Test
  void activators() {
    // TBC 0: always the minimum.
    assertThat(RevisionDecider.activators(spec(10, 0), 100)).isEqualTo(2);
    // TBC -1: ready x total over capacity 150, at least 2.
    DeciderSpec unlimited = spec(75, -1); // total 100
    assertThat(RevisionDecider.activators(unlimited, 0)).isEqualTo(2);
    assertThat(RevisionDecider.activators(unlimited, 3)).isEqualTo(2); // 300/150
    assertThat(RevisionDecider.activators(unlimited, 4)).isEqualTo(3); // 400/150 -> 2.67
    // TBC > 0 adds the burst capacity.
    assertThat(RevisionDecider.activators(spec(75, 211), 1)).isEqualTo(3); // 311/150
    assertThat(RevisionDecider.activators(spec(75, 211), 0)).isEqualTo(2); // 211/150
  }
}
