package dev.knetty.dist.local;

import dev.knetty.autoscaler.RevisionSnapshot;
import dev.knetty.common.RevisionKey;
import java.util.Objects;

/**
 * What the status view shows of one revision.
 *
 * @param key the revision
 * @param name how it is shown
 * @param pods its pods
 * @param autoscaling the autoscaler's state of it; null before the autoscaler knows it
 * @param buffered requests waiting in the activator for capacity
 */
record RevisionStatus(
    RevisionKey key, String name, RevisionPods pods, RevisionSnapshot autoscaling, int buffered) {

  RevisionStatus {
    Objects.requireNonNull(key, "key");
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(pods, "pods");
  }
}
