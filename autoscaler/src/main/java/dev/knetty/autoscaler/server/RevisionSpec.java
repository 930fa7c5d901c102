package dev.knetty.autoscaler.server;

import dev.knetty.common.RevisionKey;
import java.util.Map;
import java.util.Objects;

/**
 * What the autoscaler learns about a revision from a {@link RevisionSource}: everything Knative's
 * KPA reads from the revision and its PodAutoscaler to scale it.
 *
 * @param key the revision
 * @param containerConcurrency the revision's {@code containerConcurrency}, 0 for unlimited
 * @param annotations the revision's annotations, as written; the autoscaler reads {@code
 *     autoscaling.knative.dev/*} and {@code serving.knative.dev/progress-deadline} and ignores the
 *     rest. Validated by the autoscaler, not here: a revision with invalid annotations keeps its
 *     last good settings.
 * @param reachable whether a route sends traffic to the revision (Knative's {@code routingState}
 *     {@code active}); an unreachable revision ignores {@code min-scale} and goes to zero at once
 */
public record RevisionSpec(
    RevisionKey key, int containerConcurrency, Map<String, String> annotations, boolean reachable) {

  public RevisionSpec {
    Objects.requireNonNull(key, "key");
    if (containerConcurrency < 0) {
      throw new IllegalArgumentException(
          "containerConcurrency: " + containerConcurrency + " (expected: >= 0)");
    }
    annotations = Map.copyOf(Objects.requireNonNull(annotations, "annotations"));
  }

  /** A reachable revision. */
  public static RevisionSpec of(
      RevisionKey key, int containerConcurrency, Map<String, String> annotations) {
    return new RevisionSpec(key, containerConcurrency, annotations, true);
  }
}
