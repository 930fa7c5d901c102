package dev.knetty.common.kmp;

import dev.knetty.common.RevisionKey;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Per-revision decisions from the autoscaler to an activator, and the revisions it should forget. A
 * revision appears at most once in one {@code Decisions}. Every decision replaces the previous one
 * for its revision; a removal drops the revision.
 *
 * @param decisions new decisions, immutable
 * @param removed revisions that no longer exist, immutable
 */
public record Decisions(List<Decision> decisions, List<RevisionKey> removed) implements KmpMessage {

  public Decisions {
    decisions = List.copyOf(decisions);
    removed = List.copyOf(removed);
    Set<RevisionKey> seen = new HashSet<>();
    for (Decision decision : decisions) {
      checkOnce(seen, decision.revision());
    }
    for (RevisionKey revision : removed) {
      checkOnce(seen, revision);
    }
  }

  /** Decisions without removals. */
  public static Decisions of(Decision... decisions) {
    return new Decisions(List.of(decisions), List.of());
  }

  /** Whether there is nothing in it. */
  public boolean isEmpty() {
    return decisions.isEmpty() && removed.isEmpty();
  }

  private static void checkOnce(Set<RevisionKey> seen, RevisionKey revision) {
    if (!seen.add(revision)) {
      throw new IllegalArgumentException(
          "revision: " + revision + " (expected: at most once per Decisions)");
    }
  }
}
