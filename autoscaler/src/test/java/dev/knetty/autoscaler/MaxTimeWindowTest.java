package dev.knetty.autoscaler;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.function.IntUnaryOperator;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Knative's {@code max/window_test.go} and {@code timewindow_test.go}. */
class MaxTimeWindowTest {

  private static final long S = TimedBuckets.NANOS_PER_SECOND;
  private static final long NOW = 1_700_000_000L * S + 250_000_000L;

  static Stream<Arguments> windows() {
    IntUnaryOperator id = i -> i;
    return Stream.of(
        Arguments.of("single value", new int[] {1}, id, new int[] {1}),
        Arguments.of("ascending", new int[] {1, 2}, id, new int[] {1, 2}),
        Arguments.of("descending", new int[] {2, 1}, id, new int[] {2, 2}),
        Arguments.of("up, down, up", new int[] {1, 2, 1}, id, new int[] {1, 2, 2}),
        Arguments.of(
            "windowing out", new int[] {5, 6, 5, 5, 5, 5, 5}, id, new int[] {5, 6, 6, 6, 6, 6, 5}),
        Arguments.of(
            "windowing out with gaps",
            new int[] {6, 5, 2, 1},
            (IntUnaryOperator) i -> i >= 3 ? i + 3 : i,
            new int[] {6, 6, 6, 2}),
        Arguments.of(
            "windowing out 2",
            new int[] {5, 6, 5, 7, 5, 5, 1},
            id,
            new int[] {5, 6, 6, 7, 7, 7, 7}),
        Arguments.of(
            "windowing out 3", new int[] {5, 8, 5, 7, 5, 5}, id, new int[] {5, 8, 8, 8, 8, 8}),
        Arguments.of(
            "windowing out 4",
            new int[] {5, 8, 5, 7, 5, 5, 1},
            id,
            new int[] {5, 8, 8, 8, 8, 8, 7}),
        Arguments.of(
            "windowing out 5",
            new int[] {5, 8, 5, 7, 5, 5, 1, 4, 4, 4},
            id,
            new int[] {5, 8, 8, 8, 8, 8, 7, 7, 5, 5}),
        Arguments.of(
            "windowing out 6",
            new int[] {5, 8, 5, 7, 5, 5, 1, 4, 4, 4, 4},
            id,
            new int[] {5, 8, 8, 8, 8, 8, 7, 7, 5, 5, 4}),
        Arguments.of(
            "windowing out 7",
            new int[] {5, 8, 5, 7, 5, 5, 1, 4, 4, 4, 4, 9},
            id,
            new int[] {5, 8, 8, 8, 8, 8, 7, 7, 5, 5, 4, 9}),
        Arguments.of(
            "windowing out 8",
            new int[] {5, 8, 5, 7, 5, 5, 1, 4, 4, 4, 4, 9, 3, 4, 2, 1, 0},
            id,
            new int[] {5, 8, 8, 8, 8, 8, 7, 7, 5, 5, 4, 9, 9, 9, 9, 9, 4}),
        Arguments.of(
            "same index, ascending",
            new int[] {1, 2, 3, 4, 5, 6, 7},
            (IntUnaryOperator) i -> 1,
            new int[] {1, 2, 3, 4, 5, 6, 7}),
        Arguments.of(
            "same index, descending",
            new int[] {7, 6, 5, 4, 3, 2, 1},
            (IntUnaryOperator) i -> 1,
            new int[] {7, 7, 7, 7, 7, 7, 7}));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("windows")
  void slidingMaximum(String name, int[] values, IntUnaryOperator index, int[] expected) {
    // Five 1-second slots.
    MaxTimeWindow w = new MaxTimeWindow(5 * S, S);
    List<Integer> current = new ArrayList<>();
    for (int i = 0; i < values.length; i++) {
      w.recordSlot(index.applyAsInt(i), values[i]);
      current.add(w.current());
    }
    assertThat(current).containsExactlyElementsOf(toList(expected));
  }

  static Stream<Arguments> timed() {
    return Stream.of(
        Arguments.of("single value", new long[] {NOW}, new int[] {5}, 5),
        Arguments.of("same second", new long[] {NOW, NOW + 500_000_000L}, new int[] {6, 5}, 6),
        Arguments.of("two values", new long[] {NOW, NOW + S}, new int[] {5, 8}, 8),
        Arguments.of("time gap", new long[] {NOW, NOW + 6 * S}, new int[] {5, 4}, 4));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("timed")
  void timedMaximum(String name, long[] times, int[] values, int expected) {
    MaxTimeWindow w = new MaxTimeWindow(5 * S, S);
    for (int i = 0; i < times.length; i++) {
      w.record(times[i], values[i]);
    }
    assertThat(w.current()).isEqualTo(expected);
  }

  @org.junit.jupiter.api.Test
  void twoSecondSlotsOfTheScaleDownDelay() {
    // A 5-second delay has ceil(5/2) = 3 two-second slots.
    MaxTimeWindow w = new MaxTimeWindow(5 * S, 2 * S);
    long t = 1_700_000_000L * S; // an even second: slot boundary
    w.record(t, 9);
    w.record(t + 2 * S, 1);
    w.record(t + 4 * S, 1);
    assertThat(w.current()).isEqualTo(9);
    w.record(t + 5 * S, 1); // same slot as t + 4 s
    assertThat(w.current()).isEqualTo(9);
    w.record(t + 6 * S, 1); // 9 slid out
    assertThat(w.current()).isEqualTo(1);
  }

  private static List<Integer> toList(int[] a) {
    List<Integer> l = new ArrayList<>();
    for (int v : a) {
      l.add(v);
    }
    return l;
  }
}
