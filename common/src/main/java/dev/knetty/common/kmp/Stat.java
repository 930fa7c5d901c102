package dev.knetty.common.kmp;

import dev.knetty.common.RevisionKey;
import java.util.Objects;

/**
 * One pod's (or one activator's) per-revision report for one reporting period: Knative's {@code
 * Stat} ({@code pkg/autoscaler/metrics/stat.proto}) plus the revision it is about.
 *
 * <p>Decoded stats share their {@link RevisionKey} and pod-name instances per connection (the
 * dictionary), so a consumer may cache by identity and never pays for a new string per stat.
 *
 * @param revision the revision the stat is about
 * @param podName the reporting pod, 1 to 253 characters (Knative's {@code pod_name})
 * @param timestampMillis when the sender took the stat, Unix epoch milliseconds, {@code >= 0}
 * @param averageConcurrency average concurrent requests over the period, including proxied ones
 * @param averageProxiedConcurrency average concurrent requests that came through an activator
 * @param requestCount requests per second in the period, including proxied ones (Knative's queue
 *     proxy divides its count by the period; an activator reports its 1-second count)
 * @param proxiedRequestCount proxied requests per second in the period
 * @param processUptimeSeconds seconds since the reporting process started
 */
public record Stat(
    RevisionKey revision,
    String podName,
    long timestampMillis,
    double averageConcurrency,
    double averageProxiedConcurrency,
    double requestCount,
    double proxiedRequestCount,
    double processUptimeSeconds) {

  public Stat {
    Objects.requireNonNull(revision, "revision");
    // Cheap checks only: the decoder builds one Stat per stat on the event loop.
    Checks.name("podName", podName, 1);
    Checks.atLeast("timestampMillis", timestampMillis, 0L);
    Checks.nonNegative("averageConcurrency", averageConcurrency);
    Checks.nonNegative("averageProxiedConcurrency", averageProxiedConcurrency);
    Checks.nonNegative("requestCount", requestCount);
    Checks.nonNegative("proxiedRequestCount", proxiedRequestCount);
    Checks.nonNegative("processUptimeSeconds", processUptimeSeconds);
  }
}
