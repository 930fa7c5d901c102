package dev.knetty.autoscaler.server;

import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.knetty.autoscaler.ManualScheduler;
import dev.knetty.autoscaler.Scaler;
import dev.knetty.common.RevisionKey;
import dev.knetty.common.kmp.CloseReason;
import dev.knetty.common.kmp.Decision;
import dev.knetty.common.kmp.Decisions;
import dev.knetty.common.kmp.KmpClient;
import dev.knetty.common.kmp.KmpClientConfig;
import dev.knetty.common.kmp.KmpClientListener;
import dev.knetty.common.kmp.Role;
import dev.knetty.common.kmp.Stat;
import dev.knetty.common.kmp.StatBatch;
import dev.knetty.common.metrics.ProcessMetrics;
import dev.knetty.common.net.Transport;
import io.netty.channel.EventLoopGroup;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.UnaryOperator;

/**
 * An autoscaler server on loopback with a manual scheduler and clock (nothing is evaluated until
 * the test runs the scheduler), a revision source the test drives, real KMP clients and an HTTP
 * client. Close it after each test.
 */
final class ServerFixture implements AutoCloseable {

  static final long S = 1_000_000_000L;
  static final long T0 = 1_700_000_000L * S;
  static final Duration WAIT = Duration.ofSeconds(30);
  static final ObjectMapper JSON = new ObjectMapper();

  final ManualScheduler sched = new ManualScheduler(T0);
  final TestSource source = new TestSource();
  final ProcessMetrics metrics = ProcessMetrics.create();
  final Transport transport = Transport.select(Transport.Kind.AUTO);
  final EventLoopGroup clientGroup = transport.newEventLoopGroup(1, "test-kmp-client");
  final HttpClient http = HttpClient.newBuilder().connectTimeout(WAIT).build();
  private final List<KmpClient> clients = new ArrayList<>();
  AutoscalerServer server;

  /** Starts a server with {@code scaler}, or the advisory scaler when null. */
  AutoscalerServer start(Scaler scaler) {
    return start(scaler, b -> b);
  }

  /** {@link #start(Scaler)} with more settings of the builder. */
  AutoscalerServer start(Scaler scaler, UnaryOperator<AutoscalerServer.Builder> more) {
    AutoscalerServer.Builder b =
        AutoscalerServer.builder(
                AutoscalerServerConfig.builder()
                    .host("127.0.0.1")
                    .kmpPort(0)
                    .adminPort(0)
                    .metricsPort(0)
                    .eventLoopThreads(1)
                    .podName("autoscaler-test")
                    .build())
            .revisionSource(source)
            .metrics(metrics)
            .scheduler(sched, sched)
            .transport(transport);
    if (scaler != null) {
      b.scaler(scaler);
    }
    server = more.apply(b).build();
    server.start();
    return server;
  }

  /** A connected KMP client. */
  Client client(Role role, String pod, String ip) {
    Client events = new Client();
    KmpClient client =
        KmpClient.start(
            KmpClientConfig.builder("127.0.0.1", server.kmpPort(), role, pod, ip).build(),
            transport,
            clientGroup,
            events);
    clients.add(client);
    events.client = client;
    await().atMost(WAIT).until(client::isConnected);
    return events;
  }

  /** A stat of {@code concurrency} (and as many requests per second). */
  static StatBatch stat(RevisionKey key, String pod, double concurrency) {
    return StatBatch.of(new Stat(key, pod, 1, concurrency, 0, concurrency, 0, 10));
  }

  /** {@code client} reports {@code concurrency} for {@code key}; returns once the server has it. */
  void report(Client client, RevisionKey key, String pod, double concurrency) {
    long before = server.receivedStats();
    client.client.send(stat(key, pod, concurrency));
    await().atMost(WAIT).until(() -> server.receivedStats() > before);
  }

  /** Runs what is due on the scheduler (never advancing its clock) until {@code done}. */
  void pumpUntil(BooleanSupplier done) {
    await()
        .atMost(WAIT)
        .pollInterval(Duration.ofMillis(10))
        .until(
            () -> {
              sched.runDue();
              return done.getAsBoolean();
            });
  }

  HttpResponse<String> get(int port, String path) throws Exception {
    return http.send(
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).timeout(WAIT).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  JsonNode json(String path) throws Exception {
    HttpResponse<String> r = get(server.adminPort(), path);
    if (r.statusCode() != 200) {
      throw new AssertionError(path + ": " + r.statusCode() + " " + r.body());
    }
    return JSON.readTree(r.body());
  }

  String scrape() throws Exception {
    return get(server.metricsPort(), "/metrics").body();
  }

  double counter(String name, String... tags) {
    return metrics.registry().get(name).tags(tags).counter().count();
  }

  double closed(String reason) {
    return metrics
        .registry()
        .get("knetty.autoscaler.kmp.closed")
        .tags("reason", reason)
        .functionCounter()
        .count();
  }

  @Override
  public void close() {
    clients.forEach(KmpClient::close);
    if (server != null) {
      server.close();
    }
    clientGroup.shutdownGracefully(0, 5, TimeUnit.SECONDS).syncUninterruptibly();
    metrics.close();
  }

  /** A revision source the test drives. */
  static final class TestSource implements RevisionSource {
    volatile Listener listener;
    volatile boolean synced = true;

    @Override
    public void start(Listener listener) {
      this.listener = listener;
    }

    @Override
    public boolean synced() {
      return synced;
    }

    @Override
    public void close() {}

    void upsert(RevisionKey key, int containerConcurrency, Map<String, String> annotations) {
      listener.upsert(RevisionSpec.of(key, containerConcurrency, annotations));
    }

    void remove(RevisionKey key) {
      listener.remove(key);
    }
  }

  /** What a KMP client received: every message, and the resulting decision per revision. */
  static final class Client implements KmpClientListener {
    KmpClient client;
    final BlockingQueue<Decisions> received = new LinkedBlockingQueue<>();
    final Map<RevisionKey, Decision> state = new ConcurrentHashMap<>();
    final List<RevisionKey> removals = new CopyOnWriteArrayList<>();
    final List<CloseReason> disconnects = new CopyOnWriteArrayList<>();

    @Override
    public void onDecisions(Decisions decisions) {
      received.add(decisions);
      decisions.decisions().forEach(d -> state.put(d.revision(), d));
      decisions
          .removed()
          .forEach(
              k -> {
                state.remove(k);
                removals.add(k);
              });
    }

    @Override
    public void onDisconnected(CloseReason reason) {
      disconnects.add(reason);
    }

    Decision decision(RevisionKey key) {
      return state.get(key);
    }
  }
}
