package dev.knetty.activator.throttler;

import java.util.ArrayList;
import java.util.List;

/**
 * The second level of Knative's activator subsetting ({@code pkg/activator/net/throttler.go} {@code
 * pickIndices} and {@code assignSlice}; knative-dataplane.md §2.3): which of a revision's pods one
 * activator sends to, when {@code activatorCount} activators front the revision and this one has
 * index {@code activatorIndex} among them.
 */
final class Subsets {

  private Subsets() {}

  /** A slice {@code [begin, end)} of the sorted pods, plus how many pods are left over. */
  record Slice(int begin, int end, int remnants) {}

  /**
   * Knative's {@code pickIndices}: with more activators than pods each activator takes one pod
   * (round robin over the pods); otherwise the pods are cut into equal slices and the {@code
   * remnants} at the end are shared out separately.
   */
  static Slice pickIndices(int pods, int activatorIndex, int activatorCount) {
    if (activatorCount > pods) {
      int begin = activatorIndex % pods;
      return new Slice(begin, begin + 1, 0);
    }
    int size = pods / activatorCount;
    int begin = activatorIndex * size;
    return new Slice(begin, begin + size, pods % activatorCount);
  }

  /**
   * Knative's {@code assignSlice}: the pods (sorted by {@code ip:port} string) this activator uses.
   * All of them when the index is unknown ({@code -1}), when there is at most one pod or one
   * activator (and, defensively, when the count is unknown or the index out of range); else its
   * slice, plus the remnant pod at position {@code pods - remnants + activatorIndex} when {@code
   * activatorIndex < remnants}.
   */
  static <T> List<T> assignSlice(List<T> sorted, int activatorIndex, int activatorCount) {
    int n = sorted.size();
    if (activatorIndex < 0 || n <= 1 || activatorCount <= 1 || activatorIndex >= activatorCount) {
      return sorted;
    }
    Slice slice = pickIndices(n, activatorIndex, activatorCount);
    List<T> assigned = new ArrayList<>(slice.end() - slice.begin() + 1);
    assigned.addAll(sorted.subList(slice.begin(), slice.end()));
    if (slice.remnants() > 0 && activatorIndex < slice.remnants()) {
      assigned.add(sorted.get(n - slice.remnants() + activatorIndex));
    }
    return assigned;
  }
}
