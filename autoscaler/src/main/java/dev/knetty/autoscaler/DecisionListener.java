package dev.knetty.autoscaler;

/**
 * Receives a revision's {@link Decision}s, in order, on the autoscaler's scheduler thread while the
 * revision's lock is held: hand them on (e.g. queue them for the KMP connections) and return; never
 * block.
 */
@FunctionalInterface
public interface DecisionListener {
  /** A revision's decision changed. */
  void onDecision(Decision decision);
}
