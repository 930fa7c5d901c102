package dev.knetty.queueproxy;

import dev.knetty.common.breaker.Breaker;
import dev.knetty.common.breaker.BreakerConfig;
import dev.knetty.common.http.AdminHttpServer;
import dev.knetty.common.http.AdminHttpServerConfig;
import dev.knetty.common.http.AdminRequest;
import dev.knetty.common.http.TextResponses;
import dev.knetty.common.kmp.KmpClient;
import dev.knetty.common.kmp.KmpClientConfig;
import dev.knetty.common.kmp.KmpClientListener;
import dev.knetty.common.kmp.Role;
import dev.knetty.common.metrics.ProcessMetrics;
import dev.knetty.common.net.Transport;
import dev.knetty.common.proxy.ExchangeTimeouts;
import dev.knetty.common.proxy.ProxyServer;
import dev.knetty.common.proxy.ProxyServerConfig;
import dev.knetty.common.proxy.UpstreamPoolConfig;
import dev.knetty.common.stats.RequestStats;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.netty.channel.EventLoopGroup;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.util.concurrent.ScheduledFuture;
import java.io.PrintStream;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Knetty's queue-proxy: the sidecar in front of the user container, with Knative's behaviour
 * (knative-dataplane.md §1). One instance runs four ports on one small event-loop group:
 *
 * <ul>
 *   <li>serving ({@link #servingPort()}, Knative's 8012/8013): HTTP/1.1 and h2c to {@code
 *       127.0.0.1:USER_PORT} through {@link QueueProxyPolicy} (probes, breaker, stats, timeouts);
 *   <li>admin (8022): {@code GET /wait-for-drain} for the user container's preStop hook;
 *   <li>stats (9090): {@code GET /metrics}, Knative's protobuf {@code Stat} for Knative's own
 *       autoscaler;
 *   <li>metrics (9091): Prometheus.
 * </ul>
 *
 * Every second the request stats are pushed to the autoscaler over KMP (when configured) and kept
 * for the stats port.
 *
 * <pre>{@code
 * QueueProxy qp = QueueProxy.builder(QueueProxyConfig.fromEnvironment(System.getenv())).start();
 * ...                          // SIGTERM:
 * qp.drain().join();           // unready, quiet period, stop accepting, in-flight requests done
 * qp.close();
 * }</pre>
 */
public final class QueueProxy implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(QueueProxy.class);

  /** Knative's {@code reportingPeriod}. */
  static final Duration REPORTING_PERIOD = Duration.ofSeconds(1);

  /** Without SIGTERM this soon after {@code /wait-for-drain}, the drain is reset (Knative). */
  static final Duration WAIT_FOR_DRAIN_RESET = Duration.ofSeconds(1);

  static final String WAIT_FOR_DRAIN_PATH = "/wait-for-drain";

  /** Request body bytes read while a request waits for the breaker: enough to see a GET end. */
  private static final int PRE_READ_BYTES = 8 * 1024;

  /** Knative dials the app for up to ~20 s when dials time out (never when refused). */
  private static final int DIAL_ATTEMPTS = 10;

  private static final Duration DIAL_TIMEOUT = Duration.ofSeconds(2);
  private static final int IDLE_CONNECTIONS_WITHOUT_CC = 1000;
  private static final Duration CLOSE_TIMEOUT = Duration.ofSeconds(2);

  private final QueueProxyConfig config;
  private final Transport transport;
  private final LongSupplier clock;
  private final Duration reportingInterval;
  private final Duration probePollTimeout;
  private final PrintStream accessLogOut;
  private final CompletableFuture<ProcessMetrics> metricsStarted;
  private final long startNanos;

  private final Object lock = new Object();
  private EventLoopGroup group;
  private CompletableFuture<ProcessMetrics> metricsInit;
  private ProcessMetrics metrics;
  private QueueProxyPolicy policy;
  private ProxyServer proxy;
  private AdminHttpServer admin;
  private AdminHttpServer stats;
  private AdminHttpServer prometheus;
  private KmpClient kmp;
  private StatReporter reporter;
  private Drainer drainer;
  private AccessLog accessLog;
  private ScheduledFuture<?> ticker;
  private volatile boolean terminating;
  private CompletableFuture<Void> drained;
  private boolean closed;

  private QueueProxy(Builder b) {
    this.config = b.config;
    this.transport = b.transport != null ? b.transport : Transport.fromEnvironment();
    this.clock = b.clock;
    this.reportingInterval = b.reportingInterval;
    this.probePollTimeout = b.probePollTimeout;
    this.accessLogOut = b.accessLogOut;
    this.metricsStarted = b.metricsStarted;
    this.startNanos = clock.getAsLong();
  }

  /** A builder for a queue-proxy with {@code config}. */
  public static Builder builder(QueueProxyConfig config) {
    return new Builder(config);
  }

  /**
   * Binds the four ports and starts reporting. Blocks until bound; call it from a main or test
   * thread.
   *
   * @return this
   * @throws IllegalStateException if started before, or a port cannot be bound (everything started
   *     so far is closed again)
   */
  public QueueProxy start() {
    synchronized (lock) {
      if (group != null) {
        throw new IllegalStateException("queue-proxy already started");
      }
      group = transport.newEventLoopGroup(config.ioThreads(), "queue-proxy");
    }
    try {
      startAll();
    } catch (RuntimeException e) {
      close();
      throw e;
    }
    LOG.info(
        "queue-proxy ready: serving port {}, admin port {}, stats port {}, metrics port {};"
            + " app 127.0.0.1:{}, containerConcurrency {}, revision {}/{}, pod {}",
        servingPort(),
        adminPort(),
        statsPort(),
        metricsPort(),
        config.userPort(),
        config.containerConcurrency(),
        config.namespace(),
        config.revision(),
        config.pod());
    return this;
  }

  private void startAll() {
    metricsInit = metricsStarted != null ? metricsStarted : startMetrics();
    RequestStats requestStats = new RequestStats(startNanos);
    Breaker breaker =
        config.hasBreaker()
            ? new Breaker(BreakerConfig.forContainerConcurrency(config.containerConcurrency()))
            : null;
    drainer = new Drainer(group.next(), config.drainQuietPeriod());
    ReadinessProber prober =
        new ReadinessProber(config.readinessProbes(), group.next(), transport, probePollTimeout);
    metrics = metricsInit.join();
    PrometheusMeterRegistry registry = metrics.registry();
    if (config.accessLog()) {
      accessLog =
          new AccessLog(config.namespace() + "/" + config.revision(), config.pod(), accessLogOut);
    }
    policy =
        new QueueProxyPolicy(
            config, breaker, requestStats, clock, prober, drainer, registry, accessLog);
    proxy =
        ProxyServer.builder(proxyConfig(config), policy)
            .transport(transport)
            .eventLoops(group, group)
            .build();
    FunctionCounter.builder("queueproxy.rejected.heads", proxy, ProxyServer::rejectedRequests)
        .description("Malformed or oversized request heads answered 400/431 by the engine")
        .register(registry);

    admin =
        adminServer("queue-admin", config.adminPort(), registry)
            .get(WAIT_FOR_DRAIN_PATH, this::waitForDrain)
            .build();
    admin.start();
    if (!config.autoscaler().isEmpty()) {
      QueueProxyConfig.HostPort as = QueueProxyConfig.parseHostPort(config.autoscaler());
      kmp =
          KmpClient.start(
              KmpClientConfig.builder(
                      as.host(), as.port(), Role.QUEUE_PROXY, config.pod(), config.podIp())
                  .build(),
              transport,
              group,
              KmpClientListener.noop());
      bindKmpMeters(registry, kmp);
    }
    reporter =
        new StatReporter(
            requestStats,
            clock,
            startNanos,
            REPORTING_PERIOD.toNanos() / 1e9,
            config.pod(),
            config.revisionKey(),
            kmp);
    stats =
        adminServer("queue-stats", config.statsPort(), registry).get("/metrics", reporter).build();
    stats.start();
    prometheus =
        adminServer("queue-metrics", config.metricsPort(), registry)
            .get("/metrics", metrics.scrapeHandler())
            .build();
    prometheus.start();
    if (!reportingInterval.isZero()) {
      long period = reportingInterval.toNanos();
      ticker =
          group.next().scheduleAtFixedRate(reporter::tick, period, period, TimeUnit.NANOSECONDS);
    }
    metrics.bindEventLoops("queue-proxy", group);
    // The data port last: its first requests do not compete with the rest of the start-up.
    proxy.start();
  }

  /**
   * Creates the process's meter registry on a thread of its own: the JVM and Netty meters take a
   * good part of the start-up (JMX, the allocator), which can overlap with the rest of it.
   */
  static CompletableFuture<ProcessMetrics> startMetrics() {
    CompletableFuture<ProcessMetrics> result = new CompletableFuture<>();
    Thread t =
        new Thread(
            () -> {
              try {
                result.complete(ProcessMetrics.create());
              } catch (Throwable e) {
                result.completeExceptionally(e);
              }
            },
            "queue-proxy-metrics-init");
    t.setDaemon(true);
    t.start();
    return result;
  }

  private AdminHttpServer.Builder adminServer(String name, int port, MeterRegistry registry) {
    return AdminHttpServer.builder(
            new AdminHttpServerConfig(
                config.bindHost(),
                port,
                AdminHttpServerConfig.DEFAULT_MAX_CONTENT_LENGTH,
                AdminHttpServerConfig.DEFAULT_IDLE_TIMEOUT,
                CLOSE_TIMEOUT))
        .name(name)
        .eventLoops(transport, group)
        .meterRegistry(registry);
  }

  static ProxyServerConfig proxyConfig(QueueProxyConfig config) {
    return ProxyServerConfig.builder()
        .host(config.bindHost())
        .port(config.servingPort())
        .defaultTimeouts(
            new ExchangeTimeouts(
                config.revisionTimeout(),
                config.responseStartTimeout(),
                config.idleTimeout(),
                ExchangeTimeouts.QUEUE_PROXY_MESSAGE))
        .preReadLimitBytes(PRE_READ_BYTES)
        .maxUpstreamAttempts(DIAL_ATTEMPTS)
        .pool(
            UpstreamPoolConfig.DEFAULT
                .withConnectTimeout(DIAL_TIMEOUT)
                .withMaxConnectsPerKey(config.maxAppConnects())
                .withMaxIdlePerKey(
                    config.hasBreaker()
                        ? config.containerConcurrency()
                        : IDLE_CONNECTIONS_WITHOUT_CC))
        .build();
  }

  private static void bindKmpMeters(MeterRegistry registry, KmpClient kmp) {
    FunctionCounter.builder("queueproxy.kmp.batches", kmp, KmpClient::sentBatches)
        .description("Stat batches written to the autoscaler")
        .tag("result", "sent")
        .register(registry);
    FunctionCounter.builder("queueproxy.kmp.batches", kmp, KmpClient::replacedBatches)
        .description("Stat batches replaced by a newer one before they could be written")
        .tag("result", "replaced")
        .register(registry);
    FunctionCounter.builder("queueproxy.kmp.batches", kmp, KmpClient::droppedBatches)
        .description("Stat batches lost (connection broke, or closed)")
        .tag("result", "dropped")
        .register(registry);
    FunctionCounter.builder("queueproxy.kmp.reconnects", kmp, KmpClient::reconnects)
        .description("Reconnect attempts to the autoscaler")
        .register(registry);
    Gauge.builder("queueproxy.kmp.connected", kmp, c -> c.isConnected() ? 1 : 0)
        .description("1 while the KMP connection to the autoscaler is up")
        .register(registry);
  }

  /** Knative's {@code /wait-for-drain}: blocks (asynchronously) until the quiet period passed. */
  private CompletionStage<FullHttpResponse> waitForDrain(AdminRequest request) {
    LOG.info("{} called by the app container's preStop hook", WAIT_FOR_DRAIN_PATH);
    request
        .eventLoop()
        .schedule(
            () -> {
              if (!terminating) {
                // No SIGTERM: a liveness probe restarts the app container; let it.
                LOG.info(
                    "no SIGTERM within {} of {}: drain reset",
                    WAIT_FOR_DRAIN_RESET,
                    WAIT_FOR_DRAIN_PATH);
                drainer.reset();
              }
            },
            WAIT_FOR_DRAIN_RESET.toNanos(),
            TimeUnit.NANOSECONDS);
    return drainer
        .drain()
        .thenApply(v -> TextResponses.empty(request.alloc(), HttpResponseStatus.OK));
  }

  /** The bound data port. */
  public int servingPort() {
    return proxy == null ? -1 : proxy.port();
  }

  /** The bound admin port. */
  public int adminPort() {
    return admin == null ? -1 : admin.port();
  }

  /** The bound stats (Knative protobuf) port. */
  public int statsPort() {
    return stats == null ? -1 : stats.port();
  }

  /** The bound Prometheus port. */
  public int metricsPort() {
    return prometheus == null ? -1 : prometheus.port();
  }

  /** The configuration. */
  public QueueProxyConfig config() {
    return config;
  }

  /** The process's meter registry (exposed on the metrics port). */
  public PrometheusMeterRegistry meterRegistry() {
    return metrics.registry();
  }

  /** Whether {@link #drain()} was called (the queue-proxy got SIGTERM). */
  public boolean isTerminating() {
    return terminating;
  }

  /**
   * Knative's SIGTERM sequence, up to the point where the process may exit: health checks answer
   * 503 {@code shutting down} at once; the data port serves until no request arrived for the quiet
   * period (each request restarts it); then it stops accepting, closes idle keep-alive connections
   * ({@code Connection: close} on the rest, GOAWAY on h2c) and waits up to the drain timeout for
   * the requests and websockets in flight. Completes normally also when the timeout cut the wait;
   * call {@link #close()} afterwards. Idempotent.
   */
  public CompletableFuture<Void> drain() {
    synchronized (lock) {
      if (drained != null) {
        return drained;
      }
      terminating = true;
      LOG.info(
          "SIGTERM: probes now answer 503 shutting down; serving until no request for {}",
          config.drainQuietPeriod());
      drained =
          drainer
              .drain()
              .thenCompose(
                  v -> {
                    LOG.info(
                        "quiet period over: no longer accepting; waiting up to {} for {}"
                            + " requests in flight",
                        config.drainTimeout(),
                        proxy.activeExchanges());
                    proxy.startDrain();
                    proxy.stopAccepting();
                    return proxy
                        .whenIdle()
                        .orTimeout(config.drainTimeout().toNanos(), TimeUnit.NANOSECONDS)
                        .exceptionally(
                            e -> {
                              LOG.warn(
                                  "{} requests still in flight after {}: cutting them",
                                  proxy.activeExchanges(),
                                  config.drainTimeout());
                              return null;
                            });
                  });
      return drained;
    }
  }

  /**
   * Stops everything at once: connections still open are cut. Blocks until done (bounded by a few
   * seconds); not for event loops. Idempotent.
   */
  @Override
  public void close() {
    synchronized (lock) {
      if (closed) {
        return;
      }
      closed = true;
    }
    if (ticker != null) {
      ticker.cancel(false);
    }
    closeQuietly(proxy);
    closeQuietly(admin);
    closeQuietly(stats);
    closeQuietly(prometheus);
    closeQuietly(kmp);
    closeQuietly(accessLog);
    if (group != null) {
      group
          .shutdownGracefully(0, CLOSE_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)
          .awaitUninterruptibly(CLOSE_TIMEOUT.toMillis() * 2);
    }
    if (metrics != null) {
      closeQuietly(metrics);
    } else if (metricsInit != null) {
      metricsInit.thenAccept(QueueProxy::closeQuietly); // start failed before it was needed
    }
  }

  /** Closes the current reporting window now (tests; the ticker does it every second). */
  void reportNow() {
    reporter.tick();
  }

  StatReporter reporter() {
    return reporter;
  }

  QueueProxyPolicy policy() {
    return policy;
  }

  ProxyServer proxyServer() {
    return proxy;
  }

  private static void closeQuietly(AutoCloseable c) {
    if (c == null) {
      return;
    }
    try {
      c.close();
    } catch (Exception e) {
      LOG.warn("closing {} failed", c, e);
    }
  }

  /** Builds a {@link QueueProxy}. */
  public static final class Builder {
    private final QueueProxyConfig config;
    private Transport transport;
    private LongSupplier clock = System::nanoTime;
    private Duration reportingInterval = REPORTING_PERIOD;
    private Duration probePollTimeout = ReadinessProber.AGGRESSIVE_POLL_TIMEOUT;
    private PrintStream accessLogOut = System.out;
    private CompletableFuture<ProcessMetrics> metricsStarted;

    private Builder(QueueProxyConfig config) {
      this.config = Objects.requireNonNull(config, "config");
    }

    /** The transport (default: {@link Transport#fromEnvironment()}). */
    public Builder transport(Transport value) {
      transport = Objects.requireNonNull(value, "transport");
      return this;
    }

    /** The clock of the request stats, in nanoseconds (tests). */
    Builder clock(LongSupplier value) {
      clock = Objects.requireNonNull(value, "clock");
      return this;
    }

    /** How often stats are reported; zero for only {@link #reportNow()} (tests). */
    Builder reportingInterval(Duration value) {
      reportingInterval = Objects.requireNonNull(value, "reportingInterval");
      return this;
    }

    /** How long an aggressive probe keeps trying (tests; Knative: 10 s). */
    Builder probePollTimeout(Duration value) {
      probePollTimeout = Objects.requireNonNull(value, "probePollTimeout");
      return this;
    }

    /** The registry, already being created by {@link #startMetrics()} (the command). */
    Builder metrics(CompletableFuture<ProcessMetrics> value) {
      metricsStarted = Objects.requireNonNull(value, "metrics");
      return this;
    }

    /** Where the JSON access log goes (tests; default: standard output). */
    Builder accessLogOut(PrintStream value) {
      accessLogOut = Objects.requireNonNull(value, "accessLogOut");
      return this;
    }

    /** Creates and {@linkplain QueueProxy#start() starts} the queue-proxy. */
    public QueueProxy start() {
      return new QueueProxy(this).start();
    }
  }
}
