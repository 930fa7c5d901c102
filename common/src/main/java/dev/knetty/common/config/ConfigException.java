package dev.knetty.common.config;

import java.util.List;
import java.util.Objects;

/**
 * Invalid configuration: a {@code config-autoscaler} key, a revision annotation or a revision
 * setting that does not parse or is out of range. The message names the key, the value and what was
 * expected, e.g. {@code stable-window: 5s (expected: between 6s and 1h, whole seconds)}; when
 * several problems are reported at once (annotations, as Knative's webhook does) they are joined
 * with {@code "; "} and {@link #key()} is the first one's key.
 */
public final class ConfigException extends IllegalArgumentException {

  private static final long serialVersionUID = 1L;

  private final String key;
  private final String value;
  private final String expected;

  /** One problem: {@code key: value (expected: expected)}. */
  public ConfigException(String key, String value, String expected) {
    super(key + ": " + value + " (expected: " + expected + ")");
    this.key = Objects.requireNonNull(key, "key");
    this.value = Objects.requireNonNull(value, "value");
    this.expected = Objects.requireNonNull(expected, "expected");
  }

  private ConfigException(List<ConfigException> problems) {
    super(String.join("; ", problems.stream().map(Throwable::getMessage).toList()));
    ConfigException first = problems.get(0);
    this.key = first.key;
    this.value = first.value;
    this.expected = first.expected;
  }

  /** Throws the only problem, or all of them in one exception; does nothing when empty. */
  static void throwIfAny(List<ConfigException> problems) {
    if (problems.size() == 1) {
      throw problems.get(0);
    }
    if (!problems.isEmpty()) {
      throw new ConfigException(List.copyOf(problems));
    }
  }

  /** The (first) offending key. */
  public String key() {
    return key;
  }

  /** The (first) offending value, as given. */
  public String value() {
    return value;
  }

  /** What was expected of the (first) offending value. */
  public String expected() {
    return expected;
  }

  /** The same problem with the value as written in {@code data}, if it came from there. */
  ConfigException asWritten(java.util.Map<String, String> data) {
    String raw = data.get(key);
    return raw == null ? this : new ConfigException(key, raw, expected);
  }
}
