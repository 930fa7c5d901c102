package dev.knetty.bench.scenario.local;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.stream.Collectors;

/** Settings the local-mode scenarios share. */
final class LocalScenarios {

  /**
   * Cluster settings (config-autoscaler): revisions may start at zero pods, and scale to zero after
   * Knative's shortest grace period, so that a benchmark need not wait 90 s per cold start.
   */
  static final Map<String, String> CLUSTER_SETTINGS =
      ordered("allow-zero-initial-scale", "true", "scale-to-zero-grace-period", "6s");

  private LocalScenarios() {}

  /** Per revision: start at zero, the shortest stable window (6 s) to get back to zero soon. */
  static Map<String, String> scaleToZeroFast() {
    return ordered(
        "autoscaling.knative.dev/initial-scale", "0", "autoscaling.knative.dev/window", "6s");
  }

  static Map<String, String> ordered(String... keysAndValues) {
    Map<String, String> m = new LinkedHashMap<>();
    for (int i = 0; i < keysAndValues.length; i += 2) {
      m.put(keysAndValues[i], keysAndValues[i + 1]);
    }
    return m;
  }

  /** {@code a: 1, b: 2}. */
  static String describe(Map<String, String> settings) {
    return settings.entrySet().stream()
        .map(e -> e.getKey() + ": " + e.getValue())
        .collect(Collectors.joining(", "));
  }
}
