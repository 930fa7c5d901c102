package dev.knetty.autoscaler;

import dev.knetty.common.config.DeciderSpec;
import dev.knetty.common.config.RevisionScaling;
import java.time.Duration;

/**
 * The KPA reconciler's view of one revision ({@code pkg/reconciler/autoscaling/kpa/kpa.go}, {@code
 * scaler.go}) with Knative's Kubernetes objects reduced to plain state:
 *
 * <ul>
 *   <li>the PodAutoscaler's {@code Active} condition: {@link Active#ACTIVATING} is Knative's {@code
 *       Unknown}, {@link Active#ACTIVE} {@code True}, {@link Active#INACTIVE} {@code False}; {@link
 *       #activeSince} is the condition's {@code lastTransitionTime}, which, as in Knative, also
 *       moves when only the reason changes;
 *   <li>the PA's {@code ScaleTargetInitialized} condition and {@code status.desiredScale};
 *   <li>the ServerlessService's mode, with {@link #proxySince} standing for the time its activator
 *       endpoints were populated ({@code ProxyFor});
 *   <li>the scale target's replicas: the last value asked of the {@link Scaler}.
 * </ul>
 *
 * <p>{@link #reconcile} is one {@code ReconcileKind}: apply bounds and the scale-to-zero rules,
 * choose the mode and the number of activators, update the conditions. Timers Knative sets with
 * {@code EnqueueAfter} and the activator probe are {@link Actions}. Not thread-safe.
 */
final class PodAutoscaler {

  /** The PA's {@code Active} condition. */
  enum Active {
    ACTIVATING,
    ACTIVE,
    INACTIVE
  }

  /** What a reconcile asks of its owner. */
  interface Actions {
    /** Set the scale target's replicas (asynchronously). */
    void scale(int replicas);

    /** Reconcile again after {@code nanos}. */
    void requeueAfter(long nanos);

    /** Confirm (asynchronously) that the activator is in the revision's path. */
    void probeActivator();
  }

  static final long NEVER = Long.MIN_VALUE;

  /** Unknown scale ({@code scaleUnknown}). */
  static final int SCALE_UNKNOWN = -1;

  /** {@link #handleScaleToZero}: want 0 but do not apply it yet. */
  private static final int HOLD = Integer.MIN_VALUE;

  /** Activation fails after the progress deadline plus this. */
  static final long ACTIVATION_TIMEOUT_BUFFER = Duration.ofSeconds(30).toNanos();

  /** Requeue when going inactive while the SKS is already proxying. */
  static final long INACTIVE_PROXY_REQUEUE = Duration.ofSeconds(3).toNanos();

  private Active active = Active.ACTIVATING;
  private String reason = ""; // InitializeConditions: Unknown without a reason
  private long activeSince;
  private boolean scaleTargetInitialized;
  private int desiredScale = SCALE_UNKNOWN;
  private int want = SCALE_UNKNOWN;
  private SksMode mode = SksMode.PROXY;
  private long proxySince;
  private int activators = RevisionDecider.MIN_ACTIVATORS;
  private int requestedReplicas = SCALE_UNKNOWN;
  private boolean activatorConfirmed;

  PodAutoscaler(long createdNanos) {
    this.activeSince = createdNanos;
    this.proxySince = createdNanos;
  }

  /**
   * Continues a revision another autoscaler scaled to {@code replicas} (see {@link
   * Scaler#adoptedReplicas}), as Knative's restarted autoscaler continues from the PA status it
   * persisted: the scale target is initialized, the PA is active (inactive at 0) since now, and
   * {@code replicas} count as already requested. With an unknown desired scale the PA then changes
   * nothing; scaling to zero still waits a stable window (and the grace period) from now.
   */
  void resume(int replicas) {
    requestedReplicas = replicas;
    desiredScale = replicas;
    scaleTargetInitialized = true;
    active = replicas > 0 ? Active.ACTIVE : Active.INACTIVE;
    reason = replicas > 0 ? "" : "NoTraffic";
  }

  /**
   * One reconcile at {@code now}.
   *
   * @param deciderDesired the decider's desired scale, -1 before its first valid decision
   * @param deciderEbc the decider's excess burst capacity
   * @param ready ready pods now
   */
  void reconcile(
      long now,
      RevisionScaling spec,
      int deciderDesired,
      int deciderEbc,
      int ready,
      Actions actions) {
    int w = scale(now, spec, deciderDesired, actions);

    // The activator is in the path when scaled to zero, when the burst capacity is short, or
    // when a restarted autoscaler knows nothing yet about a revision that was inactive.
    SksMode m =
        w == 0 || deciderEbc < 0 || (w == SCALE_UNKNOWN && active == Active.INACTIVE)
            ? SksMode.PROXY
            : SksMode.SERVE;
    // The SKS itself proxies while no pod is ready (serverlessservice.go).
    if (ready <= 0) {
      m = SksMode.PROXY;
    }
    if (m != mode) {
      mode = m;
      proxySince = now;
    }
    activators = RevisionDecider.activators(spec.decider(), ready);
    want = w;
    // A restarted autoscaler's "unknown" does not erase a known desired scale (#14866).
    if (w >= 0 || desiredScale < 0) {
      desiredScale = w;
    }
    computeActiveCondition(now, spec, w, ready);
  }

