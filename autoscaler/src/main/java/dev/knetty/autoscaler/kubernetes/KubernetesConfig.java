package dev.knetty.autoscaler.kubernetes;

import java.time.Duration;
import java.util.Map;
import java.util.Objects;

/**
 * The autoscaler's Kubernetes mode: where it runs, what it watches and how its replicas elect the
 * one that actuates. {@link #fromEnvironment} reads it from the variables the Helm chart sets.
 *
 * @param namespace the autoscaler's own namespace: its Lease, the activator Service and the KMP
 *     Service live there
 * @param podName this replica's pod name: its identity in the Lease and in Events
 * @param podIp this replica's pod IP: the KMP endpoint it publishes while it leads
 * @param watchNamespace the namespace whose Deployments become revisions; empty for all namespaces
 * @param leaseName the leader-election Lease
 * @param leaseDuration how long a lease holds without renewal (followers wait this long)
 * @param renewDeadline how long the leader keeps trying to renew before it steps down
 * @param retryPeriod how often candidates try to acquire (and the leader to renew)
 * @param activatorService the activator Service: its EndpointSlices are the activator endpoints
 * @param kmpService the selector-less Service queue-proxies and activators dial for KMP; the leader
 *     publishes itself as its only endpoint
 * @param clusterDomain the cluster's DNS domain, for the activator probe of public Services
 * @param activatorProbeTimeout how long the probe confirming that a revision's traffic reaches the
 *     activator may take
 * @param cacheSyncTimeout how long the start waits for the caches (informers) to fill; an RBAC
 *     problem otherwise hangs the start forever
 */
public record KubernetesConfig(
    String namespace,
    String podName,
    String podIp,
    String watchNamespace,
    String leaseName,
    Duration leaseDuration,
    Duration renewDeadline,
    Duration retryPeriod,
    String activatorService,
    String kmpService,
    String clusterDomain,
    Duration activatorProbeTimeout,
    Duration cacheSyncTimeout) {

  /** fabric8's jitter factor of the retry period, which the renew deadline must exceed. */
  private static final double JITTER = 1.2;

  public KubernetesConfig {
    name("namespace", namespace);
    name("podName", podName);
    name("podIp", podIp);
    Objects.requireNonNull(watchNamespace, "watchNamespace");
    name("leaseName", leaseName);
    positive("leaseDuration", leaseDuration);
    positive("renewDeadline", renewDeadline);
    positive("retryPeriod", retryPeriod);
    if (leaseDuration.compareTo(renewDeadline) <= 0) {
      throw new IllegalArgumentException(
          "leaseDuration: " + leaseDuration + " (expected: > renewDeadline " + renewDeadline + ")");
    }
    if (renewDeadline.toMillis() <= JITTER * retryPeriod.toMillis()) {
      throw new IllegalArgumentException(
          "renewDeadline: "
              + renewDeadline
              + " (expected: > "
              + JITTER
              + " x retryPeriod "
              + retryPeriod
              + ")");
    }
    name("activatorService", activatorService);
    name("kmpService", kmpService);
    name("clusterDomain", clusterDomain);
    positive("activatorProbeTimeout", activatorProbeTimeout);
    positive("cacheSyncTimeout", cacheSyncTimeout);
  }

  /** Whether revisions are watched in every namespace. */
  public boolean allNamespaces() {
    return watchNamespace.isEmpty();
  }

  /**
   * Reads the configuration from environment variables. Required: {@code KNETTY_POD_NAMESPACE},
   * {@code KNETTY_POD_NAME}, {@code KNETTY_POD_IP} (the chart sets them from the downward API).
   * Optional, with defaults: {@code KNETTY_WATCH_NAMESPACE} (all), {@code
   * KNETTY_LEADER_ELECTION_LEASE_NAME} (knetty-autoscaler-leader), {@code
   * KNETTY_LEADER_ELECTION_LEASE_DURATION_SECONDS} (15), {@code
   * KNETTY_LEADER_ELECTION_RENEW_DEADLINE_SECONDS} (10), {@code
   * KNETTY_LEADER_ELECTION_RETRY_PERIOD_SECONDS} (2), {@code KNETTY_ACTIVATOR_SERVICE}
   * (knetty-activator), {@code KNETTY_KMP_SERVICE} (knetty-autoscaler), {@code
   * KNETTY_CLUSTER_DOMAIN} (cluster.local), {@code KNETTY_ACTIVATOR_PROBE_TIMEOUT_MILLIS} (1000),
   * {@code KNETTY_CACHE_SYNC_TIMEOUT_SECONDS} (120).
   *
   * @throws IllegalArgumentException naming the variable, its value and what was expected
   */
  public static KubernetesConfig fromEnvironment(Map<String, String> env) {
    Environment e = new Environment(env);
    return new KubernetesConfig(
        e.required("KNETTY_POD_NAMESPACE"),
        e.required("KNETTY_POD_NAME"),
        e.required("KNETTY_POD_IP"),
        e.string("KNETTY_WATCH_NAMESPACE", ""),
        e.string("KNETTY_LEADER_ELECTION_LEASE_NAME", "knetty-autoscaler-leader"),
        Duration.ofSeconds(e.integer("KNETTY_LEADER_ELECTION_LEASE_DURATION_SECONDS", 15)),
        Duration.ofSeconds(e.integer("KNETTY_LEADER_ELECTION_RENEW_DEADLINE_SECONDS", 10)),
        Duration.ofSeconds(e.integer("KNETTY_LEADER_ELECTION_RETRY_PERIOD_SECONDS", 2)),
        e.string("KNETTY_ACTIVATOR_SERVICE", "knetty-activator"),
        e.string("KNETTY_KMP_SERVICE", "knetty-autoscaler"),
        e.string("KNETTY_CLUSTER_DOMAIN", "cluster.local"),
        Duration.ofMillis(e.integer("KNETTY_ACTIVATOR_PROBE_TIMEOUT_MILLIS", 1000)),
        Duration.ofSeconds(e.integer("KNETTY_CACHE_SYNC_TIMEOUT_SECONDS", 120)));
  }

  private static void name(String what, String value) {
    if (value == null || value.isBlank()) {
      throw new IllegalArgumentException(what + ": " + value + " (expected: a non-empty name)");
    }
  }

  private static void positive(String what, Duration value) {
    if (value == null || value.isNegative() || value.isZero()) {
      throw new IllegalArgumentException(what + ": " + value + " (expected: > 0)");
    }
  }
}
