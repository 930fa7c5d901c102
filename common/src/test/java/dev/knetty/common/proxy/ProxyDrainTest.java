package dev.knetty.common.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.knetty.common.testing.RawHttp;
import java.io.IOException;
import java.net.ConnectException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** Knative's SIGTERM sequence: keep serving, but close connections, then stop and wait. */
class ProxyDrainTest extends ProxyTestSupport {

  @Test
  void drainClosesIdleKeepAliveConnectionsAndAddsConnectionClose() throws Exception {
    TestOrigin origin = origin(TestOrigin.http1(originGroup, req -> TestOrigin.text("ok")));
    startProxy(new RecordingPolicy(origin.target()));

    try (RawHttp idle = new RawHttp(proxyPort)) {
      RawHttp.Response before = idle.get("/", "");
      assertThat(before.header("connection")).isNull();

      proxy.startDrain();

      assertThat(idle.closedByPeer()).isTrue();
    }
    assertThat(proxy.isDraining()).isTrue();
    // Still accepting, but every response closes its connection.
    try (RawHttp fresh = new RawHttp(proxyPort)) {
      RawHttp.Response after = fresh.get("/", "");
      assertThat(after.status()).isEqualTo(200);
      assertThat(after.header("connection")).isEqualTo("close");
      assertThat(fresh.closedByPeer()).isTrue();
    }
  }

  @Test
  void exchangesInFlightFinishAndTheActiveCountReachesZero() throws Exception {
    TestOrigin origin = origin(TestOrigin.http1(originGroup, req -> TestOrigin.text("late")));
    RecordingPolicy policy = new RecordingPolicy(origin.target());
    policy.onRequest = ex -> {}; // hold it
    startProxy(policy);

    try (RawHttp client = new RawHttp(proxyPort)) {
      client.write("GET / HTTP/1.1\r\nHost: t\r\n\r\n");
      ProxyExchange ex = policy.exchanges.poll(30, TimeUnit.SECONDS);
      proxy.startDrain();
      proxy.stopAccepting().get(30, TimeUnit.SECONDS);
      assertThat(proxy.activeExchanges()).isEqualTo(1);
      CompletableFuture<Void> idle = proxy.whenIdle();
      assertThat(idle).isNotDone();
      assertThatThrownBy(() -> new RawHttp(proxyPort)).isInstanceOf(ConnectException.class);

      ex.eventLoop().execute(() -> ex.forward(origin.target()));

      RawHttp.Response response = client.read();
      assertThat(response.body()).isEqualTo("late");
      assertThat(response.header("connection")).isEqualTo("close");
      idle.get(30, TimeUnit.SECONDS);
      assertThat(proxy.activeExchanges()).isZero();
      assertThat(client.closedByPeer()).isTrue();
    }
  }

  @Test
  void whenIdleIsDoneAtOnceWithoutExchanges() throws IOException {
    startProxy(new RecordingPolicy(null));
    assertThat(proxy.whenIdle()).isDone();
  }
}
