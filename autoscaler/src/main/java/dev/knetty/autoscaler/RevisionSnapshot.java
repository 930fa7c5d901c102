package dev.knetty.autoscaler;

import dev.knetty.common.RevisionKey;

/**
 * A revision's autoscaling state at one moment, for {@code /revisions}.
 *
 * @param key the revision
 * @param valid whether the decider's last evaluation was valid (false: no data yet)
 * @param observedStable the stable-window average of the last valid evaluation
 * @param observedPanic the panic-window average of the last valid evaluation
 * @param desiredScale the decider's desired scale, -1 before its first valid evaluation
 * @param excessBurstCapacity the decider's excess burst capacity
 * @param panicMode whether the decider is panicking
 * @param replicas what the KPA wants after bounds and scale-to-zero rules, -1 unknown
 * @param mode whether traffic goes to the pods or through the activators
 * @param readyPods ready pods at the last evaluation
 * @param activators activators for the revision
 * @param active the PodAutoscaler's activity: {@code Active}, {@code Activating} or {@code
 *     Inactive}
 */
public record RevisionSnapshot(
    RevisionKey key,
    boolean valid,
    double observedStable,
    double observedPanic,
    int desiredScale,
    int excessBurstCapacity,
    boolean panicMode,
    int replicas,
    SksMode mode,
    int readyPods,
    int activators,
    String active) {}
