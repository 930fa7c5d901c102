package dev.knetty.autoscaler;

import static org.assertj.core.api.Assertions.assertThat;

import dev.knetty.common.config.AutoscalerConfig;
import dev.knetty.common.config.RevisionAnnotations;
import dev.knetty.common.config.RevisionScaling;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The KPA's bounds, conditions and scale-to-zero state machine ({@code kpa.go}, {@code scaler.go}).
 */
class PodAutoscalerTest {

  private static final long S = TimedBuckets.NANOS_PER_SECOND;
  private static final long T0 = 1_700_000_000L * S;
  private static final String G = "autoscaling.knative.dev/";

  /** Records what a reconcile asked for. */
  static final class Recorder implements PodAutoscaler.Actions {
    final List<Integer> scales = new ArrayList<>();
    final List<Long> requeues = new ArrayList<>();
    int probes;

    @Override
    public void scale(int replicas) {
      scales.add(replicas);
    }

    @Override
    public void requeueAfter(long nanos) {
      requeues.add(nanos);
    }

    @Override
    public void probeActivator() {
      probes++;
    }

    void clear() {
      scales.clear();
      requeues.clear();
      probes = 0;
    }
  }

  static RevisionScaling scaling(String... kv) {
    return scaling(Map.of(), true, kv);
  }

  static RevisionScaling scaling(Map<String, String> config, boolean reachable, String... kv) {
    Map<String, String> anns = new HashMap<>();
    for (int i = 0; i < kv.length; i += 2) {
      anns.put(G + kv[i], kv[i + 1]);
    }
    AutoscalerConfig c = AutoscalerConfig.fromMap(config);
    return RevisionScaling.derive(c, RevisionAnnotations.parse(anns, c), 0, reachable);
  }

  private final Recorder actions = new Recorder();

  /** A revision activated at T0 + 1 s with one ready pod, decided at 1 by T0 + 2 s. */
  private PodAutoscaler active(RevisionScaling spec) {
    PodAutoscaler pa = new PodAutoscaler(T0);
    pa.reconcile(T0, spec, -1, -111, 0, actions);
    pa.reconcile(T0 + S, spec, -1, -111, 1, actions);
    pa.reconcile(T0 + 2 * S, spec, 1, 5, 1, actions);
    assertThat(pa.active()).isEqualTo(PodAutoscaler.Active.ACTIVE);
    actions.clear();
    return pa;
  }

  @Test
  void newRevisionActivatesWithoutTouchingItsInitialReplicas() {
    RevisionScaling spec = scaling();
    PodAutoscaler pa = new PodAutoscaler(T0);
    assertThat(pa.active()).isEqualTo(PodAutoscaler.Active.ACTIVATING);
    pa.reconcile(T0, spec, -1, -111, 0, actions);
    // No metrics yet: the bounds make -1 a 0, which while activating means "wait".
    assertThat(pa.want()).isEqualTo(-1);
    assertThat(actions.scales).isEmpty();
    assertThat(actions.requeues).containsExactly(630 * S); // progress deadline + 30 s
    assertThat(pa.active()).isEqualTo(PodAutoscaler.Active.ACTIVATING);
    assertThat(pa.reason()).isEqualTo("Queued");
    assertThat(pa.mode()).isEqualTo(SksMode.PROXY);
    assertThat(pa.activators()).isEqualTo(3); // (0 x 100 + 211) / 100

    // The first pod is ready: Active, initialized; EBC still negative, so proxied.
    pa.reconcile(T0 + 5 * S, spec, -1, -111, 1, actions);
    assertThat(pa.active()).isEqualTo(PodAutoscaler.Active.ACTIVE);
    assertThat(pa.activeSince()).isEqualTo(T0 + 5 * S);
    assertThat(pa.scaleTargetInitialized()).isTrue();
    assertThat(pa.mode()).isEqualTo(SksMode.PROXY);
    assertThat(pa.desiredScale()).isEqualTo(-1);
  }

  @Test
  void servesWhenWantedAndBurstCapacitySuffices() {
    RevisionScaling spec = scaling("target-burst-capacity", "0");
    PodAutoscaler pa = active(spec);
    pa.reconcile(T0 + 4 * S, spec, 1, 0, 1, actions);
    assertThat(pa.mode()).isEqualTo(SksMode.SERVE);
    assertThat(pa.activators()).isEqualTo(2);
    // Negative EBC: proxy even with pods.
    pa.reconcile(T0 + 6 * S, spec, 1, -1, 1, actions);
    assertThat(pa.mode()).isEqualTo(SksMode.PROXY);
    // No ready pod: the SKS proxies whatever the EBC.
    pa.reconcile(T0 + 8 * S, spec, 1, 5, 0, actions);
    assertThat(pa.mode()).isEqualTo(SksMode.PROXY);
  }

