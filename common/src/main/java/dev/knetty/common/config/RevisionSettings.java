package dev.knetty.common.config;

import java.util.Objects;

/**
 * The per-revision settings of the data plane: the revision's containerConcurrency, request
 * timeouts and the user container's port.
 *
 * @param containerConcurrency requests one pod serves at once; 0 for unbounded
 * @param timeoutSeconds the overall request timeout ({@code timeoutSeconds})
 * @param responseStartTimeoutSeconds time until the first response byte; 0 disables it
 * @param idleTimeoutSeconds longest pause between response writes; 0 disables it
 * @param userPort the user container's port
 */
public record RevisionSettings(
    int containerConcurrency,
    long timeoutSeconds,
    long responseStartTimeoutSeconds,
    long idleTimeoutSeconds,
    int userPort) {

  /** The user port when the revision names none. */
  public static final int DEFAULT_USER_PORT = 8080;

  /** Checks the ranges that hold whatever the cluster defaults. */
  public RevisionSettings {
    if (containerConcurrency < 0) {
      throw new ConfigException(
          "containerConcurrency", Integer.toString(containerConcurrency), ">= 0");
    }
    if (timeoutSeconds < 0) {
      throw new ConfigException("timeoutSeconds", Long.toString(timeoutSeconds), ">= 0");
    }
    if (responseStartTimeoutSeconds < 0 || responseStartTimeoutSeconds > timeoutSeconds) {
      throw new ConfigException(
          "responseStartTimeoutSeconds",
          Long.toString(responseStartTimeoutSeconds),
          "between 0 (disabled) and timeoutSeconds (" + timeoutSeconds + ")");
    }
    if (idleTimeoutSeconds < 0 || idleTimeoutSeconds > timeoutSeconds) {
      throw new ConfigException(
          "idleTimeoutSeconds",
          Long.toString(idleTimeoutSeconds),
          "between 0 (disabled) and timeoutSeconds (" + timeoutSeconds + ")");
    }
    if (userPort < 1 || userPort > 65535) {
      throw new ConfigException("userPort", Integer.toString(userPort), "between 1 and 65535");
    }
  }

  /** A revision that sets nothing, under Knative's default {@code config-defaults}. */
  public static RevisionSettings defaults() {
    return resolve(RevisionDefaults.defaults(), null, null, null, null, null);
  }

  /**
   * Applies Knative's revision defaulting and validation ({@code revision_defaults.go}, {@code
   * revision_validation.go}) to what a revision sets; {@code null} means "not set".
   *
   * <p>Note the timeout defaults: the response-start and idle defaults only apply when non-zero and
   * strictly less than the timeout, so with the stock defaults (300 s and 300 s) a revision has no
   * response-start timeout.
   */
  public static RevisionSettings resolve(
      RevisionDefaults defaults,
      Integer containerConcurrency,
      Long timeoutSeconds,
      Long responseStartTimeoutSeconds,
      Long idleTimeoutSeconds,
      Integer userPort) {
    Objects.requireNonNull(defaults, "defaults");
    int cc =
        containerConcurrency != null ? containerConcurrency : (int) defaults.containerConcurrency();
    long min = defaults.allowContainerConcurrencyZero() ? 0 : 1;
    if (cc < min || cc > defaults.containerConcurrencyMaxLimit()) {
      throw new ConfigException(
          "containerConcurrency",
          Integer.toString(cc),
          "between "
              + min
              + " and container-concurrency-max-limit ("
              + defaults.containerConcurrencyMaxLimit()
              + ")");
    }
    long timeout = timeoutSeconds != null ? timeoutSeconds : defaults.revisionTimeoutSeconds();
    if (timeout < 0 || timeout > defaults.maxRevisionTimeoutSeconds()) {
      throw new ConfigException(
          "timeoutSeconds",
          Long.toString(timeout),
          "between 0 and max-revision-timeout-seconds ("
              + defaults.maxRevisionTimeoutSeconds()
              + ")");
    }
    long responseStart =
        responseStartTimeoutSeconds != null
            ? responseStartTimeoutSeconds
            : defaultBelow(defaults.revisionResponseStartTimeoutSeconds(), timeout);
    long idle =
        idleTimeoutSeconds != null
            ? idleTimeoutSeconds
            : defaultBelow(defaults.revisionIdleTimeoutSeconds(), timeout);
    return new RevisionSettings(
        cc, timeout, responseStart, idle, userPort != null ? userPort : DEFAULT_USER_PORT);
  }

  /** Knative applies these defaults only when set and strictly below the timeout. */
  private static long defaultBelow(long dflt, long timeout) {
    return dflt != 0 && dflt < timeout ? dflt : 0;
  }
}
