package dev.knetty.activator;

import dev.knetty.common.RevisionKey;
import dev.knetty.common.config.GoDuration;
import dev.knetty.common.proxy.ExchangeTimeouts;
import dev.knetty.common.proxy.ProxyServerConfig;
import dev.knetty.common.proxy.UpstreamPoolConfig;
import java.time.Duration;
import java.util.Objects;

/**
 * Everything an {@link Activator} needs to know, immutable; build it with {@link #builder()}. The
 * defaults are Knative's where Knative has one.
 *
 * @param host the address every port binds ({@code 0.0.0.0})
 * @param port the data port, HTTP/1.1 and h2c (8012); 0 picks a free one
 * @param metricsPort the Prometheus {@code /metrics} port (9091); 0 picks a free one, -1 serves
 *     none (the embedding process serves the registry)
 * @param autoscalerHost the autoscaler's KMP host; empty for no autoscaler (then the activator is
 *     healthy without one and sends no stats)
 * @param autoscalerPort the autoscaler's KMP port (9095); ignored without a host
 * @param podName this activator's name in its stats (Knative's pod name)
 * @param podIp this activator's IP in its KMP HELLO (the autoscaler subsets activators by it); may
 *     be empty
 * @param clusterDomain the cluster domain of {@code <name>.<namespace>.svc.<domain>} Hosts ({@code
 *     cluster.local})
 * @param maxWaitingPerRevision requests one revision may have waiting for capacity (10,000:
 *     Knative's intended {@code breakerQueueDepth}); the next gets 503
 * @param maxWaiting requests all revisions together may have waiting (50,000)
 * @param maxBufferedBytesPerRevision request body bytes the waiting requests of one revision may
 *     hold, counted as reserved at admission (64 MiB)
 * @param maxBufferedBytes the same for all revisions together (256 MiB)
 * @param preReadLimitBytes request body bytes read from a waiting request before its body is left
 *     in the client's socket (4 KiB); a small body fits, so its request is complete and a client
 *     that gives up is noticed
 * @param retryAfter the {@code Retry-After} of a 503 for a full buffer, whole seconds (1 s)
 * @param maxWait the longest a request waits for capacity before a 504; {@link Duration#ZERO} (the
 *     default) waits as long as the revision's timeouts allow, as Knative does
 * @param probeInterval how often pods that are not healthy yet are probed (Knative: 200 ms)
 * @param probeTimeout the budget of one probe, connect included (Knative: 300 ms)
 * @param maxConcurrentProbes probes in flight at most, over all revisions (100)
 * @param connectRetries how often a request whose connection to a pod failed (refused, reset or
 *     timed out before anything was sent) is retried: on another pod with a free slot, else on the
 *     same pod (2)
 * @param connectRetryBackoff the pause before the first retry, growing linearly (50 ms)
 * @param connectTimeout the TCP connect timeout of one attempt to a pod (10 s)
 * @param maxConnectsPerPod new connections being opened to one pod at once, per event loop (32):
 *     when a burst is released (a revision with containerConcurrency 0 gets its first pod while
 *     thousands of requests wait) the rest wait, in order, for a connection another request
 *     releases or for a connect slot, instead of flooding the pod's listen backlog
 * @param reportingPeriod how often stats go to the autoscaler (Knative: 1 s)
 * @param drainDelay after SIGTERM, how long the activator stays unready but serving before it stops
 *     accepting connections (Knative: 45 s)
 * @param shutdownTimeout then, how long in-flight and waiting requests may take before the rest is
 *     cut (5 min)
 * @param eventLoopThreads worker event loops when the activator creates them; 0 = Netty's default
 */