  @Test
  void scaleToZeroAfterStableWindowProbeAndGracePeriod() {
    RevisionScaling spec = scaling();
    PodAutoscaler pa = active(spec);
    long activeSince = pa.activeSince();

    // No traffic, but active for less than the stable window: hold one pod, come back later.
    pa.reconcile(activeSince + 20 * S, spec, 0, 100, 1, actions);
    assertThat(pa.want()).isEqualTo(1);
    assertThat(actions.requeues).containsExactly(40 * S);
    assertThat(pa.active()).isEqualTo(PodAutoscaler.Active.ACTIVE);
    actions.clear();

    // A whole stable window: inactive and proxied, replicas untouched.
    long t = activeSince + 60 * S;
    pa.reconcile(t, spec, 0, 100, 1, actions);
    assertThat(pa.want()).isZero();
    assertThat(actions.scales).isEmpty();
    assertThat(pa.active()).isEqualTo(PodAutoscaler.Active.INACTIVE);
    assertThat(pa.reason()).isEqualTo("NoTraffic");
    assertThat(pa.mode()).isEqualTo(SksMode.PROXY);
    assertThat(actions.requeues).containsExactly(0L); // the SKS changed: reconcile again
    actions.clear();

    // Inactive: first make sure the activator is in the path.
    pa.reconcile(t, spec, 0, 100, 1, actions);
    assertThat(actions.probes).isEqualTo(1);
    assertThat(actions.scales).isEmpty();
    pa.activatorConfirmed(true);
    actions.clear();

    // Then wait for the grace period of proxying.
    pa.reconcile(t + S, spec, 0, 100, 1, actions);
    assertThat(actions.scales).isEmpty();
    assertThat(actions.requeues).containsExactly(29 * S);
    actions.clear();
    pa.reconcile(t + 29 * S, spec, 0, 100, 1, actions);
    assertThat(actions.scales).isEmpty();
    assertThat(actions.requeues).containsExactly(S);
    actions.clear();
    pa.reconcile(t + 30 * S, spec, 0, 100, 1, actions);
    assertThat(actions.scales).containsExactly(0);
    assertThat(pa.want()).isZero();
    assertThat(pa.active()).isEqualTo(PodAutoscaler.Active.INACTIVE);
  }

  @Test
  void proxyingLongEnoughSkipsTheGraceWait() {
    RevisionScaling spec = scaling();
    PodAutoscaler pa = active(spec);
    // Proxied (negative EBC) for a while: once inactive the grace period is already served.
    pa.reconcile(pa.activeSince() + 10 * S, spec, 1, -50, 1, actions);
    assertThat(pa.mode()).isEqualTo(SksMode.PROXY);
    actions.clear();
    long t = pa.activeSince() + 60 * S;
    pa.reconcile(t, spec, 0, -50, 1, actions);
    assertThat(actions.requeues).containsExactly(3 * S); // already proxying: requeue in 3 s
    pa.activatorConfirmed(true);
    actions.clear();
    pa.reconcile(t + 3 * S, spec, 0, -50, 1, actions);
    assertThat(actions.scales).containsExactly(0);
  }

  @Test
  void failedActivatorProbeKeepsThePod() {
    RevisionScaling spec = scaling();
    PodAutoscaler pa = active(spec);
    long t = pa.activeSince() + 60 * S;
    pa.reconcile(t, spec, 0, 100, 1, actions);
    pa.activatorConfirmed(false);
    actions.clear();
    pa.reconcile(t + 120 * S, spec, 0, 100, 1, actions);
    assertThat(actions.probes).isEqualTo(1);
    assertThat(actions.scales).isEmpty();
  }

  @Test
  void unlimitedBurstCapacityNeedsNoProbe() {
    RevisionScaling spec = scaling("target-burst-capacity", "-1");
    PodAutoscaler pa = active(spec);
    long t = pa.activeSince() + 60 * S;
    pa.reconcile(t, spec, 0, -1, 1, actions);
    actions.clear();
    pa.reconcile(t + 30 * S, spec, 0, -1, 1, actions);
    assertThat(actions.probes).isZero();
    assertThat(actions.scales).containsExactly(0);
  }

