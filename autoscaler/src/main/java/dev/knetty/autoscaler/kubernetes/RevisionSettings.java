package dev.knetty.autoscaler.kubernetes;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.OptionalInt;
import java.util.Set;

/**
 * A revision's data-plane settings, read from the {@code knetty.dev/*} annotations of its pod
 * template with Knative's defaulting ({@code pkg/apis/serving/v1/revision_defaults.go}) and
 * validation ({@code revision_validation.go}).
 *
 * <p>A bad value never fails the revision: that setting falls back to its default and {@link
 * #parse} reports a warning naming the key, the value and what was expected.
 *
 * @param containerConcurrency 0 = unlimited
 * @param timeoutSeconds the overall request timeout, >= 1
 * @param responseStartTimeoutSeconds 0 = disabled
 * @param idleTimeoutSeconds 0 = disabled
 * @param userPort the {@code knetty.dev/user-port} annotation, if set and valid
 */
public record RevisionSettings(
    int containerConcurrency,
    int timeoutSeconds,
    int responseStartTimeoutSeconds,
    int idleTimeoutSeconds,
    OptionalInt userPort) {

  /**
   * Ports the queue-proxy binds in the pod's network namespace (serving, h2c, admin, stats,
   * metrics); a user container cannot use them (Knative's {@code reservedPorts}).
   */
  public static final Set<Integer> RESERVED_PORTS = Set.of(8012, 8013, 8022, 9090, 9091);

  private static final int MAX_QUOTED_VALUE = 40;

  public RevisionSettings {
    Objects.requireNonNull(userPort, "userPort");
  }

  /** The settings and the problems found while reading them. */
  public record Parsed(RevisionSettings settings, List<String> warnings) {
    public Parsed {
      Objects.requireNonNull(settings, "settings");
      warnings = List.copyOf(warnings);
    }
  }

  /**
   * Reads the settings from pod-template annotations.
   *
   * @param annotations the pod template's annotations ({@code null} = none)
   * @param defaults the cluster defaults
   */
  public static Parsed parse(Map<String, String> annotations, RevisionDefaults defaults) {
    Map<String, String> a = annotations == null ? Map.of() : annotations;
    List<String> warnings = new ArrayList<>();

    int cc =
        intInRange(
            a,
            KnettyKeys.CONTAINER_CONCURRENCY,
            0,
            defaults.containerConcurrencyMaxLimit(),
            defaults.containerConcurrency(),
            warnings);

    // Knative: an absent or zero timeout takes the default.
    int timeout =
        intInRange(
            a,
            KnettyKeys.TIMEOUT_SECONDS,
            0,
            defaults.maxTimeoutSeconds(),
            defaults.timeoutSeconds(),
            warnings);
    if (timeout == 0) {
      timeout = defaults.timeoutSeconds();
    }

    // Knative: the response-start and idle defaults apply only when non-zero and strictly below
    // the revision's timeout; an explicit value must be within [0, timeout].
    int responseStart =
        intInRange(
            a,
            KnettyKeys.RESPONSE_START_TIMEOUT_SECONDS,
            0,
            timeout,
            defaultBelow(defaults.responseStartTimeoutSeconds(), timeout),
            warnings);
    int idle =
        intInRange(
            a,
            KnettyKeys.IDLE_TIMEOUT_SECONDS,
            0,
            timeout,
            defaultBelow(defaults.idleTimeoutSeconds(), timeout),
            warnings);

    OptionalInt userPort = OptionalInt.empty();
    String port = a.get(KnettyKeys.USER_PORT);
    if (port != null) {
      Integer p = parseInt(port);
      if (p == null || p < 1 || p > 65535 || RESERVED_PORTS.contains(p)) {
        warnings.add(
            warning(
                KnettyKeys.USER_PORT,
                port,
                "a port in [1, 65535] other than " + sorted(RESERVED_PORTS),
                "the container's first port"));
      } else {
        userPort = OptionalInt.of(p);
      }
    }
    return new Parsed(new RevisionSettings(cc, timeout, responseStart, idle, userPort), warnings);
  }

  private static int defaultBelow(int value, int timeout) {
    return value != 0 && value < timeout ? value : 0;
  }

  private static int intInRange(
      Map<String, String> annotations,
      String key,
      int min,
      int max,
      int fallback,
      List<String> warnings) {
    String value = annotations.get(key);
    if (value == null) {
      return fallback;
    }
    Integer parsed = parseInt(value);
    if (parsed == null || parsed < min || parsed > max) {
      warnings.add(
          warning(
              key, value, "an integer in [" + min + ", " + max + "]", String.valueOf(fallback)));
      return fallback;
    }
    return parsed;
  }

  private static Integer parseInt(String value) {
    try {
      return Integer.parseInt(value);
    } catch (NumberFormatException e) {
      return null;
    }
  }

  /** {@code key: "value" (expected: ...); using ...}, the value shortened to stay readable. */
  static String warning(String key, String value, String expected, String using) {
    String shown =
        value.length() > MAX_QUOTED_VALUE ? value.substring(0, MAX_QUOTED_VALUE) + "..." : value;
    return key + ": \"" + shown + "\" (expected: " + expected + "); using " + using;
  }

  private static String sorted(Set<Integer> ports) {
    return ports.stream().sorted().map(String::valueOf).reduce((x, y) -> x + ", " + y).orElse("");
  }
}
