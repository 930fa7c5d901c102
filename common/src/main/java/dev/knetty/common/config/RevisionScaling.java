package dev.knetty.common.config;

import java.time.Duration;
import java.util.Objects;

/**
 * Everything the autoscaler needs to scale one revision: the decider's spec and the KPA
 * reconciler's bounds and scale-to-zero settings, resolved from {@code config-autoscaler}, the
 * revision's annotations and its containerConcurrency.
 *
 * <p>{@link #minScale} and {@link #scaleToZeroPodRetentionPeriod} are the configured values; the
 * KPA ignores them (uses 0) while the revision is unreachable, as Knative's {@code ScaleBounds} and
 * {@code scaler.go} do.
 *
 * @param decider the decider's spec
 * @param minScale {@code min-scale} (annotation, else config)
 * @param maxScale {@code max-scale} (annotation, else config), 0 for unbounded
 * @param enableScaleToZero {@code enable-scale-to-zero}
 * @param scaleToZeroGracePeriod {@code scale-to-zero-grace-period}
 * @param scaleToZeroPodRetentionPeriod {@code scale-to-zero-pod-retention-period} (annotation, else
 *     config)
 * @param progressDeadline the deployment progress deadline; activation fails after it plus 30 s
 */
public record RevisionScaling(
    DeciderSpec decider,
    int minScale,
    int maxScale,
    boolean enableScaleToZero,
    Duration scaleToZeroGracePeriod,
    Duration scaleToZeroPodRetentionPeriod,
    Duration progressDeadline) {

  /** Knative's default {@code progress-deadline} ({@code config-deployment}). */
  public static final Duration DEFAULT_PROGRESS_DEADLINE = Duration.ofSeconds(600);

  /** Checks the ranges the KPA relies on. */
  public RevisionScaling {
    Objects.requireNonNull(decider, "decider");
    Objects.requireNonNull(scaleToZeroGracePeriod, "scaleToZeroGracePeriod");
    Objects.requireNonNull(scaleToZeroPodRetentionPeriod, "scaleToZeroPodRetentionPeriod");
    Objects.requireNonNull(progressDeadline, "progressDeadline");
    if (minScale < 0) {
      throw new ConfigException("minScale", Integer.toString(minScale), ">= 0");
    }
    if (maxScale < 0) {
      // max < min is possible (config max-scale, annotated min-scale): min wins, as in Knative.
      throw new ConfigException("maxScale", Integer.toString(maxScale), ">= 0 (0: unbounded)");
    }
    if (scaleToZeroGracePeriod.isNegative() || scaleToZeroGracePeriod.isZero()) {
      throw new ConfigException(
          "scaleToZeroGracePeriod", GoDuration.format(scaleToZeroGracePeriod), "> 0s");
    }
    if (scaleToZeroPodRetentionPeriod.isNegative()) {
      throw new ConfigException(
          "scaleToZeroPodRetentionPeriod",
          GoDuration.format(scaleToZeroPodRetentionPeriod),
          ">= 0s");
    }
    if (progressDeadline.isNegative() || progressDeadline.isZero()) {
      throw new ConfigException("progressDeadline", GoDuration.format(progressDeadline), "> 0s");
    }
  }

  /** The defaults: no annotations, containerConcurrency 0, reachable. */
  public static RevisionScaling defaults() {
    return derive(AutoscalerConfig.defaults(), RevisionAnnotations.none(), 0, true);
  }

  /**
   * Resolves the settings of a KPA-class revision as Knative's {@code MakeDecider}, {@code
   * ResolveMetricTarget}, {@code GetInitialScale} and {@code ScaleBounds} do.
   *
   * @param containerConcurrency the revision's {@code spec.containerConcurrency}, 0 for unbounded
   * @param reachable false when no route references the revision
   * @throws ConfigException when the revision's class is not the KPA (the only one Knetty runs)
   */
  public static RevisionScaling derive(
      AutoscalerConfig config,
      RevisionAnnotations annotations,
      int containerConcurrency,
      boolean reachable) {
    Objects.requireNonNull(config, "config");
    Objects.requireNonNull(annotations, "annotations");
    if (containerConcurrency < 0) {
      throw new ConfigException(
          "containerConcurrency", Integer.toString(containerConcurrency), ">= 0");
    }
    String klass = annotations.autoscalerClass().orElse(config.podAutoscalerClass());
    if (!klass.equals(AutoscalerConfig.KPA_CLASS)) {
      throw new ConfigException(
          RevisionAnnotations.CLASS.get(0),
          klass,
          AutoscalerConfig.KPA_CLASS + " (Knetty only runs the KPA)");
    }
    ScalingMetric metric =
        annotations.metric().map(RevisionScaling::metric).orElse(ScalingMetric.CONCURRENCY);

    // ResolveMetricTarget
    double total;
    double utilization;
    if (metric == ScalingMetric.RPS) {
      total = config.requestsPerSecondTargetDefault();
      utilization = AutoscalerConfig.RPS_TARGET_UTILIZATION;
    } else {
      total =
          containerConcurrency > 0
              ? containerConcurrency
              : config.containerConcurrencyTargetDefault();
      utilization = config.containerConcurrencyTargetFraction();
    }
    if (annotations.target().isPresent()) {
      double t = annotations.target().getAsDouble();
      // Never aim above what the container accepts.
      total =
          metric == ScalingMetric.CONCURRENCY && containerConcurrency != 0
              ? Math.min(t, containerConcurrency)
              : t;
    }
    if (annotations.targetUtilizationPercentage().isPresent()) {
      utilization = annotations.targetUtilizationPercentage().getAsDouble() / 100;
    }
    double target = Math.max(AutoscalerConfig.TARGET_MIN, total * utilization);

    Duration stableWindow = annotations.window().orElse(config.stableWindow());
    double panicWindowPercentage =
        annotations.panicWindowPercentage().orElse(config.panicWindowPercentage());
    double panicThresholdPercentage =
        annotations.panicThresholdPercentage().orElse(config.panicThresholdPercentage());

    // GetInitialScale: an annotated 0 only counts when the cluster allows it.
    int initialScale = config.initialScale();
    if (annotations.initialScale().isPresent()) {
      int a = annotations.initialScale().getAsInt();
      if (a != 0 || config.allowZeroInitialScale()) {
        initialScale = a;
      }
    }

    DeciderSpec decider =
        new DeciderSpec(
            metric,
            target,
            total,
            panicThresholdPercentage / 100.0,
            stableWindow,
            DeciderSpec.panicWindow(stableWindow, panicWindowPercentage),
            annotations.targetBurstCapacity().orElse(config.targetBurstCapacity()),
            annotations.scaleDownDelay().orElse(config.scaleDownDelay()),
            annotations.activationScale().orElse(0),
            initialScale,
            reachable,
            config.activatorCapacity(),
            config.maxScaleUpRate(),
            config.maxScaleDownRate(),
            AggregationAlgorithm.of(annotations.metricAggregationAlgorithm().orElse("")));
    return new RevisionScaling(
        decider,
        annotations.minScale().orElse(config.minScale()),
        annotations.maxScale().orElse(config.maxScale()),
        config.enableScaleToZero(),
        config.scaleToZeroGracePeriod(),
        annotations.scaleToZeroPodRetentionPeriod().orElse(config.scaleToZeroPodRetentionPeriod()),
        annotations.progressDeadline().orElse(DEFAULT_PROGRESS_DEADLINE));
  }

  private static ScalingMetric metric(String value) {
    for (ScalingMetric m : ScalingMetric.values()) {
      if (m.value().equals(value)) {
        return m;
      }
    }
    throw new ConfigException(RevisionAnnotations.METRIC.get(0), value, "concurrency or rps");
  }
}
