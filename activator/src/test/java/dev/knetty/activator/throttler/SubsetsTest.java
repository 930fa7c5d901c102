package dev.knetty.activator.throttler;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Knative's {@code TestPickIndices} and {@code TestAssignSlice} ({@code throttler_test.go}). */
class SubsetsTest {

  static Stream<Arguments> pickIndices() {
    // label, pods, activators, index, begin, end, remnants
    return Stream.of(
        Arguments.of("1 pod, 1 activator", 1, 1, 0, 0, 1, 0),
        Arguments.of("1 pod, 2 activators, this is 0", 1, 2, 0, 0, 1, 0),
        Arguments.of("1 pod, 2 activators, this is 1", 1, 2, 1, 0, 1, 0),
        Arguments.of("2 pods, 3 activators, this is 1", 2, 3, 1, 1, 2, 0),
        Arguments.of("2 pods, 3 activators, this is 2", 2, 3, 2, 0, 1, 0),
        Arguments.of("3 pods, 3 activators, this is 2", 3, 3, 2, 2, 3, 0),
        Arguments.of("10 pods, 3 activators this is 0", 10, 3, 0, 0, 3, 1),
        Arguments.of("10 pods, 3 activators this is 1", 10, 3, 1, 3, 6, 1),
        Arguments.of("10 pods, 3 activators this is 2", 10, 3, 2, 6, 9, 1),
        Arguments.of("150 pods, 5 activators this is 0", 150, 5, 0, 0, 30, 0),
        Arguments.of("150 pods, 5 activators this is 1", 150, 5, 1, 30, 60, 0),
        Arguments.of("150 pods, 5 activators this is 4", 150, 5, 4, 120, 150, 0));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource
  void pickIndices(
      String label, int pods, int activators, int index, int begin, int end, int remnants) {
    assertThat(Subsets.pickIndices(pods, index, activators))
        .isEqualTo(new Subsets.Slice(begin, end, remnants));
  }

  private static final List<String> SORTED = List.of("1", "2", "3");

  @Test
  void noTrackers() {
    assertThat(Subsets.assignSlice(List.of(), 0, 1)).isEmpty();
  }

  @Test
  void oneActivatorTakesAll() {
    assertThat(Subsets.assignSlice(SORTED, 1, 1)).containsExactly("1", "2", "3");
  }

  @Test
  void unknownIndexTakesAll() {
    assertThat(Subsets.assignSlice(SORTED, -1, 1)).containsExactly("1", "2", "3");
    assertThat(Subsets.assignSlice(SORTED, -1, 3)).containsExactly("1", "2", "3");
  }

  @Test
  void index1Of3() {
    assertThat(Subsets.assignSlice(SORTED, 1, 3)).containsExactly("2");
  }

  @Test
  void onePodIsShared() {
    assertThat(Subsets.assignSlice(List.of("1"), 1, 3)).containsExactly("1");
  }

  @Test
  void index1Of2WithARemnantThatGoesToIndex0() {
    // Knative's "idx=1, breaker": 3 pods, 2 activators: slices of 1, the remnant to index 0.
    assertThat(Subsets.assignSlice(SORTED, 1, 2)).containsExactly("2");
    assertThat(Subsets.assignSlice(SORTED, 0, 2)).containsExactly("1", "3");
  }

  @Test
  void tenPodsThreeActivatorsCoverEveryPodOnce() {
    List<Integer> pods = IntStream.range(0, 10).boxed().toList();
    assertThat(Subsets.assignSlice(pods, 0, 3)).containsExactly(0, 1, 2, 9);
    assertThat(Subsets.assignSlice(pods, 1, 3)).containsExactly(3, 4, 5);
    assertThat(Subsets.assignSlice(pods, 2, 3)).containsExactly(6, 7, 8);
  }

  @Test
  void moreActivatorsThanPodsShareThemRoundRobin() {
    List<String> pods = List.of("a", "b");
    assertThat(Subsets.assignSlice(pods, 0, 5)).containsExactly("a");
    assertThat(Subsets.assignSlice(pods, 3, 5)).containsExactly("b");
    assertThat(Subsets.assignSlice(pods, 4, 5)).containsExactly("a");
  }
}
