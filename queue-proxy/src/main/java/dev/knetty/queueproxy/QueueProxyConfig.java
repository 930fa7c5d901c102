package dev.knetty.queueproxy;

import dev.knetty.common.RevisionKey;
import dev.knetty.common.breaker.BreakerConfig;
import dev.knetty.common.config.ConfigException;
import dev.knetty.common.proxy.UpstreamPoolConfig;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Everything a {@link QueueProxy} needs, immutable. {@link #fromEnvironment(Map)} reads Knative's
 * queue-proxy environment (plus Knetty's {@code KNETTY_*} and port variables, see {@code
 * docs/queue-proxy.md}); {@link #builder()} is for code and tests.
 *
 * @param containerConcurrency requests the app serves at once; 0 for unlimited (no breaker)
 * @param bindHost the address every port binds, {@code 0.0.0.0} in a pod
 * @param servingPort the data port (Knative: 8012, or 8013 for h2c revisions); 0 picks one
 * @param adminPort the admin port ({@code /wait-for-drain}); 0 picks one
 * @param statsPort Knative's stat port ({@code /metrics} in protobuf); 0 picks one
 * @param metricsPort the Prometheus port; 0 picks one
 * @param userPort the app's port on {@code 127.0.0.1}
 * @param revisionTimeout the overall request timeout; zero disables it
 * @param responseStartTimeout the time until the response starts; zero disables it
 * @param idleTimeout the longest time without a response write; zero disables it
 * @param readinessProbes the app's readiness probes, all of which must pass; empty means always
 *     ready (Knative without {@code SERVING_READINESS_PROBE})
 * @param namespace the revision's namespace ({@code SERVING_NAMESPACE}); empty if unknown
 * @param service the Knative service ({@code SERVING_SERVICE}); informational
 * @param configuration the configuration ({@code SERVING_CONFIGURATION}); informational
 * @param revision the revision name ({@code SERVING_REVISION}); empty if unknown
 * @param pod this pod's name ({@code SERVING_POD}): the stats' pod name
 * @param podIp this pod's IP ({@code SERVING_POD_IP}); may be empty
 * @param autoscaler {@code host:port} of the autoscaler's KMP endpoint; empty to not push stats
 * @param drainQuietPeriod after SIGTERM, the data port serves until no request arrived for this
 *     long (Knative's {@code drainSleepDuration}, 30 s)
 * @param drainTimeout after the quiet period, how long requests and websockets in flight may take
 *     to finish before they are cut
 * @param accessLog whether to write a JSON access log line per request
 * @param ioThreads event loops (they also run the admin ports, probes and the KMP client)
 * @param maxAppConnects new connections being opened to the app at once, per event loop (32); more
 *     requests wait for a connection another request releases or for a connect slot, so a burst
 *     (containerConcurrency 0) never floods the app's listen backlog, which is often small
 */
public record QueueProxyConfig(
    int containerConcurrency,
    String bindHost,
    int servingPort,
    int adminPort,
    int statsPort,
    int metricsPort,
    int userPort,
    Duration revisionTimeout,
    Duration responseStartTimeout,
    Duration idleTimeout,
    List<ReadinessProbe> readinessProbes,
    String namespace,
    String service,
    String configuration,
    String revision,
    String pod,
    String podIp,
    String autoscaler,
    Duration drainQuietPeriod,
    Duration drainTimeout,
    boolean accessLog,
    int ioThreads,
    int maxAppConnects) {

  /** The largest container concurrency: the breaker holds {@code 11 x} as many requests. */
  public static final int MAX_CONTAINER_CONCURRENCY =
      Integer.MAX_VALUE / BreakerConfig.QUEUE_PROXY_QUEUE_DEPTH_FACTOR;

  /** Knative's {@code drainSleepDuration}. */
  public static final Duration DEFAULT_DRAIN_QUIET_PERIOD = Duration.ofSeconds(30);

  /** Knative's {@code hijackDrainDuration}: how long websockets may take after the quiet period. */
  public static final Duration MIN_DEFAULT_DRAIN_TIMEOUT = Duration.ofSeconds(60);

  private static final int MAX_POD_NAME = 253;

  public QueueProxyConfig {
    if (containerConcurrency < 0 || containerConcurrency > MAX_CONTAINER_CONCURRENCY) {
      throw new IllegalArgumentException(
          "containerConcurrency: "
              + containerConcurrency
              + " (expected: 0 to "
              + MAX_CONTAINER_CONCURRENCY
              + ")");
    }
    Objects.requireNonNull(bindHost, "bindHost");
    port("servingPort", servingPort, 0);
    port("adminPort", adminPort, 0);
    port("statsPort", statsPort, 0);
    port("metricsPort", metricsPort, 0);
    port("userPort", userPort, 1);
    nonNegative("revisionTimeout", revisionTimeout);
    nonNegative("responseStartTimeout", responseStartTimeout);
    nonNegative("idleTimeout", idleTimeout);
    readinessProbes = List.copyOf(readinessProbes);
    label("namespace", namespace);
    Objects.requireNonNull(service, "service");
    Objects.requireNonNull(configuration, "configuration");
    label("revision", revision);
    Objects.requireNonNull(pod, "pod");
    if (pod.isEmpty() || pod.length() > MAX_POD_NAME) {
      throw new IllegalArgumentException(
          "pod: \"" + pod + "\" (expected: 1 to " + MAX_POD_NAME + " characters)");
    }
    Objects.requireNonNull(podIp, "podIp");
    Objects.requireNonNull(autoscaler, "autoscaler");
    if (!autoscaler.isEmpty()) {
      parseHostPort(autoscaler);
      if (namespace.isEmpty() || revision.isEmpty()) {
        throw new IllegalArgumentException(
            "namespace/revision: \""
                + namespace
                + "/"
                + revision
                + "\" (expected: both set when stats are pushed to an autoscaler)");
      }
    }
    nonNegative("drainQuietPeriod", drainQuietPeriod);
    nonNegative("drainTimeout", drainTimeout);
    if (drainTimeout.isZero()) {
      throw new IllegalArgumentException("drainTimeout: " + drainTimeout + " (expected: > 0)");
    }
    if (ioThreads < 1) {
      throw new IllegalArgumentException("ioThreads: " + ioThreads + " (expected: >= 1)");
    }
    if (maxAppConnects < 1) {
      throw new IllegalArgumentException("maxAppConnects: " + maxAppConnects + " (expected: >= 1)");
    }
  }

  /** A builder with Knative's defaults (container concurrency 0, timeout 300 s). */
  public static Builder builder() {
    return new Builder();
  }

  /** A builder starting from this configuration. */
  public Builder toBuilder() {
    return new Builder(this);
  }

  /**
   * Reads the queue-proxy environment (Knative's variables plus Knetty's; see {@code
   * docs/queue-proxy.md}). Variables it does not know are ignored.
   *
   * @throws ConfigException naming the first invalid or missing variable, its value and what was
   *     expected
   */
  public static QueueProxyConfig fromEnvironment(Map<String, String> env) {
    return QueueProxyEnv.parse(env);
  }

  /** Whether the breaker is on (container concurrency above 0). */
  public boolean hasBreaker() {
    return containerConcurrency > 0;
  }

  /** The revision the stats are about, or {@code null} when namespace or revision is unknown. */
  public RevisionKey revisionKey() {
    return namespace.isEmpty() || revision.isEmpty() ? null : new RevisionKey(namespace, revision);
  }

  /** The default drain timeout for a revision timeout: the longer of 60 s and the timeout. */
  public static Duration defaultDrainTimeout(Duration revisionTimeout) {
    return revisionTimeout.compareTo(MIN_DEFAULT_DRAIN_TIMEOUT) > 0
        ? revisionTimeout
        : MIN_DEFAULT_DRAIN_TIMEOUT;
  }

  /**
   * Splits {@code host:port} ({@code [v6]:port} for IPv6).
   *
   * @throws IllegalArgumentException if it is not that
   */
  static HostPort parseHostPort(String value) {
    int colon = value.lastIndexOf(':');
    String host = colon > 0 ? value.substring(0, colon) : "";
    if (host.startsWith("[") && host.endsWith("]")) {
      host = host.substring(1, host.length() - 1);
    }
    int port = -1;
    if (colon > 0) {
      try {
        port = Integer.parseInt(value.substring(colon + 1));
      } catch (NumberFormatException e) {
        port = -1;
      }
    }
    if (host.isEmpty() || port < 1 || port > 65_535) {
      throw new IllegalArgumentException(
          "autoscaler: " + value + " (expected: host:port, e.g. knetty-autoscaler.knetty:9095)");
    }
    return new HostPort(host, port);
  }

  /** A host and a port. */
  record HostPort(String host, int port) {}

  private static void port(String name, int value, int min) {
    if (value < min || value > 65_535) {
      throw new IllegalArgumentException(name + ": " + value + " (expected: " + min + "-65535)");
    }
  }

  private static void nonNegative(String name, Duration value) {
    Objects.requireNonNull(value, name);
    if (value.isNegative()) {
      throw new IllegalArgumentException(name + ": " + value + " (expected: >= 0)");
    }
  }

  private static void label(String name, String value) {
    Objects.requireNonNull(value, name);
    if (!value.isEmpty() && !RevisionKey.isDnsLabel(value)) {
      throw new IllegalArgumentException(
          name + ": \"" + value + "\" (expected: a DNS label of at most 63 characters)");
    }
  }

  /** Mutable builder; {@link #build()} validates. Setters set the component of their name. */
  public static final class Builder {
    private int containerConcurrency;
    private String bindHost = "0.0.0.0";
    private int servingPort = 8012;
    private int adminPort = 8022;
    private int statsPort = 9090;
    private int metricsPort = 9091;
    private int userPort = 8080;
    private Duration revisionTimeout = Duration.ofSeconds(300);
    private Duration responseStartTimeout = Duration.ZERO;
    private Duration idleTimeout = Duration.ZERO;
    private List<ReadinessProbe> readinessProbes = List.of();
    private String namespace = "";
    private String service = "";
    private String configuration = "";
    private String revision = "";
    private String pod = "queue-proxy";
    private String podIp = "";
    private String autoscaler = "";
    private Duration drainQuietPeriod = DEFAULT_DRAIN_QUIET_PERIOD;
    // null: defaultDrainTimeout(revisionTimeout)
    private Duration drainTimeout;
    private boolean accessLog;
    private int ioThreads = Math.min(2, Runtime.getRuntime().availableProcessors());
    private int maxAppConnects = UpstreamPoolConfig.DEFAULT_MAX_CONNECTS_PER_KEY;

    private Builder() {}

    private Builder(QueueProxyConfig c) {
      containerConcurrency = c.containerConcurrency;
      bindHost = c.bindHost;
      servingPort = c.servingPort;
      adminPort = c.adminPort;
      statsPort = c.statsPort;
      metricsPort = c.metricsPort;
      userPort = c.userPort;
      revisionTimeout = c.revisionTimeout;
      responseStartTimeout = c.responseStartTimeout;
      idleTimeout = c.idleTimeout;
      readinessProbes = c.readinessProbes;
      namespace = c.namespace;
      service = c.service;
      configuration = c.configuration;
      revision = c.revision;
      pod = c.pod;
      podIp = c.podIp;
      autoscaler = c.autoscaler;
      drainQuietPeriod = c.drainQuietPeriod;
      drainTimeout = c.drainTimeout;
      accessLog = c.accessLog;
      ioThreads = c.ioThreads;
      maxAppConnects = c.maxAppConnects;
    }

    public Builder containerConcurrency(int value) {
      containerConcurrency = value;
      return this;
    }

    public Builder bindHost(String value) {
      bindHost = value;
      return this;
    }

    public Builder servingPort(int value) {
      servingPort = value;
      return this;
    }

    public Builder adminPort(int value) {
      adminPort = value;
      return this;
    }

    public Builder statsPort(int value) {
      statsPort = value;
      return this;
    }

    public Builder metricsPort(int value) {
      metricsPort = value;
      return this;
    }

    /** All four ports of the queue-proxy at once (0 for each picks free ports, for tests). */
    public Builder ports(int serving, int admin, int stats, int metrics) {
      servingPort = serving;
      adminPort = admin;
      statsPort = stats;
      metricsPort = metrics;
      return this;
    }

    public Builder userPort(int value) {
      userPort = value;
      return this;
    }

    public Builder revisionTimeout(Duration value) {
      revisionTimeout = value;
      return this;
    }

    public Builder responseStartTimeout(Duration value) {
      responseStartTimeout = value;
      return this;
    }

    public Builder idleTimeout(Duration value) {
      idleTimeout = value;
      return this;
    }

    public Builder readinessProbes(List<ReadinessProbe> value) {
      readinessProbes = value;
      return this;
    }

    public Builder namespace(String value) {
      namespace = value;
      return this;
    }

    public Builder service(String value) {
      service = value;
      return this;
    }

    public Builder configuration(String value) {
      configuration = value;
      return this;
    }

    public Builder revision(String value) {
      revision = value;
      return this;
    }

    public Builder pod(String value) {
      pod = value;
      return this;
    }

    public Builder podIp(String value) {
      podIp = value;
      return this;
    }

    public Builder autoscaler(String value) {
      autoscaler = value;
      return this;
    }

    public Builder drainQuietPeriod(Duration value) {
      drainQuietPeriod = value;
      return this;
    }

    /** Sets the drain timeout; {@code null} restores the default (see {@link #build()}). */
    public Builder drainTimeout(Duration value) {
      drainTimeout = value;
      return this;
    }

    public Builder accessLog(boolean value) {
      accessLog = value;
      return this;
    }

    public Builder ioThreads(int value) {
      ioThreads = value;
      return this;
    }

    public Builder maxAppConnects(int value) {
      maxAppConnects = value;
      return this;
    }

    /**
     * The configuration; an unset drain timeout becomes {@link #defaultDrainTimeout(Duration)}.
     *
     * @throws IllegalArgumentException naming an invalid value
     */
    public QueueProxyConfig build() {
      Objects.requireNonNull(revisionTimeout, "revisionTimeout");
      return new QueueProxyConfig(
          containerConcurrency,
          bindHost,
          servingPort,
          adminPort,
          statsPort,
          metricsPort,
          userPort,
          revisionTimeout,
          responseStartTimeout,
          idleTimeout,
          readinessProbes,
          namespace,
          service,
          configuration,
          revision,
          pod,
          podIp,
          autoscaler,
          drainQuietPeriod,
          drainTimeout != null ? drainTimeout : defaultDrainTimeout(revisionTimeout),
          accessLog,
          ioThreads,
          maxAppConnects);
    }
  }
}