  @Test
  void podRetentionHoldsTheLastPod() {
    RevisionScaling spec = scaling("scale-to-zero-pod-retention-period", "90s");
    PodAutoscaler pa = active(spec);
    long t = pa.activeSince() + 60 * S;
    pa.reconcile(t, spec, 0, 100, 1, actions);
    pa.activatorConfirmed(true);
    actions.clear();
    pa.reconcile(t + 30 * S, spec, 0, 100, 1, actions);
    assertThat(actions.scales).isEmpty();
    assertThat(actions.requeues).containsExactly(60 * S);
    actions.clear();
    pa.reconcile(t + 90 * S, spec, 0, 100, 1, actions);
    assertThat(actions.scales).containsExactly(0);
  }

  @Test
  void unreachableIgnoresRetentionAndMinScale() {
    RevisionScaling spec =
        scaling(Map.of(), false, "scale-to-zero-pod-retention-period", "90s", "min-scale", "2");
    PodAutoscaler pa = new PodAutoscaler(T0);
    pa.reconcile(T0, spec, -1, -111, 1, actions);
    pa.reconcile(T0 + S, spec, 1, 5, 1, actions);
    assertThat(pa.active()).isEqualTo(PodAutoscaler.Active.ACTIVE);
    long t = pa.activeSince() + 60 * S;
    pa.reconcile(t, spec, 0, 100, 1, actions);
    assertThat(pa.want()).isZero(); // min-scale 2 ignored
    pa.activatorConfirmed(true);
    actions.clear();
    pa.reconcile(t + 30 * S, spec, 0, 100, 1, actions);
    assertThat(actions.scales).containsExactly(0); // retention ignored: grace only
  }

  @Test
  void scaleToZeroDisabled() {
    RevisionScaling spec = scaling(Map.of("enable-scale-to-zero", "false"), true);
    PodAutoscaler pa = active(spec);
    pa.reconcile(pa.activeSince() + 600 * S, spec, 0, 100, 1, actions);
    assertThat(pa.want()).isEqualTo(1);
    assertThat(pa.active()).isEqualTo(PodAutoscaler.Active.ACTIVE);
  }

  @Test
  void minAndMaxBounds() {
    RevisionScaling spec = scaling("min-scale", "2", "max-scale", "3");
    PodAutoscaler pa = new PodAutoscaler(T0);
    pa.reconcile(T0, spec, 1, 5, 2, actions);
    assertThat(pa.want()).isEqualTo(2);
    pa.reconcile(T0 + S, spec, 5, 5, 2, actions);
    assertThat(pa.want()).isEqualTo(3);
    pa.reconcile(T0 + 2 * S, spec, 0, 5, 2, actions);
    assertThat(pa.want()).isEqualTo(2); // never to zero below min-scale
    assertThat(actions.scales).containsExactly(2, 3, 2);
    // Active needs min-scale ready pods.
    pa.reconcile(T0 + 3 * S, spec, 0, 5, 1, actions);
    assertThat(pa.active()).isEqualTo(PodAutoscaler.Active.ACTIVATING);
  }

  @Test
  void initialScaleIsALowerBoundUntilReached() {
    RevisionScaling spec = scaling("initial-scale", "3");
    PodAutoscaler pa = new PodAutoscaler(T0);
    pa.reconcile(T0, spec, -1, -111, 0, actions);
    assertThat(pa.want()).isEqualTo(3);
    assertThat(actions.scales).containsExactly(3);
    pa.reconcile(T0 + S, spec, 1, 5, 2, actions);
    assertThat(pa.want()).isEqualTo(3);
    assertThat(pa.active()).isEqualTo(PodAutoscaler.Active.ACTIVATING); // 2 < 3
    pa.reconcile(T0 + 2 * S, spec, 1, 5, 3, actions);
    assertThat(pa.scaleTargetInitialized()).isTrue();
    assertThat(pa.active()).isEqualTo(PodAutoscaler.Active.ACTIVE);
    pa.reconcile(T0 + 3 * S, spec, 1, 5, 3, actions);
    assertThat(pa.want()).isEqualTo(1);
    assertThat(actions.scales).containsExactly(3, 1);
  }

  @Test
  void initialScaleIgnoredWhenUnreachable() {
    RevisionScaling spec = scaling(Map.of(), false, "initial-scale", "3");
    PodAutoscaler pa = new PodAutoscaler(T0);
    pa.reconcile(T0, spec, 1, 5, 0, actions);
    assertThat(pa.want()).isEqualTo(1);
  }

  @Test
  void zeroInitialScaleStartsInactive() {
    RevisionScaling spec =
        scaling(Map.of("allow-zero-initial-scale", "true"), true, "initial-scale", "0");
    PodAutoscaler pa = new PodAutoscaler(T0);
    pa.reconcile(T0, spec, -1, -111, 0, actions);
    assertThat(pa.active()).isEqualTo(PodAutoscaler.Active.INACTIVE);
    assertThat(pa.reason()).isEqualTo("NoTraffic");
    assertThat(pa.mode()).isEqualTo(SksMode.PROXY);
  }

