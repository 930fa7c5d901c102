package dev.knetty.common.kmp;

import static dev.knetty.common.kmp.KmpTesting.ACTIVATOR_POD;
import static dev.knetty.common.kmp.KmpTesting.HELLO;
import static dev.knetty.common.kmp.KmpTesting.QP_POD;
import static dev.knetty.common.kmp.KmpTesting.T0;
import static dev.knetty.common.kmp.KmpTesting.WORLD;
import static dev.knetty.common.kmp.KmpTesting.batch;
import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** A real client and a real server over loopback. */
class KmpEndToEndTest extends KmpNetworkTest {

  private final ServerEvents serverEvents = new ServerEvents();
  private final ClientEvents clientEvents = new ClientEvents();

  @Test
  void statsArriveAtTheServer() throws Exception {
    KmpServer server = server(serverConfig().build(), serverEvents);
    KmpClient client =
        client(
            clientConfig(server.localAddress().getPort(), Role.QUEUE_PROXY, QP_POD).build(),
            clientEvents);
    eventually().until(client::isConnected);

    StatBatch first = StatBatch.of(new Stat(HELLO, QP_POD, T0, 3.2, 1.1, 12, 4, 3600.5));
    StatBatch second = StatBatch.of(new Stat(HELLO, QP_POD, T0 + 1000, 1, 0, 2, 0, 3601.5));
    client.send(first);
    assertThat(serverEvents.batches.poll(30, TimeUnit.SECONDS)).isEqualTo(first);
    client.send(second);
    assertThat(serverEvents.batches.poll(30, TimeUnit.SECONDS)).isEqualTo(second);
    eventually().until(() -> client.sentBatches() == 2); // counted when the write completes
    assertThat(server.receivedStats()).isEqualTo(2);
    assertThat(serverEvents.peer(QP_POD).hello().role()).isEqualTo(Role.QUEUE_PROXY);
  }

  @Test
  void decisionsArriveAtTheClient() throws Exception {
    KmpServer server = server(serverConfig().build(), serverEvents);
    client(
        clientConfig(server.localAddress().getPort(), Role.ACTIVATOR, ACTIVATOR_POD).build(),
        clientEvents);
    eventually().until(() -> serverEvents.peer(ACTIVATOR_POD) != null);
    KmpPeer peer = serverEvents.peer(ACTIVATOR_POD);

    Decisions decisions =
        new Decisions(List.of(new Decision(HELLO, 3, -47, 2, 1, 10)), List.of(WORLD));
    peer.send(decisions);
    assertThat(clientEvents.decisions.poll(30, TimeUnit.SECONDS)).isEqualTo(decisions);

    // Later news for the same revision: latest wins, and a removal is news too.
    peer.send(Decisions.of(new Decision(HELLO, 5, 12, 2, 1, 10)));
    peer.send(new Decisions(List.of(), List.of(HELLO)));
    List<Decisions> later = new ArrayList<>();
    eventually()
        .until(
            () -> {
              clientEvents.decisions.drainTo(later);
              return !later.isEmpty() && later.get(later.size() - 1).removed().contains(HELLO);
            });
  }

  @Test
  void theClientReconnectsAfterTheServerRestartsOnTheSamePort() throws Exception {
    KmpServer first = server(serverConfig().build(), serverEvents);
    int port = first.localAddress().getPort();
    KmpClient client =
        client(clientConfig(port, Role.ACTIVATOR, ACTIVATOR_POD).build(), clientEvents);
    eventually().until(client::isConnected);
    client.send(batch(5, 5, T0));
    eventually().until(() -> first.receivedBatches() == 1);

    first.close();
    eventually().until(() -> !client.isConnected() && client.backoffAttempt() >= 2);
    assertThat(clientEvents.disconnected).containsExactly(CloseReason.PEER_CLOSED);

    ServerEvents secondEvents = new ServerEvents();
    KmpServer second = server(serverConfig().port(port).build(), secondEvents);
    eventually().until(client::isConnected);
    assertThat(client.backoffAttempt()).isZero(); // the backoff starts over
    // A new connection, new dictionaries: the same revisions are defined again and decode.
    AtomicLong ts = new AtomicLong(T0);
    eventually()
        .until(
            () -> {
              client.send(batch(5, 5, ts.incrementAndGet()));
              return second.receivedBatches() > 0;
            });
    assertThat(secondEvents.batches.poll().stats()).hasSize(5);
    assertThat(second.closedConnections(CloseReason.PROTOCOL_ERROR)).isZero();
  }

  @Test
  void heartbeatsKeepAnIdleConnectionUp() {
    KmpServer server =
        server(
            serverConfig()
                .heartbeatInterval(Duration.ofMillis(50))
                .idleTimeout(Duration.ofMillis(500))
                .build(),
            serverEvents);
    KmpClient client =
        client(
            clientConfig(server.localAddress().getPort(), Role.QUEUE_PROXY, QP_POD)
                .heartbeatInterval(Duration.ofMillis(50))
                .idleTimeout(Duration.ofMillis(500))
                .build(),
            clientEvents);
    eventually().until(client::isConnected);

    // Nothing but heartbeats for several idle timeouts, on both sides.
    eventually()
        .during(Duration.ofSeconds(3))
        .until(() -> client.isConnected() && server.activeConnections() == 1);
    assertThat(client.reconnects()).isZero();
    assertThat(server.closedConnections(CloseReason.IDLE_TIMEOUT)).isZero();
  }

  @Test
  void closingTheClientEndsItsConnectionInOrder() {
    KmpServer server = server(serverConfig().build(), serverEvents);
    KmpClient client =
        client(
            clientConfig(server.localAddress().getPort(), Role.QUEUE_PROXY, QP_POD).build(),
            clientEvents);
    eventually().until(() -> serverEvents.peer(QP_POD) != null);

    client.close();
    assertThat(client.state()).isEqualTo(KmpClient.State.CLOSED);
    eventually().until(() -> server.activeConnections() == 0);
    // GOING_AWAY is an orderly close, not a peer error.
    assertThat(serverEvents.disconnected).containsEntry(QP_POD, CloseReason.PEER_CLOSED);
    assertThat(server.closedConnections(CloseReason.PEER_ERROR)).isZero();
  }

  @Test
  void manyClientsAtOnce() {
    KmpServer server = server(serverConfig().build(), serverEvents);
    int n = 200;
    List<KmpClient> clients = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      clients.add(
          client(
              clientConfig(server.localAddress().getPort(), Role.QUEUE_PROXY, "pod-" + i).build(),
              KmpClientListener.noop()));
    }
    eventually().until(() -> clients.stream().allMatch(KmpClient::isConnected));
    for (int i = 0; i < n; i++) {
      clients.get(i).send(StatBatch.of(KmpTesting.stat(HELLO, "pod-" + i, T0, i, i)));
    }
    eventually().until(() -> server.receivedStats() == n);
    assertThat(server.activeConnections()).isEqualTo(n);
  }
}
