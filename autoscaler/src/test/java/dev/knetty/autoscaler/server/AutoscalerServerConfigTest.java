package dev.knetty.autoscaler.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class AutoscalerServerConfigTest {

  @Test
  void defaults() {
    AutoscalerServerConfig c = AutoscalerServerConfig.builder().build();
    assertThat(c.host()).isEqualTo("0.0.0.0");
    assertThat(c.kmpPort()).isEqualTo(9095);
    assertThat(c.adminPort()).isEqualTo(8080);
    assertThat(c.metricsPort()).isEqualTo(9091);
    assertThat(c.eventLoopThreads()).isEqualTo(Runtime.getRuntime().availableProcessors());
    assertThat(c.schedulerThreads()).isEqualTo(1);
    assertThat(c.readyPodWindow()).isEqualTo(Duration.ofSeconds(3));
  }

  @Test
  void badSettingsAreNamed() {
    assertBad(
        AutoscalerServerConfig.builder().kmpPort(70000), "kmpPort: 70000 (expected: 0-65535)");
    assertBad(
        AutoscalerServerConfig.builder().metricsPort(-2),
        "metricsPort: -2 (expected: 0-65535, or -1 for none)");
    assertBad(
        AutoscalerServerConfig.builder().adminPort(9095),
        "adminPort: 9095 (expected: a port other than kmpPort)");
    assertBad(
        AutoscalerServerConfig.builder().metricsPort(8080),
        "metricsPort: 8080 (expected: a port other than adminPort)");
    assertBad(
        AutoscalerServerConfig.builder().host(" "), "host: ' ' (expected: an address or name)");
    assertBad(
        AutoscalerServerConfig.builder().eventLoopThreads(0),
        "eventLoopThreads: 0 (expected: >= 1)");
    assertBad(
        AutoscalerServerConfig.builder().podName(""),
        "podName: '' (expected: 1 to 253 characters)");
    assertBad(
        AutoscalerServerConfig.builder().readyPodWindow(Duration.ZERO),
        "readyPodWindow: PT0S (expected: at least 1 ms)");
    // Port 0 (any free port) may repeat; so may -1 for metrics.
    assertThat(
            AutoscalerServerConfig.builder()
                .kmpPort(0)
                .adminPort(0)
                .metricsPort(-1)
                .build()
                .metricsPort())
        .isEqualTo(-1);
  }

  private static void assertBad(AutoscalerServerConfig.Builder b, String message) {
    assertThatThrownBy(b::build).isInstanceOf(IllegalArgumentException.class).hasMessage(message);
  }
}
