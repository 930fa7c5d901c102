package dev.knetty.autoscaler.kubernetes.webhook;

import dev.knetty.common.net.PipelineNames;
import dev.knetty.common.net.Transport;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.timeout.IdleStateHandler;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.security.GeneralSecurityException;
import java.time.Clock;
import java.util.Locale;
import java.util.Objects;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The HTTPS server of the queue-proxy injection webhook: {@code POST /mutate} answers the API
 * server's AdmissionReviews for pods, {@code GET /healthz} says it is up.
 *
 * <p>{@link #start()} obtains the serving certificate (generated and shared through a Secret, or
 * read from files, as {@link WebhookConfig.Tls#mode()} says), patches a generated CA into the
 * MutatingWebhookConfiguration, binds, and schedules a refresh every {@link
 * WebhookConfig.Tls#refreshInterval()}: a rotated certificate is served to new connections without
 * a restart, and a reset {@code caBundle} is patched back.
 *
 * <pre>{@code
 * try (WebhookServer webhook = new WebhookServer(config, Transport.fromEnvironment(), client, registry)) {
 *   int port = webhook.start();
 *   ...
 * }
 * }</pre>
 */
public final class WebhookServer implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(WebhookServer.class);

  /** Admission traffic is light (one review per pod creation); two loops absorb a burst. */
  private static final int IO_THREADS = 2;

  private final WebhookConfig config;
  private final Transport transport;
  private final KubernetesClient client;
  private final MeterRegistry registry;
  private final Counter refreshFailures;
  private final AtomicReference<SslContext> sslContext = new AtomicReference<>();

  private CertificateSource source;
  private CaBundlePatcher patcher;
  private volatile TlsMaterial current;
  private EventLoopGroup group;
  private Channel channel;
  private ScheduledExecutorService refresher;
  private boolean started;
  private boolean closed;

  /**
   * @param config the webhook's configuration
   * @param transport the I/O transport for the server's own event loops
   * @param client the Kubernetes client; required in {@link WebhookConfig.CertMode#GENERATE} mode
   *     (Secret and MutatingWebhookConfiguration), may be null in {@link
   *     WebhookConfig.CertMode#FILES} mode
   * @param registry where the {@code knetty.webhook.*} meters go
   */
  public WebhookServer(
      WebhookConfig config, Transport transport, KubernetesClient client, MeterRegistry registry) {
    this.config = Objects.requireNonNull(config, "config");
    this.transport = Objects.requireNonNull(transport, "transport");
    this.registry = Objects.requireNonNull(registry, "registry");
    if (client == null && config.tls().mode() == WebhookConfig.CertMode.GENERATE) {
      throw new IllegalArgumentException(
          "client: null (expected: a Kubernetes client, needed by certificate mode generate)");
    }
    this.client = client;
    this.refreshFailures =
        Counter.builder("knetty.webhook.certificate.refresh.failures")
            .description("Failed certificate refreshes (the current certificate stays in use)")
            .register(registry);
  }

  /**
   * Obtains the certificate, binds and starts serving.
   *
   * @return the bound port
   * @throws IllegalStateException if started before, closed, or the certificate or the port cannot
   *     be had
   */
  public synchronized int start() {
    if (started || closed) {
      throw new IllegalStateException("webhook server: already " + (closed ? "closed" : "started"));
    }
    started = true;
    WebhookConfig.Tls tls = config.tls();
    if (tls.mode() == WebhookConfig.CertMode.GENERATE) {
      source = new SecretCertificateSource(client, tls, Clock.systemUTC());
      patcher = new CaBundlePatcher(client, tls.webhookConfigurationName());
    } else {
      source = new FileCertificateSource(tls.certFile(), tls.keyFile());
    }
    try {
      install(source.load());
    } catch (IOException | GeneralSecurityException | RuntimeException e) {
      throw new IllegalStateException("webhook server: no serving certificate: " + e, e);
    }

    KubernetesSerialization serialization =
        client != null ? client.getKubernetesSerialization() : new KubernetesSerialization();
    PodMutator mutator =
        new PodMutator(config.queueProxy(), config.revisionDefaults(), serialization);
    WebhookHandler handler =
        new WebhookHandler(new AdmissionReviews(mutator, serialization), serialization, registry);

    group = transport.newEventLoopGroup(IO_THREADS, "knetty-webhook");
    ChannelFuture bind =
        new ServerBootstrap()
            .group(group)
            .channel(transport.serverChannelClass())
            .childHandler(
                new ChannelInitializer<>() {
                  @Override
                  protected void initChannel(Channel ch) {
                    ch.pipeline()
                        .addLast(
                            PipelineNames.IDLE_STATE,
                            new IdleStateHandler(
                                0, 0, config.idleTimeout().toMillis(), TimeUnit.MILLISECONDS))
                        // The context current at accept time: a reload reaches new connections.
                        .addLast(PipelineNames.SSL, sslContext.get().newHandler(ch.alloc()))
                        .addLast(PipelineNames.HTTP_SERVER_CODEC, new HttpServerCodec())
                        .addLast(
                            PipelineNames.HTTP_AGGREGATOR,
                            new HttpObjectAggregator(config.maxRequestBytes()))
                        .addLast(PipelineNames.WEBHOOK_HANDLER, handler);
                  }
                })
            .bind(config.bindAddress(), config.port())
            .awaitUninterruptibly();
    if (!bind.isSuccess()) {
      close();
      throw new IllegalStateException(
          "webhook server: cannot bind " + config.bindAddress() + ":" + config.port(),
          bind.cause());
    }
    channel = bind.channel();
    // Only now: once the API server trusts the CA it may call at once.
    ensureCaBundle();

    long every = tls.refreshInterval().toMillis();
    refresher =
        Executors.newSingleThreadScheduledExecutor(
            new DefaultThreadFactory("knetty-webhook-certs", true));
    refresher.scheduleWithFixedDelay(this::refresh, every, every, TimeUnit.MILLISECONDS);

    int port = port();
    LOG.info(
        "admission webhook on https://{}:{}{} ({} certificate, {} transport)",
        config.bindAddress(),
        port,
        WebhookHandler.MUTATE_PATH,
        tls.mode().name().toLowerCase(Locale.ROOT),
        transport.displayName());
    return port;
  }

  /** The bound port; only after {@link #start()}. */
  public synchronized int port() {
    if (channel == null) {
      throw new IllegalStateException("webhook server: not started");
    }
    return ((InetSocketAddress) channel.localAddress()).getPort();
  }

  /** Re-reads the certificate, swaps it in if it changed, re-checks the CA bundle. */
  void refresh() {
    try {
      TlsMaterial m = source.load();
      if (!m.equals(current)) {
        install(m);
        LOG.info("admission webhook: serving certificate reloaded");
      }
    } catch (IOException | GeneralSecurityException | RuntimeException e) {
      refreshFailures.increment();
      LOG.warn(
          "admission webhook: certificate refresh failed, keeping the current one: {}",
          e.toString());
    }
    ensureCaBundle();
  }

  private void install(TlsMaterial m) throws IOException {
    sslContext.set(m.newServerContext());
    current = m;
  }

  /** Generated certificates only; a failure is logged and retried on the next refresh. */
  private void ensureCaBundle() {
    if (patcher == null) {
      return;
    }
    try {
      if (patcher.ensure(current.caPem())) {
        LOG.info(
            "admission webhook: CA bundle patched into mutatingwebhookconfiguration {}",
            config.tls().webhookConfigurationName());
      }
    } catch (RuntimeException e) {
      refreshFailures.increment();
      LOG.warn("admission webhook: cannot patch the CA bundle, will retry: {}", e.toString());
    }
  }

  /** Stops accepting, lets in-flight reviews finish (up to 5 s) and releases the threads. */
  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    if (refresher != null) {
      refresher.shutdownNow();
    }
    if (channel != null) {
      channel.close().awaitUninterruptibly();
    }
    if (group != null) {
      group.shutdownGracefully(100, 5000, TimeUnit.MILLISECONDS).awaitUninterruptibly();
    }
  }
}
