package dev.knetty.activator;

import dev.knetty.activator.endpoints.EndpointSource;
import dev.knetty.common.RevisionKey;
import dev.knetty.common.http.AdminHttpServer;
import dev.knetty.common.http.AdminHttpServerConfig;
import dev.knetty.common.kmp.KmpClient;
import dev.knetty.common.kmp.KmpClientConfig;
import dev.knetty.common.kmp.Role;
import dev.knetty.common.metrics.ProcessMetrics;
import dev.knetty.common.net.Transport;
import dev.knetty.common.proxy.ProxyServer;
import dev.knetty.common.proxy.UpstreamTarget;
import io.micrometer.core.instrument.MeterRegistry;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.ScheduledFuture;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Knetty's activator, in process: the shared proxy that receives traffic for revisions without pods
 * (or with too little headroom), holds it, within bounds, while the autoscaler scales up, and sends
 * it to pods as they become able to serve. See {@code docs/activator.md}.
 *
 * <pre>{@code
 * Activator activator = Activator.builder(config)
 *     .endpointSource(source)              // required
 *     .eventLoops(transport, boss, workers) // optional: shared with the rest of the process
 *     .metrics(processMetrics)             // optional: the process's registry
 *     .build();
 * activator.start();
 * ...
 * activator.shutdownGracefully();          // SIGTERM: unready, drain delay, drain, close
 * }</pre>
 *
 * <p>Parts: the proxy engine on {@link ActivatorConfig#port()} with {@link ActivatorPolicy}; the
 * control loop (one event loop of the workers) that owns the revisions, the pod prober and the
 * reporting tick; the KMP client to the autoscaler (optional); {@code /metrics} on {@link
 * ActivatorConfig#metricsPort()} (optional).
 */
public final class Activator implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(Activator.class);
  private static final long CLOSE_WAIT_SECONDS = 10;

  private final ActivatorConfig config;
  private final Transport transport;
  private final EventLoopGroup boss;
  private final EventLoopGroup workers;
  private final boolean ownsGroups;
  private final ProcessMetrics processMetrics;
  private final boolean ownsMetrics;
  private final EndpointSource source;
  private final EventLoop control;
  private final ActivatorMetrics metrics;
  private final Revisions revisions;
  private final ProbeClient probeClient;
  private final ProxyServer proxy;
  private final ConcurrencyReporter reporter;
  private final Object lock = new Object();

  private volatile KmpClient kmp;
  private volatile boolean draining;
  private volatile AdminHttpServer metricsServer;
  private ScheduledFuture<?> reportTask;
  private boolean started;
  private boolean closed;

  private Activator(Builder b) {
    this.config = b.config;
    this.source = b.source;
    this.transport = b.transport != null ? b.transport : Transport.fromEnvironment();
    if (b.workers != null) {
      this.boss = b.boss;
      this.workers = b.workers;
      this.ownsGroups = false;
    } else {
      this.boss = transport.newEventLoopGroup(1, "activator-boss");
      this.workers = transport.newEventLoopGroup(config.eventLoopThreads(), "activator-worker");
      this.ownsGroups = true;
    }
    this.processMetrics = b.metrics != null ? b.metrics : ProcessMetrics.create();
    this.ownsMetrics = b.metrics == null;
    if (ownsMetrics && ownsGroups) {
      processMetrics.bindEventLoops("activator", workers);
    }
    this.control = workers.next();
    BufferLimits limits = new BufferLimits(config);
    this.metrics = new ActivatorMetrics(processMetrics.registry(), limits, this::revisionCount);
    this.reporter =
        new ConcurrencyReporter(
            config.podName(),
            batch -> {
              KmpClient client = kmp;
              if (client != null) {
                client.send(batch);
              }
            },
            System::nanoTime,
            System::currentTimeMillis,
            metrics.immediateStats::increment);
    RevisionResolver resolver =
        b.resolver != null ? b.resolver : RevisionResolver.knative(config.clusterDomain());
    this.revisions = new Revisions(config, control, metrics, this::closeUpstream);
    this.probeClient = new ProbeClient(control, transport, config.probeTimeout());
    revisions.prober(
        new PodProber(
            control,
            probeClient,
            config.probeInterval(),
            config.maxConcurrentProbes(),
            revisions,
            metrics.probeSuccesses,
            metrics.probeFailures));
    ActivatorPolicy policy =
        new ActivatorPolicy(
            config, revisions, resolver, limits, reporter, metrics, this::healthProblem);
    this.proxy =
        ProxyServer.builder(config.proxyConfig(), policy)
            .transport(transport)
            .eventLoops(boss, workers)
            .build();
  }

  /** A builder for an activator with {@code config}. */
  public static Builder builder(ActivatorConfig config) {
    return new Builder(config);
  }

  /**
   * Starts the endpoint source, binds the data and metrics ports, connects to the autoscaler and
   * starts reporting. Blocks until bound: not for an event loop.
   *
   * @throws IllegalStateException if started or closed before, or a port cannot be bound (then
   *     everything started is closed again)
   */
  public void start() {
    synchronized (lock) {
      if (started || closed) {
        throw new IllegalStateException(closed ? "activator closed" : "activator already started");
      }
      started = true;
    }
    try {
      source.start(revisions);
      proxy.start();
      if (config.metricsPort() >= 0) {
        metricsServer =
            AdminHttpServer.builder(AdminHttpServerConfig.of(config.host(), config.metricsPort()))
                .name("activator-metrics")
                .eventLoops(transport, boss, workers)
                .meterRegistry(processMetrics.registry())
                .get("/metrics", processMetrics.scrapeHandler())
                .build();
        metricsServer.start();
      }
      if (config.hasAutoscaler()) {
        KmpClient client =
            KmpClient.start(
                KmpClientConfig.builder(
                        config.autoscalerHost(),
                        config.autoscalerPort(),
                        Role.ACTIVATOR,
                        config.podName(),
                        config.podIp())
                    .build(),
                transport,
                workers,
                revisions::decisions);
        metrics.bind(client);
        kmp = client;
      }
      long period = config.reportingPeriod().toNanos();
      reportTask =
          control.scheduleAtFixedRate(reporter::report, period, period, TimeUnit.NANOSECONDS);
    } catch (RuntimeException e) {
      close();
      throw e;
    }
    LOG.info(
        "activator on port {} (metrics {}), autoscaler {}",
        port(),
        metricsPort(),
        config.hasAutoscaler() ? config.autoscalerHost() + ":" + config.autoscalerPort() : "none");
  }

  /** The bound data port, or -1 before {@link #start()}. */
  public int port() {
    return proxy.port();
  }

  /** The bound metrics port, or -1 if none is served. */
  public int metricsPort() {
    AdminHttpServer server = metricsServer;
    return server == null ? -1 : server.port();
  }

  /**
   * Why the activator is not healthy, or {@code null} if it is: what a kubelet probe gets as a 500
   * body. Unhealthy once draining ({@value ActivatorPolicy#SIGTERM}), while the KMP connection to a
   * configured autoscaler is down (Knative's {@code connection has not yet been established}), and
   * until the endpoint source has synced.
   */
  public String healthProblem() {
    if (draining) {
      return ActivatorPolicy.SIGTERM;
    }
    KmpClient client = kmp;
    if (config.hasAutoscaler() && (client == null || !client.isConnected())) {
      return "connection has not yet been established";
    }
    if (!source.synced()) {
      return "endpoints not synced yet";
    }
    return null;
  }

  /** Whether {@link #healthProblem()} finds nothing. */
  public boolean isReady() {
    return healthProblem() == null;
  }

  /** Whether {@link #shutdownGracefully()} began. */
  public boolean isDraining() {
    return draining;
  }

  /** The revisions known now (a snapshot). */
  public Set<RevisionKey> revisions() {
    return revisions.keys();
  }

  /** The registry holding the activator's meters. */
  public MeterRegistry meterRegistry() {
    return processMetrics.registry();
  }

  /** Exchanges in progress, waiting ones included. */
  public int activeRequests() {
    return proxy.activeExchanges();
  }

  /**
   * Knative's SIGTERM sequence, bounded: the activator turns unready at once (kubelet probes get
   * 500 {@value ActivatorPolicy#SIGTERM}) but keeps serving for {@link
   * ActivatorConfig#drainDelay()}, so that load balancers stop sending to it; then it stops
   * accepting connections, tells open ones to close (HTTP/1.1 {@code Connection: close}, h2 GOAWAY)
   * and lets in-flight and waiting requests finish for up to {@link
   * ActivatorConfig#shutdownTimeout()} (pods keep being probed, so waiting requests still get
   * capacity); finally it closes everything. Blocks: call it from a shutdown hook or a test, never
   * an event loop.
   */
  public void shutdownGracefully() {
    draining = true;
    LOG.info(
        "activator draining: unready now, stops accepting in {} ms",
        config.drainDelay().toMillis());
    try {
      if (!config.drainDelay().isZero()) {
        CompletableFuture.runAsync(
                () -> {},
                CompletableFuture.delayedExecutor(
                    config.drainDelay().toNanos(), TimeUnit.NANOSECONDS))
            .get();
      }
      proxy.startDrain();
      proxy.stopAccepting().get();
      int active = proxy.activeExchanges();
      if (active > 0) {
        LOG.info("activator: waiting for {} requests to finish", active);
      }
      proxy.whenIdle().get(config.shutdownTimeout().toNanos(), TimeUnit.NANOSECONDS);
    } catch (TimeoutException e) {
      LOG.warn(
          "activator: {} requests still in progress after {} ms; cutting them",
          proxy.activeExchanges(),
          config.shutdownTimeout().toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (ExecutionException e) {
      LOG.warn("activator: drain failed", e);
    }
    close();
  }

  /**
   * Closes at once: requests in progress are cut, waiting ones end as client aborts. Blocks until
   * done; not for an event loop. Closes the endpoint source, and the event loops and metrics if the
   * activator created them.
   */
  @Override
  public void close() {
    synchronized (lock) {
      if (closed) {
        return;
      }
      closed = true;
    }
    if (reportTask != null) {
      reportTask.cancel(false);
    }
    source.close();
    KmpClient client = kmp;
    if (client != null) {
      client.close();
    }
    if (metricsServer != null) {
      metricsServer.close();
    }
    proxy.close();
    if (!control.isShuttingDown()) {
      Future<?> f =
          control.submit(
              () -> {
                revisions.close();
                probeClient.close();
              });
      f.awaitUninterruptibly(CLOSE_WAIT_SECONDS, TimeUnit.SECONDS);
    }
    if (ownsGroups) {
      Future<?> b = boss.shutdownGracefully(0, CLOSE_WAIT_SECONDS, TimeUnit.SECONDS);
      Future<?> w = workers.shutdownGracefully(0, CLOSE_WAIT_SECONDS, TimeUnit.SECONDS);
      b.awaitUninterruptibly(CLOSE_WAIT_SECONDS * 2, TimeUnit.SECONDS);
      w.awaitUninterruptibly(CLOSE_WAIT_SECONDS * 2, TimeUnit.SECONDS);
    }
    if (ownsMetrics) {
      processMetrics.close();
    }
    LOG.info("activator closed");
  }

  // ---------------------------------------------------------------- for tests in this package

  RevisionEntry revision(RevisionKey key) {
    return revisions.get(key);
  }

  EventLoop controlLoop() {
    return control;
  }

  private void closeUpstream(UpstreamTarget pod) {
    proxy.closeUpstream(pod);
  }

  private int revisionCount() {
    return revisions == null ? 0 : revisions.size();
  }

  /** Builds an {@link Activator}. */
  public static final class Builder {
    private final ActivatorConfig config;
    private Transport transport;
    private EventLoopGroup boss;
    private EventLoopGroup workers;
    private EndpointSource source;
    private RevisionResolver resolver;
    private ProcessMetrics metrics;

    private Builder(ActivatorConfig config) {
      this.config = Objects.requireNonNull(config, "config");
    }

    /** The transport (default: {@link Transport#fromEnvironment()}); it must match the loops. */
    public Builder transport(Transport value) {
      transport = Objects.requireNonNull(value, "transport");
      return this;
    }

    /**
     * Event loops owned by the caller (local mode shares them with the autoscaler); the activator
     * does not shut them down. Without this call it creates its own.
     */
    public Builder eventLoops(EventLoopGroup acceptor, EventLoopGroup workerGroup) {
      boss = Objects.requireNonNull(acceptor, "acceptor");
      workers = Objects.requireNonNull(workerGroup, "workerGroup");
      return this;
    }

    /** Where revisions and pods come from (required); the activator starts and closes it. */
    public Builder endpointSource(EndpointSource value) {
      source = Objects.requireNonNull(value, "endpointSource");
      return this;
    }

    /** How requests are mapped to revisions (default: {@link RevisionResolver#knative}). */
    public Builder revisionResolver(RevisionResolver value) {
      resolver = Objects.requireNonNull(value, "revisionResolver");
      return this;
    }

    /** The process's registry and scrape handler (default: the activator's own, closed with it). */
    public Builder metrics(ProcessMetrics value) {
      metrics = Objects.requireNonNull(value, "metrics");
      return this;
    }

    /**
     * The activator, not started.
     *
     * @throws IllegalStateException without an endpoint source
     */
    public Activator build() {
      if (source == null) {
        throw new IllegalStateException("endpointSource: not set (expected: an EndpointSource)");
      }
      return new Activator(this);
    }
  }
}
