package dev.knetty.autoscaler;

import dev.knetty.common.RevisionKey;
import java.util.concurrent.CompletionStage;

/**
 * What the autoscaler needs from the platform that runs a revision's pods: Kubernetes (the
 * Deployment's {@code scale} subresource and an EndpointSlice cache) or local processes.
 *
 * <p>Every method is called from the autoscaler's scheduler threads, possibly while a revision's
 * lock is held, so implementations must not block: {@link #readyPods} reads a cache, and the
 * asynchronous operations complete their stage later (on any thread; the autoscaler hands the
 * completion back to its own scheduler). Implementations must not call back into the {@link
 * Multiscaler} from these methods.
 *
 * <p>The scaler owns the workload: it exists with the revision's initial scale before the
 * autoscaler first asks for replicas (as Knative's revision reconciler creates the Deployment with
 * {@code initial-scale} replicas).
 */
public interface Scaler {

  /** {@link #readyPods} when the count is not available right now. */
  int UNKNOWN = -1;

  /**
   * The revision's ready pods (running, not terminating, passing readiness), from a cache.
   *
   * @return the count; 0 when the revision has no workload (yet); {@link #UNKNOWN} when it cannot
   *     be counted now, which makes the decider's evaluation invalid, as a lister error does in
   *     Knative
   */
  int readyPods(RevisionKey key);

  /**
   * The replicas of a revision whose workload was already running before this autoscaler took
   * charge of it, e.g. every revision a new leader finds after a fail-over: what Knative's
   * restarted autoscaler reads from the PodAutoscaler's persisted status. The autoscaler then
   * resumes from them (the revision is active at that scale, or inactive at 0, its initial scale
   * done) instead of starting it as a new revision, so that an unknown desired scale changes no
   * replicas. {@link #UNKNOWN} (the default) for a new revision.
   */
  default int adoptedReplicas(RevisionKey key) {
    return UNKNOWN;
  }

  /**
   * Sets the revision's replicas. May fail (completing exceptionally); the autoscaler then asks
   * again later.
   */
  CompletionStage<Void> scale(RevisionKey key, int replicas);

  /**
   * Confirms that the revision's traffic goes through the activator before its last pod is removed
   * (Knative probes the revision's public service for the activator's answer). Completes with
   * false, or exceptionally, when it does not (yet): the autoscaler asks again a second later.
   */
  CompletionStage<Boolean> activatorInPath(RevisionKey key);

  /**
   * Adds a listener told whenever a revision's ready pod count changes; implementations that poll
   * call it from their poll loop. It may be called from any thread.
   */
  void addReadyPodsListener(ReadyPodsListener listener);

  /** Removes a listener added with {@link #addReadyPodsListener}. */
  void removeReadyPodsListener(ReadyPodsListener listener);

  /** Told about changes of a revision's ready pod count. */
  @FunctionalInterface
  interface ReadyPodsListener {
    /** {@code key} now has {@code readyPods} ready pods. */
    void readyPodsChanged(RevisionKey key, int readyPods);
  }
}
