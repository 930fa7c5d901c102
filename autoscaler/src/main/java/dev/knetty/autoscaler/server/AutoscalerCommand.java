package dev.knetty.autoscaler.server;

import dev.knetty.common.config.AutoscalerConfig;
import dev.knetty.common.config.ConfigException;
import dev.knetty.common.config.ConfigMaps;
import dev.knetty.common.config.GoDuration;
import dev.knetty.common.metrics.ProcessMetrics;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code knetty autoscaler}: the {@link AutoscalerServer} as a process, with the revisions of a
 * file ({@link FileRevisionSource}) and the advisory scaler: it receives stats over KMP, decides as
 * Knative's KPA would, pushes decisions to activators and shows everything in {@code /revisions},
 * but <b>changes no replicas</b>. Runs until SIGTERM (or SIGINT), then closes gracefully: KMP
 * clients are told GOING_AWAY, the admin and metrics ports close.
 *
 * <p>Every option falls back to an environment variable (named in {@code --help}). A bad option
 * value exits with {@value #BAD_OPTION} and one line on standard error naming the option, the value
 * and what was expected; a port that cannot be bound exits with {@value #START_FAILED}.
 *
 * <p>Where the platform plugs in: {@link #revisionSource} and {@link #scaler} choose the revisions
 * and who runs the pods; a Kubernetes mode replaces both.
 */
@Command(
    name = "autoscaler",
    mixinStandardHelpOptions = true,
    description =
        "Knative's KPA autoscaler over KMP: receives stats from queue-proxies and activators,"
            + " decides every 2 s (at once for a revision at zero that sees traffic) and pushes"
            + " decisions to activators. Standalone it is advisory: it changes no replicas;"
            + " GET /revisions shows what the KPA would do. Stops on SIGTERM.")
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
      names = "--config",
      paramLabel = "FILE",
      defaultValue = "${env:KNETTY_CONFIG_AUTOSCALER}",
      description =
          "Knative's config-autoscaler: YAML (a map or a ConfigMap) or .properties (env"
              + " KNETTY_CONFIG_AUTOSCALER; default: Knative's defaults).")
  Path config;

  @Option(
      names = "--revisions",
      paramLabel = "FILE",
      defaultValue = "${env:KNETTY_REVISIONS_FILE}",
      description =
          "The revisions to autoscale, YAML or JSON, reloaded on change; see docs/autoscaler.md"
              + " (env KNETTY_REVISIONS_FILE; required).")
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

  @Override
  public Integer call() {
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    AutoscalerServerConfig serverConfig;
    Duration poll;
    try {
      serverConfig = serverConfig();
      poll = duration("--revisions-poll-interval", revisionsPollInterval);
      FileRevisionSource.load(revisions); // a bad file at start is an error, not a warning
    } catch (BadOption e) {
      err.println(e.getMessage());
      err.flush();
      return BAD_OPTION;
    } catch (IOException e) {
      err.println("--revisions: " + e.getMessage());
      err.flush();
      return BAD_OPTION;
    }

    CountDownLatch closed = new CountDownLatch(1);
    try (ProcessMetrics metrics = ProcessMetrics.create();
        AutoscalerServer server =
            AutoscalerServer.builder(serverConfig)
                .revisionSource(revisionSource(poll, metrics))
                .metrics(metrics)
                .build()) {
      try {
        server.start();
      } catch (IllegalStateException e) {
        err.println(e.getMessage());
        err.flush();
        return START_FAILED;
      }
      if (onSignals) {
        Runtime.getRuntime()
            .addShutdownHook(new Thread(() -> awaitClose(closed), "autoscaler-shutdown"));
      }
      out.printf(
          "%s KMP on port %d, admin on port %d, metrics on port %d (advisory: no replicas are"
              + " changed)%n",
          READY_PREFIX, server.kmpPort(), server.adminPort(), server.metricsPort());
      out.flush();
      stop.join();
      LOG.info("Autoscaler stopping");
    } finally {
      if (stop.isDone()) {
        LOG.info("Autoscaler stopped"); // before the shutdown hook lets the JVM halt
      }
      closed.countDown();
    }
    return 0;
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

  /** Where revisions come from: the file. */
  private RevisionSource revisionSource(Duration poll, ProcessMetrics metrics) {
    return new FileRevisionSource(revisions, poll, metrics.registry());
  }

  AutoscalerServerConfig serverConfig() {
    if (revisions == null) {
      throw new BadOption(
          "--revisions: missing (expected: a revisions file, or KNETTY_REVISIONS_FILE)");
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
      Map<String, String> data = ConfigMaps.load(config);
      AutoscalerConfig parsed = AutoscalerConfig.fromMap(data);
      Set<String> unknown = AutoscalerConfig.unknownKeys(data);
      if (!unknown.isEmpty()) {
        LOG.warn("{}: keys Knative does not read are ignored: {}", config, unknown);
      }
      return parsed;
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
