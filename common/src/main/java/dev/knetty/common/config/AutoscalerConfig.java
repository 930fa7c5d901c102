package dev.knetty.common.config;

import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * The cluster-wide {@code config-autoscaler} settings, with Knative's defaults, parsing and
 * validation ({@code pkg/autoscaler/config/config.go}).
 *
 * <p>{@link #fromMap} reads the config map's data exactly as Knative does: unknown keys are ignored
 * (see {@link #unknownKeys}), unparsable values are rejected, {@code
 * container-concurrency-target-percentage} values above 1 are percentages (divided by 100) and
 * values in (0, 1] are already fractions. The compact constructor applies Knative's range checks,
 * so programmatic construction is validated too.
 *
 * @param enableScaleToZero {@code enable-scale-to-zero}: false turns a desired 0 into 1
 * @param containerConcurrencyTargetFraction {@code container-concurrency-target-percentage} as a
 *     fraction in (0, 1]
 * @param containerConcurrencyTargetDefault {@code container-concurrency-target-default}: the
 *     per-pod concurrency total when containerConcurrency is 0
 * @param requestsPerSecondTargetDefault {@code requests-per-second-target-default}
 * @param targetBurstCapacity {@code target-burst-capacity}: >= 0, or -1 for "activator always in
 *     the path"
 * @param stableWindow {@code stable-window}: [6s, 1h], whole seconds
 * @param panicWindowPercentage {@code panic-window-percentage}: [1, 100]
 * @param panicThresholdPercentage {@code panic-threshold-percentage}: not validated (as Knative)
 * @param maxScaleUpRate {@code max-scale-up-rate}: > 1
 * @param maxScaleDownRate {@code max-scale-down-rate}: > 1
 * @param activatorCapacity {@code activator-capacity}: >= 1
 * @param scaleToZeroGracePeriod {@code scale-to-zero-grace-period}: > 0
 * @param scaleToZeroPodRetentionPeriod {@code scale-to-zero-pod-retention-period}: >= 0
 * @param scaleDownDelay {@code scale-down-delay}: >= 0, whole seconds
 * @param initialScale {@code initial-scale}: >= 1, or 0 with {@code allow-zero-initial-scale}
 * @param allowZeroInitialScale {@code allow-zero-initial-scale}
 * @param minScale {@code min-scale}: >= 0 and <= max-scale when max-scale > 0
 * @param maxScale {@code max-scale}: 0 (unbounded) or up to max-scale-limit
 * @param maxScaleLimit {@code max-scale-limit}: >= 0, 0 for none
 * @param podAutoscalerClass {@code pod-autoscaler-class}
 */
public record AutoscalerConfig(
    boolean enableScaleToZero,
    double containerConcurrencyTargetFraction,
    double containerConcurrencyTargetDefault,
    double requestsPerSecondTargetDefault,
    double targetBurstCapacity,
    Duration stableWindow,
    double panicWindowPercentage,
    double panicThresholdPercentage,
    double maxScaleUpRate,
    double maxScaleDownRate,
    double activatorCapacity,
    Duration scaleToZeroGracePeriod,
    Duration scaleToZeroPodRetentionPeriod,
    Duration scaleDownDelay,
    int initialScale,
    boolean allowZeroInitialScale,
    int minScale,
    int maxScale,
    int maxScaleLimit,
    String podAutoscalerClass) {

  /** The KPA class name ({@code pod-autoscaler-class} default). */
  public static final String KPA_CLASS = "kpa.autoscaling.knative.dev";

  /** The HPA class name. */
  public static final String HPA_CLASS = "hpa.autoscaling.knative.dev";

  /** Target utilization of the RPS metric: not configurable ({@code defaultTargetUtilization}). */
  public static final double RPS_TARGET_UTILIZATION = 0.7;

  /** The smallest concurrency or RPS target ({@code autoscaling.TargetMin}). */
  public static final double TARGET_MIN = 0.01;

  /** The shortest stable window ({@code autoscaling.WindowMin}). */
  public static final Duration WINDOW_MIN = Duration.ofSeconds(6);

  /** The longest stable window ({@code autoscaling.WindowMax}). */
  public static final Duration WINDOW_MAX = Duration.ofHours(1);

  /** Bounds of the panic window percentage. */
  public static final double PANIC_WINDOW_PERCENTAGE_MIN = 1;

  /** Bounds of the panic window percentage. */
  public static final double PANIC_WINDOW_PERCENTAGE_MAX = 100;

  /** Width of one aggregation bucket ({@code BucketSize}). */
  public static final Duration BUCKET_SIZE = Duration.ofSeconds(1);

  /** How often every decider is evaluated ({@code multiscaler.go tickInterval}). */
  public static final Duration TICK_INTERVAL = Duration.ofSeconds(2);

  /** The keys Knative reads from {@code config-autoscaler}. */
  public static final Set<String> KEYS =
      Set.of(
          "enable-scale-to-zero",
          "container-concurrency-target-percentage",
          "container-concurrency-target-default",
          "requests-per-second-target-default",
          "target-burst-capacity",
          "stable-window",
          "panic-window-percentage",
          "panic-threshold-percentage",
          "max-scale-up-rate",
          "max-scale-down-rate",
          "activator-capacity",
          "scale-to-zero-grace-period",
          "scale-to-zero-pod-retention-period",
          "scale-down-delay",
          "initial-scale",
          "allow-zero-initial-scale",
          "min-scale",
          "max-scale",
          "max-scale-limit",
          "pod-autoscaler-class");

  private static final AutoscalerConfig DEFAULTS =
      new AutoscalerConfig(
          true,
          0.7,
          100,
          200,
          211,
          Duration.ofSeconds(60),
          10,
          200,
          1000,
          2,
          100,
          Duration.ofSeconds(30),
          Duration.ZERO,
          Duration.ZERO,
          1,
          false,
          0,
          0,
          0,
          KPA_CLASS);

  /** Knative's checks, in Knative's order ({@code validate} in {@code config.go}). */
  public AutoscalerConfig {
    Objects.requireNonNull(stableWindow, "stableWindow");
    Objects.requireNonNull(scaleToZeroGracePeriod, "scaleToZeroGracePeriod");
    Objects.requireNonNull(scaleToZeroPodRetentionPeriod, "scaleToZeroPodRetentionPeriod");
    Objects.requireNonNull(scaleDownDelay, "scaleDownDelay");
    Objects.requireNonNull(podAutoscalerClass, "podAutoscalerClass");
    requireFinite("container-concurrency-target-percentage", containerConcurrencyTargetFraction);
    requireFinite("container-concurrency-target-default", containerConcurrencyTargetDefault);
    requireFinite("requests-per-second-target-default", requestsPerSecondTargetDefault);
    requireFinite("target-burst-capacity", targetBurstCapacity);
    requireFinite("panic-window-percentage", panicWindowPercentage);
    requireFinite("panic-threshold-percentage", panicThresholdPercentage);
    requireFinite("max-scale-up-rate", maxScaleUpRate);
    requireFinite("max-scale-down-rate", maxScaleDownRate);
    requireFinite("activator-capacity", activatorCapacity);

    if (scaleToZeroGracePeriod.isNegative() || scaleToZeroGracePeriod.isZero()) {
      throw bad("scale-to-zero-grace-period", scaleToZeroGracePeriod, "> 0s");
    }
    if (scaleDownDelay.isNegative() || !isWholeSeconds(scaleDownDelay)) {
      throw bad("scale-down-delay", scaleDownDelay, ">= 0s, whole seconds");
    }
    if (scaleToZeroPodRetentionPeriod.isNegative()) {
      throw bad("scale-to-zero-pod-retention-period", scaleToZeroPodRetentionPeriod, ">= 0s");
    }
    if (targetBurstCapacity < 0 && targetBurstCapacity != -1) {
      throw bad("target-burst-capacity", targetBurstCapacity, ">= 0, or -1 for unlimited");
    }
    if (containerConcurrencyTargetFraction <= 0 || containerConcurrencyTargetFraction > 1) {
      throw new ConfigException(
          "container-concurrency-target-percentage",
          GoStrconv.format(containerConcurrencyTargetFraction),
          "a percentage in (1, 100] or a fraction in (0, 1]");
    }
    double target = containerConcurrencyTargetFraction * containerConcurrencyTargetDefault;
    if (target < TARGET_MIN) {
      throw bad(
          "container-concurrency-target-default",
          containerConcurrencyTargetDefault,
          "a target concurrency (default x target percentage) >= 0.01, got "
              + GoStrconv.format(target));
    }
    if (requestsPerSecondTargetDefault < TARGET_MIN) {
      throw bad("requests-per-second-target-default", requestsPerSecondTargetDefault, ">= 0.01");
    }
    if (activatorCapacity < 1) {
      throw bad("activator-capacity", activatorCapacity, ">= 1");
    }
    if (maxScaleUpRate <= 1) {
      throw bad("max-scale-up-rate", maxScaleUpRate, "> 1");
    }
    if (maxScaleDownRate <= 1) {
      throw bad("max-scale-down-rate", maxScaleDownRate, "> 1");
    }
    if (stableWindow.compareTo(WINDOW_MIN) < 0
        || stableWindow.compareTo(WINDOW_MAX) > 0
        || !isWholeSeconds(stableWindow)) {
      throw bad("stable-window", stableWindow, "between 6s and 1h, whole seconds");
    }
    if (panicWindowPercentage < PANIC_WINDOW_PERCENTAGE_MIN
        || panicWindowPercentage > PANIC_WINDOW_PERCENTAGE_MAX) {
      throw bad("panic-window-percentage", panicWindowPercentage, "between 1 and 100");
    }
    if (initialScale < 0 || (initialScale == 0 && !allowZeroInitialScale)) {
      throw new ConfigException(
          "initial-scale",
          Integer.toString(initialScale),
          ">= 1, or >= 0 when allow-zero-initial-scale is true");
    }
    int minMaxScale = maxScaleLimit > 0 ? 1 : 0; // a limit requires a default max-scale
    if (maxScale < minMaxScale || (maxScaleLimit > 0 && maxScale > maxScaleLimit)) {
      throw new ConfigException(
          "max-scale",
          Integer.toString(maxScale),
          maxScaleLimit > 0
              ? "between 1 and max-scale-limit (" + maxScaleLimit + ")"
              : ">= 0 (0: unbounded)");
    }
    if (maxScaleLimit < 0) {
      throw new ConfigException("max-scale-limit", Integer.toString(maxScaleLimit), ">= 0");
    }
    if (minScale < 0 || (maxScale > 0 && minScale > maxScale)) {
      throw new ConfigException(
          "min-scale",
          Integer.toString(minScale),
          maxScale > 0 ? "between 0 and max-scale (" + maxScale + ")" : ">= 0");
    }
  }

  /** Knative's defaults (an empty {@code config-autoscaler}). */
  public static AutoscalerConfig defaults() {
    return DEFAULTS;
  }

  /**
   * Parses a {@code config-autoscaler} data map as Knative's {@code NewConfigFromMap} does.
   *
   * @throws ConfigException naming the first bad key, its value as written and what was expected
   */
  public static AutoscalerConfig fromMap(Map<String, String> data) {
    Parser p = new Parser(data);
    AutoscalerConfig d = DEFAULTS;
    // Parse order as in Knative: the first unparsable key is the one reported.
    String podAutoscalerClass = p.string("pod-autoscaler-class", d.podAutoscalerClass);
    boolean enableScaleToZero = p.bool("enable-scale-to-zero", d.enableScaleToZero);
    boolean allowZeroInitialScale = p.bool("allow-zero-initial-scale", d.allowZeroInitialScale);
    double maxScaleUpRate = p.number("max-scale-up-rate", d.maxScaleUpRate);
    double maxScaleDownRate = p.number("max-scale-down-rate", d.maxScaleDownRate);
    double ccFraction =
        p.number("container-concurrency-target-percentage", d.containerConcurrencyTargetFraction);
    double ccDefault =
        p.number("container-concurrency-target-default", d.containerConcurrencyTargetDefault);
    double rpsDefault =
        p.number("requests-per-second-target-default", d.requestsPerSecondTargetDefault);
    double tbc = p.number("target-burst-capacity", d.targetBurstCapacity);
    double panicWindowPercentage = p.number("panic-window-percentage", d.panicWindowPercentage);
    double activatorCapacity = p.number("activator-capacity", d.activatorCapacity);
    double panicThresholdPercentage =
        p.number("panic-threshold-percentage", d.panicThresholdPercentage);
    int initialScale = p.int32("initial-scale", d.initialScale);
    int minScale = p.int32("min-scale", d.minScale);
    int maxScale = p.int32("max-scale", d.maxScale);
    int maxScaleLimit = p.int32("max-scale-limit", d.maxScaleLimit);
    Duration stableWindow = p.duration("stable-window", d.stableWindow);
    Duration scaleDownDelay = p.duration("scale-down-delay", d.scaleDownDelay);
    Duration grace = p.duration("scale-to-zero-grace-period", d.scaleToZeroGracePeriod);
    Duration retention =
        p.duration("scale-to-zero-pod-retention-period", d.scaleToZeroPodRetentionPeriod);

    // Legacy: (0, 1] is already a fraction, anything above is a percentage.
    if (ccFraction > 1) {
      ccFraction /= 100;
    }
    try {
      return new AutoscalerConfig(
          enableScaleToZero,
          ccFraction,
          ccDefault,
          rpsDefault,
          tbc,
          stableWindow,
          panicWindowPercentage,
          panicThresholdPercentage,
          maxScaleUpRate,
          maxScaleDownRate,
          activatorCapacity,
          grace,
          retention,
          scaleDownDelay,
          initialScale,
          allowZeroInitialScale,
          minScale,
          maxScale,
          maxScaleLimit,
          podAutoscalerClass);
    } catch (ConfigException e) {
      throw e.asWritten(data);
    }
  }

  /**
   * Loads {@code config-autoscaler} from a YAML file (a flat map or a ConfigMap manifest) or a
   * {@code .properties} file, then {@link #fromMap}.
   */
  public static AutoscalerConfig fromFile(Path file) {
    return fromMap(ConfigMaps.load(file));
  }

  /** The keys of {@code data} that Knative does not read (and ignores), in their order. */
  public static Set<String> unknownKeys(Map<String, String> data) {
    Set<String> unknown = new LinkedHashSet<>();
    for (String key : data.keySet()) {
      if (!KEYS.contains(key)) {
        unknown.add(key);
      }
    }
    return unknown;
  }

  private static void requireFinite(String key, double v) {
    if (!Double.isFinite(v)) {
      throw new ConfigException(key, Double.toString(v), "a finite number");
    }
  }

  private static ConfigException bad(String key, double value, String expected) {
    return new ConfigException(key, GoStrconv.format(value), expected);
  }

  private static ConfigException bad(String key, Duration value, String expected) {
    return new ConfigException(key, GoDuration.format(value), expected);
  }

  static boolean isWholeSeconds(Duration d) {
    return d.getNano() == 0;
  }

  /** Typed lookups that report the key, the raw value and the expected syntax. */
  static final class Parser {
    private final Map<String, String> data;

    Parser(Map<String, String> data) {
      this.data = Objects.requireNonNull(data, "data");
    }

    String string(String key, String dflt) {
      String raw = data.get(key);
      return raw == null ? dflt : raw;
    }

    boolean bool(String key, boolean dflt) {
      String raw = data.get(key);
      if (raw == null) {
        return dflt;
      }
      Boolean v = GoStrconv.parseBool(raw);
      if (v == null) {
        throw new ConfigException(key, raw, "true or false");
      }
      return v;
    }

    double number(String key, double dflt) {
      String raw = data.get(key);
      if (raw == null) {
        return dflt;
      }
      Double v = GoStrconv.parseFloat(raw);
      if (v == null) {
        throw new ConfigException(key, raw, "a finite decimal number");
      }
      return v;
    }

    int int32(String key, int dflt) {
      String raw = data.get(key);
      if (raw == null) {
        return dflt;
      }
      Integer v = GoStrconv.parseInt32(raw);
      if (v == null) {
        throw new ConfigException(key, raw, "an integer between -2147483648 and 2147483647");
      }
      return v;
    }

    long int64(String key, long dflt) {
      String raw = data.get(key);
      if (raw == null) {
        return dflt;
      }
      Long v = GoStrconv.parseInt64(raw);
      if (v == null) {
        throw new ConfigException(key, raw, "a 64-bit integer");
      }
      return v;
    }

    Duration duration(String key, Duration dflt) {
      String raw = data.get(key);
      if (raw == null) {
        return dflt;
      }
      try {
        return GoDuration.parse(raw);
      } catch (IllegalArgumentException e) {
        throw new ConfigException(key, raw, "a duration like 60s, 1m30s or 500ms");
      }
    }
  }
}
