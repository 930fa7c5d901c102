package dev.knetty.autoscaler;

import static org.assertj.core.api.Assertions.assertThat;

import dev.knetty.common.RevisionKey;
import dev.knetty.common.config.AutoscalerConfig;
import dev.knetty.common.config.RevisionAnnotations;
import dev.knetty.common.config.RevisionScaling;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class MultiscalerTest {

  private static final long S = TimedBuckets.NANOS_PER_SECOND;
  private static final long T0 = 1_700_000_000L * S;
  private static final String G = "autoscaling.knative.dev/";
  private static final RevisionKey KEY = new RevisionKey("ns", "rev");

  private final ManualScheduler sched = new ManualScheduler(T0);
  private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
  private final List<Decision> decisions = new CopyOnWriteArrayList<>();
  private InMemoryScaler scaler = new InMemoryScaler(true);
  private Multiscaler ms;

  private Multiscaler start() {
    ms = new Multiscaler(scaler, sched, sched, registry);
    ms.addDecisionListener(decisions::add);
    return ms;
  }

  @AfterEach
  void close() {
    if (ms != null) {
      ms.close();
    }
  }

  static RevisionScaling scaling(String... kv) {
    Map<String, String> anns = new HashMap<>();
    for (int i = 0; i < kv.length; i += 2) {
      anns.put(G + kv[i], kv[i + 1]);
    }
    AutoscalerConfig c = AutoscalerConfig.defaults();
    return RevisionScaling.derive(c, RevisionAnnotations.parse(anns, c), 0, true);
  }

  private RevisionSnapshot snapshot() {
    return ms.snapshot(KEY).orElseThrow();
  }

  /** A queue-proxy reporting {@code concurrency[0]} every second from now on. */
  private ScheduledFuture<?> reporter(double[] concurrency) {
    return sched.scheduleAtFixedRate(
        () -> ms.record(KEY, concurrency[0], 0, concurrency[0], 0), 0, 1, TimeUnit.SECONDS);
  }

  @Test
  void ticksEveryTwoSecondsFromCreation() {
    start().upsert(KEY, scaling());
    assertThat(sched.pendingDueTimes()).contains(T0 + 2 * S);
    sched.advance(Duration.ofMillis(1999));
    assertThat(snapshot().valid()).isFalse();
    assertThat(snapshot().desiredScale()).isEqualTo(-1);
    // The initial EBC: 1 x 100 - 211.
    assertThat(snapshot().excessBurstCapacity()).isEqualTo(-111);

    ms.record(KEY, T0 + S, 140, 0, 140, 0);
    sched.advanceTo(T0 + 2 * S);
    RevisionSnapshot s = snapshot();
    assertThat(s.valid()).isTrue();
    assertThat(s.observedStable()).isEqualTo(140);
    assertThat(s.observedPanic()).isEqualTo(140);
    assertThat(s.desiredScale()).isEqualTo(2);
    assertThat(s.panicMode()).isTrue(); // 2 pods needed for max(1, 0) ready: 2 >= 2
    assertThat(s.replicas()).isEqualTo(2);
    assertThat(scaler.scaleCalls(KEY)).containsExactly(2);
    assertThat(sched.pendingDueTimes()).contains(T0 + 4 * S);
  }

  @Test
  void everyEvaluationIsTimed() {
    start().upsert(KEY, scaling());
    sched.advanceTo(T0 + 2 * S); // one tick, invalid (no data): timed all the same
    ms.tickAll();
    assertThat(registry.get("knetty.autoscaler.tick.duration").timer().count()).isEqualTo(2);
  }

  @Test
  void proxiedPartsAreSubtracted() {
    start().upsert(KEY, scaling());
    ms.record(KEY, T0 + S, 10, 4, 20, 5);
    sched.advanceTo(T0 + 2 * S);
    assertThat(snapshot().observedStable()).isEqualTo(6);
  }

  @Test
  void pokeEvaluatesAtOnceWhenAZeroRevisionSeesTraffic() {
    start().upsert(KEY, scaling("target-burst-capacity", "-1"));
    sched.advanceTo(T0 + 2 * S);
    assertThat(snapshot().desiredScale()).isZero();
    assertThat(scaler.scaleCalls(KEY)).isEmpty();

    // No concurrency: no poke.
    ms.record(KEY, T0 + 2 * S, 0, 0, 1, 0);
    assertThat(sched.pendingDueTimes()).doesNotContain(T0 + 2 * S);

    ms.record(KEY, T0 + 2 * S, 1, 0, 1, 0);
    ms.record(KEY, T0 + 2 * S, 1, 0, 1, 0); // a second stat does not poke twice
    assertThat(sched.pendingDueTimes()).containsOnlyOnce(T0 + 2 * S);
    sched.advance(Duration.ofMillis(500)); // well before the next tick at 4 s
    assertThat(snapshot().desiredScale()).isEqualTo(1);
    assertThat(scaler.scaleCalls(KEY)).containsExactly(1);

    // Desired is 1 now: no more pokes.
    ms.record(KEY, T0 + 3 * S, 5, 0, 1, 0);
    assertThat(sched.pendingDueTimes()).doesNotContain(T0 + 3 * S);
  }

  @Test
  void notifiesOnlyWhenDesiredScaleOrTheSignOfEbcChanges() {
    scaler.setReadyPods(KEY, 3);
    start().upsert(KEY, scaling());
    double[] load = {20};
    reporter(load);
    sched.advanceTo(T0 + 2 * S);
    int afterFirst = decisions.size();
    Decision first = decisions.get(afterFirst - 1);
    // 3 ready, 20 concurrent: desired 1 but panicking since creation with 3 pods held.
    assertThat(first.desiredScale()).isEqualTo(3);
    assertThat(first.excessBurstCapacity()).isEqualTo(69); // 300 - 211 - 20
    assertThat(first.mode()).isEqualTo(SksMode.SERVE);

    // EBC changes value, not sign: no decision.
    load[0] = 30;
    sched.advanceTo(T0 + 4 * S);
    // Panic window at 4 s: 20, 20, 20 (reported at 2 s after the tick), 30: 22.5.
    assertThat(snapshot().excessBurstCapacity()).isEqualTo(66); // floor(300 - 211 - 22.5)
    assertThat(decisions).hasSize(afterFirst);

    // A burst: EBC goes negative (300 - 211 - 2120/6), the activator goes in the path.
    load[0] = 2000;
    sched.advanceTo(T0 + 6 * S);
    assertThat(decisions).hasSizeGreaterThan(afterFirst);
    Decision burst = decisions.get(decisions.size() - 1);
    assertThat(burst.excessBurstCapacity()).isNegative();
    assertThat(burst.mode()).isEqualTo(SksMode.PROXY);
  }

  @Test
  void scalesToZeroThroughTheTimersAndBackOnTraffic() {
    scaler.setReadyPods(KEY, 1);
    start().upsert(KEY, scaling());
    double[] load = {0};
    reporter(load);
    assertThat(snapshot().active()).isEqualTo("Active");

    sched.advanceTo(T0 + 2 * S);
    // No traffic, active for 2 s of a 60 s window: hold one pod.
    assertThat(snapshot().desiredScale()).isZero();
    assertThat(snapshot().replicas()).isEqualTo(1);
    assertThat(scaler.scaleCalls(KEY)).containsExactly(1);

    sched.advanceTo(T0 + 62 * S);
    assertThat(snapshot().active()).isEqualTo("Inactive");
    assertThat(snapshot().mode()).isEqualTo(SksMode.PROXY);
    assertThat(scaler.scaleCalls(KEY)).containsExactly(1);
    // Proxied all along (EBC < 0 with one pod): no grace wait after the activator probe,
    // which runs at the 3 s requeue.
    sched.advanceTo(T0 + 63 * S);
    assertThat(scaler.scaleCalls(KEY)).containsExactly(1, 0);
    assertThat(scaler.readyPods(KEY)).isZero();
    assertThat(snapshot().replicas()).isZero();

    // Traffic: poke, scale from zero.
    sched.advanceTo(T0 + 100 * S);
    ms.record(KEY, T0 + 100 * S, 5, 0, 5, 0);
    sched.runDue();
    assertThat(scaler.scaleCalls(KEY)).containsExactly(1, 0, 1);
    assertThat(snapshot().active()).isEqualTo("Active"); // the ready pod was reported
    assertThat(decisions.get(decisions.size() - 1).replicas()).isEqualTo(1);
  }

  @Test
  void readyPodChangesReconcile() {
    scaler = new InMemoryScaler(false);
    start().upsert(KEY, scaling("target-burst-capacity", "0"));
    assertThat(snapshot().active()).isEqualTo("Activating");
    scaler.setReadyPods(KEY, 1);
    sched.runDue();
    assertThat(snapshot().active()).isEqualTo("Active");
    assertThat(snapshot().readyPods()).isEqualTo(1);
  }

  @Test
  void unknownReadyPodsMakeNoDecision() {
    scaler = new InMemoryScaler(false);
    scaler.setReadyPods(KEY, Scaler.UNKNOWN);
    start().upsert(KEY, scaling("target-burst-capacity", "-1"));
    sched.advanceTo(T0 + 4 * S);
    assertThat(snapshot().valid()).isFalse();
    assertThat(snapshot().desiredScale()).isEqualTo(-1);
  }

  @Test
  void theInitialScaleStopsBeingAFloorOnceReached() {
    // Knative reconciles the PA again when ScaleTargetInitialized changes; here the decider's
    // desired scale (1) never changes, so nothing else would apply it.
    scaler = new InMemoryScaler(false);
    start().upsert(KEY, scaling("initial-scale", "3"));
    double[] load = {1};
    reporter(load);
    sched.advanceTo(T0 + 4 * S);
    assertThat(snapshot().desiredScale()).isEqualTo(1);
    assertThat(snapshot().replicas()).isEqualTo(3);

    scaler.setReadyPods(KEY, 3);
    sched.advance(Duration.ofMillis(1));
    assertThat(snapshot().replicas()).isEqualTo(1);
    assertThat(scaler.scaleCalls(KEY)).last().isEqualTo(1);
  }

  @Test
  void anAdoptedRevisionChangesNoReplicasWithoutData() {
    // A new leader finds a Deployment at 3 replicas, 3 ready; bounds and initial scale would
    // otherwise apply to the unknown desired scale of a new PodAutoscaler.
    scaler = new InMemoryScaler(false);
    scaler.setReadyPods(KEY, 3);
    scaler.adopt(KEY, 3);
    start().upsert(KEY, scaling("min-scale", "2", "initial-scale", "5"));
    sched.advanceTo(T0 + 10 * 60 * S);

    assertThat(scaler.scaleCalls(KEY)).isEmpty();
    assertThat(snapshot().valid()).isFalse();
    assertThat(snapshot().replicas()).isEqualTo(-1);
    assertThat(snapshot().active()).isEqualTo("Active");
  }

  @Test
  void anAdoptedRevisionStartsInPanicAndHoldsItsPods() {
    scaler = new InMemoryScaler(false);
    scaler.setReadyPods(KEY, 4);
    scaler.adopt(KEY, 4);
    start().upsert(KEY, scaling());
    double[] load = {1}; // far below 4 pods' worth
    reporter(load);
    sched.advanceTo(T0 + 58 * S);

    assertThat(snapshot().panicMode()).isTrue();
    assertThat(snapshot().desiredScale()).isEqualTo(4);
    assertThat(scaler.scaleCalls(KEY)).isEmpty();
    // Once the stable window has passed without panic, it scales down as usual.
    sched.advanceTo(T0 + 64 * S);
    assertThat(snapshot().panicMode()).isFalse();
    assertThat(scaler.scaleCalls(KEY)).containsExactly(2);
  }

  @Test
  void anAdoptedActivatorOnlyRevisionWaitsAStableWindowBeforeGoingToZero() {
    // TBC -1: no stats is "no traffic" and evaluates to 0 at once; the adopted revision still
    // keeps its pod for a stable window, then the grace period, as an active revision would.
    scaler = new InMemoryScaler(false);
    scaler.setReadyPods(KEY, 1);
    scaler.adopt(KEY, 1);
    start().upsert(KEY, scaling("target-burst-capacity", "-1"));
    sched.advanceTo(T0 + 58 * S);
    assertThat(snapshot().desiredScale()).isZero();
    assertThat(scaler.scaleCalls(KEY)).isEmpty();
    assertThat(snapshot().active()).isEqualTo("Active");

    sched.advanceTo(T0 + 120 * S);
    assertThat(scaler.scaleCalls(KEY)).containsExactly(0);
  }

  @Test
  void anAdoptedRevisionAtZeroStaysInProxyModeAndScalesUpOnTraffic() {
    scaler = new InMemoryScaler(false);
    scaler.adopt(KEY, 0);
    start().upsert(KEY, scaling());
    sched.advanceTo(T0 + 10 * S);
    assertThat(snapshot().active()).isEqualTo("Inactive");
    assertThat(snapshot().mode()).isEqualTo(SksMode.PROXY);
    assertThat(scaler.scaleCalls(KEY)).isEmpty();

    ms.record(KEY, T0 + 10 * S, 1, 0, 1, 0);
    sched.advanceTo(T0 + 12 * S);
    assertThat(scaler.scaleCalls(KEY)).containsExactly(1);
  }

  @Test
  void failedScalesAreRetriedEverySecond() {
    scaler = new InMemoryScaler(false);
    scaler.failScales(new IllegalStateException("apiserver down"));
    start().upsert(KEY, scaling("target-burst-capacity", "-1"));
    ms.record(KEY, T0 + S, 100, 0, 100, 0);
    sched.advanceTo(T0 + 2 * S);
    assertThat(snapshot().replicas()).isEqualTo(2);
    assertThat(scaler.scaleCalls(KEY)).isEmpty();
    assertThat(registry.counter("knetty.autoscaler.scale.failures").count()).isEqualTo(1);
    sched.advanceTo(T0 + 3 * S);
    assertThat(registry.counter("knetty.autoscaler.scale.failures").count()).isEqualTo(2);
    scaler.failScales(null);
    sched.advanceTo(T0 + 4 * S);
    assertThat(scaler.scaleCalls(KEY)).containsExactly(2);
  }

  @Test
  void failedActivatorProbeIsRetried() {
    scaler.setReadyPods(KEY, 1);
    scaler.setActivatorInPath(false);
    start().upsert(KEY, scaling());
    double[] load = {0};
    reporter(load);
    sched.advanceTo(T0 + 120 * S);
    assertThat(scaler.scaleCalls(KEY)).containsExactly(1);
    assertThat(snapshot().active()).isEqualTo("Inactive");
    scaler.setActivatorInPath(true);
    sched.advance(Duration.ofSeconds(1));
    assertThat(scaler.scaleCalls(KEY)).containsExactly(1, 0);
  }

  @Test
  void removeStopsTicksAndDropsStats() {
    start().upsert(KEY, scaling());
    assertThat(ms.contains(KEY)).isTrue();
    assertThat(ms.remove(KEY)).isTrue();
    assertThat(ms.remove(KEY)).isFalse();
    assertThat(sched.pendingDueTimes()).isEmpty();
    assertThat(ms.record(KEY, T0, 1, 0, 1, 0)).isFalse();
    assertThat(registry.counter("knetty.autoscaler.stats.dropped").count()).isEqualTo(1);
    assertThat(ms.snapshot(KEY)).isEmpty();
  }

  @Test
  void updatesApplyToARunningRevision() {
    start().upsert(KEY, scaling("target-burst-capacity", "-1"));
    double[] load = {70};
    reporter(load);
    sched.advanceTo(T0 + 2 * S);
    assertThat(snapshot().desiredScale()).isEqualTo(1);
    ms.upsert(KEY, scaling("target-burst-capacity", "-1", "target", "10"));
    sched.advanceTo(T0 + 4 * S);
    assertThat(snapshot().observedStable()).isEqualTo(70);
    assertThat(snapshot().desiredScale()).isEqualTo(10); // target 10 at 70 %: 7 per pod
  }

  @Test
  void snapshotsAndTickAll() {
    RevisionKey other = new RevisionKey("ns", "another");
    start().upsert(KEY, scaling("target-burst-capacity", "-1"));
    ms.upsert(other, scaling("target-burst-capacity", "-1"));
    ms.tickAll();
    assertThat(ms.snapshots()).extracting(RevisionSnapshot::key).containsExactly(other, KEY);
    assertThat(ms.snapshots()).allSatisfy(s -> assertThat(s.valid()).isTrue());
    assertThat(registry.get("knetty.autoscaler.revisions").gauge().value()).isEqualTo(2);
  }

  @Test
  void concurrentRecordsAddUp() throws InterruptedException {
    start().upsert(KEY, scaling("target-burst-capacity", "-1"));
    List<Thread> threads = new ArrayList<>();
    for (int t = 0; t < 4; t++) {
      Thread th =
          new Thread(
              () -> {
                for (int i = 0; i < 10_000; i++) {
                  ms.record(KEY, T0 + S, 1, 0, 2, 0);
                }
              });
      threads.add(th);
      th.start();
    }
    for (Thread th : threads) {
      th.join();
    }
    sched.advanceTo(T0 + 2 * S);
    assertThat(snapshot().observedStable()).isEqualTo(40_000);
  }

  @Test
  void sameSignCountsZeroAsNonNegative() {
    assertThat(Multiscaler.sameSign(0, 5)).isTrue();
    assertThat(Multiscaler.sameSign(-1, -300)).isTrue();
    assertThat(Multiscaler.sameSign(0, -1)).isFalse();
    assertThat(Multiscaler.sameSign(Integer.MIN_VALUE, 1)).isFalse();
    Decision d = new Decision(KEY, 3, 3, 10, SksMode.SERVE, 2, 3);
    assertThat(d.differsFrom(new Decision(KEY, 3, 3, 99, SksMode.SERVE, 2, 5))).isFalse();
    assertThat(d.differsFrom(new Decision(KEY, 3, 3, -1, SksMode.SERVE, 2, 3))).isTrue();
    assertThat(d.differsFrom(new Decision(KEY, 4, 3, 10, SksMode.SERVE, 2, 3))).isTrue();
    assertThat(d.differsFrom(new Decision(KEY, 3, 4, 10, SksMode.SERVE, 2, 3))).isTrue();
    assertThat(d.differsFrom(new Decision(KEY, 3, 3, 10, SksMode.PROXY, 2, 3))).isTrue();
    assertThat(d.differsFrom(new Decision(KEY, 3, 3, 10, SksMode.SERVE, 3, 3))).isTrue();
  }

  @Test
  void closeDetachesEverything() {
    start().upsert(KEY, scaling());
    ms.close();
    assertThat(sched.pendingDueTimes()).isEmpty();
    assertThat(ms.contains(KEY)).isFalse();
    scaler.setReadyPods(KEY, 4); // no listener left
    assertThat(sched.pendingDueTimes()).isEmpty();
  }
}
