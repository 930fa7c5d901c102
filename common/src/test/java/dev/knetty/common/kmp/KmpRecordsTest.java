package dev.knetty.common.kmp;

import static dev.knetty.common.kmp.KmpTesting.HELLO;
import static dev.knetty.common.kmp.KmpTesting.QP_POD;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Validation of the message records, the configs and the backoff. */
class KmpRecordsTest {

  @Test
  void statsRefuseWhatWouldPoisonAnAverage() {
    assertThatThrownBy(() -> new Stat(HELLO, QP_POD, 0, Double.NaN, 0, 0, 0, 0))
        .hasMessage("averageConcurrency: NaN (expected: a finite number >= 0)");
    assertThatThrownBy(() -> new Stat(HELLO, QP_POD, 0, 0, 0, Double.POSITIVE_INFINITY, 0, 0))
        .hasMessage("requestCount: Infinity (expected: a finite number >= 0)");
    assertThatThrownBy(() -> new Stat(HELLO, QP_POD, 0, 0, -1, 0, 0, 0))
        .hasMessage("averageProxiedConcurrency: -1.0 (expected: a finite number >= 0)");
    assertThatThrownBy(() -> new Stat(HELLO, QP_POD, -1, 0, 0, 0, 0, 0))
        .hasMessage("timestampMillis: -1 (expected: >= 0)");
    assertThatThrownBy(() -> new Stat(HELLO, "", 0, 0, 0, 0, 0, 0))
        .hasMessage("podName: \"\" (expected: 1 to 253 characters)");
    assertThatThrownBy(() -> new Stat(HELLO, "p".repeat(254), 0, 0, 0, 0, 0, 0))
        .hasMessageStartingWith("podName: \"ppp");
  }

  @Test
  void decisionsCheckTheirFields() {
    assertThatThrownBy(() -> new Decision(HELLO, -2, 0, 0, -1, 0))
        .hasMessage("desiredScale: -2 (expected: >= -1)");
    assertThatThrownBy(() -> new Decision(HELLO, 1, 0, 2, 2, 0))
        .hasMessage("activatorIndex: 2 (expected: -1 or 0 to activatorCount - 1 = 1)");
    assertThatThrownBy(() -> new Decision(HELLO, 1, 0, 2, 0, -1))
        .hasMessage("containerConcurrency: -1 (expected: >= 0)");
    assertThatThrownBy(
            () -> new Decisions(List.of(new Decision(HELLO, 1, 0, 2, 0, 1)), List.of(HELLO)))
        .hasMessage("revision: default/hello-00001 (expected: at most once per Decisions)");
  }

  @Test
  void helloAndErrorCheckTheirFields() {
    assertThatThrownBy(() -> new Hello(1, 0, Role.QUEUE_PROXY, QP_POD, "", 0, 1 << 20, 1))
        .hasMessage("heartbeatIntervalMillis: 0 (expected: >= 1)");
    assertThatThrownBy(() -> new Hello(1, 0, Role.QUEUE_PROXY, QP_POD, "", 1, 100, 1))
        .hasMessage("maxFrameLength: 100 (expected: >= 4096)");
    assertThatThrownBy(() -> new Hello(70_000, 0, Role.QUEUE_PROXY, QP_POD, "", 1, 1 << 20, 1))
        .hasMessage("major: 70000 (expected: 0 to 65535)");
    assertThat(ErrorMessage.of(1, "x".repeat(1000)).text()).hasSize(ErrorMessage.MAX_TEXT_LENGTH);
  }

  @Test
  void configsHaveSaneDefaults() {
    KmpServerConfig server = KmpServerConfig.builder("autoscaler-0", "10.0.0.1").build();
    assertThat(server.port()).isEqualTo(KmpProtocol.DEFAULT_PORT);
    assertThat(server.maxFrameLength()).isEqualTo(1 << 20);
    assertThat(server.heartbeatInterval()).isEqualTo(Duration.ofSeconds(5));
    assertThat(server.idleTimeout()).isEqualTo(Duration.ofSeconds(15));
    KmpClientConfig client =
        KmpClientConfig.builder("autoscaler.knative-serving", 9095, Role.ACTIVATOR, "a-0", "")
            .build();
    assertThat(client.reconnectBackoff()).isEqualTo(Backoff.DEFAULT);
    assertThat(client.logInterval()).isEqualTo(Duration.ofSeconds(30));
  }

  @Test
  void configsNameTheBadSetting() {
    assertThatThrownBy(
            () ->
                KmpServerConfig.builder("a", "")
                    .heartbeatInterval(Duration.ofSeconds(10))
                    .idleTimeout(Duration.ofSeconds(10))
                    .build())
        .hasMessage("idleTimeout: PT10S (expected: > heartbeatInterval PT10S)");
    assertThatThrownBy(() -> KmpServerConfig.builder("a", "").port(70_000).build())
        .hasMessage("port: 70000 (expected: 0 to 65535)");
    assertThatThrownBy(() -> KmpServerConfig.builder("a", "").writeBufferWaterMarks(10, 5).build())
        .hasMessage("writeBufferHighWaterMark: 5 (expected: >= writeBufferLowWaterMark 10)");
    assertThatThrownBy(
            () -> KmpServerConfig.builder("a", "").slowReaderTimeout(Duration.ZERO).build())
        .hasMessageStartingWith("slowReaderTimeout: PT0S (expected: 1 ms to");
    assertThatThrownBy(() -> KmpClientConfig.builder("h", 1, Role.AUTOSCALER, "a", "").build())
        .hasMessage("role: AUTOSCALER (expected: QUEUE_PROXY or ACTIVATOR)");
    assertThatThrownBy(
            () ->
                KmpClientConfig.builder("h", 1, Role.ACTIVATOR, "a", "").maxFrameLength(10).build())
        .hasMessage("maxFrameLength: 10 (expected: >= 4096)");
  }

  @Test
  void backoffGrowsUpToItsMaximumAndJitterOnlyShortens() {
    Backoff backoff = new Backoff(Duration.ofMillis(100), Duration.ofSeconds(1), 2, 0.5);
    assertThat(backoff.delayMillis(0, 0)).isEqualTo(100);
    assertThat(backoff.delayMillis(1, 0)).isEqualTo(200);
    assertThat(backoff.delayMillis(3, 0)).isEqualTo(800);
    assertThat(backoff.delayMillis(4, 0)).isEqualTo(1000);
    assertThat(backoff.delayMillis(1000, 0)).isEqualTo(1000);
    assertThat(backoff.delayMillis(1, 0.999)).isBetween(100L, 101L);
    assertThat(backoff.delayMillis(1000, 0.5)).isEqualTo(750);
  }

  @Test
  void backoffChecksItsSettings() {
    assertThatThrownBy(() -> new Backoff(Duration.ofSeconds(2), Duration.ofSeconds(1), 2, 0))
        .hasMessage("maxDelay: PT1S (expected: >= initialDelay PT2S)");
    assertThatThrownBy(() -> new Backoff(Duration.ofMillis(1), Duration.ofSeconds(1), 0.5, 0))
        .hasMessage("multiplier: 0.5 (expected: a finite number >= 1)");
    assertThatThrownBy(() -> new Backoff(Duration.ofMillis(1), Duration.ofSeconds(1), 2, 1.5))
        .hasMessage("jitter: 1.5 (expected: 0 to 1)");
  }
}
