package dev.knetty.activator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.knetty.common.kmp.Decision;
import dev.knetty.common.kmp.Decisions;
import dev.knetty.common.kmp.KmpPeer;
import dev.knetty.common.kmp.KmpServer;
import dev.knetty.common.kmp.KmpServerConfig;
import dev.knetty.common.kmp.KmpServerListener;
import dev.knetty.common.kmp.Role;
import dev.knetty.common.kmp.Stat;
import dev.knetty.common.kmp.StatBatch;
import dev.knetty.common.net.Transport;
import java.net.ServerSocket;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/** The activator and an autoscaler's KMP server: stats out, decisions in, health. */
class ActivatorKmpTest extends ActivatorTestSupport {

  private final BlockingQueue<Stat> stats = new LinkedBlockingQueue<>();
  private final AtomicReference<KmpPeer> peer = new AtomicReference<>();

  private KmpServer kmpServer() {
    KmpServer server =
        KmpServer.start(
            KmpServerConfig.builder("autoscaler", "").host("127.0.0.1").port(0).build(),
            Transport.fromEnvironment(),
            group,
            group,
            new KmpServerListener() {
              @Override
              public void onConnect(KmpPeer p) {
                if (p.hello().role() == Role.ACTIVATOR) {
                  peer.set(p);
                }
              }

              @Override
              public void onStats(KmpPeer p, StatBatch batch) {
                stats.addAll(batch.stats());
              }
            });
    closeables.add(server);
    return server;
  }

  private ActivatorConfig.Builder withAutoscaler(int port) {
    return config().autoscaler("127.0.0.1", port).podName("activator-test").podIp("10.1.0.7");
  }

  @Test
  void theFirstRequestToAnIdleRevisionReachesTheAutoscalerBeforeAnyTick() throws Exception {
    KmpServer server = kmpServer();
    // The reporting tick is an hour away: any stat that arrives is the immediate one.
    start(withAutoscaler(server.localAddress().getPort()));
    revision(HELLO, 1);
    await().atMost(WAIT).until(activator::isReady);

    CompletableFuture<HttpResponse<String>> waiting = get(HELLO, "/");

    Stat stat = stats.poll(WAIT.toSeconds(), TimeUnit.SECONDS);
    assertThat(stat).isNotNull();
    assertThat(stat.revision()).isEqualTo(HELLO);
    assertThat(stat.podName()).isEqualTo("activator-test");
    assertThat(stat.averageConcurrency()).isEqualTo(1.0);
    assertThat(stat.requestCount()).isEqualTo(1.0);
    assertThat(stat.averageProxiedConcurrency()).isZero();
    assertThat(waiting).as("the request still waits for a pod").isNotDone();
    assertThat(peer.get().hello().podIp()).isEqualTo("10.1.0.7");
    assertThat(
            activator
                .meterRegistry()
                .get("knetty.activator.scale.from.zero.signals")
                .counter()
                .count())
        .isEqualTo(1);

    FakePod pod = pod();
    endpoints(HELLO, pod);
    assertThat(join(waiting).statusCode()).isEqualTo(200);
  }

  @Test
  void statsFlowEveryTick() throws Exception {
    KmpServer server = kmpServer();
    activator =
        Activator.builder(
                withAutoscaler(server.localAddress().getPort())
                    .reportingPeriod(java.time.Duration.ofMillis(50))
                    .build())
            .endpointSource(source)
            .build();
    activator.start();
    revision(HELLO, 0);
    FakePod pod = pod();
    endpoints(HELLO, pod);
    await().atMost(WAIT).until(activator::isReady);

    assertThat(join(get(HELLO, "/")).statusCode()).isEqualTo(200);

    // The immediate stat, then per-tick stats of the revision (until it is idle and forgotten).
    Stat first = stats.poll(WAIT.toSeconds(), TimeUnit.SECONDS);
    assertThat(first.averageConcurrency()).isEqualTo(1.0);
    Stat tick = stats.poll(WAIT.toSeconds(), TimeUnit.SECONDS);
    assertThat(tick).isNotNull();
    assertThat(tick.revision()).isEqualTo(HELLO);
  }

  @Test
  void healthFollowsTheKmpConnection() throws Exception {
    int port;
    try (ServerSocket free = new ServerSocket(0)) {
      port = free.getLocalPort();
    }
    start(withAutoscaler(port));

    Raw down = raw("GET / HTTP/1.1\r\nHost: x\r\nUser-Agent: kube-probe/1.30");
    assertThat(down.status()).isEqualTo(500);
    assertThat(down.body()).isEqualTo("connection has not yet been established\n");
    assertThat(activator.isReady()).isFalse();
  }

  @Test
  void decisionsSelectThisActivatorsPodsAndContainerConcurrency() {
    KmpServer server = kmpServer();
    start(withAutoscaler(server.localAddress().getPort()));
    revision(HELLO, 0);
    FakePod[] pods = {pod(), pod(), pod()};
    endpoints(HELLO, pods);
    awaitHealthy(HELLO, 3);
    await().atMost(WAIT).until(() -> peer.get() != null);
    List<FakePod> sorted =
        java.util.Arrays.stream(pods)
            .sorted(java.util.Comparator.comparing(FakePod::dest))
            .toList();

    // Three activators front the revision; this one is index 1 of them: it gets the middle pod.
    peer.get().send(Decisions.of(new Decision(HELLO, 3, -5, 3, 1, 2)));
    await().atMost(WAIT).until(() -> activator.revision(HELLO).throttler.assignedPods() == 1);

    assertThat(activator.revision(HELLO).throttler.assignedTargets())
        .containsExactly(sorted.get(1).target());
    assertThat(activator.revision(HELLO).throttler.capacity()).isEqualTo(2);
    assertThat(activator.revision(HELLO).throttler.containerConcurrency()).isEqualTo(2);
    for (int i = 0; i < 3; i++) {
      assertThat(join(get(HELLO, "/")).body()).startsWith("pod " + sorted.get(1).port());
    }
    assertThat(
            activator
                .meterRegistry()
                .get("knetty.activator.revision.desired.pods")
                .tag("revision", "hello")
                .gauge()
                .value())
        .isEqualTo(3);

    // The autoscaler forgets the revision: all pods, the source's containerConcurrency.
    peer.get().send(new Decisions(List.of(), List.of(HELLO)));
    await().atMost(WAIT).until(() -> activator.revision(HELLO).throttler.assignedPods() == 3);
    assertThat(activator.revision(HELLO).throttler.containerConcurrency()).isZero();
  }
}
