package dev.knetty.common.config;

/** How the windows average their buckets ({@code metric-aggregation-algorithm}). */
public enum AggregationAlgorithm {
  /** Plain average over the window's buckets (with Knative's partial-window rules). */
  LINEAR,
  /** Exponentially decaying weights, newest first; neither normalised nor rounded. */
  WEIGHTED_EXPONENTIAL;

  /** Knative's collector: {@code weighted-exponential} selects it, anything else is linear. */
  static AggregationAlgorithm of(String annotation) {
    return RevisionAnnotations.WEIGHTED_EXPONENTIAL.equals(annotation)
        ? WEIGHTED_EXPONENTIAL
        : LINEAR;
  }
}
