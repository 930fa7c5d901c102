package dev.knetty.common.kubernetes;

import dev.knetty.common.config.ConfigException;
import dev.knetty.common.config.RevisionDefaults;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Typed reads of environment variables, for the configurations the Helm chart sets through them. An
 * empty value counts as absent; a bad one is an {@link IllegalArgumentException} naming the
 * variable, its value and what was expected.
 */
public final class Environment {

  /** The variable of each {@code config-defaults} key, to name it in errors. */
  private static final Map<String, String> DEFAULTS_VARIABLES =
      Map.of(
          "container-concurrency", "KNETTY_REVISION_CONTAINER_CONCURRENCY",
          "container-concurrency-max-limit", "KNETTY_REVISION_CONTAINER_CONCURRENCY_MAX_LIMIT",
          "revision-timeout-seconds", "KNETTY_REVISION_TIMEOUT_SECONDS",
          "max-revision-timeout-seconds", "KNETTY_REVISION_MAX_TIMEOUT_SECONDS",
          "revision-response-start-timeout-seconds",
              "KNETTY_REVISION_RESPONSE_START_TIMEOUT_SECONDS",
          "revision-idle-timeout-seconds", "KNETTY_REVISION_IDLE_TIMEOUT_SECONDS");

  private final Map<String, String> env;

  /** Reads {@code env}, e.g. {@link System#getenv()}. */
  public Environment(Map<String, String> env) {
    this.env = Objects.requireNonNull(env, "env");
  }

  /** The value of {@code name}, or {@code fallback} when it is absent or empty. */
  public String string(String name, String fallback) {
    String v = env.get(name);
    return v == null || v.isEmpty() ? fallback : v;
  }

  /** The value of {@code name}, which must be set. */
  public String required(String name) {
    String v = env.get(name);
    if (v == null || v.isBlank()) {
      throw new IllegalArgumentException(name + ": " + v + " (expected: a value; it is required)");
    }
    return v;
  }

  /** The integer value of {@code name}, or {@code fallback} when it is absent or empty. */
  public int integer(String name, int fallback) {
    String v = string(name, null);
    if (v == null) {
      return fallback;
    }
    try {
      return Integer.parseInt(v.trim());
    } catch (NumberFormatException ex) {
      throw new IllegalArgumentException(name + ": " + v + " (expected: an integer)", ex);
    }
  }

  /** The comma-separated values of {@code name}, trimmed, empty ones dropped. */
  public List<String> list(String name) {
    return Arrays.stream(string(name, "").split(","))
        .map(String::trim)
        .filter(s -> !s.isEmpty())
        .toList();
  }

  /**
   * Knative's {@code config-defaults} for revisions, from {@code
   * KNETTY_REVISION_CONTAINER_CONCURRENCY} (0), {@code
   * KNETTY_REVISION_CONTAINER_CONCURRENCY_MAX_LIMIT} (1000), {@code
   * KNETTY_REVISION_TIMEOUT_SECONDS} (300), {@code KNETTY_REVISION_MAX_TIMEOUT_SECONDS} (600),
   * {@code KNETTY_REVISION_RESPONSE_START_TIMEOUT_SECONDS} (300) and {@code
   * KNETTY_REVISION_IDLE_TIMEOUT_SECONDS} (0): what the webhook gives the queue-proxy and what the
   * autoscaler and the activator read a revision's {@code knetty.dev/*} annotations with.
   */
  public RevisionDefaults revisionDefaults() {
    RevisionDefaults k = RevisionDefaults.defaults();
    try {
      return new RevisionDefaults(
          integer("KNETTY_REVISION_TIMEOUT_SECONDS", (int) k.revisionTimeoutSeconds()),
          integer("KNETTY_REVISION_MAX_TIMEOUT_SECONDS", (int) k.maxRevisionTimeoutSeconds()),
          integer(
              "KNETTY_REVISION_RESPONSE_START_TIMEOUT_SECONDS",
              (int) k.revisionResponseStartTimeoutSeconds()),
          integer("KNETTY_REVISION_IDLE_TIMEOUT_SECONDS", (int) k.revisionIdleTimeoutSeconds()),
          integer("KNETTY_REVISION_CONTAINER_CONCURRENCY", (int) k.containerConcurrency()),
          integer(
              "KNETTY_REVISION_CONTAINER_CONCURRENCY_MAX_LIMIT",
              (int) k.containerConcurrencyMaxLimit()),
          k.allowContainerConcurrencyZero());
    } catch (ConfigException ex) {
      throw new IllegalArgumentException(
          DEFAULTS_VARIABLES.getOrDefault(ex.key(), ex.key())
              + ": "
              + ex.value()
              + " (expected: "
              + ex.expected()
              + ")",
          ex);
    }
  }
}
