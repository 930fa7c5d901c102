package dev.knetty.common.kmp;

import static dev.knetty.common.kmp.KmpTesting.QP_POD;
import static dev.knetty.common.kmp.KmpTesting.T0;
import static dev.knetty.common.kmp.KmpTesting.batch;
import static dev.knetty.common.kmp.KmpTesting.hello;
import static org.assertj.core.api.Assertions.assertThat;

import dev.knetty.common.RevisionKey;
import io.netty.buffer.ByteBufUtil;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** The server against clients that misbehave, over loopback; each is closed and counted. */
class KmpServerTest extends KmpNetworkTest {

  private final ServerEvents events = new ServerEvents();

  private static ErrorMessage lastError(List<KmpMessage> messages) {
    assertThat(messages).last().isInstanceOf(ErrorMessage.class);
    return (ErrorMessage) messages.get(messages.size() - 1);
  }

  @Test
  void helloIsAnsweredWithTheServersHello() throws Exception {
    KmpServer server = server(serverConfig().build(), events);
    RawPeer client = rawClient(server.localAddress(), 0);
    Hello reply = client.handshake(hello(Role.QUEUE_PROXY, QP_POD, "10.0.0.7"));
    assertThat(reply.role()).isEqualTo(Role.AUTOSCALER);
    assertThat(reply.podName()).isEqualTo(KmpTesting.AUTOSCALER_POD);
    assertThat(reply.version()).isEqualTo("1.0");
    eventually().until(() -> events.peer(QP_POD) != null);
    assertThat(events.peer(QP_POD).hello().podIp()).isEqualTo("10.0.0.7");
  }

  @Test
  void aClientOfANewerMinorIsUnderstood() throws Exception {
    KmpServer server = server(serverConfig().build(), events);
    RawPeer client = rawClient(server.localAddress(), 0);
    // A 1.3 HELLO with extra fields, an unknown frame type, and a STATS frame with an unknown
    // record, an unknown stat field and trailing fields.
    client.sendBytes(KmpTesting.vector("newer-minor"));

    assertThat(client.receive()).isInstanceOf(Hello.class);
    StatBatch batch = events.batches.poll(30, TimeUnit.SECONDS);
    assertThat(batch).isEqualTo(KmpTesting.decode(KmpTesting.vector("newer-minor-as-1.0")).get(1));
    assertThat(events.peer(KmpTesting.ACTIVATOR_POD).hello().minor()).isEqualTo(3);
    assertThat(server.activeConnections()).isEqualTo(1);
  }

  @Test
  void aDifferentMajorIsRefusedWithAnErrorNamingBothVersions() {
    KmpServer server = server(serverConfig().build(), events);
    RawPeer client = rawClient(server.localAddress(), 0);
    client.send(new Hello(2, 1, Role.QUEUE_PROXY, QP_POD, "", 5000, 1 << 20, 100));

    ErrorMessage error = lastError(client.receiveUntilClosed());
    assertThat(error.code()).isEqualTo(ErrorMessage.UNSUPPORTED_VERSION);
    assertThat(error.text()).isEqualTo("unsupported KMP version 2.1 (this side speaks 1.0)");
    assertThat(error.major()).isEqualTo(1);
    eventually().until(() -> server.closedConnections(CloseReason.UNSUPPORTED_VERSION) == 1);
    assertThat(events.connected).isEmpty();
  }

