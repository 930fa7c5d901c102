package dev.knetty.dist.local;

import dev.knetty.common.config.RevisionSettings;
import dev.knetty.queueproxy.SidecarJvmOptions;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Starts the two processes of a pod, each with its output in a file of the log directory (so no
 * child ever blocks on a full pipe):
 *
 * <ul>
 *   <li>the app: the revision's command in its working directory, with {@code PORT}, {@code
 *       K_REVISION} and the revision's {@code env} added to this process's environment;
 *   <li>its queue-proxy: {@code java <sidecar options> -cp <this class path>} {@link
 *       QueueProxyMain}, configured through the queue-proxy's environment contract ({@code
 *       docs/queue-proxy.md}): the revision's containerConcurrency and timeouts, the app's port,
 *       its own serving port, probes of the app's port, stats to the autoscaler, a short drain.
 * </ul>
 */
final class PodLauncher {

  /** Where everything listens. */
  static final String LOOPBACK = "127.0.0.1";

  /** The variable that tells the app its port. */
  static final String PORT_ENV = "PORT";

  /** Replaces {@link #SIDECAR_JVM_OPTIONS} (space-separated); {@code bin/knetty} sets it. */
  static final String QUEUE_PROXY_JAVA_OPTS_ENV = "KNETTY_QUEUE_PROXY_JAVA_OPTS";

  /**
   * The queue-proxy's JVM options: those of {@code bin/knetty queue-proxy}, which passes its own,
   * with its class-data-sharing archive when there is one, through {@value
   * #QUEUE_PROXY_JAVA_OPTS_ENV}.
   */
  static final List<String> SIDECAR_JVM_OPTIONS = SidecarJvmOptions.OPTIONS;

  /**
   * After SIGTERM the queue-proxy serves until no request came for this long. The pod left the
   * activator's endpoints before, so nothing new should come: a second is enough.
   */
  static final String DRAIN_QUIET_PERIOD = "1s";

  private final JavaRuntime java;
  private final List<String> queueProxyJvmOptions;
  private final Path logDir;
  private final String autoscaler;

  /**
   * @param java the JVM and class path the queue-proxies run on
   * @param queueProxyJvmOptions their JVM options
   * @param logDir where the output of every process goes
   * @param autoscaler {@code host:port} of the autoscaler's KMP server
   */
  PodLauncher(JavaRuntime java, List<String> queueProxyJvmOptions, Path logDir, String autoscaler) {
    this.java = Objects.requireNonNull(java, "java");
    this.queueProxyJvmOptions = List.copyOf(queueProxyJvmOptions);
    this.logDir = Objects.requireNonNull(logDir, "logDir");
    this.autoscaler = Objects.requireNonNull(autoscaler, "autoscaler");
  }

  /** The queue-proxy JVM options from {@code env}: {@value #QUEUE_PROXY_JAVA_OPTS_ENV}, or ours. */
  static List<String> queueProxyJvmOptions(Map<String, String> env) {
    String opts = env.get(QUEUE_PROXY_JAVA_OPTS_ENV);
    if (opts == null || opts.isBlank()) {
      return SIDECAR_JVM_OPTIONS;
    }
    return Arrays.stream(opts.trim().split("\\s+")).toList();
  }

  /** Where the processes' output goes. */
  Path logDir() {
    return logDir;
  }

  /**
   * Starts the app, then its queue-proxy.
   *
   * @throws IOException if either cannot be started (then neither runs)
   */
  Pod launch(LocalRevision revision, String podName, int appPort, int servingPort)
      throws IOException {
    Files.createDirectories(logDir);
    Path appLog = logDir.resolve(podName + ".app.log");
    Path qpLog = logDir.resolve(podName + ".queue-proxy.log");

    ProcessBuilder appBuilder =
        new ProcessBuilder(revision.command())
            .directory(revision.workingDir().toFile())
            .redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.appendTo(appLog.toFile()));
    Map<String, String> appEnv = appBuilder.environment();
    appEnv.putAll(revision.env());
    appEnv.put(PORT_ENV, Integer.toString(appPort));
    appEnv.put("K_REVISION", revision.key().name());
    Process app = appBuilder.start();
    app.getOutputStream().close(); // the app reads end-of-file, never waits on its input

    List<String> jvmOptions = new ArrayList<>(queueProxyJvmOptions.size() + 1);
    jvmOptions.addAll(queueProxyJvmOptions);
    jvmOptions.add("-D" + QueueProxyMain.APP_PID + "=" + app.pid());
    ProcessBuilder qpBuilder =
        new ProcessBuilder(java.command(jvmOptions, QueueProxyMain.class.getName(), List.of()))
            .redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.appendTo(qpLog.toFile()));
    qpBuilder.environment().putAll(queueProxyEnv(revision, podName, appPort, servingPort));
    Process queueProxy;
    try {
      // Standard input stays open: its end tells the queue-proxy that this process is gone.
      queueProxy = qpBuilder.start();
    } catch (IOException e) {
      ProcessTree.kill(ProcessTree.of(app.toHandle()));
      throw e;
    }
    return new Pod(
        podName, appPort, servingPort, app, queueProxy, appLog, qpLog, System.nanoTime());
  }

  /** The queue-proxy's environment for one pod. */
  Map<String, String> queueProxyEnv(
      LocalRevision revision, String podName, int appPort, int servingPort) {
    RevisionSettings s = revision.settings();
    // Knative's grace period is the revision's timeout: requests in flight may take that long.
    long drainTimeout = s.timeoutSeconds() > 0 ? s.timeoutSeconds() : 300;
    return Map.ofEntries(
        Map.entry("CONTAINER_CONCURRENCY", Integer.toString(s.containerConcurrency())),
        Map.entry("REVISION_TIMEOUT_SECONDS", Long.toString(s.timeoutSeconds())),
        Map.entry(
            "REVISION_RESPONSE_START_TIMEOUT_SECONDS",
            Long.toString(s.responseStartTimeoutSeconds())),
        Map.entry("REVISION_IDLE_TIMEOUT_SECONDS", Long.toString(s.idleTimeoutSeconds())),
        Map.entry("USER_PORT", Integer.toString(appPort)),
        Map.entry("QUEUE_SERVING_PORT", Integer.toString(servingPort)),
        Map.entry("QUEUE_ADMIN_PORT", "0"),
        Map.entry("QUEUE_STATS_PORT", "0"),
        Map.entry("QUEUE_METRICS_PORT", "0"),
        Map.entry("KNETTY_BIND_HOST", LOOPBACK),
        Map.entry("KNETTY_IO_THREADS", "1"),
        // Knative's default readiness probe: TCP on the user port, polled aggressively.
        Map.entry(
            "SERVING_READINESS_PROBE",
            "{\"tcpSocket\":{\"host\":\"" + LOOPBACK + "\",\"port\":" + appPort + "}}"),
        Map.entry("SERVING_NAMESPACE", revision.key().namespace()),
        Map.entry("SERVING_REVISION", revision.key().name()),
        Map.entry("SERVING_POD", podName),
        Map.entry("SERVING_POD_IP", LOOPBACK),
        Map.entry("KNETTY_AUTOSCALER", autoscaler),
        Map.entry("KNETTY_DRAIN_QUIET_PERIOD", DRAIN_QUIET_PERIOD),
        Map.entry("KNETTY_DRAIN_TIMEOUT", drainTimeout + "s"),
        Map.entry("MALLOC_ARENA_MAX", "2"));
  }
}
