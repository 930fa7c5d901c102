package dev.knetty.autoscaler.kubernetes;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;
import java.util.OptionalInt;
import org.junit.jupiter.api.Test;

class RevisionSettingsTest {

  private static RevisionSettings.Parsed parse(Map<String, String> annotations) {
    return RevisionSettings.parse(annotations, RevisionDefaults.KNATIVE);
  }

  @Test
  void noAnnotationsGiveKnativeDefaults() {
    RevisionSettings.Parsed p = parse(null);

    assertThat(p.warnings()).isEmpty();
    assertThat(p.settings()).isEqualTo(new RevisionSettings(0, 300, 0, 0, OptionalInt.empty()));
  }

  @Test
  void zeroTimeoutMeansTheDefault() {
    assertThat(parse(Map.of(KnettyKeys.TIMEOUT_SECONDS, "0")).settings().timeoutSeconds())
        .isEqualTo(300);
  }

  @Test
  void responseStartAndIdleDefaultsApplyOnlyStrictlyBelowTheTimeout() {
    RevisionDefaults d = new RevisionDefaults(0, 1000, 300, 600, 120, 30);

    RevisionSettings longer =
        RevisionSettings.parse(Map.of(KnettyKeys.TIMEOUT_SECONDS, "200"), d).settings();
    RevisionSettings shorter =
        RevisionSettings.parse(Map.of(KnettyKeys.TIMEOUT_SECONDS, "120"), d).settings();
    RevisionSettings tiny =
        RevisionSettings.parse(Map.of(KnettyKeys.TIMEOUT_SECONDS, "30"), d).settings();

    assertThat(longer.responseStartTimeoutSeconds()).isEqualTo(120);
    assertThat(longer.idleTimeoutSeconds()).isEqualTo(30);
    assertThat(shorter.responseStartTimeoutSeconds()).isZero();
    assertThat(shorter.idleTimeoutSeconds()).isEqualTo(30);
    assertThat(tiny.idleTimeoutSeconds()).isZero();
  }

  @Test
  void explicitValuesWithinRangeAreTaken() {
    RevisionSettings s =
        parse(
                Map.of(
                    KnettyKeys.CONTAINER_CONCURRENCY, "1000",
                    KnettyKeys.TIMEOUT_SECONDS, "600",
                    KnettyKeys.RESPONSE_START_TIMEOUT_SECONDS, "0",
                    KnettyKeys.IDLE_TIMEOUT_SECONDS, "600",
                    KnettyKeys.USER_PORT, "3000"))
            .settings();

    assertThat(s).isEqualTo(new RevisionSettings(1000, 600, 0, 600, OptionalInt.of(3000)));
  }

  @Test
  void outOfRangeValuesWarnAndFallBack() {
    RevisionSettings.Parsed p =
        parse(
            Map.of(
                KnettyKeys.CONTAINER_CONCURRENCY, "-1",
                KnettyKeys.TIMEOUT_SECONDS, "100",
                KnettyKeys.RESPONSE_START_TIMEOUT_SECONDS, "101",
                KnettyKeys.IDLE_TIMEOUT_SECONDS, " 5",
                KnettyKeys.USER_PORT, "70000"));

    assertThat(p.settings()).isEqualTo(new RevisionSettings(0, 100, 0, 0, OptionalInt.empty()));
    assertThat(p.warnings())
        .containsExactlyInAnyOrder(
            "knetty.dev/container-concurrency: \"-1\" (expected: an integer in [0, 1000]); using 0",
            "knetty.dev/response-start-timeout-seconds: \"101\" (expected: an integer in [0, 100]);"
                + " using 0",
            "knetty.dev/idle-timeout-seconds: \" 5\" (expected: an integer in [0, 100]); using 0",
            "knetty.dev/user-port: \"70000\" (expected: a port in [1, 65535] other than 8012,"
                + " 8013, 8022, 9090, 9091); using the container's first port");
  }

  @Test
  void longValuesAreShortenedInWarnings() {
    String value = "x".repeat(500);

    String warning = parse(Map.of(KnettyKeys.TIMEOUT_SECONDS, value)).warnings().get(0);

    assertThat(warning).hasSizeLessThan(120).contains("x".repeat(40) + "...");
  }

  @Test
  void defaultsAreValidated() {
    assertThatThrownBy(() -> new RevisionDefaults(0, 1000, 700, 600, 0, 0))
        .hasMessage("timeoutSeconds: 700 (expected: in [1, 600])");
    assertThatThrownBy(() -> new RevisionDefaults(0, 1000, 300, 600, 301, 0))
        .hasMessage("responseStartTimeoutSeconds: 301 (expected: in [0, 300])");
    assertThatThrownBy(() -> new RevisionDefaults(0, 1000, 300, 600, 0, -1))
        .hasMessage("idleTimeoutSeconds: -1 (expected: in [0, 300])");
    assertThatThrownBy(() -> new RevisionDefaults(5, 4, 300, 600, 0, 0))
        .hasMessage("containerConcurrency: 5 (expected: in [0, 4])");
    assertThatThrownBy(() -> new RevisionDefaults(0, 0, 300, 600, 0, 0))
        .hasMessage("containerConcurrencyMaxLimit: 0 (expected: >= 1)");
  }
}
