package dev.knetty.autoscaler.kubernetes;

/**
 * Cluster-wide revision defaults: the revision keys of Knative's {@code config-defaults} ConfigMap
 * ({@code pkg/apis/config/defaults.go}), with its validation.
 *
 * @param containerConcurrency {@code container-concurrency}: the default containerConcurrency
 * @param containerConcurrencyMaxLimit {@code container-concurrency-max-limit}
 * @param timeoutSeconds {@code revision-timeout-seconds}
 * @param maxTimeoutSeconds {@code max-revision-timeout-seconds}
 * @param responseStartTimeoutSeconds {@code revision-response-start-timeout-seconds}; applied only
 *     when non-zero and below the revision's timeout
 * @param idleTimeoutSeconds {@code revision-idle-timeout-seconds}; same rule
 */
public record RevisionDefaults(
    int containerConcurrency,
    int containerConcurrencyMaxLimit,
    int timeoutSeconds,
    int maxTimeoutSeconds,
    int responseStartTimeoutSeconds,
    int idleTimeoutSeconds) {

  /** Knative's defaults: 0, 1000, 300 s, 600 s, 300 s, 0 s. */
  public static final RevisionDefaults KNATIVE = new RevisionDefaults(0, 1000, 300, 600, 300, 0);

  public RevisionDefaults {
    if (containerConcurrencyMaxLimit < 1) {
      throw new IllegalArgumentException(
          "containerConcurrencyMaxLimit: " + containerConcurrencyMaxLimit + " (expected: >= 1)");
    }
    if (containerConcurrency < 0 || containerConcurrency > containerConcurrencyMaxLimit) {
      throw new IllegalArgumentException(
          "containerConcurrency: "
              + containerConcurrency
              + " (expected: in [0, "
              + containerConcurrencyMaxLimit
              + "])");
    }
    if (maxTimeoutSeconds < 1) {
      throw new IllegalArgumentException(
          "maxTimeoutSeconds: " + maxTimeoutSeconds + " (expected: >= 1)");
    }
    if (timeoutSeconds < 1 || timeoutSeconds > maxTimeoutSeconds) {
      throw new IllegalArgumentException(
          "timeoutSeconds: " + timeoutSeconds + " (expected: in [1, " + maxTimeoutSeconds + "])");
    }
    if (responseStartTimeoutSeconds < 0 || responseStartTimeoutSeconds > timeoutSeconds) {
      throw new IllegalArgumentException(
          "responseStartTimeoutSeconds: "
              + responseStartTimeoutSeconds
              + " (expected: in [0, "
              + timeoutSeconds
              + "])");
    }
    if (idleTimeoutSeconds < 0 || idleTimeoutSeconds > timeoutSeconds) {
      throw new IllegalArgumentException(
          "idleTimeoutSeconds: "
              + idleTimeoutSeconds
              + " (expected: in [0, "
              + timeoutSeconds
              + "])");
    }
  }
}
