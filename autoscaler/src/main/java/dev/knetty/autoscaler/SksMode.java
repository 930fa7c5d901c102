package dev.knetty.autoscaler;

/**
 * Who receives a revision's traffic (Knative's ServerlessService mode).
 *
 * <p>{@link #SERVE}: straight to the pods; {@link #PROXY}: through the activators, which buffer
 * while the revision scales from zero or lacks burst capacity.
 */
public enum SksMode {
  /** Traffic goes to the pods. */
  SERVE,
  /** Traffic goes through the activators. */
  PROXY
}
