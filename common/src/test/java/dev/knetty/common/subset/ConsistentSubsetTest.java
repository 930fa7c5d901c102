package dev.knetty.common.subset;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Knative's own vectors ({@code knative.dev/pkg} {@code hash/hash_test.go}) and a few more. */
class ConsistentSubsetTest {

  private static final List<String> PLANETS = List.of("sun", "moon", "mars", "mercury");

  @Test
  void fnv64aMatchesTheReferenceValues() {
    assertThat(ConsistentSubset.fnv64a(bytes(""))).isEqualTo(0xcbf29ce484222325L);
    assertThat(ConsistentSubset.fnv64a(bytes("a"))).isEqualTo(0xaf63dc4c8601ec8cL);
    assertThat(ConsistentSubset.fnv64a(bytes("foobar"))).isEqualTo(0x85944171f73967e8L);
  }

  @Test
  void knativeChooseSubsetVectors() {
    // TestChooseSubset
    assertThat(ConsistentSubset.choose(PLANETS, 4, "a target!"))
        .containsExactlyInAnyOrderElementsOf(PLANETS);
    assertThat(ConsistentSubset.choose(PLANETS, 2, "a target!"))
        .containsExactlyInAnyOrder("mercury", "moon");
    assertThat(ConsistentSubset.choose(PLANETS, 2, "something else entirely"))
        .containsExactlyInAnyOrder("mercury", "mars");
    assertThat(ConsistentSubset.choose(PLANETS, 3, "something else entirely"))
        .containsExactlyInAnyOrder("mars", "mercury", "sun");
    // ExampleChooseSubset_selectOne and _selectMany
    List<String> three = List.of("task1", "task2", "task3");
    assertThat(ConsistentSubset.choose(three, 1, "my-key1")).containsExactly("task3");
    assertThat(ConsistentSubset.choose(three, 1, "something/another-key")).containsExactly("task2");
    assertThat(
            ConsistentSubset.choose(
                List.of("task1", "task2", "task3", "task4", "task5"), 2, "my-key1"))
        .containsExactly("task3", "task4");
  }

  @Test
  void knativeCollisionVectorIsResolved() {
    // TestCollisionHandling: these two land in the same slot for this target.
    String key1 = "b08006d4-81f9-42ee-808b-ea18a39cbd83";
    String key2 = "c9dc8df4-8c8d-4077-8750-6d2c2113a23b";
    String target = "e68a64e1-19d8-4855-9ffa-04f49223a059";
    assertThat(ConsistentSubset.slot(ConsistentSubset.fnv64a(bytes(key1 + target))))
        .isEqualTo(ConsistentSubset.slot(ConsistentSubset.fnv64a(bytes(key2 + target))));

    ConsistentSubset.Ring ring = new ConsistentSubset.Ring(List.of(key1, key2), target);
    assertThat(ring.slots).doesNotHaveDuplicates().hasSize(2);
    assertThat(Arrays.stream(ring.slots).mapToObj(s -> ring.names[s]))
        .containsExactlyInAnyOrder(key1, key2);
    // The first in Go's order keeps the slot; the second moves.
    int original = ConsistentSubset.slot(ConsistentSubset.fnv64a(bytes(key1 + target)));
    assertThat(ring.names[original]).isEqualTo(key1);
    // Either one alone can be chosen, and both together are everything.
    assertThat(ConsistentSubset.choose(List.of(key1, key2), 1, target)).hasSize(1);
    assertThat(ConsistentSubset.choose(List.of(key2, key1), 2, target)).containsExactly(key1, key2);
  }

  @Test
  void inputOrderAndDuplicatesDoNotMatter() {
    List<String> reversed = new ArrayList<>(PLANETS);
    java.util.Collections.reverse(reversed);
    reversed.add("moon");
    assertThat(ConsistentSubset.choose(reversed, 2, "a target!"))
        .isEqualTo(ConsistentSubset.choose(PLANETS, 2, "a target!"))
        .containsExactly("mercury", "moon"); // sorted
  }

  @Test
  void zeroOrNegativeChoosesNothingAndEmptyInputGivesEmpty() {
    assertThat(ConsistentSubset.choose(PLANETS, 0, "t")).isEmpty();
    assertThat(ConsistentSubset.choose(PLANETS, -1, "t")).isEmpty();
    assertThat(ConsistentSubset.choose(List.of(), 3, "t")).isEmpty();
  }

  @Test
  void choicesAreSpreadEvenly() {
    // A short TestOverlay: 50 sources, 10 chosen per target, each chosen about 20% of the time.
    List<String> sources = new ArrayList<>();
    for (int i = 0; i < 50; i++) {
      sources.add("10.0." + (i / 10) + "." + (i * 7 % 251));
    }
    Map<String, Integer> counts = new HashMap<>();
    int samples = 5_000;
    for (int i = 0; i < samples; i++) {
      for (String s : ConsistentSubset.choose(sources, 10, "revision-" + i)) {
        counts.merge(s, 1, Integer::sum);
      }
    }
    int want = samples * 10 / 50;
    assertThat(counts).hasSize(50);
    assertThat(counts.values())
        .allSatisfy(c -> assertThat(c).isBetween(want * 7 / 10, want * 13 / 10));
  }

  @Test
  void moreValuesThanTheRingHoldsAreRefused() {
    List<String> many = new ArrayList<>();
    for (int i = 0; i <= ConsistentSubset.UNIVERSE; i++) {
      many.add("v" + i);
    }
    assertThatThrownBy(() -> ConsistentSubset.choose(many, 2, "t"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("from: 2049 distinct values (expected: at most 2048)");
  }

  @Test
  void indexOfIsThePositionInGoOrder() {
    Set<String> subset = Set.of("10.0.0.9", "10.0.0.10", "10.0.0.2");
    // Strings, not numbers: "10.0.0.10" < "10.0.0.2" < "10.0.0.9".
    assertThat(ConsistentSubset.indexOf(subset, "10.0.0.10")).isZero();
    assertThat(ConsistentSubset.indexOf(subset, "10.0.0.2")).isEqualTo(1);
    assertThat(ConsistentSubset.indexOf(subset, "10.0.0.9")).isEqualTo(2);
    assertThat(ConsistentSubset.indexOf(subset, "10.0.0.3")).isEqualTo(-1);
  }

  @Test
  void goOrderComparesUtf8Bytes() {
    // U+FF21 (3 bytes, EF BC A1) sorts after U+10000 (4 bytes, F0 ...) in UTF-16 but before it
    // in UTF-8.
    String fullwidth = "\uFF21";
    String supplementary = new String(Character.toChars(0x10000));
    assertThat(fullwidth.compareTo(supplementary)).isPositive();
    assertThat(ConsistentSubset.GO_ORDER.compare(fullwidth, supplementary)).isNegative();
  }

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }
}