  @Test
  void badMagicClosesWithOneLogLineNamingThePeer() {
    try (LogCapture log = new LogCapture(KmpServer.class)) {
      KmpServer server = server(serverConfig().build(), events);
      RawPeer client = rawClient(server.localAddress(), 0);
      client.sendBytes("GET / HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII));

      assertThat(lastError(client.receiveUntilClosed()).code()).isEqualTo(ErrorMessage.BAD_MAGIC);
      eventually().until(() -> server.closedConnections(CloseReason.BAD_MAGIC) == 1);
      assertThat(log.warnings("BAD_MAGIC"))
          .singleElement()
          .asString()
          .contains(String.valueOf(client.localPort()))
          .contains("not a KMP peer");
    }
  }

  @Test
  void anOversizedFrameClosesWithOneLogLine() throws Exception {
    try (LogCapture log = new LogCapture(KmpServer.class)) {
      KmpServer server = server(serverConfig().maxFrameLength(64 * 1024).build(), events);
      RawPeer client = rawClient(server.localAddress(), 0);
      client.handshake(hello(Role.QUEUE_PROXY, QP_POD, ""));
      client.sendBytes(ByteBufUtil.decodeHexDump("7fffffff" + "10"));

      ErrorMessage error = lastError(client.receiveUntilClosed());
      assertThat(error.code()).isEqualTo(ErrorMessage.FRAME_TOO_LARGE);
      assertThat(error.text())
          .isEqualTo("frame of 2147483651 bytes exceeds the limit of 65536 bytes");
      eventually().until(() -> server.closedConnections(CloseReason.FRAME_TOO_LARGE) == 1);
      assertThat(log.warnings("FRAME_TOO_LARGE"))
          .singleElement()
          .asString()
          .contains(String.valueOf(client.localPort()));
      assertThat(events.disconnected).containsEntry(QP_POD, CloseReason.FRAME_TOO_LARGE);
    }
  }

  @Test
  void statsBeforeHelloAreRejected() {
    KmpServer server = server(serverConfig().build(), events);
    RawPeer client = rawClient(server.localAddress(), 0);
    client.send(batch(3, 1, T0));

    ErrorMessage error = lastError(client.receiveUntilClosed());
    assertThat(error.code()).isEqualTo(ErrorMessage.PROTOCOL_ERROR);
    assertThat(error.text()).isEqualTo("first frame is STATS, not HELLO");
    eventually().until(() -> server.closedConnections(CloseReason.PROTOCOL_ERROR) == 1);
    assertThat(events.batches).isEmpty();
  }

  @Test
  void anUnknownDictionaryIdClosesTheConnection() throws Exception {
    KmpServer server = server(serverConfig().build(), events);
    RawPeer client = rawClient(server.localAddress(), 0);
    client.handshake(hello(Role.QUEUE_PROXY, QP_POD, ""));
    // STATS, base 0, one STAT record referring to revision id 0, which was never defined.
    client.sendBytes(
        ByteBufUtil.decodeHexDump(
            "00000013" + "10" + "0000000000000000" + "00000001" + "10" + "04" + "00000000"));

    ErrorMessage error = lastError(client.receiveUntilClosed());
    assertThat(error.code()).isEqualTo(ErrorMessage.PROTOCOL_ERROR);
    assertThat(error.text()).isEqualTo("unknown revision id 0");
    eventually().until(() -> server.closedConnections(CloseReason.PROTOCOL_ERROR) == 1);
    assertThat(events.batches).isEmpty();
  }

  @Test
  void garbageAfterTheHandshakeClosesOnlyThatConnection() throws Exception {
    KmpServer server = server(serverConfig().build(), events);
    RawPeer good = rawClient(server.localAddress(), 0);
    good.handshake(hello(Role.QUEUE_PROXY, "good-pod", ""));
    Random random = new Random(7);
    for (int i = 0; i < 20; i++) {
      RawPeer bad = rawClient(server.localAddress(), 0);
      bad.handshake(hello(Role.QUEUE_PROXY, "bad-pod-" + i, ""));
      byte[] garbage = new byte[64 + random.nextInt(512)];
      random.nextBytes(garbage);
      bad.sendBytes(garbage);
      bad.receiveUntilClosed();
    }
    eventually().until(() -> server.activeConnections() == 1);
    good.send(batch(1, 1, T0));
    assertThat(events.batches.poll(30, TimeUnit.SECONDS)).isEqualTo(batch(1, 1, T0));
  }

  @Test
  void aClientWithoutHelloIsClosedAfterTheHandshakeTimeout() {
    KmpServer server =
        server(serverConfig().handshakeTimeout(Duration.ofMillis(200)).build(), events);
    RawPeer client = rawClient(server.localAddress(), 0);

    ErrorMessage error = lastError(client.receiveUntilClosed());
    assertThat(error.code()).isEqualTo(ErrorMessage.TIMEOUT);
    assertThat(error.text()).isEqualTo("no HELLO within 200 ms");
    eventually().until(() -> server.closedConnections(CloseReason.HANDSHAKE_TIMEOUT) == 1);
  }

  @Test
  void theServerSendsHeartbeatsWhenItHasNothingElseToSay() throws Exception {
    KmpServer server =
        server(serverConfig().heartbeatInterval(Duration.ofMillis(50)).build(), events);
    RawPeer client = rawClient(server.localAddress(), 0);
    client.handshake(hello(Role.QUEUE_PROXY, QP_POD, ""));
    assertThat(client.receive()).isEqualTo(Heartbeat.INSTANCE);
    assertThat(client.receive()).isEqualTo(Heartbeat.INSTANCE);
  }

  @Test
  void aSilentClientIsClosedAfterTheIdleTimeout() throws Exception {
    KmpServer server =
        server(
            serverConfig()
                .heartbeatInterval(Duration.ofMillis(100))
                .idleTimeout(Duration.ofMillis(400))
                .build(),
            events);
    RawPeer client = rawClient(server.localAddress(), 0);
    // Promises a heartbeat every 100 ms, then says nothing.
    client.handshake(Hello.of(Role.QUEUE_PROXY, QP_POD, "", 100, 1 << 20, 100));

    ErrorMessage error = lastError(client.receiveUntilClosed());
    assertThat(error.code()).isEqualTo(ErrorMessage.TIMEOUT);
    eventually().until(() -> server.closedConnections(CloseReason.IDLE_TIMEOUT) == 1);
    assertThat(events.disconnected).containsEntry(QP_POD, CloseReason.IDLE_TIMEOUT);
  }

  @Test
  void aSlowReaderIsClosedWithoutAffectingAnotherClient() throws Exception {
    KmpServer server =
        server(
            serverConfig()
                .slowReaderTimeout(Duration.ofMillis(300))
                .writeBufferWaterMarks(8 * 1024, 16 * 1024)
                .build(),
            events);
    ClientEvents goodEvents = new ClientEvents();
    KmpClient good =
        client(
            clientConfig(server.localAddress().getPort(), Role.ACTIVATOR, "good-activator").build(),
            goodEvents);
    RawPeer slow = rawClient(server.localAddress(), 4096);
    // A dictionary of one entry: every decision carries a definition, so buffers fill fast.
    slow.handshake(Hello.of(Role.ACTIVATOR, "slow-activator", "", 5000, 1 << 20, 1));
    eventually().until(() -> events.peer("slow-activator") != null && good.isConnected());
    KmpPeer slowPeer = events.peer("slow-activator");

    // The slow one reads nothing more: the server's buffers fill, then the timer closes it.
    AtomicInteger round = new AtomicInteger();
    eventually()
        .until(
            () -> {
              slowPeer.send(manyDecisions(20_000, round.incrementAndGet()));
              return server.closedConnections(CloseReason.SLOW_READER) == 1;
            });
    assertThat(events.disconnected).containsEntry("slow-activator", CloseReason.SLOW_READER);

    // The other client noticed nothing.
    KmpPeer goodPeer = events.peer("good-activator");
    Decisions marker = Decisions.of(new Decision(KmpTesting.HELLO, 7, 0, 2, 0, 10));
    goodPeer.send(marker);
    eventually().until(() -> goodEvents.decisions.contains(marker));
    good.send(batch(2, 2, T0));
    eventually().until(() -> events.batches.contains(batch(2, 2, T0)));
    assertThat(good.reconnects()).isZero();
    assertThat(goodEvents.disconnected).isEmpty();
  }

  @Test
  void whileAClientDoesNotReadTheLatestDecisionPerRevisionWins() throws Exception {
    KmpServer server =
        server(
            serverConfig()
                .slowReaderTimeout(Duration.ofMinutes(1))
                .writeBufferWaterMarks(1024, 2048)
                .build(),
            events);
    RawPeer client = rawClient(server.localAddress(), 4096);
    client.handshake(Hello.of(Role.ACTIVATOR, "activator", "", 60_000, 1 << 20, 1));
    eventually().until(() -> events.peer("activator") != null);
    ServerConnection peer = (ServerConnection) events.peer("activator");

    // Fill the buffers until the connection stays unwritable.
    AtomicInteger round = new AtomicInteger();
    eventually()
        .until(
            () -> {
              peer.send(manyDecisions(2_000, round.incrementAndGet()));
              return !peer.ctx.channel().isWritable();
            });
    for (int i = 1; i <= 1000; i++) {
      peer.send(Decisions.of(new Decision(KmpTesting.HELLO, i, 0, 2, 0, 10)));
    }
    peer.send(Decisions.of(new Decision(KmpTesting.WORLD, 1, 0, 2, 0, 10)));
    peer.send(new Decisions(List.of(), List.of(KmpTesting.WORLD)));

    // The client reads again: what was in flight, then the latest entry per revision.
    List<Integer> helloScales = new ArrayList<>();
    List<KmpMessage> worldNews = new ArrayList<>();
    while (!helloScales.contains(1000)) {
      KmpMessage message = client.receive();
      if (message instanceof Decisions) {
        Decisions decisions = (Decisions) message;
        for (Decision decision : decisions.decisions()) {
          if (decision.revision().equals(KmpTesting.HELLO)) {
            helloScales.add(decision.desiredScale());
          } else if (decision.revision().equals(KmpTesting.WORLD)) {
            worldNews.add(decisions);
          }
        }
        if (decisions.removed().contains(KmpTesting.WORLD)) {
          worldNews.add(decisions);
        }
      }
    }
    // A kernel buffer that grows may take a few of them; the rest were replaced while pending.
    assertThat(helloScales).hasSizeLessThan(50).endsWith(1000);
    assertThat(worldNews)
        .last()
        .extracting(m -> ((Decisions) m).removed())
        .isEqualTo(List.of(KmpTesting.WORLD));
  }

  @Test
  void connectionsBeyondTheLimitAreRefused() throws Exception {
    KmpServer server = server(serverConfig().maxConnections(1).build(), events);
    RawPeer first = rawClient(server.localAddress(), 0);
    first.handshake(hello(Role.QUEUE_PROXY, "first", ""));
    RawPeer second = rawClient(server.localAddress(), 0);

    assertThat(lastError(second.receiveUntilClosed()).code()).isEqualTo(ErrorMessage.OVERLOADED);
    eventually().until(() -> server.closedConnections(CloseReason.TOO_MANY_CONNECTIONS) == 1);
    assertThat(server.activeConnections()).isEqualTo(1);
  }

  @Test
  void aListenerThatThrowsDoesNotCloseTheConnection() throws Exception {
    List<StatBatch> received = new ArrayList<>();
    KmpServer server =
        server(
            serverConfig().build(),
            (peer, batch) -> {
              received.add(batch);
              throw new IllegalStateException("listener bug");
            });
    RawPeer client = rawClient(server.localAddress(), 0);
    client.handshake(hello(Role.QUEUE_PROXY, QP_POD, ""));
    client.send(batch(1, 1, T0));
    client.send(batch(1, 1, T0 + 1));
    eventually().until(() -> server.receivedBatches() == 2);
    assertThat(server.activeConnections()).isEqualTo(1);
  }

  @Test
  void closingTheServerTellsClientsItIsGoingAway() throws Exception {
    KmpServer server = server(serverConfig().build(), events);
    RawPeer client = rawClient(server.localAddress(), 0);
    client.handshake(hello(Role.QUEUE_PROXY, QP_POD, ""));
    eventually().until(() -> events.peer(QP_POD) != null);

    server.close();
    assertThat(lastError(client.receiveUntilClosed()).code()).isEqualTo(ErrorMessage.GOING_AWAY);
    eventually().until(() -> server.closedConnections(CloseReason.LOCAL_CLOSE) == 1);
  }

  private static Decisions manyDecisions(int n, int desired) {
    List<Decision> decisions = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      String name = String.format("revision-with-a-long-name-to-fill-buffers-%020d", i);
      decisions.add(new Decision(new RevisionKey("default", name), desired, -1, 2, 1, 10));
    }
    return new Decisions(decisions, List.of());
  }
}
