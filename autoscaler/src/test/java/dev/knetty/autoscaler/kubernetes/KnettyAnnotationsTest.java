package dev.knetty.autoscaler.kubernetes;

import static org.assertj.core.api.Assertions.assertThat;

import dev.knetty.common.config.RevisionDefaults;
import dev.knetty.common.config.RevisionSettings;
import java.util.Map;
import org.junit.jupiter.api.Test;

class KnettyAnnotationsTest {

  private static final RevisionDefaults KNATIVE = RevisionDefaults.defaults();

  private static KnettyAnnotations.Read read(Map<String, String> annotations) {
    return KnettyAnnotations.read(annotations, KNATIVE, 8080);
  }

  @Test
  void noAnnotationsGiveKnativeDefaultsAndTheContainerPort() {
    KnettyAnnotations.Read r = KnettyAnnotations.read(null, KNATIVE, 3000);

    assertThat(r.warnings()).isEmpty();
    assertThat(r.settings()).isEqualTo(new RevisionSettings(0, 300, 0, 0, 3000));
    assertThat(r.settings())
        .isEqualTo(RevisionSettings.resolve(KNATIVE, null, null, null, null, 3000));
  }

  @Test
  void zeroTimeoutMeansTheDefault() {
    assertThat(read(Map.of(KnettyKeys.TIMEOUT_SECONDS, "0")).settings().timeoutSeconds())
        .isEqualTo(300);
  }

  @Test
  void responseStartAndIdleDefaultsApplyOnlyStrictlyBelowTheTimeout() {
    RevisionDefaults d = new RevisionDefaults(300, 600, 120, 30, 0, 1000, true);

    RevisionSettings longer =
        KnettyAnnotations.read(Map.of(KnettyKeys.TIMEOUT_SECONDS, "200"), d, 8080).settings();
    RevisionSettings shorter =
        KnettyAnnotations.read(Map.of(KnettyKeys.TIMEOUT_SECONDS, "120"), d, 8080).settings();
    RevisionSettings tiny =
        KnettyAnnotations.read(Map.of(KnettyKeys.TIMEOUT_SECONDS, "30"), d, 8080).settings();

    assertThat(longer.responseStartTimeoutSeconds()).isEqualTo(120);
    assertThat(longer.idleTimeoutSeconds()).isEqualTo(30);
    assertThat(shorter.responseStartTimeoutSeconds()).isZero();
    assertThat(shorter.idleTimeoutSeconds()).isEqualTo(30);
    assertThat(tiny.idleTimeoutSeconds()).isZero();
  }

  @Test
  void explicitValuesWithinRangeAreTaken() {
    RevisionSettings s =
        read(Map.of(
                KnettyKeys.CONTAINER_CONCURRENCY, "1000",
                KnettyKeys.TIMEOUT_SECONDS, "600",
                KnettyKeys.RESPONSE_START_TIMEOUT_SECONDS, "0",
                KnettyKeys.IDLE_TIMEOUT_SECONDS, "600",
                KnettyKeys.USER_PORT, "3000"))
            .settings();

    assertThat(s).isEqualTo(new RevisionSettings(1000, 600, 0, 600, 3000));
  }

  @Test
  void outOfRangeValuesWarnAndFallBack() {
    KnettyAnnotations.Read r =
        KnettyAnnotations.read(
            Map.of(
                KnettyKeys.CONTAINER_CONCURRENCY, "-1",
                KnettyKeys.TIMEOUT_SECONDS, "100",
                KnettyKeys.RESPONSE_START_TIMEOUT_SECONDS, "101",
                KnettyKeys.IDLE_TIMEOUT_SECONDS, " 5",
                KnettyKeys.USER_PORT, "70000"),
            KNATIVE,
            9000);

    assertThat(r.settings()).isEqualTo(new RevisionSettings(0, 100, 0, 0, 9000));
    assertThat(r.warnings())
        .containsExactlyInAnyOrder(
            "knetty.dev/container-concurrency: \"-1\" (expected: an integer in [0, 1000]); using 0",
            "knetty.dev/response-start-timeout-seconds: \"101\" (expected: an integer in [0, 100]);"
                + " using 0",
            "knetty.dev/idle-timeout-seconds: \" 5\" (expected: an integer in [0, 100]); using 0",
            "knetty.dev/user-port: \"70000\" (expected: a port in [1, 65535] other than 8012,"
                + " 8013, 8022, 9090, 9091); using the container's first port (9000)");
  }

  @Test
  void aBadTimeoutFallsBackToTheDefaultAndBoundsTheOthers() {
    KnettyAnnotations.Read r =
        read(Map.of(KnettyKeys.TIMEOUT_SECONDS, "601", KnettyKeys.IDLE_TIMEOUT_SECONDS, "300"));

    assertThat(r.settings().timeoutSeconds()).isEqualTo(300);
    assertThat(r.settings().idleTimeoutSeconds()).isEqualTo(300);
    assertThat(r.warnings())
        .containsExactly(
            "knetty.dev/timeout-seconds: \"601\" (expected: an integer in [0, 600]); using 300");
  }

  @Test
  void zeroConcurrencyIsRefusedWhenTheDefaultsForbidIt() {
    RevisionDefaults noZero = new RevisionDefaults(300, 600, 300, 0, 5, 1000, false);

    KnettyAnnotations.Read r =
        KnettyAnnotations.read(Map.of(KnettyKeys.CONTAINER_CONCURRENCY, "0"), noZero, 8080);

    assertThat(r.settings().containerConcurrency()).isEqualTo(5);
    assertThat(r.warnings())
        .containsExactly(
            "knetty.dev/container-concurrency: \"0\" (expected: an integer in [1, 1000]); using 5");
  }

  @Test
  void longValuesAreShortenedInWarnings() {
    String value = "x".repeat(500);

    String warning = read(Map.of(KnettyKeys.TIMEOUT_SECONDS, value)).warnings().get(0);

    assertThat(warning).hasSizeLessThan(120).contains("x".repeat(40) + "...");
  }
}
