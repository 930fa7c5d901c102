package dev.knetty.dist.local;

import dev.knetty.activator.Activator;
import dev.knetty.activator.ActivatorConfig;
import dev.knetty.activator.endpoints.InMemoryEndpointSource;
import dev.knetty.autoscaler.RevisionSnapshot;
import dev.knetty.autoscaler.server.AutoscalerServer;
import dev.knetty.autoscaler.server.AutoscalerServerConfig;
import dev.knetty.autoscaler.server.RevisionSource;
import dev.knetty.common.RevisionKey;
import dev.knetty.common.metrics.ProcessMetrics;
import io.micrometer.core.instrument.Gauge;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Local mode in one process: the autoscaler ({@link AutoscalerServer}, with its admin and metrics
 * ports) and the activator ({@link Activator}), with a {@link LocalScaler} that runs each
 * revision's pods as local processes and feeds their queue-proxies' addresses to the activator.
 *
 * <pre>{@code
 * try (LocalMode local = new LocalMode(spec, LocalConfig.ephemeral(logDir))) {
 *   local.start();
 *   // http://127.0.0.1:<local.activatorPort()>/ with Host: <revision name>
 * }
 * }</pre>
 */
final class LocalMode implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(LocalMode.class);

  /** The activator's and the autoscaler's name in KMP. */
  static final String POD_NAME = "knetty-local";

  /** When stopping, how long requests in flight through the activator may take. */
  static final Duration ACTIVATOR_SHUTDOWN = Duration.ofSeconds(5);

  private static final String BUFFERED_GAUGE = "knetty.activator.revision.buffered.requests";
  private static final int EVENTS = 100;

  private final LocalSpec spec;
  private final LocalConfig config;
  private final ProcessMetrics metrics = ProcessMetrics.create();
  private final InMemoryEndpointSource endpoints = new InMemoryEndpointSource();
  private final Events events = new Events(EVENTS, Clock.systemUTC());
  private final LocalScaler scaler;
  private final AutoscalerServer autoscaler;
  private Activator activator;
  private boolean closed;

  LocalMode(LocalSpec spec, LocalConfig config) {
    this(spec, config, new Ports());
  }

  /** With pod ports from {@code ports} (tests). */
  LocalMode(LocalSpec spec, LocalConfig config, Ports ports) {
    this.spec = Objects.requireNonNull(spec, "spec");
    this.config = Objects.requireNonNull(config, "config");
    for (LocalRevision r : spec.revisions()) {
      endpoints.upsertRevision(r.key(), r.settings());
    }
    this.scaler = new LocalScaler(spec.revisions(), endpoints, ports, events);
    this.autoscaler =
        AutoscalerServer.builder(
                AutoscalerServerConfig.builder()
                    .host(config.host())
                    .kmpPort(config.kmpPort())
                    .adminPort(config.adminPort())
                    .metricsPort(config.metricsPort())
                    .autoscaler(spec.autoscaler())
                    .podName(POD_NAME)
                    .build())
            .revisionSource(
                RevisionSource.fixed(spec.revisions().stream().map(LocalRevision::spec).toList()))
            .scaler(scaler)
            .metrics(metrics)
            .build();
  }

  /**
   * Binds every port, then starts the revisions' initial pods. Blocks until bound.
   *
   * @throws IllegalStateException if a port cannot be bound (the message names it); everything
   *     started is stopped again
   */
  void start() {
    try {
      autoscaler.start();
      ActivatorConfig activatorConfig =
          ActivatorConfig.builder()
              .host(config.host())
              .port(config.port())
              .metricsPort(-1) // served with the autoscaler's, from the same registry
              .autoscaler(config.connectHost(), autoscaler.kmpPort())
              .podName(POD_NAME)
              .podIp(config.connectHost())
              .drainDelay(Duration.ZERO)
              .shutdownTimeout(ACTIVATOR_SHUTDOWN)
              .build();
      Activator a =
          Activator.builder(activatorConfig)
              .endpointSource(endpoints)
              .metrics(metrics)
              .revisionResolver(
                  new LocalRevisionResolver(
                      spec.revisions().stream().map(LocalRevision::key).toList(),
                      activatorConfig.clusterDomain()))
              .build();
      a.start(); // closes itself if it fails
      activator = a;
    } catch (RuntimeException e) {
      close();
      throw e instanceof IllegalStateException ? e : new IllegalStateException(e.getMessage(), e);
    }
    scaler.start(
        new PodLauncher(
            JavaRuntime.current(),
            config.queueProxyJvmOptions(),
            config.logDir(),
            config.connectHost() + ":" + autoscaler.kmpPort()));
    LOG.info(
        "knetty local: activator on {}:{}, autoscaler admin on {}, metrics on {}, pod logs in {}",
        config.host(),
        activatorPort(),
        adminPort(),
        metricsPort(),
        config.logDir());
  }

  /** The activator's bound port. */
  int activatorPort() {
    return activator == null ? -1 : activator.port();
  }

  /** The autoscaler admin's bound port. */
  int adminPort() {
    return autoscaler.adminPort();
  }

  /** The metrics' bound port, -1 if none. */
  int metricsPort() {
    return autoscaler.metricsPort();
  }

  LocalSpec spec() {
    return spec;
  }

  LocalConfig config() {
    return config;
  }

  LocalScaler scaler() {
    return scaler;
  }

  AutoscalerServer autoscaler() {
    return autoscaler;
  }

  Events events() {
    return events;
  }

  /** Every revision's pods, autoscaling state and buffered requests now. */
  List<RevisionStatus> status() {
    List<RevisionStatus> all = new ArrayList<>();
    for (LocalRevision r : spec.revisions()) {
      RevisionKey key = r.key();
      RevisionSnapshot snapshot = autoscaler.multiscaler().snapshot(key).orElse(null);
      Gauge buffered =
          metrics
              .registry()
              .find(BUFFERED_GAUGE)
              .tags("namespace", key.namespace(), "revision", key.name())
              .gauge();
      all.add(
          new RevisionStatus(
              key,
              r.displayName(),
              scaler.pods(key),
              snapshot,
              buffered == null ? 0 : (int) buffered.value()));
    }
    return all;
  }

  /**
   * Stops scaling, lets requests in flight through the activator finish (up to {@link
   * #ACTIVATOR_SHUTDOWN}), stops every pod and releases the ports. Idempotent; blocks until done.
   */
  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    autoscaler.close();
    if (activator != null) {
      activator.shutdownGracefully();
    }
    scaler.close();
    metrics.close();
  }
}
