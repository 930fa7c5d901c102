package dev.knetty.common.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;
import org.junit.jupiter.api.Test;

class RevisionSettingsTest {

  private static final RevisionDefaults D = RevisionDefaults.defaults();

  @Test
  void defaults() {
    RevisionSettings s = RevisionSettings.defaults();
    assertThat(s.containerConcurrency()).isZero();
    assertThat(s.timeoutSeconds()).isEqualTo(300);
    // The 300 s response-start default is not strictly below the 300 s timeout: unset.
    assertThat(s.responseStartTimeoutSeconds()).isZero();
    assertThat(s.idleTimeoutSeconds()).isZero();
    assertThat(s.userPort()).isEqualTo(8080);
  }

  @Test
  void responseStartDefaultAppliesBelowALongerTimeout() {
    RevisionSettings s = RevisionSettings.resolve(D, null, 600L, null, null, null);
    assertThat(s.responseStartTimeoutSeconds()).isEqualTo(300);
    RevisionDefaults idle = RevisionDefaults.fromMap(Map.of("revision-idle-timeout-seconds", "60"));
    assertThat(RevisionSettings.resolve(idle, null, null, null, null, null).idleTimeoutSeconds())
        .isEqualTo(60);
    // Not below the timeout: not applied.
    assertThat(RevisionSettings.resolve(idle, null, 60L, null, null, null).idleTimeoutSeconds())
        .isZero();
  }

  @Test
  void containerConcurrencyLimits() {
    assertThat(RevisionSettings.resolve(D, 1000, null, null, null, null).containerConcurrency())
        .isEqualTo(1000);
    assertThatThrownBy(() -> RevisionSettings.resolve(D, 1001, null, null, null, null))
        .hasMessage(
            "containerConcurrency: 1001 (expected: between 0 and container-concurrency-max-limit"
                + " (1000))");
    assertThatThrownBy(() -> RevisionSettings.resolve(D, -1, null, null, null, null))
        .isInstanceOf(ConfigException.class);
    RevisionDefaults noZero =
        RevisionDefaults.fromMap(
            Map.of("allow-container-concurrency-zero", "false", "container-concurrency", "5"));
    assertThat(
            RevisionSettings.resolve(noZero, null, null, null, null, null).containerConcurrency())
        .isEqualTo(5);
    assertThatThrownBy(() -> RevisionSettings.resolve(noZero, 0, null, null, null, null))
        .hasMessageStartingWith("containerConcurrency: 0 (expected: between 1 and");
  }

  @Test
  void timeoutLimits() {
    assertThat(RevisionSettings.resolve(D, null, 600L, null, null, null).timeoutSeconds())
        .isEqualTo(600);
    assertThatThrownBy(() -> RevisionSettings.resolve(D, null, 601L, null, null, null))
        .hasMessage(
            "timeoutSeconds: 601 (expected: between 0 and max-revision-timeout-seconds (600))");
    assertThatThrownBy(() -> RevisionSettings.resolve(D, null, 100L, 101L, null, null))
        .hasMessage(
            "responseStartTimeoutSeconds: 101 (expected: between 0 (disabled) and timeoutSeconds"
                + " (100))");
    assertThatThrownBy(() -> RevisionSettings.resolve(D, null, 100L, null, 101L, null))
        .hasMessageStartingWith("idleTimeoutSeconds: 101");
    RevisionSettings s = RevisionSettings.resolve(D, null, 100L, 100L, 100L, null);
    assertThat(s.responseStartTimeoutSeconds()).isEqualTo(100);
    assertThat(s.idleTimeoutSeconds()).isEqualTo(100);
  }

  @Test
  void userPort() {
    assertThat(RevisionSettings.resolve(D, null, null, null, null, 1).userPort()).isEqualTo(1);
    assertThat(RevisionSettings.resolve(D, null, null, null, null, 65535).userPort())
        .isEqualTo(65535);
    assertThatThrownBy(() -> RevisionSettings.resolve(D, null, null, null, null, 0))
        .hasMessage("userPort: 0 (expected: between 1 and 65535)");
    assertThatThrownBy(() -> RevisionSettings.resolve(D, null, null, null, null, 65536))
        .isInstanceOf(ConfigException.class);
  }

  @Test
  void configDefaultsValidation() {
    assertThat(RevisionDefaults.fromMap(Map.of())).isEqualTo(D);
    assertThat(RevisionDefaults.fromMap(Map.of("revision-timeout-seconds", "100")))
        .extracting(RevisionDefaults::revisionResponseStartTimeoutSeconds)
        .isEqualTo(100L);
    assertThatThrownBy(() -> RevisionDefaults.fromMap(Map.of("revision-timeout-seconds", "601")))
        .hasMessage(
            "revision-timeout-seconds: 601 (expected: <= max-revision-timeout-seconds (600))");
    assertThatThrownBy(
            () ->
                RevisionDefaults.fromMap(
                    Map.of(
                        "revision-timeout-seconds", "100",
                        "revision-response-start-timeout-seconds", "101")))
        .hasMessage(
            "revision-response-start-timeout-seconds: 101 (expected: <= revision-timeout-seconds"
                + " (100))");
    assertThatThrownBy(
            () -> RevisionDefaults.fromMap(Map.of("revision-idle-timeout-seconds", "301")))
        .hasMessageStartingWith("revision-idle-timeout-seconds: 301");
    assertThatThrownBy(
            () -> RevisionDefaults.fromMap(Map.of("container-concurrency-max-limit", "0")))
        .hasMessage("container-concurrency-max-limit: 0 (expected: between 1 and 2147483647)");
    assertThatThrownBy(() -> RevisionDefaults.fromMap(Map.of("container-concurrency", "1001")))
        .hasMessage(
            "container-concurrency: 1001 (expected: between 0 and container-concurrency-max-limit"
                + " (1000))");
    assertThatThrownBy(() -> RevisionDefaults.fromMap(Map.of("revision-timeout-seconds", "5m")))
        .hasMessage("revision-timeout-seconds: 5m (expected: a 64-bit integer)");
  }
}