public record ActivatorConfig(
    String host,
    int port,
    int metricsPort,
    String autoscalerHost,
    int autoscalerPort,
    String podName,
    String podIp,
    String clusterDomain,
    int maxWaitingPerRevision,
    int maxWaiting,
    long maxBufferedBytesPerRevision,
    long maxBufferedBytes,
    int preReadLimitBytes,
    Duration retryAfter,
    Duration maxWait,
    Duration probeInterval,
    Duration probeTimeout,
    int maxConcurrentProbes,
    int connectRetries,
    Duration connectRetryBackoff,
    Duration connectTimeout,
    int maxConnectsPerPod,
    Duration reportingPeriod,
    Duration drainDelay,
    Duration shutdownTimeout,
    int eventLoopThreads) {

  /** The data port of Knative's activator. */
  public static final int DEFAULT_PORT = 8012;

  public static final int DEFAULT_METRICS_PORT = 9091;
  public static final int DEFAULT_AUTOSCALER_PORT = 9095;

  /**
   * Knative's activator timeouts when no revision is known (its defaults 300 s, 300 s, 0): they
   * apply to what is answered before a revision is looked up.
   */
  public static final ExchangeTimeouts FALLBACK_TIMEOUTS =
      ExchangeTimeouts.ofSeconds(300, 300, 0, ExchangeTimeouts.ACTIVATOR_MESSAGE);

  public ActivatorConfig {
    Objects.requireNonNull(host, "host");
    if (host.isBlank()) {
      throw new IllegalArgumentException("host: '" + host + "' (expected: an address)");
    }
    range("port", port, 0, 65_535);
    range("metricsPort", metricsPort, -1, 65_535);
    Objects.requireNonNull(autoscalerHost, "autoscalerHost");
    if (!autoscalerHost.isEmpty() && autoscalerHost.isBlank()) {
      throw new IllegalArgumentException(
          "autoscalerHost: '" + autoscalerHost + "' (expected: a host, or empty for none)");
    }
    range("autoscalerPort", autoscalerPort, 1, 65_535);
    Objects.requireNonNull(podName, "podName");
    if (podName.isEmpty() || podName.length() > 253) {
      throw new IllegalArgumentException(
          "podName: '" + podName + "' (expected: 1 to 253 characters)");
    }
    Objects.requireNonNull(podIp, "podIp");
    if (podIp.length() > 253 || autoscalerHost.length() > 253) {
      throw new IllegalArgumentException(
          (podIp.length() > 253 ? "podIp: '" + podIp : "autoscalerHost: '" + autoscalerHost)
              + "' (expected: at most 253 characters)");
    }
    Objects.requireNonNull(clusterDomain, "clusterDomain");
    if (clusterDomain.isEmpty() || !clusterDomain.equals(clusterDomain.strip())) {
      throw new IllegalArgumentException(
          "clusterDomain: '" + clusterDomain + "' (expected: a domain such as cluster.local)");
    }
    range("maxWaitingPerRevision", maxWaitingPerRevision, 1, Integer.MAX_VALUE);
    range("maxWaiting", maxWaiting, 1, Integer.MAX_VALUE);
    range("preReadLimitBytes", preReadLimitBytes, 0, Integer.MAX_VALUE);
    if (maxBufferedBytesPerRevision < preReadLimitBytes) {
      throw new IllegalArgumentException(
          "maxBufferedBytesPerRevision: "
              + maxBufferedBytesPerRevision
              + " (expected: >= preReadLimitBytes "
              + preReadLimitBytes
              + ")");
    }
    if (maxBufferedBytes < maxBufferedBytesPerRevision) {
      throw new IllegalArgumentException(
          "maxBufferedBytes: "
              + maxBufferedBytes
              + " (expected: >= maxBufferedBytesPerRevision "
              + maxBufferedBytesPerRevision
              + ")");
    }
    nonNegative("retryAfter", retryAfter);
    if (retryAfter.toNanos() % 1_000_000_000L != 0) {
      throw new IllegalArgumentException(
          "retryAfter: " + retryAfter + " (expected: whole seconds)");
    }
    nonNegative("maxWait", maxWait);
    positive("probeInterval", probeInterval);
    positive("probeTimeout", probeTimeout);
    if (probeTimeout.toMillis() < 1 || probeTimeout.toMillis() > Integer.MAX_VALUE) {
      throw new IllegalArgumentException(
          "probeTimeout: " + probeTimeout + " (expected: 1ms to 2147483647ms)");
    }
    range("maxConcurrentProbes", maxConcurrentProbes, 1, Integer.MAX_VALUE);
    range("connectRetries", connectRetries, 0, 10);
    nonNegative("connectRetryBackoff", connectRetryBackoff);
    positive("connectTimeout", connectTimeout);
    if (connectTimeout.toMillis() < 1 || connectTimeout.toMillis() > Integer.MAX_VALUE) {
      throw new IllegalArgumentException(
          "connectTimeout: " + connectTimeout + " (expected: 1ms to 2147483647ms)");
    }
    range("maxConnectsPerPod", maxConnectsPerPod, 1, Integer.MAX_VALUE);
    positive("reportingPeriod", reportingPeriod);
    nonNegative("drainDelay", drainDelay);
    nonNegative("shutdownTimeout", shutdownTimeout);
    range("eventLoopThreads", eventLoopThreads, 0, 1024);
  }

  /** A builder with the defaults. */
  public static Builder builder() {
    return new Builder();
  }

  /** A builder starting from this configuration. */
  public Builder toBuilder() {
    return new Builder(this);
  }

  /** Whether an autoscaler is configured. */
  public boolean hasAutoscaler() {
    return !autoscalerHost.isEmpty();
  }

  /** The proxy engine's configuration for these settings. */
  ProxyServerConfig proxyConfig() {
    return ProxyServerConfig.builder()
        .host(host)
        .port(port)
        .preReadLimitBytes(preReadLimitBytes)
        .maxUpstreamAttempts(1 + connectRetries)
        .pool(
            UpstreamPoolConfig.DEFAULT
                .withConnectTimeout(connectTimeout)
                .withMaxConnectsPerKey(maxConnectsPerPod))
        .defaultTimeouts(FALLBACK_TIMEOUTS)
        .build();
  }

  /** The 504 text of a request that waited {@link #maxWait()} for {@code revision}. */
  String waitTimeoutMessage(RevisionKey revision) {
    return "activator: revision "
        + revision
        + " had no capacity within "
        + GoDuration.format(maxWait);
  }

  private static void range(String name, long value, long min, long max) {
    if (value < min || value > max) {
      throw new IllegalArgumentException(
          name + ": " + value + " (expected: " + min + "-" + max + ")");
    }
  }

  private static void nonNegative(String name, Duration value) {
    Objects.requireNonNull(value, name);
    if (value.isNegative()) {
      throw new IllegalArgumentException(name + ": " + value + " (expected: >= 0)");
    }
  }

  private static void positive(String name, Duration value) {
    Objects.requireNonNull(value, name);
    if (value.isNegative() || value.isZero()) {
      throw new IllegalArgumentException(name + ": " + value + " (expected: > 0)");
    }
  }

  /** Mutable builder; {@link #build()} validates. */
  public static final class Builder {
    private String host = "0.0.0.0";
    private int port = DEFAULT_PORT;
    private int metricsPort = DEFAULT_METRICS_PORT;
    private String autoscalerHost = "";
    private int autoscalerPort = DEFAULT_AUTOSCALER_PORT;
    private String podName = "knetty-activator";
    private String podIp = "";
    private String clusterDomain = "cluster.local";
    private int maxWaitingPerRevision = 10_000;
    private int maxWaiting = 50_000;
    private long maxBufferedBytesPerRevision = 64L << 20;
    private long maxBufferedBytes = 256L << 20;
    private int preReadLimitBytes = 4 * 1024;
    private Duration retryAfter = Duration.ofSeconds(1);
    private Duration maxWait = Duration.ZERO;
    private Duration probeInterval = Duration.ofMillis(200);
    private Duration probeTimeout = Duration.ofMillis(300);
    private int maxConcurrentProbes = 100;
    private int connectRetries = 2;
    private Duration connectRetryBackoff = Duration.ofMillis(50);
    private Duration connectTimeout = UpstreamPoolConfig.DEFAULT.connectTimeout();
    private int maxConnectsPerPod = UpstreamPoolConfig.DEFAULT_MAX_CONNECTS_PER_KEY;
    private Duration reportingPeriod = Duration.ofSeconds(1);
    private Duration drainDelay = Duration.ofSeconds(45);
    private Duration shutdownTimeout = Duration.ofMinutes(5);
    private int eventLoopThreads;

    private Builder() {}

    private Builder(ActivatorConfig c) {
      host = c.host;
      port = c.port;
      metricsPort = c.metricsPort;
      autoscalerHost = c.autoscalerHost;
      autoscalerPort = c.autoscalerPort;
      podName = c.podName;
      podIp = c.podIp;
      clusterDomain = c.clusterDomain;
      maxWaitingPerRevision = c.maxWaitingPerRevision;
      maxWaiting = c.maxWaiting;
      maxBufferedBytesPerRevision = c.maxBufferedBytesPerRevision;
      maxBufferedBytes = c.maxBufferedBytes;
      preReadLimitBytes = c.preReadLimitBytes;
      retryAfter = c.retryAfter;
      maxWait = c.maxWait;
      probeInterval = c.probeInterval;
      probeTimeout = c.probeTimeout;
      maxConcurrentProbes = c.maxConcurrentProbes;
      connectRetries = c.connectRetries;
      connectRetryBackoff = c.connectRetryBackoff;
      connectTimeout = c.connectTimeout;
      maxConnectsPerPod = c.maxConnectsPerPod;
      reportingPeriod = c.reportingPeriod;
      drainDelay = c.drainDelay;
      shutdownTimeout = c.shutdownTimeout;
      eventLoopThreads = c.eventLoopThreads;
    }

    public Builder host(String value) {
      host = value;
      return this;
    }

    public Builder port(int value) {
      port = value;
      return this;
    }

    public Builder metricsPort(int value) {
      metricsPort = value;
      return this;
    }

    /** The autoscaler's KMP address; an empty host means none. */
    public Builder autoscaler(String hostName, int kmpPort) {
      autoscalerHost = hostName;
      autoscalerPort = kmpPort;
      return this;
    }

    public Builder podName(String value) {
      podName = value;
      return this;
    }

    public Builder podIp(String value) {
      podIp = value;
      return this;
    }

    public Builder clusterDomain(String value) {
      clusterDomain = value;
      return this;
    }

    public Builder maxWaitingPerRevision(int value) {
      maxWaitingPerRevision = value;
      return this;
    }

    public Builder maxWaiting(int value) {
      maxWaiting = value;
      return this;
    }

    public Builder maxBufferedBytesPerRevision(long value) {
      maxBufferedBytesPerRevision = value;
      return this;
    }

    public Builder maxBufferedBytes(long value) {
      maxBufferedBytes = value;
      return this;
    }

    public Builder preReadLimitBytes(int value) {
      preReadLimitBytes = value;
      return this;
    }

    public Builder retryAfter(Duration value) {
      retryAfter = value;
      return this;
    }

    public Builder maxWait(Duration value) {
      maxWait = value;
      return this;
    }

    public Builder probeInterval(Duration value) {
      probeInterval = value;
      return this;
    }

    public Builder probeTimeout(Duration value) {
      probeTimeout = value;
      return this;
    }

    public Builder maxConcurrentProbes(int value) {
      maxConcurrentProbes = value;
      return this;
    }

    public Builder connectRetries(int value) {
      connectRetries = value;
      return this;
    }

    public Builder connectRetryBackoff(Duration value) {
      connectRetryBackoff = value;
      return this;
    }

    public Builder connectTimeout(Duration value) {
      connectTimeout = value;
      return this;
    }

    public Builder maxConnectsPerPod(int value) {
      maxConnectsPerPod = value;
      return this;
    }

    public Builder reportingPeriod(Duration value) {
      reportingPeriod = value;
      return this;
    }

    public Builder drainDelay(Duration value) {
      drainDelay = value;
      return this;
    }

    public Builder shutdownTimeout(Duration value) {
      shutdownTimeout = value;
      return this;
    }

    public Builder eventLoopThreads(int value) {
      eventLoopThreads = value;
      return this;
    }

    /** The configuration; throws {@link IllegalArgumentException} naming an invalid value. */
    public ActivatorConfig build() {
      return new ActivatorConfig(
          host,
          port,
          metricsPort,
          autoscalerHost,
          autoscalerPort,
          podName,
          podIp,
          clusterDomain,
          maxWaitingPerRevision,
          maxWaiting,
          maxBufferedBytesPerRevision,
          maxBufferedBytes,
          preReadLimitBytes,
          retryAfter,
          maxWait,
          probeInterval,
          probeTimeout,
          maxConcurrentProbes,
          connectRetries,
          connectRetryBackoff,
          connectTimeout,
          maxConnectsPerPod,
          reportingPeriod,
          drainDelay,
          shutdownTimeout,
          eventLoopThreads);
    }
  }
}
