package dev.knetty.activator.endpoints;

import dev.knetty.common.RevisionKey;
import dev.knetty.common.config.RevisionSettings;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * A revision as the activator needs it: its settings (containerConcurrency and the request
 * timeouts; the user port is not used) and its pods.
 *
 * @param revision the revision
 * @param settings its settings
 * @param endpoints its pods, each address at most once; immutable
 */
public record RevisionEndpoints(
    RevisionKey revision, RevisionSettings settings, List<PodEndpoint> endpoints) {

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
  }

  /** A copy with other endpoints. */
  public RevisionEndpoints withEndpoints(List<PodEndpoint> value) {
    return new RevisionEndpoints(revision, settings, value);
  }
}
