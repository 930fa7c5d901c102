package dev.knetty.dist.local;

import dev.knetty.common.RevisionKey;
import dev.knetty.common.config.AutoscalerConfig;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * What local mode runs: {@code config-autoscaler} and the revisions, each at most once.
 *
 * @param autoscaler the cluster-wide autoscaling settings
 * @param revisions the revisions, at least one
 */
record LocalSpec(AutoscalerConfig autoscaler, List<LocalRevision> revisions) {

  LocalSpec {
    Objects.requireNonNull(autoscaler, "autoscaler");
    revisions = List.copyOf(revisions);
    if (revisions.isEmpty()) {
      throw new IllegalArgumentException("revisions: none (expected: at least one revision)");
    }
    Set<RevisionKey> seen = new HashSet<>();
    for (LocalRevision r : revisions) {
      if (!seen.add(r.key())) {
        throw new IllegalArgumentException(
            "revisions: " + r.key() + " listed twice (expected: each revision once)");
      }
    }
  }
}
