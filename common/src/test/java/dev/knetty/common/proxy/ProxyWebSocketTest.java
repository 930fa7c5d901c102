package dev.knetty.common.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.knetty.common.testing.RawHttp;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** Upgrades other than h2c: tunnelled on 101 over a fresh upstream connection. */
class ProxyWebSocketTest extends ProxyTestSupport {

  private final io.netty.channel.EventLoopGroup clientGroup =
      closeLater(new ProxyH2Test.GroupCloser(transport.newEventLoopGroup(1, "test-ws"))).group();

  @Test
  void aWebsocketEchoesThroughTheProxy() throws Exception {
    TestOrigin origin = origin(TestOrigin.websocketEcho(originGroup, "/ws"));
    RecordingPolicy policy = new RecordingPolicy(origin.target());
    startProxy(policy);

    WsTestClient client = new WsTestClient(clientGroup, proxyPort, "/ws");
    client.handshake.get(30, TimeUnit.SECONDS);
    client.send("hello");
    client.send("again");

    assertThat(client.received.poll(30, TimeUnit.SECONDS)).isEqualTo("echo:hello");
    assertThat(client.received.poll(30, TimeUnit.SECONDS)).isEqualTo("echo:again");
    ProxyExchange ex = policy.exchanges.take();
    assertThat(ex.isUpgrade()).isTrue();
    assertThat(proxy.activeExchanges()).isEqualTo(1);

    client.close();
    await().atMost(WAIT).until(() -> policy.outcomes.size() == 1);
    ExchangeOutcome outcome = policy.outcomes.get(0);
    assertThat(outcome.kind()).isEqualTo(ExchangeOutcome.Kind.UPGRADED);
    assertThat(outcome.status()).isEqualTo(101);
    assertThat(outcome.requestBytes()).isPositive();
    assertThat(outcome.responseBytes()).isPositive();
    assertThat(proxy.activeExchanges()).isZero();
    await().atMost(WAIT).until(() -> origin.closed.get() == 1);
    await().atMost(WAIT).until(() -> proxy.upstreamConnections() == 0);
  }

  @Test
  void aTunnelOutlivesTheRequestTimeouts() throws Exception {
    TestOrigin origin = origin(TestOrigin.websocketEcho(originGroup, "/ws"));
    RecordingPolicy policy = new RecordingPolicy(origin.target());
    // Long enough for the handshake itself on a loaded machine (the response-start timeout covers
    // it); the tunnel must then outlive all three deadlines.
    Duration timeout = Duration.ofSeconds(1);
    startProxy(
        policy, b -> b.defaultTimeouts(new ExchangeTimeouts(timeout, timeout, timeout, "t")));

    WsTestClient client = closeLater(new WsTestClient(clientGroup, proxyPort, "/ws"));
    client.handshake.get(30, TimeUnit.SECONDS);
    ProxyExchange ex = policy.exchanges.take();
    // Wait on the exchange's own loop until well after every deadline (tasks run in deadline
    // order).
    CountDownLatch deadlinesPassed = new CountDownLatch(1);
    ex.eventLoop()
        .schedule(
            deadlinesPassed::countDown,
            timeout.toNanos() * 3 - (ex.eventLoop().ticker().nanoTime() - ex.arrivalNanos()),
            TimeUnit.NANOSECONDS);
    assertThat(deadlinesPassed.await(30, TimeUnit.SECONDS)).isTrue();

    client.send("still here");
    assertThat(client.received.poll(30, TimeUnit.SECONDS)).isEqualTo("echo:still here");
    assertThat(policy.outcomes).isEmpty();
  }

  @Test
  void anUpgradeAnsweredWithoutA101IsAnOrdinaryResponse() throws Exception {
    TestOrigin origin = origin(TestOrigin.http1(originGroup, req -> TestOrigin.text("plain")));
    RecordingPolicy policy = new RecordingPolicy(origin.target());
    startProxy(policy);

    try (RawHttp client = new RawHttp(proxyPort)) {
      RawHttp.Response response =
          client.get(
              "/ws",
              "Connection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\n"
                  + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n");
      assertThat(response.status()).isEqualTo(200);
      assertThat(response.body()).isEqualTo("plain");
    }

    TestOrigin.Recorded seen = origin.requests.take();
    assertThat(seen.headers().get("Upgrade")).isEqualTo("websocket");
    assertThat(seen.headers().get("Connection")).isEqualToIgnoringCase("upgrade");
    // The upgrade went over a connection of its own, which is not pooled afterwards.
    await().atMost(WAIT).until(() -> proxy.upstreamConnections() == 0);
    await().atMost(WAIT).until(() -> policy.outcomes.size() == 1);
    assertThat(policy.outcomes.get(0).kind()).isEqualTo(ExchangeOutcome.Kind.PROXIED);
  }
}
