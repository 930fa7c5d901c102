package dev.knetty.autoscaler.server;

import dev.knetty.autoscaler.kubernetes.KubernetesAutoscaler;
import dev.knetty.autoscaler.kubernetes.KubernetesConfig;
import dev.knetty.autoscaler.kubernetes.webhook.WebhookConfig;
import dev.knetty.common.config.AutoscalerConfig;
import dev.knetty.common.config.ConfigException;
import dev.knetty.common.config.GoDuration;
import dev.knetty.common.metrics.ProcessMetrics;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code knetty autoscaler}: the {@link AutoscalerServer} as a process, in one of two modes.
 *
 * <ul>
 *   <li><b>Standalone</b> (default): the revisions of a file ({@link FileRevisionSource}) and the
 *       advisory scaler: it receives stats over KMP, decides as Knative's KPA would, pushes
 *       decisions to activators and shows everything in {@code /revisions}, but <b>changes no
 *       replicas</b>.
 *   <li><b>Kubernetes</b> ({@code --kubernetes}): {@link KubernetesAutoscaler}: Deployments
 *       labelled {@code knetty.dev/revision} are the revisions; it scales them, owns their Services
 *       and EndpointSlices, serves the queue-proxy injection webhook and elects a leader among its
 *       replicas. Its settings come from the environment the Helm chart sets ({@link
 *       KubernetesConfig#fromEnvironment}, {@link WebhookConfig#fromEnvironment}).
 * </ul>
 *
 * <p>{@code --config} is Knative's {@code config-autoscaler}, a file or a directory with one file
 * per key (a mounted ConfigMap); it is re-read while running ({@link AutoscalerConfigWatcher}).
 * Runs until SIGTERM (or SIGINT), then closes gracefully: KMP clients are told GOING_AWAY, a leader
 * gives its Lease up, the ports close.
 *
 * <p>Every option falls back to an environment variable (named in {@code --help}). A bad option
 * value exits with {@value #BAD_OPTION} and one line on standard error naming the option (or the
 * variable), the value and what was expected; a server that cannot start (a port is taken, the
 * caches do not sync, the Lease is not permitted) exits with {@value #START_FAILED}.
 */
@Command(
    name = "autoscaler",
    mixinStandardHelpOptions = true,
    description =
        "Knative's KPA autoscaler over KMP: receives stats from queue-proxies and activators,"
            + " decides every 2 s (at once for a revision at zero that sees traffic) and pushes"
            + " decisions to activators. Standalone it is advisory: it changes no replicas;"
            + " GET /revisions shows what the KPA would do. With --kubernetes it scales"
            + " Deployments labelled knetty.dev/revision. Stops on SIGTERM.")
public final class AutoscalerCommand implements Callable<Integer> {

  private static final Logger LOG = LoggerFactory.getLogger(AutoscalerCommand.class);

  /** Exit code of a bad option value. */
  public static final int BAD_OPTION = 2;

  /** Exit code when the server cannot start (e.g. a port is taken). */
  public static final int START_FAILED = 1;

  /** The start of the line printed once every port is bound. */
  public static final String READY_PREFIX = "knetty autoscaler:";

  /** How long SIGTERM waits for the graceful close. */
  private static final long SHUTDOWN_WAIT_SECONDS = 30;

  /** The option behind each setting of {@link AutoscalerServerConfig}, to name it in errors. */
  private static final Map<String, String> OPTIONS =
      Map.of(
          "host", "--host",
          "kmpPort", "--kmp-port",
          "adminPort", "--admin-port",
          "metricsPort", "--metrics-port",
          "eventLoopThreads", "--event-loop-threads",
          "schedulerThreads", "--scheduler-threads",
          "podName", "--pod-name",
          "podIp", "--pod-ip",
          "readyPodWindow", "--ready-pod-window");

  @Spec CommandSpec spec;

  @Option(
      names = "--host",
      paramLabel = "ADDRESS",
      defaultValue = "${env:KNETTY_HOST:-0.0.0.0}",
      description = "Address every port binds (env KNETTY_HOST; default: ${DEFAULT-VALUE}).")
  String host;

  @Option(
      names = "--kmp-port",
      paramLabel = "PORT",
      defaultValue = "${env:KNETTY_KMP_PORT:-9095}",
      description = "KMP stat server port (env KNETTY_KMP_PORT; default: ${DEFAULT-VALUE}).")
  String kmpPort;

  @Option(
      names = "--admin-port",
      paramLabel = "PORT",
      defaultValue = "${env:KNETTY_ADMIN_PORT:-8080}",
      description =
          "Admin HTTP port: /revisions, /healthz, /readyz (env KNETTY_ADMIN_PORT; default:"
              + " ${DEFAULT-VALUE}).")
  String adminPort;

  @Option(
      names = "--metrics-port",
      paramLabel = "PORT",
      defaultValue = "${env:KNETTY_METRICS_PORT:-9091}",
      description =
          "Prometheus /metrics port, -1 for none (env KNETTY_METRICS_PORT; default:"
              + " ${DEFAULT-VALUE}).")
  String metricsPort;

  @Option(
      names = "--kubernetes",
      paramLabel = "BOOLEAN",
      arity = "0..1",
      fallbackValue = "true",
      defaultValue = "${env:KNETTY_KUBERNETES:-false}",
      description =
          "Run on Kubernetes: Deployments labelled knetty.dev/revision are the revisions; scale"
              + " them, own their Services, serve the webhook, elect a leader; settings from the"
              + " environment, see docs/kubernetes.md (env KNETTY_KUBERNETES; default:"
              + " ${DEFAULT-VALUE}).")
  boolean kubernetes;

  @Option(
      names = "--config",
      paramLabel = "PATH",
      defaultValue = "${env:KNETTY_CONFIG_AUTOSCALER}",
      description =
          "Knative's config-autoscaler: a YAML (a map or a ConfigMap) or .properties file, or a"
              + " directory with one file per key (a mounted ConfigMap); re-read on change (env"
              + " KNETTY_CONFIG_AUTOSCALER; default: Knative's defaults).")
  Path config;

  @Option(
      names = "--config-poll-interval",
      paramLabel = "DURATION",
      defaultValue = "${env:KNETTY_CONFIG_POLL_INTERVAL:-5s}",
      description =
          "How often --config is checked for changes (env KNETTY_CONFIG_POLL_INTERVAL; default:"
              + " ${DEFAULT-VALUE}).")
  String configPollInterval;

  @Option(
      names = "--revisions",
      paramLabel = "FILE",
      defaultValue = "${env:KNETTY_REVISIONS_FILE}",
      description =
          "The revisions to autoscale, YAML or JSON, reloaded on change; see docs/autoscaler.md"
              + " (env KNETTY_REVISIONS_FILE; required without --kubernetes).")
  Path revisions;

  @Option(
      names = "--revisions-poll-interval",
      paramLabel = "DURATION",
      defaultValue = "${env:KNETTY_REVISIONS_POLL_INTERVAL:-1s}",
      description =
          "How often the revisions file is checked for changes (env"
              + " KNETTY_REVISIONS_POLL_INTERVAL; default: ${DEFAULT-VALUE}).")
  String revisionsPollInterval;

  @Option(
      names = "--event-loop-threads",
      paramLabel = "N",
      defaultValue = "${env:KNETTY_EVENT_LOOP_THREADS}",
      description = "Event loops of the servers (env KNETTY_EVENT_LOOP_THREADS; default: cores).")
  String eventLoopThreads;

  @Option(
      names = "--scheduler-threads",
      paramLabel = "N",
      defaultValue = "${env:KNETTY_SCHEDULER_THREADS:-1}",
      description =
          "Threads that evaluate revisions (env KNETTY_SCHEDULER_THREADS; default:"
              + " ${DEFAULT-VALUE}).")
  String schedulerThreads;

  @Option(
      names = "--ready-pod-window",
      paramLabel = "DURATION",
      defaultValue = "${env:KNETTY_READY_POD_WINDOW:-3s}",
      description =
          "A queue-proxy pod counts as ready while it reported within this window (env"
              + " KNETTY_READY_POD_WINDOW; default: ${DEFAULT-VALUE}).")
  String readyPodWindow;

  @Option(
      names = "--pod-name",
      paramLabel = "NAME",
      defaultValue = "${env:KNETTY_POD_NAME:-knetty-autoscaler}",
      description =
          "This autoscaler's name in KMP (env KNETTY_POD_NAME; default: ${DEFAULT-VALUE}).")
  String podName;

  @Option(
      names = "--pod-ip",
      paramLabel = "IP",
      defaultValue = "${env:KNETTY_POD_IP:-}",
      description = "This autoscaler's IP in KMP (env KNETTY_POD_IP; default: none).")
  String podIp;

  /** Completes when the process should stop: SIGTERM, or a test. */
  final CompletableFuture<Void> stop = new CompletableFuture<>();

  /** Whether to stop on SIGTERM; tests stop through {@link #stop} instead. */
  boolean onSignals = true;

  /** Where the Kubernetes mode reads its settings; tests replace it. */
  Map<String, String> environment = System.getenv();

  /** The Kubernetes client of the Kubernetes mode; tests replace it. */
  Supplier<KubernetesClient> kubernetesClient = () -> new KubernetesClientBuilder().build();

  /**
   * What the Kubernetes mode does when it must stop (lost leadership); null: exit with status 1.
   * Tests set it.
   */
  Runnable onFatal;

  /** A started autoscaler of either mode. */
  private interface Instance extends AutoCloseable {
    void start();

    AutoscalerServer server();

    void reconfigure(AutoscalerConfig config);

    String describe();

    @Override
    void close();
  }

  @Override
  public Integer call() {
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    AutoscalerServerConfig serverConfig;
    Duration poll;
    Duration configPoll;
    try {
      serverConfig = serverConfig();
      poll = duration("--revisions-poll-interval", revisionsPollInterval);
      configPoll = duration("--config-poll-interval", configPollInterval);
      if (!kubernetes) {
        FileRevisionSource.load(revisions); // a bad file at start is an error, not a warning
      }
    } catch (BadOption e) {
      return fail(err, BAD_OPTION, e.getMessage());
    } catch (IOException e) {
      return fail(err, BAD_OPTION, "--revisions: " + e.getMessage());
    }

    CountDownLatch closed = new CountDownLatch(1);
    try (ProcessMetrics metrics = ProcessMetrics.create()) {
      Instance instance;
      try {
        instance =
            kubernetes
                ? kubernetes(serverConfig, metrics)
                : standalone(serverConfig, poll, metrics);
      } catch (IllegalArgumentException e) {
        return fail(err, BAD_OPTION, e.getMessage());
      }
      try (instance) {
        try {
          instance.start();
        } catch (IllegalStateException e) {
          return fail(err, START_FAILED, e.getMessage());
        }
        if (onSignals) {
          Runtime.getRuntime()
              .addShutdownHook(new Thread(() -> awaitClose(closed), "autoscaler-shutdown"));
        }
        AutoscalerConfigWatcher watcher =
            config == null
                ? null
                : new AutoscalerConfigWatcher(
                    config, configPoll, metrics.registry(), instance::reconfigure);
        try {
          AutoscalerServer server = instance.server();
          out.printf(
              "%s KMP on port %d, admin on port %d, metrics on port %d (%s)%n",
              READY_PREFIX,
              server.kmpPort(),
              server.adminPort(),
              server.metricsPort(),
              instance.describe());
          out.flush();
          stop.join();
          LOG.info("Autoscaler stopping");
        } finally {
          if (watcher != null) {
            watcher.close();
          }
        }
      }
    } finally {
      if (stop.isDone()) {
        LOG.info("Autoscaler stopped"); // before the shutdown hook lets the JVM halt
      }
      closed.countDown();
    }
    return 0;
  }

  private static int fail(PrintWriter err, int exit, String message) {
    err.println(message);
    err.flush();
    return exit;
  }

  /** The revisions of a file, the advisory scaler. */
  private Instance standalone(
      AutoscalerServerConfig serverConfig, Duration poll, ProcessMetrics metrics) {
    AutoscalerServer server =
        AutoscalerServer.builder(serverConfig)
            .revisionSource(new FileRevisionSource(revisions, poll, metrics.registry()))
            .metrics(metrics)
            .build();
    return new Instance() {
      @Override
      public void start() {
        server.start();
      }

      @Override
      public AutoscalerServer server() {
        return server;
      }

      @Override
      public void reconfigure(AutoscalerConfig c) {
        server.reconfigure(c);
      }

      @Override
      public String describe() {
        return "advisory: no replicas are changed";
      }

      @Override
      public void close() {
        server.close();
      }
    };
  }

  /**
   * The Deployments of a cluster, from the environment the chart sets.
   *
   * @throws IllegalArgumentException naming a bad variable
   */
  private Instance kubernetes(AutoscalerServerConfig serverConfig, ProcessMetrics metrics) {
    KubernetesConfig k8s = KubernetesConfig.fromEnvironment(environment);
    WebhookConfig webhook = WebhookConfig.fromEnvironment(environment);
    KubernetesClient client = kubernetesClient.get();
    KubernetesAutoscaler autoscaler;
    try {
      KubernetesAutoscaler.Builder b =
          KubernetesAutoscaler.builder(client, k8s, serverConfig).webhook(webhook).metrics(metrics);
      if (onFatal != null) {
        b.onFatal(onFatal);
      }
      autoscaler = b.build();
    } catch (RuntimeException e) {
      client.close();
      throw e;
    }
    return new Instance() {
      @Override
      public void start() {
        autoscaler.start();
      }

      @Override
      public AutoscalerServer server() {
        return autoscaler.server();
      }

      @Override
      public void reconfigure(AutoscalerConfig c) {
        autoscaler.reconfigure(c);
      }

      @Override
      public String describe() {
        return "kubernetes: webhook on port "
            + autoscaler.webhookPort()
            + ", revisions in "
            + (k8s.allNamespaces() ? "all namespaces" : "namespace " + k8s.watchNamespace())
            + ", lease "
            + k8s.namespace()
            + "/"
            + k8s.leaseName();
      }

      @Override
      public void close() {
        try {
          autoscaler.close();
        } finally {
          client.close();
        }
      }
    };
  }

  /** On SIGTERM: let {@link #call} close everything, and wait for it before the JVM halts. */
  private void awaitClose(CountDownLatch closed) {
    stop.complete(null);
    try {
      if (!closed.await(SHUTDOWN_WAIT_SECONDS, TimeUnit.SECONDS)) {
        LOG.warn("Autoscaler: not closed after {} s, exiting anyway", SHUTDOWN_WAIT_SECONDS);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  AutoscalerServerConfig serverConfig() {
    if (revisions == null && !kubernetes) {
      throw new BadOption(
          "--revisions: missing (expected: a revisions file, or KNETTY_REVISIONS_FILE, or"
              + " --kubernetes)");
    }
    AutoscalerServerConfig.Builder b =
        AutoscalerServerConfig.builder()
            .host(host)
            .kmpPort(integer("--kmp-port", kmpPort))
            .adminPort(integer("--admin-port", adminPort))
            .metricsPort(integer("--metrics-port", metricsPort))
            .schedulerThreads(integer("--scheduler-threads", schedulerThreads))
            .readyPodWindow(duration("--ready-pod-window", readyPodWindow))
            .podName(podName)
            .podIp(podIp)
            .autoscaler(autoscalerConfig());
    if (eventLoopThreads != null && !eventLoopThreads.isEmpty()) {
      b.eventLoopThreads(integer("--event-loop-threads", eventLoopThreads));
    }
    try {
      return b.build();
    } catch (IllegalArgumentException e) {
      String message = String.valueOf(e.getMessage());
      int colon = message.indexOf(':');
      String option = colon < 0 ? null : OPTIONS.get(message.substring(0, colon));
      throw new BadOption(option == null ? message : option + message.substring(colon));
    }
  }

  private AutoscalerConfig autoscalerConfig() {
    if (config == null) {
      return AutoscalerConfig.defaults();
    }
    try {
      return AutoscalerConfigWatcher.load(config);
    } catch (ConfigException e) {
      throw new BadOption("--config: " + config + ": " + e.getMessage());
    } catch (UncheckedIOException e) {
      throw new BadOption("--config: " + config + ": cannot read (" + e.getCause() + ")");
    }
  }

  private static int integer(String option, String value) {
    try {
      return Integer.parseInt(value.trim());
    } catch (NumberFormatException e) {
      throw new BadOption(option + ": " + value + " (expected: an integer)");
    }
  }

  private static Duration duration(String option, String value) {
    try {
      Duration d = GoDuration.parse(value.trim());
      if (d.toMillis() < 1) {
        throw new BadOption(option + ": " + value + " (expected: at least 1ms)");
      }
      return d;
    } catch (IllegalArgumentException e) {
      throw new BadOption(option + ": " + value + " (expected: a duration such as 500ms or 3s)");
    }
  }

  /** A bad option value; the message is the one line to print. */
  static final class BadOption extends RuntimeException {
    private static final long serialVersionUID = 1L;

    BadOption(String message) {
      super(message, null, false, false);
    }
  }
}
