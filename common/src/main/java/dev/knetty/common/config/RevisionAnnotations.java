package dev.knetty.common.config;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.OptionalInt;
import java.util.Set;

/**
 * A revision's {@code autoscaling.knative.dev/*} annotations (and {@code
 * serving.knative.dev/progress-deadline}), parsed and validated as Knative's webhook does ({@code
 * pkg/apis/autoscaling/annotation_validation.go}). Each setting is looked up under its keys in
 * priority order, kebab-case first ({@code min-scale} before {@code minScale}); an absent setting
 * is empty and falls back to {@code config-autoscaler} in {@link RevisionScaling#derive}.
 *
 * @param autoscalerClass {@code class}; ending in {@code .knative.dev} it must be the KPA or HPA
 * @param metric {@code metric}: {@code concurrency} or {@code rps} for the KPA
 * @param target {@code target}: >= 0.01
 * @param targetUtilizationPercentage {@code target-utilization-percentage}: [1, 100]
 * @param targetBurstCapacity {@code target-burst-capacity}: >= 0 or -1
 * @param window {@code window}: [6s, 1h], whole seconds
 * @param panicWindowPercentage {@code panic-window-percentage}: [1, 100]
 * @param panicThresholdPercentage {@code panic-threshold-percentage}: [110, 1000]
 * @param minScale {@code min-scale}: >= 0
 * @param maxScale {@code max-scale}: >= 0 (0 unbounded), >= min-scale; within max-scale-limit
 * @param initialScale {@code initial-scale}: >= 1, or 0 with {@code allow-zero-initial-scale}
 * @param activationScale {@code activation-scale}: >= 2, >= min-scale, <= max-scale
 * @param scaleDownDelay {@code scale-down-delay}: [0, 1h], whole seconds
 * @param scaleToZeroPodRetentionPeriod {@code scale-to-zero-pod-retention-period}: [0, 1h]
 * @param metricAggregationAlgorithm {@code metric-aggregation-algorithm}, with {@code
 *     weightedExponential} normalised to {@code weighted-exponential}
 * @param progressDeadline {@code serving.knative.dev/progress-deadline}: > 0, whole seconds
 */
