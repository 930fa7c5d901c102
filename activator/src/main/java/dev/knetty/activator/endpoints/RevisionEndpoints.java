package dev.knetty.activator.endpoints;

import dev.knetty.common.RevisionKey;
import dev.knetty.common.config.RevisionSettings;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * A revision as the activator needs it: its settings (containerConcurrency and the request
 * timeouts; the user port is not used), its pods and, when the source knows it, this activator's
 * place among the activators fronting the revision (Knative's subsetting).
 *
 * @param revision the revision
 * @param settings its settings
 * @param endpoints its pods, each address at most once; immutable
 * @param activatorIndex this activator's position among the {@code activatorCount} activators the
 *     revision's traffic is sent to (Knative's {@code inferIndex}), or -1 when the source does not
 *     know it
 * @param activatorCount how many activators front the revision; 0 when unknown
 */
public record RevisionEndpoints(
    RevisionKey revision,
    RevisionSettings settings,
    List<PodEndpoint> endpoints,
    int activatorIndex,
    int activatorCount) {

  public RevisionEndpoints {
    Objects.requireNonNull(revision, "revision");
    Objects.requireNonNull(settings, "settings");
    endpoints = List.copyOf(endpoints);
    Set<Object> seen = new HashSet<>();
    for (PodEndpoint e : endpoints) {
      if (!seen.add(e.address())) {
        throw new IllegalArgumentException(
            "endpoints: " + e.address() + " listed twice (expected: each address once)");
      }
    }
    if (activatorCount < 0) {
      throw new IllegalArgumentException("activatorCount: " + activatorCount + " (expected: >= 0)");
    }
    if (activatorIndex < -1 || activatorIndex >= 0 && activatorIndex >= activatorCount) {
      throw new IllegalArgumentException(
          "activatorIndex: "
              + activatorIndex
              + " (expected: -1, or in [0, activatorCount "
              + activatorCount
              + "))");
    }
  }

  /** A revision whose source does not know this activator's index among activators. */
  public RevisionEndpoints(
      RevisionKey revision, RevisionSettings settings, List<PodEndpoint> endpoints) {
    this(revision, settings, endpoints, -1, 0);
  }

  /** A copy with other endpoints. */
  public RevisionEndpoints withEndpoints(List<PodEndpoint> value) {
    return new RevisionEndpoints(revision, settings, value, activatorIndex, activatorCount);
  }
}
