package dev.knetty.autoscaler.server;

import dev.knetty.common.config.AutoscalerConfig;
import dev.knetty.common.kmp.KmpProtocol;
import java.time.Duration;
import java.util.Objects;

/**
 * Settings of an {@link AutoscalerServer}. Build with {@link #builder()}; everything has a default.
 *
 * @param host the address every port binds, default {@code 0.0.0.0}
 * @param kmpPort the KMP stat server's port, default {@value KmpProtocol#DEFAULT_PORT}; 0 picks a
 *     free one
 * @param adminPort the admin HTTP port ({@code /revisions}, {@code /healthz}, {@code /readyz}),
 *     default {@value #DEFAULT_ADMIN_PORT}; 0 picks a free one
 * @param metricsPort the Prometheus port ({@code /metrics}), default {@value
 *     #DEFAULT_METRICS_PORT}; 0 picks a free one; -1 serves none (a process embedding the
 *     autoscaler serves its registry itself)
 * @param autoscaler {@code config-autoscaler}: Knative's cluster-wide autoscaling settings
 * @param eventLoopThreads event loops of the KMP and HTTP servers, default one per core
 * @param schedulerThreads threads that evaluate revisions and push decisions, default 1
 * @param podName this autoscaler's name in its KMP HELLO (Kubernetes: the pod name)
 * @param podIp this autoscaler's IP in its KMP HELLO, may be empty
 * @param maxConnections KMP connections beyond this are refused, default 10,000
 * @param readyPodWindow the advisory scaler (used when no scaler is given) counts a queue-proxy pod
 *     ready while it reported within this window, default 3 s (queue-proxies report every second)
 * @param logInterval at most one log line per kind of bad input per interval, default 30 s
 */
public record AutoscalerServerConfig(
    String host,
    int kmpPort,
    int adminPort,
    int metricsPort,
    AutoscalerConfig autoscaler,
    int eventLoopThreads,
    int schedulerThreads,
    String podName,
    String podIp,
    int maxConnections,
    Duration readyPodWindow,
    Duration logInterval) {

  public static final int DEFAULT_ADMIN_PORT = 8080;
  public static final int DEFAULT_METRICS_PORT = 9091;

  /** {@link #metricsPort} that serves no metrics. */
  public static final int NO_METRICS = -1;

  public AutoscalerServerConfig {
    Objects.requireNonNull(host, "host");
    if (host.isBlank()) {
      throw new IllegalArgumentException("host: '" + host + "' (expected: an address or name)");
    }
    port("kmpPort", kmpPort, 0, "0-65535");
    port("adminPort", adminPort, 0, "0-65535");
    port("metricsPort", metricsPort, NO_METRICS, "0-65535, or -1 for none");
    distinct("adminPort", adminPort, "kmpPort", kmpPort);
    distinct("metricsPort", metricsPort, "kmpPort", kmpPort);
    distinct("metricsPort", metricsPort, "adminPort", adminPort);
    Objects.requireNonNull(autoscaler, "autoscaler");
    atLeast("eventLoopThreads", eventLoopThreads, 1);
    atLeast("schedulerThreads", schedulerThreads, 1);
    Objects.requireNonNull(podName, "podName");
    if (podName.isEmpty() || podName.length() > KmpProtocol.MAX_NAME_LENGTH) {
      throw new IllegalArgumentException(
          "podName: '" + podName + "' (expected: 1 to 253 characters)");
    }
    Objects.requireNonNull(podIp, "podIp");
    if (podIp.length() > KmpProtocol.MAX_NAME_LENGTH) {
      throw new IllegalArgumentException(
          "podIp: '" + podIp + "' (expected: at most 253 characters)");
    }
    atLeast("maxConnections", maxConnections, 1);
    positive("readyPodWindow", readyPodWindow);
    positive("logInterval", logInterval);
  }

  /** A builder with every default. */
  public static Builder builder() {
    return new Builder();
  }

  private static void port(String name, int port, int min, String expected) {
    if (port < min || port > 65535) {
      throw new IllegalArgumentException(name + ": " + port + " (expected: " + expected + ")");
    }
  }

  private static void distinct(String name, int port, String otherName, int other) {
    if (port > 0 && port == other) {
      throw new IllegalArgumentException(
          name + ": " + port + " (expected: a port other than " + otherName + ")");
    }
  }

  private static void atLeast(String name, int value, int min) {
    if (value < min) {
      throw new IllegalArgumentException(name + ": " + value + " (expected: >= " + min + ")");
    }
  }

  private static void positive(String name, Duration value) {
    Objects.requireNonNull(value, name);
    if (value.toMillis() < 1) {
      throw new IllegalArgumentException(name + ": " + value + " (expected: at least 1 ms)");
    }
  }

  /** A builder of {@link AutoscalerServerConfig}: each setter sets the component of its name. */
  public static final class Builder {
    private String host = "0.0.0.0";
    private int kmpPort = KmpProtocol.DEFAULT_PORT;
    private int adminPort = DEFAULT_ADMIN_PORT;
    private int metricsPort = DEFAULT_METRICS_PORT;
    private AutoscalerConfig autoscaler = AutoscalerConfig.defaults();
    private int eventLoopThreads = Runtime.getRuntime().availableProcessors();
    private int schedulerThreads = 1;
    private String podName = "knetty-autoscaler";
    private String podIp = "";
    private int maxConnections = 10_000;
    private Duration readyPodWindow = Duration.ofSeconds(3);
    private Duration logInterval = Duration.ofSeconds(30);

    private Builder() {}

    public Builder host(String host) {
      this.host = host;
      return this;
    }

    public Builder kmpPort(int kmpPort) {
      this.kmpPort = kmpPort;
      return this;
    }

    public Builder adminPort(int adminPort) {
      this.adminPort = adminPort;
      return this;
    }

    public Builder metricsPort(int metricsPort) {
      this.metricsPort = metricsPort;
      return this;
    }

    public Builder autoscaler(AutoscalerConfig autoscaler) {
      this.autoscaler = autoscaler;
      return this;
    }

    public Builder eventLoopThreads(int eventLoopThreads) {
      this.eventLoopThreads = eventLoopThreads;
      return this;
    }

    public Builder schedulerThreads(int schedulerThreads) {
      this.schedulerThreads = schedulerThreads;
      return this;
    }

    public Builder podName(String podName) {
      this.podName = podName;
      return this;
    }

    public Builder podIp(String podIp) {
      this.podIp = podIp;
      return this;
    }

    public Builder maxConnections(int maxConnections) {
      this.maxConnections = maxConnections;
      return this;
    }

    public Builder readyPodWindow(Duration readyPodWindow) {
      this.readyPodWindow = readyPodWindow;
      return this;
    }

    public Builder logInterval(Duration logInterval) {
      this.logInterval = logInterval;
      return this;
    }

    /** The config; throws {@link IllegalArgumentException} naming the first bad setting. */
    public AutoscalerServerConfig build() {
      return new AutoscalerServerConfig(
          host,
          kmpPort,
          adminPort,
          metricsPort,
          autoscaler,
          eventLoopThreads,
          schedulerThreads,
          podName,
          podIp,
          maxConnections,
          readyPodWindow,
          logInterval);
    }
  }
}
