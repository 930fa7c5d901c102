package dev.knetty.activator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.knetty.common.RevisionKey;
import dev.knetty.common.config.RevisionSettings;
import dev.knetty.common.proxy.ExchangeTimeouts;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class ActivatorConfigTest {

  @Test
  void defaultsAreKnatives() {
    ActivatorConfig c = ActivatorConfig.builder().build();
    assertThat(c.port()).isEqualTo(8012);
    assertThat(c.metricsPort()).isEqualTo(9091);
    assertThat(c.probeInterval()).isEqualTo(Duration.ofMillis(200));
    assertThat(c.probeTimeout()).isEqualTo(Duration.ofMillis(300));
    assertThat(c.reportingPeriod()).isEqualTo(Duration.ofSeconds(1));
    assertThat(c.drainDelay()).isEqualTo(Duration.ofSeconds(45));
    assertThat(c.maxWaitingPerRevision()).isEqualTo(10_000);
    assertThat(c.hasAutoscaler()).isFalse();
    assertThat(c.proxyConfig().defaultTimeouts())
        .isEqualTo(ExchangeTimeouts.ofSeconds(300, 300, 0, "activator request timeout"));
    assertThat(c.proxyConfig().maxUpstreamAttempts()).isEqualTo(3);
    assertThat(c.proxyConfig().preReadLimitBytes()).isEqualTo(4096);
    assertThat(c.proxyConfig().pool().connectTimeout()).isEqualTo(Duration.ofSeconds(10));
    assertThat(c.proxyConfig().pool().maxConnectsPerKey()).isEqualTo(32);
    ActivatorConfig tuned =
        c.toBuilder().connectTimeout(Duration.ofSeconds(2)).maxConnectsPerPod(4).build();
    assertThat(tuned.proxyConfig().pool().connectTimeout()).isEqualTo(Duration.ofSeconds(2));
    assertThat(tuned.proxyConfig().pool().maxConnectsPerKey()).isEqualTo(4);
  }

  @Test
  void badValuesAreNamed() {
    assertThatThrownBy(() -> ActivatorConfig.builder().maxWaiting(0).build())
        .hasMessage("maxWaiting: 0 (expected: 1-2147483647)");
    assertThatThrownBy(() -> ActivatorConfig.builder().port(70000).build())
        .hasMessage("port: 70000 (expected: 0-65535)");
    assertThatThrownBy(() -> ActivatorConfig.builder().maxConnectsPerPod(0).build())
        .hasMessage("maxConnectsPerPod: 0 (expected: 1-2147483647)");
    assertThatThrownBy(() -> ActivatorConfig.builder().connectTimeout(Duration.ZERO).build())
        .hasMessage("connectTimeout: PT0S (expected: > 0)");
    assertThatThrownBy(() -> ActivatorConfig.builder().probeInterval(Duration.ZERO).build())
        .hasMessage("probeInterval: PT0S (expected: > 0)");
    assertThatThrownBy(() -> ActivatorConfig.builder().retryAfter(Duration.ofMillis(1500)).build())
        .hasMessage("retryAfter: PT1.5S (expected: whole seconds)");
    assertThatThrownBy(
            () ->
                ActivatorConfig.builder()
                    .preReadLimitBytes(10_000)
                    .maxBufferedBytesPerRevision(5_000)
                    .build())
        .hasMessage("maxBufferedBytesPerRevision: 5000 (expected: >= preReadLimitBytes 10000)");
    assertThatThrownBy(
            () ->
                ActivatorConfig.builder()
                    .maxBufferedBytesPerRevision(1 << 20)
                    .maxBufferedBytes(1 << 10)
                    .build())
        .hasMessageStartingWith("maxBufferedBytes: 1024 (expected: >= maxBufferedBytesPerRevision");
  }

  @Test
  void whileWaitingTheEarliestTimeoutAppliesWithItsMessage() {
    RevisionKey key = RevisionKey.parse("default/hello");
    ActivatorConfig knative = ActivatorConfig.builder().build();
    RevisionEntry.Timeouts t =
        RevisionEntry.Timeouts.of(key, new RevisionSettings(1, 300, 60, 0, 8080), knative);
    assertThat(t.proxy())
        .isEqualTo(ExchangeTimeouts.ofSeconds(300, 60, 0, "activator request timeout"));
    assertThat(t.waiting())
        .isEqualTo(ExchangeTimeouts.ofSeconds(60, 0, 0, "activator request timeout"));

    ActivatorConfig bounded = ActivatorConfig.builder().maxWait(Duration.ofSeconds(30)).build();
    t = RevisionEntry.Timeouts.of(key, new RevisionSettings(1, 300, 0, 0, 8080), bounded);
    assertThat(t.waiting())
        .isEqualTo(
            ExchangeTimeouts.ofSeconds(
                30, 0, 0, "activator: revision default/hello had no capacity within 30s"));

    t = RevisionEntry.Timeouts.of(key, new RevisionSettings(1, 10, 0, 0, 8080), bounded);
    assertThat(t.waiting().total()).isEqualTo(Duration.ofSeconds(10));

    t = RevisionEntry.Timeouts.of(key, new RevisionSettings(1, 0, 0, 0, 8080), knative);
    assertThat(t.waiting().total()).as("no timeout at all").isZero();
  }
}
