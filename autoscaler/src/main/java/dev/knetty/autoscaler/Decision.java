package dev.knetty.autoscaler;

import dev.knetty.common.RevisionKey;

/**
 * What the autoscaler decided for a revision, pushed to {@link DecisionListener}s (on their way to
 * the activators) whenever the replicas, the mode, the number of activators, the decider's desired
 * scale or the sign of the excess burst capacity changes.
 *
 * @param key the revision
 * @param desiredScale the decider's desired scale (-1 before its first valid decision)
 * @param replicas what the KPA wants after bounds and scale-to-zero rules (-1 unknown)
 * @param excessBurstCapacity the decider's excess burst capacity
 * @param mode whether traffic goes to the pods or through the activators
 * @param activators how many activators should carry the revision's traffic
 * @param readyPods the ready pods when decided
 */
public record Decision(
    RevisionKey key,
    int desiredScale,
    int replicas,
    int excessBurstCapacity,
    SksMode mode,
    int activators,
    int readyPods) {

  /** Whether a listener needs to hear about {@code next} after this one. */
  boolean differsFrom(Decision next) {
    return desiredScale != next.desiredScale
        || replicas != next.replicas
        || mode != next.mode
        || activators != next.activators
        || !Multiscaler.sameSign(excessBurstCapacity, next.excessBurstCapacity);
  }
}
