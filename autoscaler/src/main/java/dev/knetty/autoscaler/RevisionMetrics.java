package dev.knetty.autoscaler;

import dev.knetty.common.config.AggregationAlgorithm;
import dev.knetty.common.config.DeciderSpec;
import dev.knetty.common.config.ScalingMetric;

/**
 * One revision's collection ({@code pkg/autoscaler/metrics/collector.go}): concurrency and RPS,
 * each in a stable-window and a panic-window ring of 1-second buckets. Values of the same second
 * are summed, so the buckets hold revision-wide totals however many reporters there are.
 *
 * <p>The no-data rule. Knative answers {@code ErrNoData} (an invalid decision) when the stable
 * buckets are empty and the revision has a scrape target, which it has unless TBC is -1: a scraped
 * revision with pods records every second, so silence means the pipeline is broken or there are no
 * pods, while an activator-only revision (TBC -1) is silent whenever it has no traffic, which
 * averages to 0. Knetty has no scraper: queue-proxies push their stat every second (zeros included)
 * just as the scraper would record it. So the same rule applies with "has a scrape target" read as
 * "TBC is not -1".
 *
 * <p>Not thread-safe: the owner serialises access.
 */
final class RevisionMetrics {

  private final AggregationAlgorithm algorithm;
  private final TimedBuckets stableConcurrency;
  private final TimedBuckets panicConcurrency;
  private final TimedBuckets stableRps;
  private final TimedBuckets panicRps;

  RevisionMetrics(DeciderSpec spec) {
    // The algorithm is fixed at creation, as in Knative's collector (updates only resize).
    this.algorithm = spec.aggregation();
    long stable = spec.stableWindow().getSeconds();
    long panic = spec.panicWindow().getSeconds();
    this.stableConcurrency = buckets(stable);
    this.panicConcurrency = buckets(panic);
    this.stableRps = buckets(stable);
    this.panicRps = buckets(panic);
  }

  private TimedBuckets buckets(long windowSeconds) {
    return algorithm == AggregationAlgorithm.WEIGHTED_EXPONENTIAL
        ? new WeightedBuckets(windowSeconds, 1)
        : new TimedBuckets(windowSeconds, 1);
  }

  /** Records a stat's own (not proxied) concurrency and RPS at {@code nanos}. */
  void record(long nanos, double concurrency, double rps) {
    stableConcurrency.record(nanos, concurrency);
    panicConcurrency.record(nanos, concurrency);
    stableRps.record(nanos, rps);
    panicRps.record(nanos, rps);
  }

  /** Follows a changed window annotation ({@code updateMetric}). */
  void resize(DeciderSpec spec, long nanos) {
    long stable = spec.stableWindow().getSeconds();
    long panic = spec.panicWindow().getSeconds();
    stableConcurrency.resizeWindow(stable, nanos);
    panicConcurrency.resizeWindow(panic, nanos);
    stableRps.resizeWindow(stable, nanos);
    panicRps.resizeWindow(panic, nanos);
  }

  /** Whether {@code stableAndPanic} would answer {@code ErrNoData}. */
  boolean noData(ScalingMetric metric, double targetBurstCapacity, long nanos) {
    TimedBuckets stable = metric == ScalingMetric.RPS ? stableRps : stableConcurrency;
    return targetBurstCapacity != -1 && stable.isEmpty(nanos);
  }

  double stable(ScalingMetric metric, long nanos) {
    return (metric == ScalingMetric.RPS ? stableRps : stableConcurrency).windowAverage(nanos);
  }

  double panic(ScalingMetric metric, long nanos) {
    return (metric == ScalingMetric.RPS ? panicRps : panicConcurrency).windowAverage(nanos);
  }
}
