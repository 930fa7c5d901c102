package dev.knetty.dist.local;

import java.nio.file.Path;
import java.util.List;
import java.util.Objects;

/**
 * How {@link LocalMode} runs: its ports (0 picks a free one) and where the pods' output goes.
 *
 * @param host the address of the activator, admin, metrics and KMP ports
 * @param port the activator's port (every request goes through it)
 * @param adminPort the autoscaler's admin port ({@code /revisions}, {@code /healthz})
 * @param metricsPort the Prometheus port (autoscaler and activator meters); -1 for none
 * @param kmpPort the autoscaler's KMP port, which the queue-proxies and the activator connect to
 * @param logDir where each pod's processes write their output
 * @param queueProxyJvmOptions the queue-proxies' JVM options
 */
record LocalConfig(
    String host,
    int port,
    int adminPort,
    int metricsPort,
    int kmpPort,
    Path logDir,
    List<String> queueProxyJvmOptions) {

  /** The activator's default port. */
  static final int DEFAULT_PORT = 8080;

  /** The autoscaler admin's default port. */
  static final int DEFAULT_ADMIN_PORT = 8081;

  /** The metrics' default port. */
  static final int DEFAULT_METRICS_PORT = 9091;

  LocalConfig {
    Objects.requireNonNull(host, "host");
    if (host.isBlank()) {
      throw new IllegalArgumentException("host: '' (expected: an address)");
    }
    port("port", port, 0);
    port("adminPort", adminPort, 0);
    port("metricsPort", metricsPort, -1);
    port("kmpPort", kmpPort, 0);
    Objects.requireNonNull(logDir, "logDir");
    queueProxyJvmOptions = List.copyOf(queueProxyJvmOptions);
  }

  /** Free ports everywhere, on loopback, the queue-proxies' default JVM options (tests). */
  static LocalConfig ephemeral(Path logDir) {
    return new LocalConfig(
        PodLauncher.LOOPBACK, 0, 0, 0, 0, logDir, PodLauncher.SIDECAR_JVM_OPTIONS);
  }

  /** The address the children connect to: loopback when every address is bound. */
  String connectHost() {
    return host.equals("0.0.0.0") || host.equals("::") ? PodLauncher.LOOPBACK : host;
  }

  private static void port(String name, int value, int min) {
    if (value < min || value > 65_535) {
      throw new IllegalArgumentException(
          name + ": " + value + " (expected: " + min + "-65535" + ")");
    }
  }
}
