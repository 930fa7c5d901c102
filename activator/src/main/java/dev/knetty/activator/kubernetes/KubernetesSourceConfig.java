package dev.knetty.activator.kubernetes;

import dev.knetty.common.config.RevisionDefaults;
import dev.knetty.common.kubernetes.Environment;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;

/**
 * What {@link KubernetesEndpointSource} watches and how it reads revisions.
 *
 * @param podIp this activator's pod IP: its place among the activators of a revision's public
 *     EndpointSlice (Knative's subsetting)
 * @param watchNamespace the namespace of the revisions; empty for all namespaces
 * @param revisionDefaults Knative's revision defaults the {@code knetty.dev/*} annotations are read
 *     with (the same as the webhook's and the autoscaler's)
 * @param cacheSyncTimeout how long the start waits for the informers to fill; an RBAC problem
 *     otherwise leaves the activator unready forever
 */
public record KubernetesSourceConfig(
    String podIp,
    String watchNamespace,
    RevisionDefaults revisionDefaults,
    Duration cacheSyncTimeout) {

  private static final String CACHE_SYNC_TIMEOUT = "KNETTY_CACHE_SYNC_TIMEOUT_SECONDS";

  public KubernetesSourceConfig {
    if (podIp == null || podIp.isBlank()) {
      throw new IllegalArgumentException(
          "podIp: " + podIp + " (expected: this activator's pod IP, from the downward API)");
    }
    Objects.requireNonNull(watchNamespace, "watchNamespace");
    Objects.requireNonNull(revisionDefaults, "revisionDefaults");
    if (cacheSyncTimeout == null || cacheSyncTimeout.isNegative() || cacheSyncTimeout.isZero()) {
      throw new IllegalArgumentException(
          "cacheSyncTimeout: " + cacheSyncTimeout + " (expected: > 0)");
    }
  }

  /** Whether revisions are watched in every namespace. */
  public boolean allNamespaces() {
    return watchNamespace.isEmpty();
  }

  /**
   * The configuration the Helm chart sets: {@code KNETTY_WATCH_NAMESPACE} (default: all), {@code
   * KNETTY_CACHE_SYNC_TIMEOUT_SECONDS} (120) and the {@code KNETTY_REVISION_*} defaults ({@link
   * Environment#revisionDefaults}).
   *
   * @param podIp this activator's pod IP (the command's {@code --pod-ip}, {@code KNETTY_POD_IP})
   * @throws IllegalArgumentException naming the variable, its value and what was expected
   */
  public static KubernetesSourceConfig fromEnvironment(Map<String, String> env, String podIp) {
    Environment e = new Environment(env);
    int syncSeconds = e.integer(CACHE_SYNC_TIMEOUT, 120);
    if (syncSeconds <= 0) {
      throw new IllegalArgumentException(
          CACHE_SYNC_TIMEOUT + ": " + syncSeconds + " (expected: > 0)");
    }
    return new KubernetesSourceConfig(
        podIp,
        e.string("KNETTY_WATCH_NAMESPACE", ""),
        e.revisionDefaults(),
        Duration.ofSeconds(syncSeconds));
  }
}
