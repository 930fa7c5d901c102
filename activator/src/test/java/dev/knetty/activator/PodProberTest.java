package dev.knetty.activator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.knetty.activator.endpoints.PodEndpoint;
import dev.knetty.common.RevisionKey;
import dev.knetty.common.net.Transport;
import dev.knetty.common.proxy.UpstreamTarget;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Knative's revision watcher (§2.4) against real sockets. */
class PodProberTest {

  private static final Duration WAIT = Duration.ofSeconds(60);
  private static final RevisionKey REV = RevisionKey.parse("default/hello");

  private final EventLoopGroup group = Transport.fromEnvironment().newEventLoopGroup(2, "test");
  private final EventLoop loop = group.next();
  private final Map<RevisionKey, List<UpstreamTarget>> healthy = new ConcurrentHashMap<>();
  private final Set<UpstreamTarget> removed = ConcurrentHashMap.newKeySet();
  private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
  private final Counter failures = registry.counter("failures");
  private final ProbeClient client =
      new ProbeClient(loop, Transport.fromEnvironment(), Duration.ofMillis(500));
  private final PodProber prober =
      new PodProber(
          loop,
          client,
          Duration.ofMillis(20),
          100,
          new PodProber.Listener() {
            @Override
            public void healthyPodsChanged(RevisionKey revision, List<UpstreamTarget> pods) {
              healthy.put(revision, pods);
            }

            @Override
            public void podRemoved(UpstreamTarget pod) {
              removed.add(pod);
            }
          },
          registry.counter("successes"),
          failures);
  private final List<FakePod> pods = new java.util.ArrayList<>();

  @AfterEach
  void tearDown() {
    run(prober::close);
    pods.forEach(FakePod::close);
    group.shutdownGracefully(0, 5, TimeUnit.SECONDS).syncUninterruptibly();
  }

  private <T> T onLoop(Callable<T> task) {
    return loop.submit(task).syncUninterruptibly().getNow();
  }

  private void run(Runnable task) {
    loop.submit(task).syncUninterruptibly();
  }

  private FakePod pod() {
    FakePod pod = new FakePod(group);
    pods.add(pod);
    return pod;
  }

  private void update(PodEndpoint... endpoints) {
    run(() -> prober.update(REV, List.of(endpoints)));
  }

  private List<UpstreamTarget> healthy() {
    return healthy.getOrDefault(REV, List.of());
  }

  private boolean probing() {
    return onLoop(() -> prober.probing(REV));
  }

  @Test
  void probesAreKnativesQueueProbe() throws Exception {
    FakePod pod = pod();
    update(PodEndpoint.notReady("127.0.0.1", pod.port()));

    FakePod.Seen probe = pod.probeRequests.poll(WAIT.toSeconds(), TimeUnit.SECONDS);

    assertThat(probe.method()).isEqualTo("GET");
    assertThat(probe.uri()).isEqualTo("/healthz");
    assertThat(probe.headers().get("K-Network-Probe")).isEqualTo("queue");
    assertThat(probe.headers().get("User-Agent")).isEqualTo("Knative-Activator-Probe");
  }

  @Test
  void aPodIsHealthyOnceItAnswersWhateverItsReadyFlagAndProbingThenStops() {
    FakePod a = pod();
    FakePod b = pod();
    update(PodEndpoint.notReady("127.0.0.1", a.port()), PodEndpoint.ready("127.0.0.1", b.port()));

    await().atMost(WAIT).until(() -> healthy().size() == 2);
    await().atMost(WAIT).until(() -> !probing());

    // No tick is pending and none in flight: nothing will probe these pods again.
    assertThat(onLoop(prober::probesInFlight)).isZero();
    assertThat(onLoop(client::connections)).as("probe connections are let go").isZero();
    assertThat(healthy())
        .containsExactlyElementsOf(
            java.util.stream.Stream.of(a.target(), b.target())
                .sorted(java.util.Comparator.comparing(UpstreamTarget::authority))
                .toList());
  }

  @Test
  void aPodIsProbedUntilItAnswersAndProbesReuseTheirConnection() {
    FakePod pod = pod();
    pod.healthy.set(false);
    update(PodEndpoint.notReady("127.0.0.1", pod.port()));
    await().atMost(WAIT).until(() -> pod.probes.get() >= 3);
    assertThat(healthy()).isEmpty();
    assertThat(probing()).isTrue();

    pod.healthy.set(true);

    await().atMost(WAIT).until(() -> healthy().size() == 1);
  }

  @Test
  void aWrongProbeBodyIsNotHealthy() {
    FakePod pod = pod();
    pod.probeBody.set("ok");
    update(PodEndpoint.ready("127.0.0.1", pod.port()));
    await().atMost(WAIT).until(() -> pod.probes.get() >= 2);

    assertThat(healthy()).isEmpty();
    assertThat(failures.count()).isPositive();
  }

  @Test
  void aHangingPodDoesNotHoldBackTheOthers() throws Exception {
    try (ServerSocket hanging = new ServerSocket(0)) { // accepts, never answers
      FakePod good = pod();
      update(
          PodEndpoint.notReady("127.0.0.1", hanging.getLocalPort()),
          PodEndpoint.notReady("127.0.0.1", good.port()));

      await().atMost(WAIT).until(() -> healthy().equals(List.of(good.target())));
      await().atMost(WAIT).until(() -> failures.count() >= 1); // the hanging one timed out
      assertThat(probing()).as("the hanging pod is still probed").isTrue();
    }
  }

  @Test
  void readyToNotReadyTakesAPodOutUntilItAnswersAgain() {
    FakePod pod = pod();
    update(PodEndpoint.ready("127.0.0.1", pod.port()));
    await().atMost(WAIT).until(() -> healthy().size() == 1);
    pod.healthy.set(false);

    update(PodEndpoint.notReady("127.0.0.1", pod.port()));

    await().atMost(WAIT).until(() -> healthy().isEmpty());
    pod.healthy.set(true);
    await().atMost(WAIT).until(() -> healthy().size() == 1);
  }

  @Test
  void aFailedPodLeavesTheRotationAndIsProbedAgain() {
    FakePod pod = pod();
    update(PodEndpoint.ready("127.0.0.1", pod.port()));
    await().atMost(WAIT).until(() -> healthy().size() == 1);
    pod.healthy.set(false);

    run(() -> prober.podFailed(REV, pod.target()));

    assertThat(healthy()).isEmpty();
    int probes = pod.probes.get();
    await().atMost(WAIT).until(() -> pod.probes.get() > probes);
    pod.healthy.set(true);
    await().atMost(WAIT).until(() -> healthy().size() == 1);
  }

  @Test
  void vanishedAndTerminatingPodsAreDropped() {
    FakePod a = pod();
    FakePod b = pod();
    update(PodEndpoint.ready("127.0.0.1", a.port()), PodEndpoint.ready("127.0.0.1", b.port()));
    await().atMost(WAIT).until(() -> healthy().size() == 2);

    update(new PodEndpoint(a.target(), true, true));

    await().atMost(WAIT).until(() -> healthy().isEmpty());
    assertThat(removed).containsExactlyInAnyOrder(a.target(), b.target());
    assertThat(probing()).isFalse();
  }
}
