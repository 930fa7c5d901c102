package dev.knetty.autoscaler.kubernetes;

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
}
