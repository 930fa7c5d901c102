package dev.knetty.common.kmp;

import static org.awaitility.Awaitility.await;

import dev.knetty.common.net.Transport;
import io.netty.channel.EventLoopGroup;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.awaitility.core.ConditionFactory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;

/** Real loopback sockets: one event-loop group per test, everything closed after it. */
abstract class KmpNetworkTest {

  static final Transport TRANSPORT = Transport.fromEnvironment();

  EventLoopGroup group;
  private final Deque<AutoCloseable> resources = new ArrayDeque<>();

  @BeforeEach
  void startGroup() {
    group = TRANSPORT.newEventLoopGroup(2, "kmp-test");
  }

  @AfterEach
  void closeEverything() throws Exception {
    while (!resources.isEmpty()) {
      resources.pop().close();
    }
    group.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
  }

  <T extends AutoCloseable> T closeAfter(T resource) {
    resources.push(resource);
    return resource;
  }

  static ConditionFactory eventually() {
    return await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(10));
  }

  static KmpServerConfig.Builder serverConfig() {
    return KmpServerConfig.builder(KmpTesting.AUTOSCALER_POD, "127.0.0.1")
        .host("127.0.0.1")
        .port(0);
  }

  static KmpClientConfig.Builder clientConfig(int port, Role role, String pod) {
    return KmpClientConfig.builder("127.0.0.1", port, role, pod, "127.0.0.1")
        .reconnectBackoff(new Backoff(Duration.ofMillis(10), Duration.ofMillis(200), 2, 0.5));
  }

  KmpServer server(KmpServerConfig config, KmpServerListener listener) {
    return closeAfter(KmpServer.start(config, TRANSPORT, group, group, listener));
  }

  KmpClient client(KmpClientConfig config, KmpClientListener listener) {
    return closeAfter(KmpClient.start(config, TRANSPORT, group, listener));
  }

  RawPeer rawClient(InetSocketAddress server, int receiveBuffer) {
    return closeAfter(RawPeer.connect(server, receiveBuffer));
  }

  /** Records what a server reports. */
  static final class ServerEvents implements KmpServerListener {
    final List<KmpPeer> connected = new CopyOnWriteArrayList<>();
    final BlockingQueue<StatBatch> batches = new LinkedBlockingQueue<>();
    final Map<String, CloseReason> disconnected = new ConcurrentHashMap<>();

    @Override
    public void onConnect(KmpPeer peer) {
      connected.add(peer);
    }

    @Override
    public void onStats(KmpPeer peer, StatBatch batch) {
      batches.add(batch);
    }

    @Override
    public void onDisconnect(KmpPeer peer, CloseReason reason) {
      disconnected.put(peer.hello().podName(), reason);
    }

    KmpPeer peer(String podName) {
      return connected.stream()
          .filter(p -> p.hello().podName().equals(podName) && p.isActive())
          .findFirst()
          .orElse(null);
    }
  }

  /** Records what a client reports. */
  static final class ClientEvents implements KmpClientListener {
    final BlockingQueue<Decisions> decisions = new LinkedBlockingQueue<>();
    final List<Hello> connected = new CopyOnWriteArrayList<>();
    final List<CloseReason> disconnected = new CopyOnWriteArrayList<>();

    @Override
    public void onDecisions(Decisions received) {
      decisions.add(received);
    }

    @Override
    public void onConnected(Hello server) {
      connected.add(server);
    }

    @Override
    public void onDisconnected(CloseReason reason) {
      disconnected.add(reason);
    }
  }
}
