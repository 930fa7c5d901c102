package dev.knetty.autoscaler.kubernetes;

import dev.knetty.common.config.RevisionDefaults;
import dev.knetty.common.config.RevisionSettings;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Reads a revision's {@code knetty.dev/*} pod-template annotations (Knative's revision spec fields,
 * see {@link KnettyKeys}) into the canonical {@link RevisionSettings}, through {@link
 * RevisionSettings#resolve} with the cluster's {@link RevisionDefaults}.
 *
 * <p>Lenient, unlike {@code resolve}: a bad value never fails the revision. That setting falls back
 * to what it would be without the annotation, and {@link #read} reports a warning naming the key,
 * the value and what was expected. The webhook (which must not refuse a pod) and the autoscaler
 * (which must agree with what the webhook gave the queue-proxy) both read revisions this way.
 */
public final class KnettyAnnotations {

  private KnettyAnnotations() {}

  private static final int MAX_QUOTED_VALUE = 40;

  private static final String USER_PORT_EXPECTED =
      "a port in [1, 65535] other than "
          + String.join(
              ", ", RevisionPods.RESERVED_PORTS.stream().sorted().map(String::valueOf).toList());

  /** The settings and the problems found while reading them. */
  public record Read(RevisionSettings settings, List<String> warnings) {
    public Read {
      Objects.requireNonNull(settings, "settings");
      warnings = List.copyOf(warnings);
    }
  }

  /**
   * Reads the settings from pod-template annotations.
   *
   * @param annotations the pod template's annotations ({@code null} = none)
   * @param defaults the cluster's revision defaults
   * @param containerPort the user port when {@link KnettyKeys#USER_PORT} is absent or bad: the
   *     serving container's first port ({@link RevisionPods#firstPort})
   */
  public static Read read(
      Map<String, String> annotations, RevisionDefaults defaults, int containerPort) {
    Map<String, String> a = annotations == null ? Map.of() : annotations;
    List<Problem> problems = new ArrayList<>();

    Integer cc =
        intInRange(
            a,
            KnettyKeys.CONTAINER_CONCURRENCY,
            defaults.allowContainerConcurrencyZero() ? 0 : 1,
            defaults.containerConcurrencyMaxLimit(),
            problems);
    Integer timeout =
        intInRange(
            a, KnettyKeys.TIMEOUT_SECONDS, 0, defaults.maxRevisionTimeoutSeconds(), problems);
    if (timeout != null && timeout == 0) {
      timeout = null; // Knative: a zero timeout takes the default
    }
    long effectiveTimeout = timeout != null ? timeout : defaults.revisionTimeoutSeconds();
    // Explicit response-start and idle timeouts must be within [0, timeout].
    Integer responseStart =
        intInRange(a, KnettyKeys.RESPONSE_START_TIMEOUT_SECONDS, 0, effectiveTimeout, problems);
    Integer idle = intInRange(a, KnettyKeys.IDLE_TIMEOUT_SECONDS, 0, effectiveTimeout, problems);
    Integer userPort = userPort(a, problems);

    RevisionSettings settings =
        RevisionSettings.resolve(
            defaults,
            cc,
            timeout == null ? null : timeout.longValue(),
            responseStart == null ? null : responseStart.longValue(),
            idle == null ? null : idle.longValue(),
            userPort != null ? userPort : containerPort);

    List<String> warnings = new ArrayList<>(problems.size());
    for (Problem p : problems) {
      warnings.add(p.describe(settings));
    }
    return new Read(settings, warnings);
  }

  /** A bad annotation; its warning names the value the setting falls back to. */
  private record Problem(String key, String value, String expected) {
    String describe(RevisionSettings s) {
      String using;
      switch (key) {
        case KnettyKeys.CONTAINER_CONCURRENCY:
          using = String.valueOf(s.containerConcurrency());
          break;
        case KnettyKeys.TIMEOUT_SECONDS:
          using = String.valueOf(s.timeoutSeconds());
          break;
        case KnettyKeys.RESPONSE_START_TIMEOUT_SECONDS:
          using = String.valueOf(s.responseStartTimeoutSeconds());
          break;
        case KnettyKeys.IDLE_TIMEOUT_SECONDS:
          using = String.valueOf(s.idleTimeoutSeconds());
          break;
        default:
          using = "the container's first port (" + s.userPort() + ")";
          break;
      }
      return warning(key, value, expected, using);
    }
  }

  private static Integer userPort(Map<String, String> annotations, List<Problem> problems) {
    String port = annotations.get(KnettyKeys.USER_PORT);
    if (port == null) {
      return null;
    }
    Integer p = parseInt(port);
    if (p == null || p < 1 || p > 65535 || RevisionPods.RESERVED_PORTS.contains(p)) {
      problems.add(new Problem(KnettyKeys.USER_PORT, port, USER_PORT_EXPECTED));
      return null;
    }
    return p;
  }

  private static Integer intInRange(
      Map<String, String> annotations, String key, long min, long max, List<Problem> problems) {
    String value = annotations.get(key);
    if (value == null) {
      return null;
    }
    Integer parsed = parseInt(value);
    if (parsed == null || parsed < min || parsed > max) {
      problems.add(new Problem(key, value, "an integer in [" + min + ", " + max + "]"));
      return null;
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
}
