package dev.knetty.common.proxy;

import static java.nio.charset.StandardCharsets.US_ASCII;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.knetty.common.testing.RawHttp;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Upstream pool bounds: idle eviction, idle limit, lifetime, closing a removed endpoint, connects
 * in flight per target.
 */
class ProxyPoolTest extends ProxyTestSupport {

  private static final byte[] GET = "GET / HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(US_ASCII);

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

  /**
   * A loopback listener that never accepts, its accept queue filled: the kernel drops further SYNs,
   * so connects to it stay in flight (until their timeout, or a RST once it is closed).
   */
  private ServerSocket stuckListener() throws IOException {
    ServerSocket stuck = closeLater(new ServerSocket(0, 1, InetAddress.getLoopbackAddress()));
    for (int i = 0; i < 8; i++) {
      Socket filler = closeLater(new Socket());
      try {
        filler.connect(stuck.getLocalSocketAddress(), 1000);
      } catch (SocketTimeoutException full) {
        return stuck;
      }
    }
    throw new AssertionError("the accept queue of " + stuck + " never filled");
  }

  /** {@code n} HTTP/1.1 GETs, each on its own client connection. */
  private List<Socket> sendGets(int n) throws IOException {
    List<Socket> clients = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      Socket c = closeLater(new Socket("127.0.0.1", proxyPort));
      c.setSoTimeout((int) WAIT.toMillis());
      c.getOutputStream().write(GET);
      clients.add(c);
    }
    return clients;
  }

  private RecordingPolicy proxyWithTwoConnectsPerTarget(ServerSocket upstream) {
    RecordingPolicy policy =
        new RecordingPolicy(UpstreamTarget.of("127.0.0.1", upstream.getLocalPort()));
    startProxy(
        policy,
        b ->
            b.pool(
                UpstreamPoolConfig.DEFAULT
                    .withConnectTimeout(Duration.ofMinutes(5))
                    .withMaxConnectsPerKey(2)),
        1);
    return policy;
  }

  @Test
  void exchangesBeyondTheConnectLimitWaitAndLeaveTheQueueWhenTheirClientGoes() throws Exception {
    ServerSocket stuck = stuckListener();
    RecordingPolicy policy = proxyWithTwoConnectsPerTarget(stuck);
    List<Socket> clients = sendGets(5);

    // Two connects in flight; the other three exchanges wait instead of connecting too.
    await().atMost(WAIT).until(() -> proxy.waitingUpstreamAcquisitions() == 3);
    assertThat(proxy.upstreamConnections()).isEqualTo(2);

    for (Socket c : clients) {
      c.close();
    }
    await().atMost(WAIT).until(() -> policy.outcomes.size() == 5);
    assertThat(policy.outcomes).allMatch(o -> o.kind() == ExchangeOutcome.Kind.CLIENT_ABORT);
    assertThat(proxy.waitingUpstreamAcquisitions()).isZero();
  }

  @Test
  void waitingExchangesGetA502WhenTheTargetRefusesConnections() throws Exception {
    ServerSocket stuck = stuckListener();
    RecordingPolicy policy = proxyWithTwoConnectsPerTarget(stuck);
    List<Socket> clients = sendGets(5);
    await().atMost(WAIT).until(() -> proxy.waitingUpstreamAcquisitions() == 3);

    stuck.close(); // the SYNs retransmitted from now on are refused

    for (Socket c : clients) {
      String status = new String(c.getInputStream().readNBytes(12), US_ASCII);
      assertThat(status).isEqualTo("HTTP/1.1 502");
    }
    await().atMost(WAIT).until(() -> policy.outcomes.size() == 5);
    assertThat(policy.outcomes).allMatch(o -> o.kind() == ExchangeOutcome.Kind.CONNECT_FAILED);
    assertThat(proxy.waitingUpstreamAcquisitions()).isZero();
  }
}
