package dev.knetty.common.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.knetty.common.testing.RawHttp;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** Upstream pool bounds: idle eviction, idle limit, lifetime, closing a removed endpoint. */
class ProxyPoolTest extends ProxyTestSupport {

  private void twoRequests() throws Exception {
    try (RawHttp client = new RawHttp(proxyPort)) {
      assertThat(client.get("/1", "").status()).isEqualTo(200);
      assertThat(client.get("/2", "").status()).isEqualTo(200);
    }
  }

  @Test
  void closeUpstreamClosesThePooledConnectionsOfATarget() throws Exception {
    TestOrigin origin = origin(TestOrigin.http1(originGroup, req -> TestOrigin.text("ok")));
    startProxy(new RecordingPolicy(origin.target()));
    twoRequests();
    await().atMost(WAIT).until(() -> proxy.idleUpstreamConnections() == 1);

    proxy.closeUpstream(origin.target());

    await().atMost(WAIT).until(() -> origin.closed.get() == 1);
    await().atMost(WAIT).until(() -> proxy.upstreamConnections() == 0);
    // The target can be used again afterwards.
    twoRequests();
    assertThat(origin.accepted.get()).isEqualTo(2);
  }

  @Test
  void idleConnectionsAreEvicted() throws Exception {
    TestOrigin origin = origin(TestOrigin.http1(originGroup, req -> TestOrigin.text("ok")));
    startProxy(
        new RecordingPolicy(origin.target()),
        b -> b.pool(UpstreamPoolConfig.DEFAULT.withIdleTimeout(Duration.ofMillis(100))));
    twoRequests();

    await().atMost(WAIT).until(() -> origin.closed.get() == 1);
    assertThat(proxy.upstreamConnections()).isZero();
  }

  @Test
  void noIdleConnectionsAreKeptWithALimitOfZero() throws Exception {
    TestOrigin origin = origin(TestOrigin.http1(originGroup, req -> TestOrigin.text("ok")));
    startProxy(
        new RecordingPolicy(origin.target()),
        b -> b.pool(UpstreamPoolConfig.DEFAULT.withMaxIdlePerKey(0)));
    twoRequests();

    assertThat(origin.accepted.get()).isEqualTo(2);
    await().atMost(WAIT).until(() -> proxy.upstreamConnections() == 0);
  }

  @Test
  void connectionsPastTheirLifetimeAreNotReused() throws Exception {
    TestOrigin origin = origin(TestOrigin.http1(originGroup, req -> TestOrigin.text("ok")));
    startProxy(
        new RecordingPolicy(origin.target()),
        b -> b.pool(UpstreamPoolConfig.DEFAULT.withMaxLifetime(Duration.ofNanos(1))));
    twoRequests();

    assertThat(origin.accepted.get()).isEqualTo(2);
  }

  @Test
  void aConnectionClosedByTheUpstreamLeavesThePool() throws Exception {
    TestOrigin origin = origin(TestOrigin.http1(originGroup, req -> TestOrigin.text("ok")));
    startProxy(new RecordingPolicy(origin.target()));
    twoRequests();
    await().atMost(WAIT).until(() -> proxy.idleUpstreamConnections() == 1);

    origin.channels.close().sync();

    await().atMost(WAIT).until(() -> proxy.upstreamConnections() == 0);
    assertThat(proxy.idleUpstreamConnections()).isZero();
  }
}
