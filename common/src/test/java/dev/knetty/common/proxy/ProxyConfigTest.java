package dev.knetty.common.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.util.NetUtil;
import java.net.ConnectException;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** Immutable configuration: Knative defaults, and errors that say what was expected. */
class ProxyConfigTest {

  @Test
  void defaultsFollowGoAndKnative() {
    ProxyServerConfig c = ProxyServerConfig.builder().build();
    assertThat(c.headerReadTimeout()).isEqualTo(Duration.ofMinutes(1));
    assertThat(c.keepAliveIdleTimeout()).isEqualTo(Duration.ZERO);
    assertThat(c.maxHeaderSize()).isEqualTo(1 << 20);
    assertThat(c.h2MaxConcurrentStreams()).isEqualTo(250);
    assertThat(c.maxDiscardBytes()).isEqualTo(256 * 1024);
    assertThat(c.defaultTimeouts()).isEqualTo(ExchangeTimeouts.DEFAULT);
    assertThat(c.defaultTimeouts().total()).isEqualTo(Duration.ofSeconds(300));
    assertThat(c.pool().idleTimeout()).isEqualTo(Duration.ofSeconds(90));
    // As large a listen backlog as the OS allows (Go's servers use somaxconn too).
    assertThat(c.listenBacklog()).isEqualTo(NetUtil.SOMAXCONN);
    assertThat(c.pool().maxConnectsPerKey()).isEqualTo(32);
    assertThat(c.toBuilder().build()).isEqualTo(c);
  }

  @Test
  void invalidValuesAreNamed() {
    assertThatThrownBy(() -> ProxyServerConfig.builder().port(70_000).build())
        .hasMessage("port: 70000 (expected: 0-65535)");
    assertThatThrownBy(() -> ProxyServerConfig.builder().maxUpstreamAttempts(0).build())
        .hasMessage("maxUpstreamAttempts: 0 (expected: >= 1)");
    assertThatThrownBy(() -> ProxyServerConfig.builder().writeBufferWaterMark(10, 5).build())
        .hasMessage("writeBufferHighWaterMark: 5 (expected: >= writeBufferLowWaterMark 10)");
    assertThatThrownBy(() -> ProxyServerConfig.builder().headerReadTimeout(Duration.ZERO).build())
        .hasMessage("headerReadTimeout: PT0S (expected: > 0)");
    assertThatThrownBy(() -> ProxyServerConfig.builder().listenBacklog(0).build())
        .hasMessage("listenBacklog: 0 (expected: >= 1)");
    assertThatThrownBy(() -> UpstreamPoolConfig.DEFAULT.withMaxConnectsPerKey(0))
        .hasMessage("maxConnectsPerKey: 0 (expected: > 0)");
    assertThatThrownBy(() -> UpstreamPoolConfig.DEFAULT.withMaxIdlePerKey(-1))
        .hasMessage("maxIdlePerKey: -1 (expected: >= 0)");
    assertThatThrownBy(
            () -> new ExchangeTimeouts(Duration.ofSeconds(-1), Duration.ZERO, Duration.ZERO, "t"))
        .hasMessage("total: PT-1S (expected: >= 0)");
    assertThatThrownBy(() -> Retry.to(UpstreamTarget.of("127.0.0.1", 1), Duration.ofMillis(-1)))
        .hasMessage("backoff: PT-0.001S (expected: >= 0)");
  }

  @Test
  void targetsAreIpLiterals() {
    assertThat(UpstreamTarget.of("10.0.0.1", 8012).authority()).isEqualTo("10.0.0.1:8012");
    assertThat(UpstreamTarget.of("fd00::1", 8012).authority()).isEqualTo("[fd00::1]:8012");
    assertThat(UpstreamTarget.of("localhost", 80).toString()).isEqualTo("localhost:80");
    assertThatThrownBy(() -> UpstreamTarget.of("example.com", 80))
        .hasMessage("host: example.com (expected: an IPv4 or IPv6 literal, or localhost)");
    assertThatThrownBy(() -> UpstreamTarget.of("10.0.0.1", 0))
        .hasMessage("port: 0 (expected: 1-65535)");
    assertThat(Retry.giveUp().isGiveUp()).isTrue();
    assertThat(Retry.to(UpstreamTarget.of("10.0.0.1", 1)).isGiveUp()).isFalse();
  }

  @Test
  void requestTargetsAreForwardedInOriginForm() {
    assertThat(Exchange.originForm("/a?b")).isEqualTo("/a?b");
    assertThat(Exchange.originForm("http://h:1/a/b?c=d")).isEqualTo("/a/b?c=d");
    assertThat(Exchange.originForm("http://h")).isEqualTo("/");
    assertThat(Exchange.originForm("http://h?x=1")).isEqualTo("/?x=1");
    assertThat(Exchange.originForm("*")).isEqualTo("*");
  }

  @Test
  void dialErrorsReadLikeGo() {
    UpstreamTarget t = UpstreamTarget.of("127.0.0.1", 8080);
    assertThat(Exchange.dialError(t, new ConnectException("Connection refused")))
        .isEqualTo("dial tcp 127.0.0.1:8080: connect: connection refused");
    assertThat(
            Exchange.dialError(
                t, new io.netty.channel.ConnectTimeoutException("connect timed out")))
        .isEqualTo("dial tcp 127.0.0.1:8080: i/o timeout");
  }
}
