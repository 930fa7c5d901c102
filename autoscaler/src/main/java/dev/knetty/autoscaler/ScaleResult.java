package dev.knetty.autoscaler;

/**
 * One evaluation of a revision's decider ({@code ScaleResult} plus what was observed).
 *
 * @param valid false when the decider had nothing to decide on (no data, or the ready pod count was
 *     unavailable); the other fields are then 0
 * @param desiredScale pods wanted, before the KPA's bounds and scale-to-zero rules
 * @param excessBurstCapacity spare capacity after the target burst capacity: negative puts the
 *     activator in the path; -1 with TBC -1, 0 with TBC 0
 * @param panicMode whether the decider is panicking
 * @param observedStable the stable-window average of the scaling metric
 * @param observedPanic the panic-window average of the scaling metric
 */
public record ScaleResult(
    boolean valid,
    int desiredScale,
    int excessBurstCapacity,
    boolean panicMode,
    double observedStable,
    double observedPanic) {

  /** The invalid result. */
  public static final ScaleResult INVALID = new ScaleResult(false, 0, 0, false, 0, 0);
}
