package dev.knetty.common.config;

/** The metric the KPA scales on ({@code autoscaling.knative.dev/metric}). */
public enum ScalingMetric {
  /** In-flight requests, queued ones included: the default. */
  CONCURRENCY("concurrency"),
  /** Requests per second. */
  RPS("rps");

  private final String value;

  ScalingMetric(String value) {
    this.value = value;
  }

  /** The annotation value. */
  public String value() {
    return value;
  }
}
