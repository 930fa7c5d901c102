package dev.knetty.autoscaler.server;

import dev.knetty.autoscaler.Multiscaler;
import dev.knetty.autoscaler.Scaler;
import dev.knetty.common.config.AutoscalerConfig;
import dev.knetty.common.http.AdminHttpServer;
import dev.knetty.common.http.AdminHttpServerConfig;
import dev.knetty.common.http.AdminRequest;
import dev.knetty.common.http.TextResponses;
import dev.knetty.common.kmp.KmpServer;
import dev.knetty.common.kmp.KmpServerConfig;
import dev.knetty.common.metrics.ProcessMetrics;
import dev.knetty.common.net.Transport;
import io.netty.channel.EventLoopGroup;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.time.InstantSource;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The autoscaler as a server: Knative's KPA ({@link Multiscaler}) fed by the KMP stat server,
 * pushing its decisions to the activators, with an admin and a metrics port. Usable on its own
 * ({@code knetty autoscaler}) or embedded in another process.
 *
 * <ul>
 *   <li><b>KMP</b> ({@link AutoscalerServerConfig#kmpPort()}): queue-proxies and activators push
 *       stats; every stat is recorded with the time it arrived, on the event loop, and nothing else
 *       happens there. Stats for revisions that are not autoscaled are rejected and counted.
 *       Activators receive each revision's decision with their share of Knative's activator
 *       subsetting (see {@link DecisionPusher}): the full set when they connect, then changes,
 *       including the immediate evaluation of a revision at zero that sees traffic.
 *   <li><b>Admin</b> ({@link AutoscalerServerConfig#adminPort()}): {@code GET /revisions}, {@code
 *       GET /revisions/{namespace}/{name}} (JSON), {@code GET /healthz} (alive), {@code GET
 *       /readyz} (KMP bound, the revision source synced, and the embedder's {@linkplain
 *       Builder#readinessCheck checks}).
 *   <li><b>Metrics</b> ({@link AutoscalerServerConfig#metricsPort()}): Prometheus {@code /metrics}.
 * </ul>
 *
 * <p>The pluggable parts: the {@link RevisionSource} (which revisions exist, with their settings)
 * and the {@link Scaler} (who runs the pods). Without a scaler the server runs the
 * <em>advisory</em> scaler, which actuates nothing: it counts the queue-proxy pods that report as
 * ready pods, considers the activator in the path while one is connected, and only records the
 * replicas the KPA asks for (shown in {@code /revisions}, logged).
 *
 * <pre>{@code
 * try (AutoscalerServer server =
 *     AutoscalerServer.builder(AutoscalerServerConfig.builder().build())
 *         .revisionSource(new FileRevisionSource(file, Duration.ofSeconds(1), registry))
 *         .build()) {
 *   server.start();
 *   ...
 * }
 * }</pre>
 */
public final class AutoscalerServer implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(AutoscalerServer.class);

  /** How often the advisory scaler forgets silent pods. */
  private static final long ADVISORY_POLL_MILLIS = 1000;

  /** Admin requests that may wait for the worker before {@code /revisions} answers 503. */
  private static final int ADMIN_QUEUE = 16;

  private final AutoscalerServerConfig config;
  private final RevisionSource source;
  private final Transport transport;
  private final ProcessMetrics metrics;
  private final boolean ownsMetrics;
  private final ScheduledExecutorService scheduler;
  private final boolean ownsScheduler;
  private final AdvisoryScaler advisory;
  private final Multiscaler multiscaler;
  private final DecisionPusher pusher;
  private final ServerMetrics serverMetrics;
  private final RevisionCatalog catalog;
  private final StatIngest ingest;
  private final RevisionsEndpoint revisions;
  private final ThreadPoolExecutor adminWorker;
  private final List<Map.Entry<String, BooleanSupplier>> readinessChecks;

  // Guarded by this.
  private EventLoopGroup acceptGroup;
  private EventLoopGroup ioGroup;
  private AdminHttpServer admin;
  private AdminHttpServer metricsServer;
  private ScheduledFuture<?> advisoryPoll;
  private boolean started;
  private boolean closed;

  private volatile KmpServer kmp;

  private AutoscalerServer(Builder b) {
    this.config = b.config;
    this.source = b.source;
    this.transport = b.transport != null ? b.transport : Transport.fromEnvironment();
    this.ownsMetrics = b.metrics == null;
    this.metrics = ownsMetrics ? ProcessMetrics.create() : b.metrics;
    this.ownsScheduler = b.scheduler == null;
    if (ownsScheduler) {
      ScheduledThreadPoolExecutor executor =
          new ScheduledThreadPoolExecutor(
              config.schedulerThreads(), new DefaultThreadFactory("autoscaler-scheduler", true));
      executor.setRemoveOnCancelPolicy(true); // removed revisions leave no dead ticks behind
      this.scheduler = executor;
    } else {
      this.scheduler = b.scheduler;
    }
    InstantSource clock = b.clock != null ? b.clock : InstantSource.system();
    this.advisory = b.scaler == null ? new AdvisoryScaler(config.readyPodWindow(), clock) : null;
    RecordingScaler scaler = new RecordingScaler(b.scaler != null ? b.scaler : advisory);
    this.multiscaler = new Multiscaler(scaler, scheduler, clock, metrics.registry());
    this.pusher = new DecisionPusher(scheduler);
    multiscaler.addDecisionListener(pusher);
    this.serverMetrics = new ServerMetrics(metrics.registry(), multiscaler, scaler);
    this.catalog =
        new RevisionCatalog(
            config.autoscaler(), multiscaler, pusher, serverMetrics, scaler, advisory);
    this.ingest =
        new StatIngest(multiscaler, pusher, advisory, serverMetrics, clock, config.logInterval());
    this.adminWorker =
        new ThreadPoolExecutor(
            1,
            1,
            0,
            TimeUnit.MILLISECONDS,
            new ArrayBlockingQueue<>(ADMIN_QUEUE),
            new DefaultThreadFactory("autoscaler-admin", true));
    this.revisions = new RevisionsEndpoint(multiscaler, catalog, pusher, scaler, adminWorker);
    this.readinessChecks = List.copyOf(b.readinessChecks.entrySet());
  }

  /** A builder for a server with {@code config}. */
  public static Builder builder(AutoscalerServerConfig config) {
    return new Builder(config);
  }

  /**
   * Binds the admin and metrics ports, starts the revision source, then binds KMP. Blocks until
   * bound; call it from a main or test thread.
   *
   * @throws IllegalStateException if started or closed before, or a port cannot be bound (the
   *     message names it); whatever was started is closed again
   */
  public synchronized void start() {
    if (started || closed) {
      throw new IllegalStateException("autoscaler: already " + (closed ? "closed" : "started"));
    }
    started = true;
    try {
      acceptGroup = transport.newEventLoopGroup(1, "autoscaler-accept");
      ioGroup = transport.newEventLoopGroup(config.eventLoopThreads(), "autoscaler-io");
      metrics.bindEventLoops("autoscaler-io", ioGroup);
      admin =
          AdminHttpServer.builder(AdminHttpServerConfig.of(config.host(), config.adminPort()))
              .name("autoscaler-admin")
              .eventLoops(transport, acceptGroup, ioGroup)
              .meterRegistry(metrics.registry())
              .get("/revisions", revisions)
              .get(RevisionsEndpoint.PREFIX + "*", revisions)
              .get("/healthz", r -> text(r, HttpResponseStatus.OK, "ok"))
              .get("/readyz", this::readiness)
              .build();
      admin.start();
      if (config.metricsPort() != AutoscalerServerConfig.NO_METRICS) {
        metricsServer =
            AdminHttpServer.builder(AdminHttpServerConfig.of(config.host(), config.metricsPort()))
                .name("autoscaler-metrics")
                .eventLoops(transport, acceptGroup, ioGroup)
                .meterRegistry(metrics.registry())
                .get("/metrics", metrics.scrapeHandler())
                .build();
        metricsServer.start();
      }
      source.start(catalog);
      KmpServer server =
          KmpServer.start(
              KmpServerConfig.builder(config.podName(), config.podIp())
                  .host(config.host())
                  .port(config.kmpPort())
                  .maxConnections(config.maxConnections())
                  .logInterval(config.logInterval())
                  .build(),
              transport,
              acceptGroup,
              ioGroup,
              ingest);
      serverMetrics.bind(server, pusher);
      kmp = server;
      if (advisory != null) {
        advisoryPoll =
            scheduler.scheduleAtFixedRate(
                advisory::poll, ADVISORY_POLL_MILLIS, ADVISORY_POLL_MILLIS, TimeUnit.MILLISECONDS);
      }
      LOG.info(
          "Autoscaler up: KMP on {}:{}, admin on {}, metrics on {}, scaler: {}",
          config.host(),
          kmpPort(),
          adminPort(),
          metricsPort() < 0 ? "none" : metricsPort(),
          advisory != null ? "advisory (does not actuate)" : "given");
    } catch (RuntimeException e) {
      close();
      throw e instanceof IllegalStateException
          ? e
          : new IllegalStateException("autoscaler: " + e.getMessage(), e);
    }
  }

  /**
   * Whether KMP is bound, the revision source has delivered its revisions and every readiness check
   * passes.
   */
  public boolean ready() {
    return notReady() == null;
  }

  /** What is not ready, or null. */
  private String notReady() {
    if (kmp == null) {
      return "KMP server not bound";
    }
    if (!source.synced()) {
      return "revisions not synced";
    }
    for (Map.Entry<String, BooleanSupplier> check : readinessChecks) {
      if (!check.getValue().getAsBoolean()) {
        return check.getKey() + " not ready";
      }
    }
    return null;
  }

  /**
   * Applies a new {@code config-autoscaler} to every revision (e.g. after its file changed): each
   * revision's settings are derived again; one that the new config makes invalid keeps its last
   * good settings. Safe from any thread but an event loop.
   */
  public void reconfigure(AutoscalerConfig autoscaler) {
    catalog.configure(Objects.requireNonNull(autoscaler, "autoscaler"));
  }

  /** The bound KMP port, or -1 before {@link #start()}. */
  public int kmpPort() {
    KmpServer server = kmp;
    return server == null ? -1 : server.localAddress().getPort();
  }

  /** The bound admin port, or -1 before {@link #start()}. */
  public synchronized int adminPort() {
    return admin == null ? -1 : admin.port();
  }

  /** The bound metrics port, or -1 before {@link #start()} or when there is none. */
  public synchronized int metricsPort() {
    return metricsServer == null ? -1 : metricsServer.port();
  }

  /** The autoscaler itself (e.g. to evaluate every revision at once in a benchmark). */
  public Multiscaler multiscaler() {
    return multiscaler;
  }

  /** Stats received over KMP since the start, accepted or rejected. */
  public long receivedStats() {
    KmpServer server = kmp;
    return server == null ? 0 : server.receivedStats();
  }

  /**
   * Closes KMP (every client is told GOING_AWAY), stops the revision source and the autoscaling,
   * closes the admin and metrics ports and releases the threads. Idempotent; blocks until done.
   */
  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    KmpServer server = kmp;
    if (server != null) {
      quietly("KMP server", server::close);
    }
    quietly("revision source", source::close);
    if (advisoryPoll != null) {
      advisoryPoll.cancel(false);
    }
    quietly("multiscaler", multiscaler::close);
    if (admin != null) {
      quietly("admin server", admin::close);
    }
    if (metricsServer != null) {
      quietly("metrics server", metricsServer::close);
    }
    serverMetrics.close();
    adminWorker.shutdownNow();
    for (EventLoopGroup group : new EventLoopGroup[] {ioGroup, acceptGroup}) {
      if (group != null) {
        group.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
      }
    }
    if (ownsScheduler) {
      scheduler.shutdownNow();
    }
    if (ownsMetrics) {
      metrics.close();
    }
  }

  private CompletionStage<FullHttpResponse> readiness(AdminRequest request) {
    String missing = notReady();
    return missing == null
        ? text(request, HttpResponseStatus.OK, "ok")
        : text(request, HttpResponseStatus.SERVICE_UNAVAILABLE, missing);
  }

  private static CompletionStage<FullHttpResponse> text(
      AdminRequest request, HttpResponseStatus status, String message) {
    return CompletableFuture.completedFuture(TextResponses.of(request.alloc(), status, message));
  }

  private static void quietly(String what, Runnable close) {
    try {
      close.run();
    } catch (RuntimeException e) {
      LOG.warn("Closing the {} failed: {}", what, e.toString());
    }
  }

  /** Collects the parts of an {@link AutoscalerServer}. */
  public static final class Builder {
    private final AutoscalerServerConfig config;
    private RevisionSource source;
    private Scaler scaler;
    private ProcessMetrics metrics;
    private ScheduledExecutorService scheduler;
    private InstantSource clock;
    private Transport transport;
    private final Map<String, BooleanSupplier> readinessChecks = new LinkedHashMap<>();

    private Builder(AutoscalerServerConfig config) {
      this.config = Objects.requireNonNull(config, "config");
    }

    /** Where revisions come from (required). The server starts and closes it. */
    public Builder revisionSource(RevisionSource source) {
      this.source = Objects.requireNonNull(source, "source");
      return this;
    }

    /**
     * Who runs the pods. Without one, the advisory scaler, which actuates nothing (see the class
     * documentation).
     */
    public Builder scaler(Scaler scaler) {
      this.scaler = Objects.requireNonNull(scaler, "scaler");
      return this;
    }

    /** The process's registry; without one the server creates (and closes) its own. */
    public Builder metrics(ProcessMetrics metrics) {
      this.metrics = Objects.requireNonNull(metrics, "metrics");
      return this;
    }

    /**
     * The scheduler that evaluates revisions and pushes decisions, and the clock of every decision
     * (its delays should follow that clock). The server does not shut a given scheduler down.
     * Without one, the server runs {@link AutoscalerServerConfig#schedulerThreads()} threads on the
     * system clock.
     */
    public Builder scheduler(ScheduledExecutorService scheduler, InstantSource clock) {
      this.scheduler = Objects.requireNonNull(scheduler, "scheduler");
      this.clock = Objects.requireNonNull(clock, "clock");
      return this;
    }

    /**
     * Adds a condition of {@code GET /readyz}: while {@code ready} is false it answers 503 "{@code
     * name} not ready". Called on an event loop: it must only read a flag.
     */
    public Builder readinessCheck(String name, BooleanSupplier ready) {
      readinessChecks.put(Objects.requireNonNull(name, "name"), Objects.requireNonNull(ready));
      return this;
    }

    /** The I/O transport; default {@link Transport#fromEnvironment()}. */
    public Builder transport(Transport transport) {
      this.transport = Objects.requireNonNull(transport, "transport");
      return this;
    }

    /**
     * The server, not yet started.
     *
     * @throws IllegalStateException without a revision source
     */
    public AutoscalerServer build() {
      if (source == null) {
        throw new IllegalStateException("revisionSource: not set (expected: a RevisionSource)");
      }
      return new AutoscalerServer(this);
    }
  }
}