  /** {@code scaler.scale}: bounds, scale to zero, and the replicas to ask for. */
  private int scale(long now, RevisionScaling spec, int desired, Actions actions) {
    if (desired < 0 && active != Active.ACTIVATING) {
      return desired; // no metrics yet
    }
    DeciderSpec d = spec.decider();
    int min = minScale(spec);
    int initial = d.initialScale();
    // Until the initial scale was reached once, it is a lower bound (not when unreachable).
    if (initial > 1 && !scaleTargetInitialized && d.reachable()) {
      min = Math.max(initial, min);
    }
    int max = spec.maxScale();
    if (desired < min) {
      desired = min;
    }
    if (max != 0 && desired > max) {
      desired = max;
    }
    if (desired == 0) {
      int s = handleScaleToZero(now, spec, actions);
      if (s == SCALE_UNKNOWN) {
        return SCALE_UNKNOWN;
      }
      if (s == HOLD) {
        return 0; // want 0 (the PA goes or stays inactive) without touching the replicas yet
      }
      desired = s;
    }
    if (desired != requestedReplicas) {
      requestedReplicas = desired;
      actions.scale(desired);
    }
    return desired;
  }

  /**
   * {@code handleScaleToZero} for a desired 0: the replicas to apply, {@link #HOLD} for "want 0 but
   * leave the replicas" (Knative's {@code (0, false)}) or {@link #SCALE_UNKNOWN}.
   */
  private int handleScaleToZero(long now, RevisionScaling spec, Actions actions) {
    if (!spec.enableScaleToZero()) {
      return 1;
    }
    DeciderSpec d = spec.decider();
    switch (active) {
      case ACTIVATING:
        {
          // Stuck activating longer than the progress deadline: give up, scale to zero.
          long timeout = spec.progressDeadline().toNanos() + ACTIVATION_TIMEOUT_BUFFER;
          if (now - (activeSince + timeout) > 0) {
            return 0;
          }
          actions.requeueAfter(timeout);
          return SCALE_UNKNOWN;
        }
      case ACTIVE:
        {
          // Active for a whole stable window without traffic: go inactive (PROXY), but keep the
          // pods; they go after the grace period. Otherwise hold one pod until then.
          long stableWindow = d.stableWindow().toNanos();
          long activeFor = now - activeSince;
          if (activeFor >= stableWindow) {
            // Knative re-reconciles on the SKS change; if the SKS is already proxying nothing
            // changes there, hence the explicit requeue.
            actions.requeueAfter(mode == SksMode.PROXY ? INACTIVE_PROXY_REQUEUE : 0);
            return HOLD;
          }
          actions.requeueAfter(stableWindow - activeFor);
          return 1;
        }
      case INACTIVE:
      default:
        {
          // With TBC -1 the activator is always in the path; otherwise make sure it is before
          // the last pod goes.
          if (d.targetBurstCapacity() != -1 && !activatorConfirmed) {
            actions.probeActivator();
            return HOLD;
          }
          long grace = spec.scaleToZeroGracePeriod().toNanos();
          long retention = d.reachable() ? spec.scaleToZeroPodRetentionPeriod().toNanos() : 0;
          long inactiveFor = now - activeSince;
          if (inactiveFor >= Math.max(grace, retention)) {
            return 0;
          }
          // The last pod's retention is a hard deadline, whatever the network state.
          if (retention > 0 && inactiveFor < retention) {
            actions.requeueAfter(retention - inactiveFor);
            return HOLD;
          }
          // Otherwise the activator must have been in the path for the grace period.
          long proxyFor = mode == SksMode.PROXY ? now - proxySince : 0;
          long remaining = grace - proxyFor;
          if (remaining <= 0) {
            return 0;
          }
          actions.requeueAfter(remaining);
          return HOLD;
        }
    }
  }

  /** {@code computeActiveCondition}. */
  private void computeActiveCondition(long now, RevisionScaling spec, int w, int ready) {
    int min = minScale(spec);
    int minReady =
        scaleTargetInitialized ? Math.max(min, 1) : Math.max(min, spec.decider().initialScale());
    if (ready >= minReady) {
      scaleTargetInitialized = true;
    }
    if (w == 0 || minReady == 0) {
      // Scaling to zero while activating only happens when activation timed out.
      mark(
          now,
          Active.INACTIVE,
          active == Active.ACTIVATING && minReady > 0 ? "TimedOut" : "NoTraffic");
    } else if (ready < minReady) {
      if (w > 0 || active != Active.INACTIVE) {
        mark(now, Active.ACTIVATING, "Queued");
      } else {
        mark(now, Active.INACTIVE, "NoTraffic");
      }
    } else if (w > 0 || active != Active.INACTIVE) {
      mark(now, Active.ACTIVE, "");
    }
  }

  /** Sets the condition; its transition time moves when status or reason changes. */
  private void mark(long now, Active status, String why) {
    if (status != active || !why.equals(reason)) {
      active = status;
      reason = why;
      activeSince = now;
      activatorConfirmed = false; // a new inactive period needs a new confirmation
    }
  }

  /** {@code ScaleBounds}: min-scale is ignored while unreachable. */
  private static int minScale(RevisionScaling spec) {
    return spec.decider().reachable() ? spec.minScale() : 0;
  }

  /** The activator probe answered. */
  void activatorConfirmed(boolean inPath) {
    if (inPath && active == Active.INACTIVE) {
      activatorConfirmed = true;
    }
  }

  /** Scaling to {@code replicas} failed: ask again at the next reconcile. */
  void scaleFailed(int replicas) {
    if (requestedReplicas == replicas) {
      requestedReplicas = SCALE_UNKNOWN;
    }
  }

  Active active() {
    return active;
  }

  String reason() {
    return reason;
  }

  long activeSince() {
    return activeSince;
  }

  boolean scaleTargetInitialized() {
    return scaleTargetInitialized;
  }

  /** {@code status.desiredScale}: -1 until known. */
  int desiredScale() {
    return desiredScale;
  }

  /** The last reconcile's {@code want}: replicas after bounds and scale-to-zero, -1 unknown. */
  int want() {
    return want;
  }

  SksMode mode() {
    return mode;
  }

  int activators() {
    return activators;
  }
}