public record RevisionAnnotations(
    Optional<String> autoscalerClass,
    Optional<String> metric,
    OptionalDouble target,
    OptionalDouble targetUtilizationPercentage,
    OptionalDouble targetBurstCapacity,
    Optional<Duration> window,
    OptionalDouble panicWindowPercentage,
    OptionalDouble panicThresholdPercentage,
    OptionalInt minScale,
    OptionalInt maxScale,
    OptionalInt initialScale,
    OptionalInt activationScale,
    Optional<Duration> scaleDownDelay,
    Optional<Duration> scaleToZeroPodRetentionPeriod,
    Optional<String> metricAggregationAlgorithm,
    Optional<Duration> progressDeadline) {

  /** The annotation domain. */
  public static final String GROUP = "autoscaling.knative.dev/";

  static final List<String> CLASS = keys("class");
  static final List<String> METRIC = keys("metric");
  static final List<String> TARGET = keys("target");
  static final List<String> TARGET_UTILIZATION =
      keys("target-utilization-percentage", "targetUtilizationPercentage");
  static final List<String> TARGET_BURST_CAPACITY =
      keys("target-burst-capacity", "targetBurstCapacity");
  static final List<String> WINDOW = keys("window");
  static final List<String> PANIC_WINDOW_PERCENTAGE =
      keys("panic-window-percentage", "panicWindowPercentage");
  static final List<String> PANIC_THRESHOLD_PERCENTAGE =
      keys("panic-threshold-percentage", "panicThresholdPercentage");
  static final List<String> MIN_SCALE = keys("min-scale", "minScale");
  static final List<String> MAX_SCALE = keys("max-scale", "maxScale");
  static final List<String> INITIAL_SCALE = keys("initial-scale", "initialScale");
  static final List<String> ACTIVATION_SCALE = keys("activation-scale");
  static final List<String> SCALE_DOWN_DELAY = keys("scale-down-delay", "scaleDownDelay");
  static final List<String> POD_RETENTION =
      keys("scale-to-zero-pod-retention-period", "scaleToZeroPodRetentionPeriod");
  static final List<String> AGGREGATION_ALGORITHM =
      keys("metric-aggregation-algorithm", "metricAggregationAlgorithm");

  /** The progress deadline annotation (not in the autoscaling domain). */
  public static final String PROGRESS_DEADLINE = "serving.knative.dev/progress-deadline";

  private static final Set<String> KNOWN = knownKeys();

  /** {@code linear}: the default aggregation. */
  public static final String LINEAR = "linear";

  /** {@code weighted-exponential}. */
  public static final String WEIGHTED_EXPONENTIAL = "weighted-exponential";

  private static final String WEIGHTED_EXPONENTIAL_ALT = "weightedExponential";

  private static final RevisionAnnotations NONE = parse(Map.of(), AutoscalerConfig.defaults());

  /** Requires every component (empty when not annotated). */
  public RevisionAnnotations {
    Objects.requireNonNull(autoscalerClass, "autoscalerClass");
    Objects.requireNonNull(metric, "metric");
    Objects.requireNonNull(target, "target");
    Objects.requireNonNull(targetUtilizationPercentage, "targetUtilizationPercentage");
    Objects.requireNonNull(targetBurstCapacity, "targetBurstCapacity");
    Objects.requireNonNull(window, "window");
    Objects.requireNonNull(panicWindowPercentage, "panicWindowPercentage");
    Objects.requireNonNull(panicThresholdPercentage, "panicThresholdPercentage");
    Objects.requireNonNull(minScale, "minScale");
    Objects.requireNonNull(maxScale, "maxScale");
    Objects.requireNonNull(initialScale, "initialScale");
    Objects.requireNonNull(activationScale, "activationScale");
    Objects.requireNonNull(scaleDownDelay, "scaleDownDelay");
    Objects.requireNonNull(scaleToZeroPodRetentionPeriod, "scaleToZeroPodRetentionPeriod");
    Objects.requireNonNull(metricAggregationAlgorithm, "metricAggregationAlgorithm");
    Objects.requireNonNull(progressDeadline, "progressDeadline");
  }

  /** No annotations at all. */
  public static RevisionAnnotations none() {
    return NONE;
  }

  /**
   * Validates and parses {@code annotations} as Knative's webhook does; {@code config} supplies
   * {@code max-scale-limit} and {@code allow-zero-initial-scale}. Other keys are ignored.
   *
   * @throws ConfigException listing every problem, each with the key as written, the value and the
   *     expected range
   */
  public static RevisionAnnotations parse(
      Map<String, String> annotations, AutoscalerConfig config) {
    Objects.requireNonNull(annotations, "annotations");
    Objects.requireNonNull(config, "config");
    Validator v = new Validator(annotations);

    // validateClass
    Optional<String> klass = v.raw(CLASS);
    klass.ifPresent(
        c -> {
          if (c.endsWith(".knative.dev")
              && !c.equals(AutoscalerConfig.KPA_CLASS)
              && !c.equals(AutoscalerConfig.HPA_CLASS)) {
            v.problem(CLASS, c, AutoscalerConfig.KPA_CLASS + " or " + AutoscalerConfig.HPA_CLASS);
          }
        });

    // validateMinMaxScale
    OptionalInt minScale = v.intAtLeastZero(MIN_SCALE);
    OptionalInt maxScale = v.intAtLeastZero(MAX_SCALE);
    int min = minScale.orElse(0);
    int max = maxScale.orElse(0);
    if (max != 0 && max < min) {
      v.problem(MAX_SCALE, Integer.toString(max), ">= min-scale (" + min + ")");
    }
    if (v.has(MAX_SCALE) && config.maxScaleLimit() > 0) {
      if (max > config.maxScaleLimit() || max == 0) {
        v.problem(
            MAX_SCALE,
            v.value(MAX_SCALE),
            "between 1 and max-scale-limit (" + config.maxScaleLimit() + ")");
      }
    }
    OptionalInt activationScale = OptionalInt.empty();
    if (v.has(ACTIVATION_SCALE)) {
      String raw = v.value(ACTIVATION_SCALE);
      Integer nz = GoStrconv.parseInt32(raw);
      if (nz == null) {
        v.problem(ACTIVATION_SCALE, raw, "an integer");
      } else if (min > nz) {
        v.problem(ACTIVATION_SCALE, raw, ">= min-scale (" + min + ")");
      } else if (max != 0 && max < nz) {
        v.problem(ACTIVATION_SCALE, raw, "<= max-scale (" + max + ")");
      } else if (nz < 2) {
        v.problem(ACTIVATION_SCALE, raw, ">= 2");
      } else {
        activationScale = OptionalInt.of(nz);
      }
    }

    // validateFloats
    OptionalDouble panicWindowPercentage =
        v.number(PANIC_WINDOW_PERCENTAGE, 1, 100, "between 1 and 100");
    OptionalDouble panicThresholdPercentage =
        v.number(PANIC_THRESHOLD_PERCENTAGE, 110, 1000, "between 110 and 1000");
    OptionalDouble target =
        v.number(TARGET, AutoscalerConfig.TARGET_MIN, Double.MAX_VALUE, ">= 0.01");
    OptionalDouble targetUtilization = v.number(TARGET_UTILIZATION, 1, 100, "between 1 and 100");
    OptionalDouble tbc = OptionalDouble.empty();
    if (v.has(TARGET_BURST_CAPACITY)) {
      String raw = v.value(TARGET_BURST_CAPACITY);
      Double d = GoStrconv.parseFloat(raw);
      if (d == null || (d < 0 && d != -1)) {
        v.problem(TARGET_BURST_CAPACITY, raw, ">= 0, or -1 for unlimited");
      } else {
        tbc = OptionalDouble.of(d);
      }
    }

    // validateWindow, validateLastPodRetention, validateScaleDownDelay
    Optional<Duration> window =
        v.duration(
            WINDOW,
            AutoscalerConfig.WINDOW_MIN,
            AutoscalerConfig.WINDOW_MAX,
            true,
            "between 6s and 1h, whole seconds");
    Optional<Duration> retention =
        v.duration(POD_RETENTION, Duration.ZERO, AutoscalerConfig.WINDOW_MAX, false, "0s to 1h");
    Optional<Duration> scaleDownDelay =
        v.duration(
            SCALE_DOWN_DELAY,
            Duration.ZERO,
            AutoscalerConfig.WINDOW_MAX,
            true,
            "0s to 1h, whole seconds");

    // validateMetric: without a class annotation the metric is checked as the KPA's.
    Optional<String> metric = v.raw(METRIC);
    if (metric.isPresent()) {
      String m = metric.get();
      String c = klass.orElse(AutoscalerConfig.KPA_CLASS);
      if (c.equals(AutoscalerConfig.KPA_CLASS)
          && !m.equals(ScalingMetric.CONCURRENCY.value())
          && !m.equals(ScalingMetric.RPS.value())) {
        v.problem(METRIC, m, "concurrency or rps");
      } else if (c.equals(AutoscalerConfig.HPA_CLASS) && m.isEmpty()) {
        v.problem(METRIC, m, "a metric name");
      }
    }

    // validateAlgorithm: only checked when the class is explicitly the KPA.
    Optional<String> algorithm = v.raw(AGGREGATION_ALGORITHM);
    if (klass.filter(AutoscalerConfig.KPA_CLASS::equals).isPresent()
        && algorithm.filter(a -> !a.isEmpty()).isPresent()) {
      String a = algorithm.get();
      if (!a.equals(LINEAR)
          && !a.equals(WEIGHTED_EXPONENTIAL)
          && !a.equals(WEIGHTED_EXPONENTIAL_ALT)) {
        v.problem(AGGREGATION_ALGORITHM, a, "linear or weighted-exponential");
      }
    }
    // metric_lifecycle.go: the alternative spelling is normalised.
    algorithm = algorithm.map(a -> a.equals(WEIGHTED_EXPONENTIAL_ALT) ? WEIGHTED_EXPONENTIAL : a);

    // validateInitialScale
    OptionalInt initialScale = OptionalInt.empty();
    if (v.has(INITIAL_SCALE)) {
      String raw = v.value(INITIAL_SCALE);
      Integer i = GoStrconv.parseInt32(raw);
      if (i == null || i < 0) {
        v.problem(INITIAL_SCALE, raw, "an integer between 0 and 2147483647");
      } else if (i == 0 && !config.allowZeroInitialScale()) {
        v.problem(INITIAL_SCALE, raw, ">= 1 (allow-zero-initial-scale is false)");
      } else {
        initialScale = OptionalInt.of(i);
      }
    }

    Optional<Duration> progressDeadline = Optional.empty();
    String pd = annotations.get(PROGRESS_DEADLINE);
    if (pd != null) {
      try {
        Duration d = GoDuration.parse(pd);
        if (d.isNegative() || d.isZero() || !AutoscalerConfig.isWholeSeconds(d)) {
          v.problems.add(new ConfigException(PROGRESS_DEADLINE, pd, "> 0s, whole seconds"));
        } else {
          progressDeadline = Optional.of(d);
        }
      } catch (IllegalArgumentException e) {
        v.problems.add(new ConfigException(PROGRESS_DEADLINE, pd, "a duration like 600s"));
      }
    }

    ConfigException.throwIfAny(v.problems);
    return new RevisionAnnotations(
        klass,
        metric,
        target,
        targetUtilization,
        tbc,
        window,
        panicWindowPercentage,
        panicThresholdPercentage,
        minScale,
        maxScale,
        initialScale,
        activationScale,
        scaleDownDelay,
        retention,
        algorithm,
        progressDeadline);
  }

  /**
   * The keys of {@code annotations} in the {@code autoscaling.knative.dev/} domain that Knative
   * does not know (and ignores), in their order.
   */
  public static Set<String> unknownKeys(Map<String, String> annotations) {
    Set<String> unknown = new LinkedHashSet<>();
    for (String key : annotations.keySet()) {
      if (key.startsWith(GROUP) && !KNOWN.contains(key)) {
        unknown.add(key);
      }
    }
    return unknown;
  }

  private static List<String> keys(String... names) {
    List<String> keys = new ArrayList<>(names.length);
    for (String n : names) {
      keys.add(GROUP + n);
    }
    return List.copyOf(keys);
  }

  private static Set<String> knownKeys() {
    Set<String> known = new LinkedHashSet<>();
    for (List<String> k :
        List.of(
            CLASS,
            METRIC,
            TARGET,
            TARGET_UTILIZATION,
            TARGET_BURST_CAPACITY,
            WINDOW,
            PANIC_WINDOW_PERCENTAGE,
            PANIC_THRESHOLD_PERCENTAGE,
            MIN_SCALE,
            MAX_SCALE,
            INITIAL_SCALE,
            ACTIVATION_SCALE,
            SCALE_DOWN_DELAY,
            POD_RETENTION,
            AGGREGATION_ALGORITHM)) {
      known.addAll(k);
    }
    return Set.copyOf(known);
  }

  /** Looks keys up by priority ({@code kmap.KeyPriority}) and collects problems. */
  private static final class Validator {
    private final Map<String, String> annotations;
    private final List<ConfigException> problems = new ArrayList<>();

    Validator(Map<String, String> annotations) {
      this.annotations = annotations;
    }

    /** The first of {@code keys} present, or null. */
    String key(List<String> keys) {
      for (String k : keys) {
        if (annotations.containsKey(k)) {
          return k;
        }
      }
      return null;
    }

    boolean has(List<String> keys) {
      return key(keys) != null;
    }

    String value(List<String> keys) {
      return annotations.get(key(keys));
    }

    Optional<String> raw(List<String> keys) {
      String k = key(keys);
      return k == null ? Optional.empty() : Optional.of(annotations.get(k));
    }

    void problem(List<String> keys, String value, String expected) {
      String k = key(keys);
      problems.add(new ConfigException(k == null ? keys.get(0) : k, value, expected));
    }

    /** {@code getIntGE0}: an int32 >= 0; absent or invalid gives 0 for the cross-checks. */
    OptionalInt intAtLeastZero(List<String> keys) {
      if (!has(keys)) {
        return OptionalInt.empty();
      }
      String raw = value(keys);
      Integer i = GoStrconv.parseInt32(raw);
      if (i == null || i < 0) {
        problem(keys, raw, "an integer between 0 and 2147483647");
        return OptionalInt.empty();
      }
      return OptionalInt.of(i);
    }

    OptionalDouble number(List<String> keys, double min, double max, String expected) {
      if (!has(keys)) {
        return OptionalDouble.empty();
      }
      String raw = value(keys);
      Double d = GoStrconv.parseFloat(raw);
      if (d == null) {
        problem(keys, raw, "a finite decimal number, " + expected);
        return OptionalDouble.empty();
      }
      if (d < min || d > max) {
        problem(keys, raw, expected);
        return OptionalDouble.empty();
      }
      return OptionalDouble.of(d);
    }

    Optional<Duration> duration(
        List<String> keys, Duration min, Duration max, boolean wholeSeconds, String expected) {
      if (!has(keys)) {
        return Optional.empty();
      }
      String raw = value(keys);
      Duration d;
      try {
        d = GoDuration.parse(raw);
      } catch (IllegalArgumentException e) {
        problem(keys, raw, "a duration like 60s, " + expected);
        return Optional.empty();
      }
      if (d.compareTo(min) < 0
          || d.compareTo(max) > 0
          || (wholeSeconds && !AutoscalerConfig.isWholeSeconds(d))) {
        problem(keys, raw, expected);
        return Optional.empty();
      }
      return Optional.of(d);
    }
  }
}
