package dev.knetty.activator;

import dev.knetty.activator.endpoints.EndpointSource;
import dev.knetty.activator.endpoints.FileEndpointSource;
import dev.knetty.activator.kubernetes.KubernetesEndpointSource;
import dev.knetty.activator.kubernetes.KubernetesSourceConfig;
import dev.knetty.common.config.GoDuration;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code knetty activator}: the {@link Activator} as a process, with the revisions and pods of a
 * file ({@link FileEndpointSource}) or, with {@code --kubernetes}, of the cluster ({@link
 * KubernetesEndpointSource}, configured from the environment the Helm chart sets: {@link
 * KubernetesSourceConfig#fromEnvironment}). Runs until SIGTERM (or SIGINT), then drains as Knative
 * does (unready at once, stops accepting after {@code --drain-delay}, waits up to {@code
 * --shutdown-timeout} for requests in progress and waiting) and exits 0.
 *
 * <p>Every option falls back to an environment variable (named in {@code --help}). A bad value
 * exits with {@value #BAD_OPTION} and one line on standard error naming the option, the value and
 * what was expected; a port that cannot be bound, or Kubernetes caches that do not fill in time,
 * exit with {@value #START_FAILED}.
 */
@Command(
    name = "activator",
    mixinStandardHelpOptions = true,
    description =
        "Knative's activator: holds requests for revisions without capacity (bounded, with 503"
            + " and 504 instead of running out of memory), probes pods, throttles to"
            + " containerConcurrency and reports to the autoscaler over KMP. Stops on SIGTERM"
            + " after draining.")
public final class ActivatorCommand implements Callable<Integer> {

  private static final Logger LOG = LoggerFactory.getLogger(ActivatorCommand.class);

  /** Exit code of a bad option value. */
  public static final int BAD_OPTION = 2;

  /** Exit code when the activator cannot start (e.g. a port is taken). */
  public static final int START_FAILED = 1;

  /** The start of the line printed once every port is bound. */
  public static final String READY_PREFIX = "knetty activator:";

  /** The option behind each setting of {@link ActivatorConfig}, to name it in errors. */
  private static final Map<String, String> OPTIONS =
      Map.ofEntries(
          Map.entry("host", "--host"),
          Map.entry("port", "--port"),
          Map.entry("metricsPort", "--metrics-port"),
          Map.entry("autoscalerHost", "--autoscaler"),
          Map.entry("autoscalerPort", "--autoscaler"),
          Map.entry("podName", "--pod-name"),
          Map.entry("podIp", "--pod-ip"),
          Map.entry("clusterDomain", "--cluster-domain"),
          Map.entry("maxWaitingPerRevision", "--max-waiting-per-revision"),
          Map.entry("maxWaiting", "--max-waiting"),
          Map.entry("maxBufferedBytesPerRevision", "--max-buffered-bytes-per-revision"),
          Map.entry("maxBufferedBytes", "--max-buffered-bytes"),
          Map.entry("preReadLimitBytes", "--pre-read-limit-bytes"),
          Map.entry("retryAfter", "--retry-after"),
          Map.entry("maxWait", "--max-wait"),
          Map.entry("probeInterval", "--probe-interval"),
          Map.entry("probeTimeout", "--probe-timeout"),
          Map.entry("maxConcurrentProbes", "--max-concurrent-probes"),
          Map.entry("connectRetries", "--connect-retries"),
          Map.entry("connectRetryBackoff", "--connect-retry-backoff"),
          Map.entry("connectTimeout", "--connect-timeout"),
          Map.entry("maxConnectsPerPod", "--max-connects-per-pod"),
          Map.entry("reportingPeriod", "--reporting-period"),
          Map.entry("drainDelay", "--drain-delay"),
          Map.entry("shutdownTimeout", "--shutdown-timeout"),
          Map.entry("eventLoopThreads", "--event-loop-threads"),
          Map.entry("pollInterval", "--endpoints-poll-interval"));

  @Spec CommandSpec spec;

  @Option(
      names = "--endpoints",
      paramLabel = "FILE",
      defaultValue = "${env:KNETTY_ENDPOINTS_FILE}",
      description =
          "The revisions and their pods, YAML or JSON, reloaded on change; see"
              + " docs/activator.md (env KNETTY_ENDPOINTS_FILE; required without --kubernetes).")
  Path endpoints;

  @Option(
      names = "--kubernetes",
      paramLabel = "BOOLEAN",
      arity = "0..1",
      fallbackValue = "true",
      defaultValue = "${env:KNETTY_KUBERNETES:-false}",
      description =
          "Learn revisions and pods from the cluster (Deployments labelled knetty.dev/revision,"
              + " their EndpointSlices) instead of --endpoints; needs --pod-ip; settings from the"
              + " environment, see docs/kubernetes.md (env KNETTY_KUBERNETES; default:"
              + " ${DEFAULT-VALUE}).")
  boolean kubernetes;

  @Option(
      names = "--endpoints-poll-interval",
      paramLabel = "DURATION",
      defaultValue = "${env:KNETTY_ENDPOINTS_POLL_INTERVAL:-1s}",
      description =
          "How often the endpoints file is checked for changes (env"
              + " KNETTY_ENDPOINTS_POLL_INTERVAL; default: ${DEFAULT-VALUE}).")
  String endpointsPollInterval;

  @Option(
      names = "--host",
      paramLabel = "ADDRESS",
      defaultValue = "${env:KNETTY_HOST:-0.0.0.0}",
      description = "Address every port binds (env KNETTY_HOST; default: ${DEFAULT-VALUE}).")
  String host;

  @Option(
      names = "--port",
      paramLabel = "PORT",
      defaultValue = "${env:KNETTY_PORT:-8012}",
      description = "HTTP/1.1 and h2c port (env KNETTY_PORT; default: ${DEFAULT-VALUE}).")
  String port;

  @Option(
      names = "--metrics-port",
      paramLabel = "PORT",
      defaultValue = "${env:KNETTY_METRICS_PORT:-9091}",
      description =
          "Prometheus /metrics port, -1 for none (env KNETTY_METRICS_PORT; default:"
              + " ${DEFAULT-VALUE}).")
  String metricsPort;

  @Option(
      names = "--autoscaler",
      paramLabel = "HOST:PORT",
      defaultValue = "${env:KNETTY_AUTOSCALER:-}",
      description =
          "The autoscaler's KMP address; empty for none (env KNETTY_AUTOSCALER; default: none).")
  String autoscaler;

  @Option(
      names = "--pod-name",
      paramLabel = "NAME",
      defaultValue = "${env:KNETTY_POD_NAME:-knetty-activator}",
      description =
          "This activator's name in its stats (env KNETTY_POD_NAME; default: ${DEFAULT-VALUE}).")
  String podName;

  @Option(
      names = "--pod-ip",
      paramLabel = "IP",
      defaultValue = "${env:KNETTY_POD_IP:-}",
      description =
          "This activator's IP in KMP; the autoscaler subsets activators by it (env"
              + " KNETTY_POD_IP; default: none).")
  String podIp;

  @Option(
      names = "--cluster-domain",
      paramLabel = "DOMAIN",
      defaultValue = "${env:KNETTY_CLUSTER_DOMAIN:-cluster.local}",
      description =
          "Cluster domain of <name>.<namespace>.svc.<domain> Hosts (env KNETTY_CLUSTER_DOMAIN;"
              + " default: ${DEFAULT-VALUE}).")
  String clusterDomain;

  @Option(
      names = "--max-waiting-per-revision",
      paramLabel = "N",
      defaultValue = "${env:KNETTY_MAX_WAITING_PER_REVISION:-10000}",
      description =
          "Requests one revision may have waiting; more get 503 (env"
              + " KNETTY_MAX_WAITING_PER_REVISION; default: ${DEFAULT-VALUE}).")
  String maxWaitingPerRevision;

  @Option(
      names = "--max-waiting",
      paramLabel = "N",
      defaultValue = "${env:KNETTY_MAX_WAITING:-50000}",
      description =
          "Requests all revisions may have waiting; more get 503 (env KNETTY_MAX_WAITING;"
              + " default: ${DEFAULT-VALUE}).")
  String maxWaiting;

  @Option(
      names = "--max-buffered-bytes-per-revision",
      paramLabel = "BYTES",
      defaultValue = "${env:KNETTY_MAX_BUFFERED_BYTES_PER_REVISION:-67108864}",
      description =
          "Request body bytes the waiting requests of one revision may hold (env"
              + " KNETTY_MAX_BUFFERED_BYTES_PER_REVISION; default: ${DEFAULT-VALUE}).")
  String maxBufferedBytesPerRevision;

  @Option(
      names = "--max-buffered-bytes",
      paramLabel = "BYTES",
      defaultValue = "${env:KNETTY_MAX_BUFFERED_BYTES:-268435456}",
      description =
          "Request body bytes all waiting requests may hold (env KNETTY_MAX_BUFFERED_BYTES;"
              + " default: ${DEFAULT-VALUE}).")
  String maxBufferedBytes;

  @Option(
      names = "--pre-read-limit-bytes",
      paramLabel = "BYTES",
      defaultValue = "${env:KNETTY_PRE_READ_LIMIT_BYTES:-4096}",
      description =
          "Request body bytes read from a waiting request; the rest stays with the client (env"
              + " KNETTY_PRE_READ_LIMIT_BYTES; default: ${DEFAULT-VALUE}).")
  String preReadLimitBytes;

  @Option(
      names = "--retry-after",
      paramLabel = "DURATION",
      defaultValue = "${env:KNETTY_RETRY_AFTER:-1s}",
      description =
          "Retry-After of a 503 for a full buffer, whole seconds (env KNETTY_RETRY_AFTER;"
              + " default: ${DEFAULT-VALUE}).")
  String retryAfter;

  @Option(
      names = "--max-wait",
      paramLabel = "DURATION",
      defaultValue = "${env:KNETTY_MAX_WAIT:-0s}",
      description =
          "Longest wait for capacity before a 504; 0 waits as long as the revision's timeouts"
              + " allow (env KNETTY_MAX_WAIT; default: ${DEFAULT-VALUE}).")
  String maxWait;

  @Option(
      names = "--probe-interval",
      paramLabel = "DURATION",
      defaultValue = "${env:KNETTY_PROBE_INTERVAL:-200ms}",
      description =
          "How often pods that are not healthy yet are probed (env KNETTY_PROBE_INTERVAL;"
              + " default: ${DEFAULT-VALUE}).")
  String probeInterval;

  @Option(
      names = "--probe-timeout",
      paramLabel = "DURATION",
      defaultValue = "${env:KNETTY_PROBE_TIMEOUT:-300ms}",
      description = "Budget of one probe (env KNETTY_PROBE_TIMEOUT; default: ${DEFAULT-VALUE}).")
  String probeTimeout;

  @Option(
      names = "--max-concurrent-probes",
      paramLabel = "N",
      defaultValue = "${env:KNETTY_MAX_CONCURRENT_PROBES:-100}",
      description =
          "Probes in flight at most (env KNETTY_MAX_CONCURRENT_PROBES; default:"
              + " ${DEFAULT-VALUE}).")
  String maxConcurrentProbes;

  @Option(
      names = "--connect-retries",
      paramLabel = "N",
      defaultValue = "${env:KNETTY_CONNECT_RETRIES:-2}",
      description =
          "Retries after a failed connection, on another pod if one has room, else on the same"
              + " one (env"
              + " KNETTY_CONNECT_RETRIES; default: ${DEFAULT-VALUE}).")
  String connectRetries;

  @Option(
      names = "--connect-retry-backoff",
      paramLabel = "DURATION",
      defaultValue = "${env:KNETTY_CONNECT_RETRY_BACKOFF:-50ms}",
      description =
          "Pause before the first such retry, growing linearly (env"
              + " KNETTY_CONNECT_RETRY_BACKOFF; default: ${DEFAULT-VALUE}).")
  String connectRetryBackoff;

  @Option(
      names = "--connect-timeout",
      paramLabel = "DURATION",
      defaultValue = "${env:KNETTY_CONNECT_TIMEOUT:-10s}",
      description =
          "TCP connect timeout of one attempt to a pod (env KNETTY_CONNECT_TIMEOUT; default:"
              + " ${DEFAULT-VALUE}).")
  String connectTimeout;

  @Option(
      names = "--max-connects-per-pod",
      paramLabel = "N",
      defaultValue = "${env:KNETTY_MAX_CONNECTS_PER_POD:-32}",
      description =
          "New connections being opened to one pod at once, per event loop; more requests wait"
              + " for one (env KNETTY_MAX_CONNECTS_PER_POD; default: ${DEFAULT-VALUE}).")
  String maxConnectsPerPod;

  @Option(
      names = "--reporting-period",
      paramLabel = "DURATION",
      defaultValue = "${env:KNETTY_REPORTING_PERIOD:-1s}",
      description =
          "How often stats go to the autoscaler (env KNETTY_REPORTING_PERIOD; default:"
              + " ${DEFAULT-VALUE}).")
  String reportingPeriod;

  @Option(
      names = "--drain-delay",
      paramLabel = "DURATION",
      defaultValue = "${env:KNETTY_DRAIN_DELAY:-45s}",
      description =
          "After SIGTERM, how long to stay unready but serving before closing the port (env"
              + " KNETTY_DRAIN_DELAY; default: ${DEFAULT-VALUE}).")
  String drainDelay;

  @Option(
      names = "--shutdown-timeout",
      paramLabel = "DURATION",
      defaultValue = "${env:KNETTY_SHUTDOWN_TIMEOUT:-5m}",
      description =
          "Then, how long requests in progress and waiting may take (env"
              + " KNETTY_SHUTDOWN_TIMEOUT; default: ${DEFAULT-VALUE}).")
  String shutdownTimeout;

  @Option(
      names = "--event-loop-threads",
      paramLabel = "N",
      defaultValue = "${env:KNETTY_EVENT_LOOP_THREADS:-0}",
      description = "Event loops; 0 for Netty's default (env KNETTY_EVENT_LOOP_THREADS).")
  String eventLoopThreads;

  /** Completes when the process should stop; tests complete it instead of sending SIGTERM. */
  final CompletableFuture<Void> stop = new CompletableFuture<>();

  /** Whether to install the SIGTERM hook; tests stop through {@link #stop}. */
  boolean onSignals = true;

  /** Where the Kubernetes mode reads its settings; tests replace it. */
  Map<String, String> environment = System.getenv();

  /** The Kubernetes client of the Kubernetes mode (in-cluster credentials); tests replace it. */
  Supplier<KubernetesClient> kubernetesClient = () -> new KubernetesClientBuilder().build();

  @Override
  public Integer call() {
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    ActivatorConfig config;
    EndpointSource source;
    KubernetesSourceConfig k8s = null;
    try {
      config = config();
      if (kubernetes) {
        if (endpoints != null) {
          throw new BadOption(
              "--endpoints: "
                  + endpoints
                  + " (expected: none with --kubernetes, which learns the endpoints from the"
                  + " cluster)");
        }
        k8s = KubernetesSourceConfig.fromEnvironment(environment, config.podIp());
        source = null;
      } else {
        if (endpoints == null) {
          throw new BadOption(
              "--endpoints: missing (expected: a YAML or JSON endpoints file, or --kubernetes)");
        }
        FileEndpointSource.load(endpoints); // a bad file at start is an error, not a warning
        source =
            new FileEndpointSource(
                endpoints, duration("--endpoints-poll-interval", endpointsPollInterval));
      }
    } catch (BadOption e) {
      err.println(e.getMessage());
      err.flush();
      return BAD_OPTION;
    } catch (IOException e) {
      err.println("--endpoints: " + e.getMessage());
      err.flush();
      return BAD_OPTION;
    } catch (IllegalArgumentException e) {
      err.println(renamed(e.getMessage()));
      err.flush();
      return BAD_OPTION;
    }
    KubernetesClient client = null;
    KubernetesEndpointSource cluster = null;
    if (k8s != null) {
      client = kubernetesClient.get();
      cluster = new KubernetesEndpointSource(client, k8s);
      source = cluster;
    }
    Activator activator = Activator.builder(config).endpointSource(source).build();
    try {
      activator.start();
      if (cluster != null) {
        cluster.awaitSynced();
      }
    } catch (IllegalStateException e) {
      activator.close();
      if (client != null) {
        client.close();
      }
      err.println(e.getMessage());
      err.flush();
      return START_FAILED;
    }
    if (onSignals) {
      Runtime.getRuntime()
          .addShutdownHook(
              new Thread(
                  () -> {
                    // The JVM began its shutdown (SIGTERM): drain with logging still working,
                    // then exit 0 as Knative's activator does (a signal alone exits 143).
                    LOG.info("SIGTERM: draining");
                    activator.shutdownGracefully();
                    stop.complete(null);
                    Runtime.getRuntime().halt(0);
                  },
                  "activator-shutdown"));
    }
    out.printf(
        "%s port %d, metrics port %d, autoscaler %s%n",
        READY_PREFIX,
        activator.port(),
        activator.metricsPort(),
        config.hasAutoscaler() ? config.autoscalerHost() + ":" + config.autoscalerPort() : "none");
    out.flush();
    stop.join();
    activator.close(); // after a graceful shutdown this does nothing
    if (client != null) {
      client.close();
    }
    return 0;
  }

  /** The settings these options describe. */
  ActivatorConfig config() {
    ActivatorConfig.Builder b =
        ActivatorConfig.builder()
            .host(host)
            .port(integer("--port", port))
            .metricsPort(integer("--metrics-port", metricsPort))
            .podName(podName)
            .podIp(podIp)
            .clusterDomain(clusterDomain)
            .maxWaitingPerRevision(integer("--max-waiting-per-revision", maxWaitingPerRevision))
            .maxWaiting(integer("--max-waiting", maxWaiting))
            .maxBufferedBytesPerRevision(
                longValue("--max-buffered-bytes-per-revision", maxBufferedBytesPerRevision))
            .maxBufferedBytes(longValue("--max-buffered-bytes", maxBufferedBytes))
            .preReadLimitBytes(integer("--pre-read-limit-bytes", preReadLimitBytes))
            .retryAfter(duration("--retry-after", retryAfter))
            .maxWait(duration("--max-wait", maxWait))
            .probeInterval(duration("--probe-interval", probeInterval))
            .probeTimeout(duration("--probe-timeout", probeTimeout))
            .maxConcurrentProbes(integer("--max-concurrent-probes", maxConcurrentProbes))
            .connectRetries(integer("--connect-retries", connectRetries))
            .connectRetryBackoff(duration("--connect-retry-backoff", connectRetryBackoff))
            .connectTimeout(duration("--connect-timeout", connectTimeout))
            .maxConnectsPerPod(integer("--max-connects-per-pod", maxConnectsPerPod))
            .reportingPeriod(duration("--reporting-period", reportingPeriod))
            .drainDelay(duration("--drain-delay", drainDelay))
            .shutdownTimeout(duration("--shutdown-timeout", shutdownTimeout))
            .eventLoopThreads(integer("--event-loop-threads", eventLoopThreads));
    if (autoscaler != null && !autoscaler.isBlank()) {
      String a = autoscaler.strip();
      int colon = a.lastIndexOf(':');
      if (colon <= 0 || colon == a.length() - 1) {
        throw new BadOption("--autoscaler: " + autoscaler + " (expected: HOST:PORT)");
      }
      String kmpHost =
          a.startsWith("[") && a.charAt(colon - 1) == ']'
              ? a.substring(1, colon - 1)
              : a.substring(0, colon);
      b.autoscaler(kmpHost, integer("--autoscaler", a.substring(colon + 1)));
    }
    try {
      return b.build();
    } catch (IllegalArgumentException e) {
      throw new BadOption(renamed(e.getMessage()));
    }
  }

  /** A config message {@code field: value (expected: ...)} with the option name instead. */
  private static String renamed(String message) {
    int colon = message.indexOf(':');
    if (colon > 0) {
      String option = OPTIONS.get(message.substring(0, colon));
      if (option != null) {
        return option + message.substring(colon);
      }
    }
    return message;
  }

  private static int integer(String option, String value) {
    try {
      return Integer.parseInt(value.strip());
    } catch (NumberFormatException e) {
      throw new BadOption(option + ": " + value + " (expected: an integer)");
    }
  }

  private static long longValue(String option, String value) {
    try {
      return Long.parseLong(value.strip());
    } catch (NumberFormatException e) {
      throw new BadOption(option + ": " + value + " (expected: an integer)");
    }
  }

  private static Duration duration(String option, String value) {
    try {
      return GoDuration.parse(value.strip());
    } catch (IllegalArgumentException e) {
      throw new BadOption(
          option + ": " + value + " (expected: a duration such as 300ms, 45s or 5m)");
    }
  }

  /** A bad option value; its message is the one line printed. */
  static final class BadOption extends RuntimeException {
    private static final long serialVersionUID = 1L;

    BadOption(String message) {
      super(message, null, false, false);
    }
  }
}
