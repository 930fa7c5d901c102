package dev.knetty.common.kmp;

import static dev.knetty.common.kmp.KmpTesting.ACTIVATOR_POD;
import static dev.knetty.common.kmp.KmpTesting.T0;
import static dev.knetty.common.kmp.KmpTesting.batch;
import static org.assertj.core.api.Assertions.assertThat;

import io.netty.channel.Channel;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** The client against fake servers on plain sockets, which do exactly what a test needs. */
class KmpClientTest extends KmpNetworkTest {

  private final ClientEvents events = new ClientEvents();

  /** A listening socket that accepts when told to. */
  private ServerSocket listen(int receiveBuffer) {
    try {
      ServerSocket socket = new ServerSocket();
      if (receiveBuffer > 0) {
        socket.setReceiveBufferSize(receiveBuffer);
      }
      socket.bind(new InetSocketAddress("127.0.0.1", 0));
      socket.setSoTimeout(30_000);
      return closeAfter(socket);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private RawPeer accept(ServerSocket socket) throws IOException {
    return closeAfter(new RawPeer(socket.accept()));
  }

  @Test
  void theClientSaysHelloAndBecomesConnected() throws Exception {
    ServerSocket fake = listen(0);
    KmpClient client =
        client(clientConfig(fake.getLocalPort(), Role.ACTIVATOR, ACTIVATOR_POD).build(), events);
    RawPeer server = accept(fake);

    Hello hello = server.accept(5000);
    assertThat(hello)
        .isEqualTo(Hello.of(Role.ACTIVATOR, ACTIVATOR_POD, "127.0.0.1", 5000, 1 << 20, 65_536));
    eventually().until(client::isConnected);
    assertThat(client.state()).isEqualTo(KmpClient.State.CONNECTED);
    assertThat(events.connected).singleElement().extracting(Hello::role).isEqualTo(Role.AUTOSCALER);
  }

  @Test
  void theClientSendsHeartbeatsWhenItHasNothingElseToSay() throws Exception {
    ServerSocket fake = listen(0);
    client(
        clientConfig(fake.getLocalPort(), Role.QUEUE_PROXY, "qp")
            .heartbeatInterval(Duration.ofMillis(50))
            .build(),
        events);
    RawPeer server = accept(fake);
    server.accept(5000);
    assertThat(server.receive()).isEqualTo(Heartbeat.INSTANCE);
    assertThat(server.receive()).isEqualTo(Heartbeat.INSTANCE);
  }

  @Test
  void aServerThatNeverAnswersTimesOutTheHandshakeAndTheClientRetries() throws Exception {
    ServerSocket fake = listen(0);
    KmpClient client =
        client(
            clientConfig(fake.getLocalPort(), Role.QUEUE_PROXY, "qp")
                .handshakeTimeout(Duration.ofMillis(200))
                .build(),
            events);
    RawPeer mute = accept(fake);
    List<KmpMessage> received = mute.receiveUntilClosed();
    assertThat(received).first().isInstanceOf(Hello.class);
    assertThat(received)
        .last()
        .isEqualTo(ErrorMessage.of(ErrorMessage.TIMEOUT, "no HELLO within 200 ms"));

    RawPeer second = accept(fake); // the client came back
    second.accept(5000);
    eventually().until(client::isConnected);
    assertThat(client.reconnects()).isGreaterThanOrEqualTo(1);
    assertThat(events.disconnected).isEmpty(); // it had never been connected
  }

  @Test
  void aSilentServerIsGivenUpAfterTheIdleTimeout() throws Exception {
    ServerSocket fake = listen(0);
    KmpClient client =
        client(
            clientConfig(fake.getLocalPort(), Role.QUEUE_PROXY, "qp")
                .heartbeatInterval(Duration.ofMillis(50))
                .idleTimeout(Duration.ofMillis(300))
                .build(),
            events);
    RawPeer silent = accept(fake);
    silent.accept(50); // promises heartbeats every 50 ms, sends none

    List<KmpMessage> received = silent.receiveUntilClosed();
    assertThat(received)
        .last()
        .extracting(m -> ((ErrorMessage) m).code())
        .isEqualTo(ErrorMessage.TIMEOUT);
    eventually().until(() -> events.disconnected.contains(CloseReason.IDLE_TIMEOUT));
    accept(fake).accept(5000);
    eventually().until(client::isConnected);
  }

  @Test
  void aServerOfAnotherMajorIsRefused() throws Exception {
    ServerSocket fake = listen(0);
    client(clientConfig(fake.getLocalPort(), Role.QUEUE_PROXY, "qp").build(), events);
    RawPeer server = accept(fake);
    server.receive(); // the client's HELLO
    server.send(new Hello(3, 0, Role.AUTOSCALER, "future", "", 5000, 1 << 20, 100));

    List<KmpMessage> received = server.receiveUntilClosed();
    assertThat(received)
        .last()
        .isEqualTo(
            ErrorMessage.of(
                ErrorMessage.UNSUPPORTED_VERSION,
                "unsupported KMP version 3.0 (this side speaks 1.0)"));
  }

  @Test
  void whileTheConnectionCannotTakeMoreTheNewestBatchReplacesThePendingOne() throws Exception {
    ServerSocket fake = listen(4096);
    int highWaterMark = 2048;
    KmpClient client =
        client(
            clientConfig(fake.getLocalPort(), Role.ACTIVATOR, ACTIVATOR_POD)
                .writeBufferWaterMarks(1024, highWaterMark)
                .build(),
            events);
    RawPeer server = accept(fake);
    server.accept(60_000);
    eventually().until(client::isConnected);

    // The fake server reads nothing: big batches fill the socket buffers until the client's
    // channel stays unwritable.
    AtomicLong filler = new AtomicLong();
    eventually()
        .until(
            () -> {
              client.send(batch(20_000, 100, filler.incrementAndGet()));
              Channel channel = client.channel();
              return !channel.isWritable();
            });

    long replacedBefore = client.replacedBatches();
    for (int i = 1; i <= 1000; i++) {
      client.send(StatBatch.of(KmpTesting.stat(KmpTesting.HELLO, ACTIVATOR_POD, T0 + i, i, i)));
    }
    // Nothing queued up: Netty holds at most the batch that made it unwritable.
    long pendingBytes = client.channel().unsafe().outboundBuffer().totalPendingWriteBytes();
    assertThat(pendingBytes).isLessThan(highWaterMark + 1_000_000L);

    // The server reads again: what was in flight, then the newest batch.
    List<Long> markers = new ArrayList<>();
    while (!markers.contains(T0 + 1000)) {
      KmpMessage message = server.receive();
      if (message instanceof StatBatch) {
        long ts = ((StatBatch) message).stats().get(0).timestampMillis();
        if (ts >= T0) {
          markers.add(ts);
        }
      }
    }
    // Each of the 1000 batches was either replaced or written (a kernel buffer that grows may
    // take a few); the one pending filler batch may have been replaced too.
    long replaced = client.replacedBatches() - replacedBefore;
    assertThat(markers).hasSizeLessThan(50).endsWith(T0 + 1000);
    assertThat(replaced + markers.size()).isBetween(1000L, 1001L);
  }

  @Test
  void anUnreachableServerIsLoggedOncePerInterval() {
    int port;
    try (ServerSocket closed = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      port = closed.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    try (LogCapture log = new LogCapture(KmpClient.class)) {
      KmpClient client =
          client(
              clientConfig(port, Role.QUEUE_PROXY, "qp")
                  .reconnectBackoff(new Backoff(Duration.ofMillis(5), Duration.ofMillis(5), 1, 0))
                  .logInterval(Duration.ofHours(1))
                  .build(),
              events);
      eventually().until(() -> client.reconnects() >= 10);
      assertThat(log.warnings("unreachable"))
          .singleElement()
          .asString()
          .contains("127.0.0.1:" + port);
      assertThat(client.state()).isNotEqualTo(KmpClient.State.CONNECTED);
    }
  }

  @Test
  void aClosedClientStopsReconnectingAndDropsWhatItIsGiven() {
    KmpClient client = client(clientConfig(1, Role.QUEUE_PROXY, "qp").build(), events);
    eventually().until(() -> client.reconnects() >= 1);
    client.send(batch(1, 1, T0));
    client.close();
    assertThat(client.state()).isEqualTo(KmpClient.State.CLOSED);
    long reconnects = client.reconnects();
    client.send(batch(1, 1, T0));
    assertThat(client.droppedBatches()).isEqualTo(2);
    assertThat(client.reconnects()).isEqualTo(reconnects);
  }
}