  @Test
  void activationTimesOutAfterProgressDeadlinePlus30s() {
    RevisionScaling spec = scaling();
    PodAutoscaler pa = new PodAutoscaler(T0);
    pa.reconcile(T0, spec, 1, -111, 0, actions); // Queued at T0
    assertThat(pa.active()).isEqualTo(PodAutoscaler.Active.ACTIVATING);
    assertThat(actions.scales).containsExactly(1);
    actions.clear();
    // The traffic is gone, the pod never came: wait for the activation timeout.
    pa.reconcile(T0 + 630 * S, spec, 0, -111, 0, actions);
    assertThat(pa.want()).isEqualTo(-1);
    assertThat(actions.scales).isEmpty();
    assertThat(actions.requeues).containsExactly(630 * S);
    pa.reconcile(T0 + 630 * S + 1, spec, 0, -111, 0, actions);
    assertThat(actions.scales).containsExactly(0);
    assertThat(pa.active()).isEqualTo(PodAutoscaler.Active.INACTIVE);
    assertThat(pa.reason()).isEqualTo("TimedOut");
    // The next reconcile re-marks it NoTraffic, which restarts the inactive clock.
    pa.reconcile(T0 + 631 * S, spec, 0, -111, 0, actions);
    assertThat(pa.reason()).isEqualTo("NoTraffic");
    assertThat(pa.activeSince()).isEqualTo(T0 + 631 * S);
  }

  @Test
  void customProgressDeadline() {
    Map<String, String> anns = Map.of("serving.knative.dev/progress-deadline", "60s");
    RevisionScaling spec =
        RevisionScaling.derive(
            AutoscalerConfig.defaults(),
            RevisionAnnotations.parse(anns, AutoscalerConfig.defaults()),
            0,
            true);
    PodAutoscaler pa = new PodAutoscaler(T0);
    pa.reconcile(T0, spec, 1, -111, 0, actions);
    actions.clear();
    pa.reconcile(T0 + 91 * S, spec, 0, -111, 0, actions);
    assertThat(actions.scales).containsExactly(0);
  }

  @Test
  void unknownDesiredScaleDoesNotOverwriteAKnownOne() {
    RevisionScaling spec = scaling();
    PodAutoscaler pa = active(spec);
    assertThat(pa.desiredScale()).isEqualTo(1);
    // Inactive, then the decider restarts (-1): desiredScale stays.
    long t = pa.activeSince() + 60 * S;
    pa.reconcile(t, spec, 0, 100, 1, actions);
    assertThat(pa.desiredScale()).isZero();
    pa.reconcile(t + S, spec, -1, -111, 1, actions);
    assertThat(pa.want()).isEqualTo(-1);
    assertThat(pa.desiredScale()).isZero();
    assertThat(pa.mode()).isEqualTo(SksMode.PROXY); // unknown and inactive: proxy
  }

  @Test
  void failedScaleIsRetried() {
    RevisionScaling spec = scaling();
    PodAutoscaler pa = active(spec);
    pa.reconcile(T0 + 10 * S, spec, 4, 5, 1, actions);
    pa.reconcile(T0 + 12 * S, spec, 4, 5, 1, actions);
    assertThat(actions.scales).containsExactly(4); // not asked twice
    pa.scaleFailed(4);
    pa.reconcile(T0 + 13 * S, spec, 4, 5, 1, actions);
    assertThat(actions.scales).containsExactly(4, 4);
  }

  @Test
  void reactivationResetsTheProbe() {
    RevisionScaling spec = scaling();
    PodAutoscaler pa = active(spec);
    long t = pa.activeSince() + 60 * S;
    pa.reconcile(t, spec, 0, 100, 1, actions);
    pa.activatorConfirmed(true);
    // Traffic again before the grace period ends.
    pa.reconcile(t + 5 * S, spec, 2, 100, 1, actions);
    assertThat(pa.active()).isEqualTo(PodAutoscaler.Active.ACTIVE);
    pa.reconcile(t + 70 * S, spec, 0, 100, 1, actions);
    assertThat(pa.active()).isEqualTo(PodAutoscaler.Active.INACTIVE);
    actions.clear();
    pa.reconcile(t + 71 * S, spec, 0, 100, 1, actions);
    assertThat(actions.probes).isEqualTo(1); // a new inactive period needs a new confirmation
  }
}
