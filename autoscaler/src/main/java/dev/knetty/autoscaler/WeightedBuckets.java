package dev.knetty.autoscaler;

/**
 * Knative's {@code WeightedFloat64Buckets}: the same ring, averaged with exponentially decaying
 * weights, newest bucket first: {@code sum(bucket[i] x m x (1-m)^i)} with {@code m = max(1 - (1 -
 * 0.9999)^(1/nb), 0.2)}. Deliberately neither normalised nor rounded, as Knative's: a single sample
 * {@code v} in a 60-bucket window averages to {@code 0.2 v}.
 */
final class WeightedBuckets extends TimedBuckets {

  /** The weights of the window should sum to at least this much. */
  static final double WEIGHT_PRECISION = 0.9999;

  /** The smallest decay multiplier. */
  static final double MIN_EXPONENT = 0.2;

  private double smoothingCoeff;

  WeightedBuckets(long windowSeconds, long granularitySeconds) {
    super(windowSeconds, granularitySeconds);
    smoothingCoeff = smoothingCoeff(buckets.length);
  }

  static double smoothingCoeff(double numBuckets) {
    return Math.max(1 - Math.pow(1 - WEIGHT_PRECISION, 1 / numBuckets), MIN_EXPONENT);
  }

  double smoothingCoeff() {
    return smoothingCoeff;
  }

  @Override
  double windowAverage(long nanos) {
    if (isEmpty(nanos)) {
      return 0;
    }
    long now = bucketTime(nanos);
    int total = buckets.length;
    long count = total;
    double multiplier = smoothingCoeff;
    if (now > lastWrite) {
      // Skip the empty buckets after the last write: m x (1-m)^zeros.
      long zeros = (now - lastWrite) / granularity;
      multiplier = multiplier * Math.pow(1 - smoothingCoeff, zeros);
      count -= zeros;
    }
    long start = index(lastWrite);
    double ret = 0;
    for (long i = 0; i < count; i++) {
      ret += buckets[slot(start - i)] * multiplier;
      multiplier *= 1 - smoothingCoeff;
    }
    return ret;
  }

  @Override
  void resizeWindow(long windowSeconds, long nanos) {
    super.resizeWindow(windowSeconds, nanos);
    smoothingCoeff = smoothingCoeff(buckets.length);
  }
}
