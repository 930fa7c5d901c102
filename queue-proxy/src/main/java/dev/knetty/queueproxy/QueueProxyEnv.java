package dev.knetty.queueproxy;

import dev.knetty.common.RevisionKey;
import dev.knetty.common.config.ConfigException;
import dev.knetty.common.config.GoDuration;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The queue-proxy's environment contract: Knative's variables ({@code pkg/queue/sharedmain/main.go}
 * and the revision reconciler's {@code queue.go}) plus Knetty's. Each problem is reported as a
 * {@link ConfigException} naming the variable, its value and what was expected, so that {@code
 * main} can print it as one line.
 *
 * <p>Knative variables a Knetty queue-proxy does not need ({@code QUEUE_SERVING_TLS_PORT}, {@code
 * ENABLE_*}, {@code SERVING_LOGGING_*}, {@code OBSERVABILITY_CONFIG}, {@code TRACING_CONFIG_*},
 * ...) are ignored, so the Knetty image can replace Knative's in an existing installation.
 */
final class QueueProxyEnv {

  static final String CONTAINER_CONCURRENCY = "CONTAINER_CONCURRENCY";
  static final String QUEUE_SERVING_PORT = "QUEUE_SERVING_PORT";
  static final String USER_PORT = "USER_PORT";
  static final String REVISION_TIMEOUT_SECONDS = "REVISION_TIMEOUT_SECONDS";
  static final String REVISION_RESPONSE_START_TIMEOUT_SECONDS =
      "REVISION_RESPONSE_START_TIMEOUT_SECONDS";
  static final String REVISION_IDLE_TIMEOUT_SECONDS = "REVISION_IDLE_TIMEOUT_SECONDS";
  static final String SERVING_READINESS_PROBE = "SERVING_READINESS_PROBE";
  static final String SERVING_NAMESPACE = "SERVING_NAMESPACE";
  static final String SERVING_SERVICE = "SERVING_SERVICE";
  static final String SERVING_CONFIGURATION = "SERVING_CONFIGURATION";
  static final String SERVING_REVISION = "SERVING_REVISION";
  static final String SERVING_POD = "SERVING_POD";
  static final String SERVING_POD_IP = "SERVING_POD_IP";
  static final String QUEUE_ADMIN_PORT = "QUEUE_ADMIN_PORT";
  static final String QUEUE_STATS_PORT = "QUEUE_STATS_PORT";
  static final String QUEUE_METRICS_PORT = "QUEUE_METRICS_PORT";
  static final String KNETTY_AUTOSCALER = "KNETTY_AUTOSCALER";
  static final String KNETTY_DRAIN_QUIET_PERIOD = "KNETTY_DRAIN_QUIET_PERIOD";
  static final String KNETTY_DRAIN_TIMEOUT = "KNETTY_DRAIN_TIMEOUT";
  static final String KNETTY_ACCESS_LOG = "KNETTY_ACCESS_LOG";
  static final String KNETTY_IO_THREADS = "KNETTY_IO_THREADS";
  static final String KNETTY_BIND_HOST = "KNETTY_BIND_HOST";
  static final String KNETTY_MAX_APP_CONNECTS = "KNETTY_MAX_APP_CONNECTS";
  static final String HOSTNAME = "HOSTNAME";

  private static final int MAX_SHOWN_VALUE = 200;
  private static final int MAX_IO_THREADS = 256;

  private final Map<String, String> env;

  private QueueProxyEnv(Map<String, String> env) {
    this.env = env;
  }

  static QueueProxyConfig parse(Map<String, String> env) {
    return new QueueProxyEnv(env).parse();
  }

  private QueueProxyConfig parse() {
    QueueProxyConfig.Builder b = QueueProxyConfig.builder();
    b.containerConcurrency(
        (int)
            requiredInt(
                CONTAINER_CONCURRENCY,
                0,
                QueueProxyConfig.MAX_CONTAINER_CONCURRENCY,
                "an integer from 0 (no limit) to " + QueueProxyConfig.MAX_CONTAINER_CONCURRENCY));
    long timeout =
        requiredInt(
            REVISION_TIMEOUT_SECONDS, 0, Integer.MAX_VALUE, "a whole number of seconds >= 0");
    b.revisionTimeout(Duration.ofSeconds(timeout));
    b.responseStartTimeout(Duration.ofSeconds(seconds(REVISION_RESPONSE_START_TIMEOUT_SECONDS)));
    b.idleTimeout(Duration.ofSeconds(seconds(REVISION_IDLE_TIMEOUT_SECONDS)));
    // The queue-proxy's own ports may be 0 (any free port, logged at start: tests, benchmarks).
    b.servingPort(port(QUEUE_SERVING_PORT, 8012, 0));
    b.userPort(port(USER_PORT, 8080, 1));
    b.adminPort(port(QUEUE_ADMIN_PORT, 8022, 0));
    b.statsPort(port(QUEUE_STATS_PORT, 9090, 0));
    b.metricsPort(port(QUEUE_METRICS_PORT, 9091, 0));
    b.readinessProbes(probes());

    String namespace = label(SERVING_NAMESPACE);
    String revision = label(SERVING_REVISION);
    b.namespace(namespace).revision(revision);
    b.service(get(SERVING_SERVICE, "")).configuration(get(SERVING_CONFIGURATION, ""));
    b.pod(pod()).podIp(get(SERVING_POD_IP, ""));

    String autoscaler = get(KNETTY_AUTOSCALER, "").trim();
    if (!autoscaler.isEmpty()) {
      try {
        QueueProxyConfig.parseHostPort(autoscaler);
      } catch (IllegalArgumentException e) {
        throw problem(
            KNETTY_AUTOSCALER,
            "host:port of the autoscaler's KMP endpoint, e.g. knetty-autoscaler.knetty:9095,"
                + " or empty");
      }
      if (namespace.isEmpty()) {
        throw problem(SERVING_NAMESPACE, "the revision's namespace when KNETTY_AUTOSCALER is set");
      }
      if (revision.isEmpty()) {
        throw problem(SERVING_REVISION, "the revision's name when KNETTY_AUTOSCALER is set");
      }
    }
    b.autoscaler(autoscaler);

    if (isSet(KNETTY_DRAIN_QUIET_PERIOD)) {
      b.drainQuietPeriod(duration(KNETTY_DRAIN_QUIET_PERIOD, false));
    }
    if (isSet(KNETTY_DRAIN_TIMEOUT)) {
      b.drainTimeout(duration(KNETTY_DRAIN_TIMEOUT, true));
    }
    b.accessLog(accessLog());
    if (isSet(KNETTY_IO_THREADS)) {
      b.ioThreads((int) integer(KNETTY_IO_THREADS, 1, MAX_IO_THREADS, "1 to " + MAX_IO_THREADS));
    }
    if (isSet(KNETTY_MAX_APP_CONNECTS)) {
      b.maxAppConnects(
          (int) integer(KNETTY_MAX_APP_CONNECTS, 1, Integer.MAX_VALUE, "a positive integer"));
    }
    if (isSet(KNETTY_BIND_HOST)) {
      String host = get(KNETTY_BIND_HOST, "").trim();
      if (host.isEmpty()) {
        throw problem(KNETTY_BIND_HOST, "an address to bind, e.g. 0.0.0.0");
      }
      b.bindHost(host);
    }
    return b.build();
  }

  private List<ReadinessProbe> probes() {
    String json = get(SERVING_READINESS_PROBE, "");
    if (json.isBlank()) {
      return List.of();
    }
    try {
      return ProbeJson.parse(json);
    } catch (IllegalArgumentException e) {
      throw problem(
          SERVING_READINESS_PROBE,
          "Knative's readiness probe JSON, e.g. {\"tcpSocket\":{\"port\":8080}}: "
              + oneLine(String.valueOf(e.getMessage())));
    }
  }

  private String pod() {
    String pod = get(SERVING_POD, "");
    if (pod.isEmpty()) {
      // Outside Kubernetes: the host name, which is the pod name inside a pod anyway.
      pod = get(HOSTNAME, "queue-proxy");
    }
    if (pod.isEmpty() || pod.length() > 253) {
      throw problem(SERVING_POD, "the pod name, 1 to 253 characters");
    }
    return pod;
  }

  private boolean accessLog() {
    String v = get(KNETTY_ACCESS_LOG, "").trim().toLowerCase(Locale.ROOT);
    switch (v) {
      case "":
      case "off":
      case "none":
        return false;
      case "json":
        return true;
      default:
        throw problem(KNETTY_ACCESS_LOG, "json, or off (the default)");
    }
  }

  private String label(String name) {
    String v = get(name, "");
    if (!v.isEmpty() && !RevisionKey.isDnsLabel(v)) {
      throw problem(name, "a DNS label: 1 to 63 lower-case letters, digits or '-'");
    }
    return v;
  }

  private long seconds(String name) {
    return isSet(name) ? integer(name, 0, Integer.MAX_VALUE, "a whole number of seconds >= 0") : 0;
  }

  private int port(String name, int dflt, int min) {
    return isSet(name)
        ? (int) integer(name, min, 65_535, "a port number, " + min + "-65535")
        : dflt;
  }

  private Duration duration(String name, boolean positive) {
    String expected =
        "a Go duration "
            + (positive ? "> 0" : ">= 0")
            + ", e.g. 30s or 1m30s"
            + (positive ? "" : " (0 for none)");
    Duration d;
    try {
      d = GoDuration.parse(get(name, "").trim());
    } catch (IllegalArgumentException e) {
      throw problem(name, expected);
    }
    if (d.isNegative() || (positive && d.isZero())) {
      throw problem(name, expected);
    }
    return d;
  }

  private long requiredInt(String name, long min, long max, String expected) {
    if (!isSet(name)) {
      throw problem(name, expected);
    }
    return integer(name, min, max, expected);
  }

  /** A decimal integer, as Go's {@code strconv.Atoi}: an optional sign and digits, no spaces. */
  private long integer(String name, long min, long max, String expected) {
    String v = get(name, "");
    long n;
    try {
      n = Long.parseLong(v);
    } catch (NumberFormatException e) {
      throw problem(name, expected);
    }
    if (n < min || n > max) {
      throw problem(name, expected);
    }
    return n;
  }

  /** Set and not empty: Knative's webhook writes every variable, Knetty's may be left empty. */
  private boolean isSet(String name) {
    String v = env.get(name);
    return v != null && !v.isEmpty();
  }

  private String get(String name, String dflt) {
    String v = env.get(name);
    return v == null ? dflt : v;
  }

  private ConfigException problem(String name, String expected) {
    String v = env.get(name);
    return new ConfigException(name, v == null ? "<unset>" : show(v), expected);
  }

  /** The value quoted, on one line and shortened, for the one-line error. */
  static String show(String value) {
    String v = oneLine(value);
    if (v.length() > MAX_SHOWN_VALUE) {
      v = v.substring(0, MAX_SHOWN_VALUE) + "...";
    }
    return '"' + v + '"';
  }

  private static String oneLine(String s) {
    StringBuilder out = new StringBuilder(s.length());
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c == '\n') {
        out.append("\\n");
      } else if (c == '\r') {
        out.append("\\r");
      } else if (Character.isISOControl(c)) {
        out.append(' ');
      } else {
        out.append(c);
      }
    }
    return out.toString();
  }
}
