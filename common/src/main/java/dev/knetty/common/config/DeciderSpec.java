package dev.knetty.common.config;

import java.time.Duration;
import java.util.Objects;

/**
 * What a revision's decider computes with: Knative's {@code scaling.DeciderSpec} plus the panic
 * window its collector uses ({@code pkg/reconciler/autoscaling/kpa/resources/decider.go}, {@code
 * pkg/reconciler/autoscaling/resources/target.go}). Build it with {@link RevisionScaling#derive}.
 *
 * @param metric the metric scaled on
 * @param targetValue per-pod value to maintain: {@code max(0.01, totalValue x utilization)}
 * @param totalValue per-pod value a pod can take (containerConcurrency or the default)
 * @param panicThreshold panic when {@code ceil(panic/target)/max(1,ready) >=} this (2.0 = 200%)
 * @param stableWindow the stable window, also how long panic mode lasts
 * @param panicWindow the panic window: stable window x panic-window-percentage, rounded to the
 *     second, at least 1 s
 * @param targetBurstCapacity TBC: 0 none, -1 activator always in the path, > 0 a capacity
 * @param scaleDownDelay how long scale-downs are held back (0: none)
 * @param activationScale the minimum non-zero scale (0 or 1: none)
 * @param initialScale replicas a new revision starts with
 * @param reachable whether a route references the revision
 * @param activatorCapacity requests one activator is sized for
 * @param maxScaleUpRate at most {@code ceil(rate x max(1,ready))} pods per decision
 * @param maxScaleDownRate at least {@code floor(max(1,ready) / rate)} pods per decision
 * @param aggregation how the windows average
 */
public record DeciderSpec(
    ScalingMetric metric,
    double targetValue,
    double totalValue,
    double panicThreshold,
    Duration stableWindow,
    Duration panicWindow,
    double targetBurstCapacity,
    Duration scaleDownDelay,
    int activationScale,
    int initialScale,
    boolean reachable,
    double activatorCapacity,
    double maxScaleUpRate,
    double maxScaleDownRate,
    AggregationAlgorithm aggregation) {

  /** Checks the ranges every decider relies on. */
  public DeciderSpec {
    Objects.requireNonNull(metric, "metric");
    Objects.requireNonNull(stableWindow, "stableWindow");
    Objects.requireNonNull(panicWindow, "panicWindow");
    Objects.requireNonNull(scaleDownDelay, "scaleDownDelay");
    Objects.requireNonNull(aggregation, "aggregation");
    if (!(targetValue > 0) || !Double.isFinite(targetValue)) {
      throw new ConfigException("targetValue", GoStrconv.format(targetValue), "> 0");
    }
    if (!(totalValue > 0) || !Double.isFinite(totalValue)) {
      throw new ConfigException("totalValue", GoStrconv.format(totalValue), "> 0");
    }
    if (!Double.isFinite(panicThreshold)) {
      throw new ConfigException("panicThreshold", Double.toString(panicThreshold), "finite");
    }
    if (stableWindow.getSeconds() < 1 || !AutoscalerConfig.isWholeSeconds(stableWindow)) {
      throw new ConfigException(
          "stableWindow", GoDuration.format(stableWindow), ">= 1s, whole seconds");
    }
    if (panicWindow.getSeconds() < 1 || !AutoscalerConfig.isWholeSeconds(panicWindow)) {
      throw new ConfigException(
          "panicWindow", GoDuration.format(panicWindow), ">= 1s, whole seconds");
    }
    if (!Double.isFinite(targetBurstCapacity)
        || (targetBurstCapacity < 0 && targetBurstCapacity != -1)) {
      throw new ConfigException(
          "targetBurstCapacity", GoStrconv.format(targetBurstCapacity), ">= 0 or -1");
    }
    if (scaleDownDelay.isNegative()) {
      throw new ConfigException("scaleDownDelay", GoDuration.format(scaleDownDelay), ">= 0s");
    }
    if (initialScale < 0) {
      throw new ConfigException("initialScale", Integer.toString(initialScale), ">= 0");
    }
    if (!(activatorCapacity > 0) || !Double.isFinite(activatorCapacity)) {
      throw new ConfigException("activatorCapacity", GoStrconv.format(activatorCapacity), "> 0");
    }
    if (!(maxScaleUpRate > 1) || !Double.isFinite(maxScaleUpRate)) {
      throw new ConfigException("maxScaleUpRate", GoStrconv.format(maxScaleUpRate), "> 1");
    }
    if (!(maxScaleDownRate > 1) || !Double.isFinite(maxScaleDownRate)) {
      throw new ConfigException("maxScaleDownRate", GoStrconv.format(maxScaleDownRate), "> 1");
    }
  }

  /**
   * The panic window: {@code time.Duration(float64(stable) * pct / 100).Round(time.Second)}, at
   * least one bucket (1 s). The float product is truncated to nanoseconds first, as Go's conversion
   * does, and halves round up.
   */
  public static Duration panicWindow(Duration stableWindow, double panicWindowPercentage) {
    long ns = (long) ((double) stableWindow.toNanos() * panicWindowPercentage / 100.0);
    long second = 1_000_000_000L;
    long r = ns % second;
    long rounded = r + r < second ? ns - r : ns + second - r;
    return Duration.ofNanos(Math.max(rounded, second));
  }
}
