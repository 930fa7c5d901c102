package dev.knetty.autoscaler.kubernetes;

import dev.knetty.autoscaler.kubernetes.webhook.WebhookConfig;
import dev.knetty.autoscaler.kubernetes.webhook.WebhookServer;
import dev.knetty.autoscaler.server.AutoscalerServer;
import dev.knetty.autoscaler.server.AutoscalerServerConfig;
import dev.knetty.common.config.AutoscalerConfig;
import dev.knetty.common.config.RevisionDefaults;
import dev.knetty.common.metrics.ProcessMetrics;
import dev.knetty.common.net.Transport;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.net.http.HttpClient;
import java.time.Clock;
import java.time.InstantSource;
import java.util.Objects;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The autoscaler on Kubernetes: Deployments labelled {@value KnettyKeys#REVISION_LABEL} are
 * revisions, scaled through their {@code scale} subresource, fronted by Services and an
 * EndpointSlice the autoscaler owns (pods or activators), with the queue-proxy injected by the
 * admission webhook, and two or more replicas of which one (the Lease holder) actuates.
 *
 * <pre>{@code
 * try (KubernetesAutoscaler autoscaler =
 *     KubernetesAutoscaler.builder(client, KubernetesConfig.fromEnvironment(System.getenv()), serverConfig)
 *         .webhook(WebhookConfig.fromEnvironment(System.getenv()))
 *         .build()) {
 *   autoscaler.start();
 *   ...
 * }
 * }</pre>
 *
 * <p>{@link #start()}: the caches (informers) are filled, the Lease permissions checked, the
 * webhook and the {@link AutoscalerServer} (KMP, admin, metrics) started, and the replica campaigns
 * for the Lease. Every replica serves the webhook and answers {@code /readyz} (ready once the
 * caches are synced and the webhook is up); only the leader receives stats (see {@link
 * KmpEndpoint}), delivers revisions to the autoscaler, scales, writes Services, EndpointSlices and
 * Events. A new leader resumes every revision at its current replicas, its deciders created with
 * the current ready pods (so in panic mode when more than one is ready): nothing is scaled down
 * before the stats say so. A replica that loses the leadership, or whose caches stop for good,
 * calls the {@linkplain Builder#onFatal fatal handler} (by default it exits with status 1, so that
 * Kubernetes restarts it).
 */
public final class KubernetesAutoscaler implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(KubernetesAutoscaler.class);

  private final KubernetesConfig config;
  private final ClusterCache cache;
  private final Leadership leadership = new Leadership();
  private final ScheduledExecutorService writes;
  private final ExecutorService electionLoop;
  private final DeploymentRevisionSource source;
  private final ServiceReconciler reconciler;
  private final KmpEndpoint kmpEndpoint;
  private final LeaderElection election;
  private final AutoscalerServer server;
  private final WebhookServer webhook;
  private volatile boolean webhookStarted;
  private boolean started;
  private boolean closed;

  private KubernetesAutoscaler(Builder b) {
    this.config = b.config;
    Runnable fatal = b.onFatal;
    this.cache =
        new ClusterCache(
            b.client,
            config,
            (name, cause) -> {
              LOG.error("The {} informer stopped ({}); exiting", name, String.valueOf(cause));
              leadership.stop(); // blind now: no more writes
              fatal.run();
            });
    ScheduledThreadPoolExecutor w =
        new ScheduledThreadPoolExecutor(1, new DefaultThreadFactory("knetty-k8s-writes", true));
    w.setRemoveOnCancelPolicy(true);
    this.writes = w;
    this.electionLoop =
        Executors.newSingleThreadExecutor(new DefaultThreadFactory("knetty-leader-election", true));
    EventRecorder events =
        new EventRecorder(b.client, leadership, config.podName(), writes, Clock.systemUTC());
    this.source =
        new DeploymentRevisionSource(
            cache, leadership, b.serverConfig.autoscaler(), b.revisionDefaults, events);
    this.reconciler = new ServiceReconciler(b.client, cache, source, leadership, events);
    ActivatorProbe probe =
        new ActivatorProbe(
            HttpClient.newBuilder()
                .connectTimeout(config.activatorProbeTimeout())
                .version(HttpClient.Version.HTTP_1_1)
                .followRedirects(HttpClient.Redirect.NEVER)
                .build(),
            config.activatorProbeTimeout(),
            b.probeTargets != null
                ? b.probeTargets
                : ActivatorProbe.cluster(config.clusterDomain()));
    KubernetesScaler scaler =
        new KubernetesScaler(b.client, cache, source, leadership, probe, writes);
    // The KMP port is known once the server started, before this replica can lead.
    this.kmpEndpoint = new KmpEndpoint(b.client, config, this::kmpPort, leadership, writes);
    this.election =
        new LeaderElection(
            b.client, config, leadership, fatal, kmpEndpoint::withdraw, electionLoop);
    this.webhook =
        b.webhook == null
            ? null
            : new WebhookServer(b.webhook, b.transport, b.client, b.metrics.registry());
    AutoscalerServer.Builder sb =
        AutoscalerServer.builder(b.serverConfig)
            .revisionSource(source)
            .scaler(scaler)
            .metrics(b.metrics)
            .transport(b.transport)
            .readinessCheck("kubernetes caches", cache::synced)
            .readinessCheck("webhook", () -> webhook == null || webhookStarted);
    if (b.scheduler != null) {
      sb.scheduler(b.scheduler, b.clock);
    }
    this.server = sb.build();
    server.multiscaler().addDecisionListener(reconciler);
  }

  /** A builder; {@code server} includes the initial {@code config-autoscaler}. */
  public static Builder builder(
      KubernetesClient client, KubernetesConfig config, AutoscalerServerConfig server) {
    return new Builder(client, config, server);
  }

  /**
   * Fills the caches, checks the Lease permissions, starts the webhook and the autoscaler server,
   * and campaigns for the Lease. Blocks until all of that is done (not until leading).
   *
   * @throws IllegalStateException when a cache does not sync in time, the Lease is not permitted,
   *     or a server cannot start; whatever was started is closed again
   */
  public synchronized void start() {
    if (started || closed) {
      throw new IllegalStateException("kubernetes autoscaler: already started or closed");
    }
    started = true;
    try {
      cache.start(config.cacheSyncTimeout());
      election.checkAccess();
      if (webhook != null) {
        webhook.start();
        webhookStarted = true;
      }
      server.start();
      election.start();
    } catch (RuntimeException e) {
      close();
      throw e instanceof IllegalStateException
          ? e
          : new IllegalStateException("kubernetes autoscaler: " + e.getMessage(), e);
    }
  }

  /** The autoscaler server (ports, the multiscaler). */
  public AutoscalerServer server() {
    return server;
  }

  /** Whether this replica leads (actuates) now. */
  public boolean leading() {
    return leadership.leading();
  }

  /** Whether the caches are synced, the webhook is up and the server is ready. */
  public boolean ready() {
    return server.ready();
  }

  private int kmpPort() {
    return server.kmpPort();
  }

  /** The webhook's bound port, or -1 without a webhook or before {@link #start()}. */
  public int webhookPort() {
    return webhookStarted ? webhook.port() : -1;
  }

  /** Applies a changed {@code config-autoscaler} to every revision (and checks them again). */
  public void reconfigure(AutoscalerConfig autoscaler) {
    server.reconfigure(autoscaler);
    source.reconfigure(autoscaler);
  }

  /**
   * Stops gracefully: a leader stops actuating, withdraws from the KMP Service and gives its Lease
   * up; then the servers, the caches and the threads stop. Idempotent; blocks until done.
   */
  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    election.close();
    server.close();
    if (webhook != null) {
      webhook.close();
    }
    reconciler.close();
    cache.close();
    writes.shutdownNow();
    electionLoop.shutdownNow();
  }

  /** Collects the parts of a {@link KubernetesAutoscaler}. */
  public static final class Builder {
    private final KubernetesClient client;
    private final KubernetesConfig config;
    private final AutoscalerServerConfig serverConfig;
    private RevisionDefaults revisionDefaults = RevisionDefaults.defaults();
    private WebhookConfig webhook;
    private ProcessMetrics metrics;
    private ScheduledExecutorService scheduler;
    private InstantSource clock;
    private Transport transport;
    private Runnable onFatal = Builder::exit;
    private ActivatorProbe.Targets probeTargets;

    private Builder(
        KubernetesClient client, KubernetesConfig config, AutoscalerServerConfig serverConfig) {
      this.client = Objects.requireNonNull(client, "client");
      this.config = Objects.requireNonNull(config, "config");
      this.serverConfig = Objects.requireNonNull(serverConfig, "serverConfig");
    }

    /**
     * Knative's {@code config-defaults} for revisions (default: Knative's), for the {@code
     * knetty.dev/*} annotations; the webhook's when one is configured.
     */
    public Builder revisionDefaults(RevisionDefaults defaults) {
      this.revisionDefaults = Objects.requireNonNull(defaults, "defaults");
      return this;
    }

    /** Serve the queue-proxy injection webhook in this process (its revision defaults apply). */
    public Builder webhook(WebhookConfig webhook) {
      this.webhook = Objects.requireNonNull(webhook, "webhook");
      this.revisionDefaults = webhook.revisionDefaults();
      return this;
    }

    /** The process's registry (required). */
    public Builder metrics(ProcessMetrics metrics) {
      this.metrics = Objects.requireNonNull(metrics, "metrics");
      return this;
    }

    /** The autoscaler's scheduler and clock; default: its own threads on the system clock. */
    public Builder scheduler(ScheduledExecutorService scheduler, InstantSource clock) {
      this.scheduler = Objects.requireNonNull(scheduler, "scheduler");
      this.clock = Objects.requireNonNull(clock, "clock");
      return this;
    }

    /** The I/O transport; default {@link Transport#fromEnvironment()}. */
    public Builder transport(Transport transport) {
      this.transport = Objects.requireNonNull(transport, "transport");
      return this;
    }

    /**
     * What happens when this replica lost the leadership or its caches stopped for good, unless it
     * is closing; default: exit the process with status 1 (from a new thread, so that the shutdown
     * hook can close everything).
     */
    public Builder onFatal(Runnable onFatal) {
      this.onFatal = Objects.requireNonNull(onFatal, "onFatal");
      return this;
    }

    /** Where the activator probe goes (tests); default: the public Services' cluster names. */
    Builder probeTargets(ActivatorProbe.Targets targets) {
      this.probeTargets = Objects.requireNonNull(targets, "targets");
      return this;
    }

    /** The autoscaler, not yet started. */
    public KubernetesAutoscaler build() {
      if (metrics == null) {
        throw new IllegalStateException("metrics: not set (expected: the process's metrics)");
      }
      if (transport == null) {
        transport = Transport.fromEnvironment();
      }
      return new KubernetesAutoscaler(this);
    }

    private static void exit() {
      new Thread(() -> System.exit(1), "knetty-exit").start();
    }
  }
}
