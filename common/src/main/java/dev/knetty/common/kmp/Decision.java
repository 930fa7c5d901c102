package dev.knetty.common.kmp;

import dev.knetty.common.RevisionKey;
import java.util.Objects;

/**
 * The autoscaler's current decision for one revision, as an activator needs it (Knative's decider
 * status plus what its activator learns from the revision and its public endpoints).
 *
 * <p>Knative's activator infers its index among the activators fronting a revision from the
 * revision's public endpoints; in Knetty the autoscaler, which picks that subset, tells each
 * activator directly.
 *
 * @param revision the revision
 * @param desiredScale the desired number of pods, {@code -1} while unknown (Knative's initial
 *     {@code DesiredScale})
 * @param excessBurstCapacity Knative's EBC: {@code floor(ready * TotalValue - TBC - panic)}; may be
 *     negative (the activator must stay in the path while it is)
 * @param activatorCount how many activators front the revision (Knative's {@code numActivators},
 *     the size of the subset); 0 when unknown
 * @param activatorIndex this activator's position in that subset (sorted by IP, as Knative's {@code
 *     inferIndex}), or {@code -1} when it is not in it or it is unknown: Knative then uses all pods
 * @param containerConcurrency the revision's {@code containerConcurrency}, 0 for unlimited; the
 *     activator's capacity is this times the pods assigned to it
 */
public record Decision(
    RevisionKey revision,
    int desiredScale,
    int excessBurstCapacity,
    int activatorCount,
    int activatorIndex,
    int containerConcurrency) {

  public Decision {
    Objects.requireNonNull(revision, "revision");
    Checks.atLeast("desiredScale", desiredScale, -1);
    Checks.atLeast("activatorCount", activatorCount, 0);
    if (activatorIndex < -1 || (activatorIndex >= 0 && activatorIndex >= activatorCount)) {
      throw new IllegalArgumentException(
          "activatorIndex: "
              + activatorIndex
              + " (expected: -1 or 0 to activatorCount - 1 = "
              + (activatorCount - 1)
              + ")");
    }
    Checks.atLeast("containerConcurrency", containerConcurrency, 0);
  }
}
