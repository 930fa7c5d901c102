package dev.knetty.common.config;

import java.nio.file.Path;
import java.util.Map;

/**
 * The revision defaults and limits of Knative's {@code config-defaults} that the data plane uses
 * ({@code pkg/apis/config/defaults.go}), with Knative's defaults and validation.
 *
 * @param revisionTimeoutSeconds {@code revision-timeout-seconds}: default request timeout
 * @param maxRevisionTimeoutSeconds {@code max-revision-timeout-seconds}
 * @param revisionResponseStartTimeoutSeconds {@code revision-response-start-timeout-seconds}:
 *     defaults to {@code revision-timeout-seconds}
 * @param revisionIdleTimeoutSeconds {@code revision-idle-timeout-seconds}
 * @param containerConcurrency {@code container-concurrency}: the default containerConcurrency
 * @param containerConcurrencyMaxLimit {@code container-concurrency-max-limit}
 * @param allowContainerConcurrencyZero {@code allow-container-concurrency-zero}
 */
public record RevisionDefaults(
    long revisionTimeoutSeconds,
    long maxRevisionTimeoutSeconds,
    long revisionResponseStartTimeoutSeconds,
    long revisionIdleTimeoutSeconds,
    long containerConcurrency,
    long containerConcurrencyMaxLimit,
    boolean allowContainerConcurrencyZero) {

  private static final RevisionDefaults DEFAULTS =
      new RevisionDefaults(300, 600, 300, 0, 0, 1000, true);

  /** Knative's checks ({@code NewDefaultsConfigFromMap}). */
  public RevisionDefaults {
    if (revisionTimeoutSeconds > maxRevisionTimeoutSeconds) {
      throw new ConfigException(
          "revision-timeout-seconds",
          Long.toString(revisionTimeoutSeconds),
          "<= max-revision-timeout-seconds (" + maxRevisionTimeoutSeconds + ")");
    }
    if (revisionResponseStartTimeoutSeconds > 0
        && revisionResponseStartTimeoutSeconds > revisionTimeoutSeconds) {
      throw new ConfigException(
          "revision-response-start-timeout-seconds",
          Long.toString(revisionResponseStartTimeoutSeconds),
          "<= revision-timeout-seconds (" + revisionTimeoutSeconds + ")");
    }
    if (revisionIdleTimeoutSeconds > 0 && revisionIdleTimeoutSeconds > revisionTimeoutSeconds) {
      throw new ConfigException(
          "revision-idle-timeout-seconds",
          Long.toString(revisionIdleTimeoutSeconds),
          "<= revision-timeout-seconds (" + revisionTimeoutSeconds + ")");
    }
    if (containerConcurrencyMaxLimit < 1 || containerConcurrencyMaxLimit > Integer.MAX_VALUE) {
      throw new ConfigException(
          "container-concurrency-max-limit",
          Long.toString(containerConcurrencyMaxLimit),
          "between 1 and 2147483647");
    }
    if (containerConcurrency < 0 || containerConcurrency > containerConcurrencyMaxLimit) {
      throw new ConfigException(
          "container-concurrency",
          Long.toString(containerConcurrency),
          "between 0 and container-concurrency-max-limit (" + containerConcurrencyMaxLimit + ")");
    }
  }

  /** Knative's defaults (an empty {@code config-defaults}). */
  public static RevisionDefaults defaults() {
    return DEFAULTS;
  }

  /**
   * Parses a {@code config-defaults} data map as Knative does; other keys are ignored.
   *
   * @throws ConfigException naming the bad key, its value as written and what was expected
   */
  public static RevisionDefaults fromMap(Map<String, String> data) {
    AutoscalerConfig.Parser p = new AutoscalerConfig.Parser(data);
    RevisionDefaults d = DEFAULTS;
    boolean allowZero = p.bool("allow-container-concurrency-zero", d.allowContainerConcurrencyZero);
    long timeout = p.int64("revision-timeout-seconds", d.revisionTimeoutSeconds);
    long maxTimeout = p.int64("max-revision-timeout-seconds", d.maxRevisionTimeoutSeconds);
    long idle = p.int64("revision-idle-timeout-seconds", d.revisionIdleTimeoutSeconds);
    long cc = p.int64("container-concurrency", d.containerConcurrency);
    long ccMax = p.int64("container-concurrency-max-limit", d.containerConcurrencyMaxLimit);
    // The response-start default is whatever the timeout is.
    long responseStart = p.int64("revision-response-start-timeout-seconds", timeout);
    try {
      return new RevisionDefaults(timeout, maxTimeout, responseStart, idle, cc, ccMax, allowZero);
    } catch (ConfigException e) {
      throw e.asWritten(data);
    }
  }

  /** Loads {@code config-defaults} from a YAML or {@code .properties} file. */
  public static RevisionDefaults fromFile(Path file) {
    return fromMap(ConfigMaps.load(file));
  }
}
