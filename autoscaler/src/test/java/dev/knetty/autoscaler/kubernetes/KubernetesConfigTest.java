package dev.knetty.autoscaler.kubernetes;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class KubernetesConfigTest {

  private static final Map<String, String> REQUIRED =
      Map.of(
          "KNETTY_POD_NAMESPACE", "knetty-system",
          "KNETTY_POD_NAME", "knetty-autoscaler-0",
          "KNETTY_POD_IP", "10.0.0.7");

  private static KubernetesConfig read(Map<String, String> extra) {
    Map<String, String> env = new HashMap<>(REQUIRED);
    env.putAll(extra);
    return KubernetesConfig.fromEnvironment(env);
  }

  @Test
  void defaultsAreTheChartsAndKnativesTimings() {
    KubernetesConfig c = read(Map.of());

    assertThat(c.allNamespaces()).isTrue();
    assertThat(c.leaseName()).isEqualTo("knetty-autoscaler-leader");
    assertThat(c.leaseDuration()).isEqualTo(Duration.ofSeconds(15));
    assertThat(c.renewDeadline()).isEqualTo(Duration.ofSeconds(10));
    assertThat(c.retryPeriod()).isEqualTo(Duration.ofSeconds(2));
    assertThat(c.activatorService()).isEqualTo("knetty-activator");
    assertThat(c.kmpService()).isEqualTo("knetty-autoscaler");
    assertThat(c.clusterDomain()).isEqualTo("cluster.local");
    assertThat(c.activatorProbeTimeout()).isEqualTo(Duration.ofSeconds(1));
    assertThat(c.cacheSyncTimeout()).isEqualTo(Duration.ofMinutes(2));
  }

  @Test
  void everyVariableIsRead() {
    KubernetesConfig c =
        read(
            Map.ofEntries(
                Map.entry("KNETTY_WATCH_NAMESPACE", "apps"),
                Map.entry("KNETTY_LEADER_ELECTION_LEASE_NAME", "lease"),
                Map.entry("KNETTY_LEADER_ELECTION_LEASE_DURATION_SECONDS", "30"),
                Map.entry("KNETTY_LEADER_ELECTION_RENEW_DEADLINE_SECONDS", "20"),
                Map.entry("KNETTY_LEADER_ELECTION_RETRY_PERIOD_SECONDS", "5"),
                Map.entry("KNETTY_ACTIVATOR_SERVICE", "act"),
                Map.entry("KNETTY_KMP_SERVICE", "kmp"),
                Map.entry("KNETTY_CLUSTER_DOMAIN", "example.org"),
                Map.entry("KNETTY_ACTIVATOR_PROBE_TIMEOUT_MILLIS", "250"),
                Map.entry("KNETTY_CACHE_SYNC_TIMEOUT_SECONDS", "10")));

    assertThat(c)
        .isEqualTo(
            new KubernetesConfig(
                "knetty-system",
                "knetty-autoscaler-0",
                "10.0.0.7",
                "apps",
                "lease",
                Duration.ofSeconds(30),
                Duration.ofSeconds(20),
                Duration.ofSeconds(5),
                "act",
                "kmp",
                "example.org",
                Duration.ofMillis(250),
                Duration.ofSeconds(10)));
  }

  @Test
  void badValuesAreNamedWithWhatWasExpected() {
    assertThatThrownBy(() -> KubernetesConfig.fromEnvironment(Map.of()))
        .hasMessage("KNETTY_POD_NAMESPACE: null (expected: a value; it is required)");
    assertThatThrownBy(() -> read(Map.of("KNETTY_LEADER_ELECTION_LEASE_DURATION_SECONDS", "x")))
        .hasMessage("KNETTY_LEADER_ELECTION_LEASE_DURATION_SECONDS: x (expected: an integer)");
    assertThatThrownBy(() -> read(Map.of("KNETTY_LEADER_ELECTION_LEASE_DURATION_SECONDS", "10")))
        .hasMessage("leaseDuration: PT10S (expected: > renewDeadline PT10S)");
    assertThatThrownBy(() -> read(Map.of("KNETTY_LEADER_ELECTION_RETRY_PERIOD_SECONDS", "9")))
        .hasMessage("renewDeadline: PT10S (expected: > 1.2 x retryPeriod PT9S)");
    assertThatThrownBy(() -> read(Map.of("KNETTY_ACTIVATOR_PROBE_TIMEOUT_MILLIS", "0")))
        .hasMessage("activatorProbeTimeout: PT0S (expected: > 0)");
  }
}
