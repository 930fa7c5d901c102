package dev.knetty.dist.local;

import dev.knetty.bench.GoDurations;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code knetty local}: runs {@link LocalMode} (the autoscaler and the activator in this JVM, each
 * revision's pods as local processes) until SIGTERM or Ctrl-C, with a live status view. Then it
 * stops every pod and exits. A bad option or file exits with {@value #BAD_OPTION} and one line
 * naming the problem (a file's problems with their line); a port that cannot be bound exits with
 * {@value #START_FAILED}.
 */
@Command(
    name = "local",
    mixinStandardHelpOptions = true,
    sortOptions = false,
    description = {
      "Runs the autoscaler and the activator in one process and each revision's pods as local",
      "processes (a queue-proxy in front of the app, on free loopback ports): Knetty without",
      "Kubernetes. Every request goes through the activator. See docs/local.md."
    })
public final class LocalCommand implements Callable<Integer> {

  /** Exit code of a bad option or file. */
  public static final int BAD_OPTION = 2;

  /** Exit code when a port cannot be bound. */
  public static final int START_FAILED = 1;

  /** The start of the line printed once every port is bound; the activator's URL follows. */
  public static final String READY_PREFIX = "knetty local: activator ";

  private static final Map<String, String> OPTIONS =
      Map.of(
          "host", "--host",
          "port", "--port",
          "adminPort", "--admin-port",
          "metricsPort", "--metrics-port",
          "kmpPort", "--kmp-port");

  @Spec CommandSpec spec;

  @ArgGroup(multiplicity = "1")
  What what;

  /** Exactly one of a file and the demo. */
  static final class What {
    @Option(
        names = {"-f", "--file"},
        paramLabel = "FILE",
        description = "The revisions to run (YAML, see docs/local.md).")
    Path file;

    @Option(
        names = "--demo",
        description = "Run the bundled sample app as one revision that scales quickly.")
    boolean demo;
  }

  @Option(
      names = "--port",
      paramLabel = "PORT",
      defaultValue = "" + LocalConfig.DEFAULT_PORT,
      description = "The activator's port: every request goes here (default: ${DEFAULT-VALUE}).")
  int port;

  @Option(
      names = "--admin-port",
      paramLabel = "PORT",
      defaultValue = "" + LocalConfig.DEFAULT_ADMIN_PORT,
      description = "The autoscaler's /revisions, /healthz (default: ${DEFAULT-VALUE}).")
  int adminPort;

  @Option(
      names = "--metrics-port",
      paramLabel = "PORT",
      defaultValue = "" + LocalConfig.DEFAULT_METRICS_PORT,
      description = "Prometheus /metrics, -1 for none (default: ${DEFAULT-VALUE}).")
  int metricsPort;

  @Option(
      names = "--kmp-port",
      paramLabel = "PORT",
      defaultValue = "0",
      description = "The autoscaler's KMP port for the queue-proxies (default: any free one).")
  int kmpPort;

  @Option(
      names = "--host",
      paramLabel = "ADDRESS",
      defaultValue = PodLauncher.LOOPBACK,
      description = "The address of those ports (default: ${DEFAULT-VALUE}).")
  String host;

  @Option(
      names = "--log-dir",
      paramLabel = "DIR",
      description = "Where the pods' output goes (default: a new temporary directory).")
  Path logDir;

  @Option(
      names = "--plain",
      description = "Status as plain lines, also on a terminal (default: a live view on one).")
  boolean plain;

  @Option(
      names = "--status-interval",
      paramLabel = "DURATION",
      defaultValue = "10s",
      converter = GoDurations.Converter.class,
      description =
          "Plain lines: repeat a revision's line this often while its figures change"
              + " (default: ${DEFAULT-VALUE}).")
  Duration statusInterval;

  @Option(names = "--quiet", description = "No status, only the start lines and the log.")
  boolean quiet;

  @Override
  public Integer call() throws IOException, InterruptedException {
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    LocalSpec localSpec;
    try {
      localSpec = what.demo ? Demo.spec(JavaRuntime.current()) : LocalFile.load(what.file);
    } catch (LocalFileException e) {
      return fail(err, BAD_OPTION, "--file: " + e.getMessage());
    }
    if (statusInterval.isNegative() || statusInterval.isZero()) {
      return fail(err, BAD_OPTION, "--status-interval: " + statusInterval + " (expected: > 0)");
    }
    Path logs = logDir != null ? logDir : Files.createTempDirectory("knetty-local-");
    LocalConfig config;
    try {
      config =
          new LocalConfig(
              host,
              port,
              adminPort,
              metricsPort,
              kmpPort,
              logs,
              PodLauncher.queueProxyJvmOptions(System.getenv()));
    } catch (IllegalArgumentException e) {
      return fail(err, BAD_OPTION, optionName(e.getMessage()));
    }
    boolean terminal = !plain && !quiet && StatusView.isAnsiTerminal(System.getenv());
    if (terminal) {
      LogRedirect.toFile(logs.resolve("knetty-local.log"));
    }

    LocalMode local = new LocalMode(localSpec, config);
    try {
      local.start();
    } catch (IllegalStateException e) {
      return fail(err, START_FAILED, e.getMessage());
    }
    CountDownLatch stopping = new CountDownLatch(1);
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  stopping.countDown();
                  out.println();
                  out.println("knetty local: stopping every pod ...");
                  out.flush();
                  local.close();
                  out.println("knetty local: stopped; the pods' output is in " + logs);
                  out.flush();
                },
                "knetty-local-shutdown"));

    List<String> banner = banner(local, what.demo);
    StatusView view = new StatusView(out, terminal, statusInterval, ZoneId.systemDefault());
    if (quiet) {
      banner.forEach(out::println);
      out.flush();
    }
    while (!stopping.await(1, TimeUnit.SECONDS)) {
      if (!quiet) {
        view.update(banner, local.status(), local.events().last(20), Instant.now());
      }
    }
    return 0;
  }

  /** The lines on top: where everything is, how to route, what to try. */
  static List<String> banner(LocalMode local, boolean demo) {
    LocalConfig c = local.config();
    String base = "http://" + c.connectHost() + ":";
    String activator = base + local.activatorPort();
    List<String> lines = new ArrayList<>();
    lines.add(
        READY_PREFIX
            + activator
            + ", autoscaler admin "
            + base
            + local.adminPort()
            + "/revisions, metrics "
            + (local.metricsPort() < 0 ? "none" : base + local.metricsPort() + "/metrics"));
    List<LocalRevision> revisions = local.spec().revisions();
    lines.add(
        "knetty local: pod output in "
            + c.logDir()
            + "; route by Host: <name>, <name>.<namespace> or <name>.localhost"
            + (revisions.size() == 1 ? " (the only revision also gets any other Host)" : ""));
    if (demo) {
      lines.addAll(Demo.instructions(activator));
    }
    return lines;
  }

  /** {@code port: 70000 (expected: ...)} as {@code --port: 70000 (expected: ...)}. */
  private static String optionName(String message) {
    int colon = message.indexOf(':');
    String option = colon < 0 ? null : OPTIONS.get(message.substring(0, colon));
    return option == null ? message : option + message.substring(colon);
  }

  private static int fail(PrintWriter err, int code, String message) {
    err.println("knetty local: " + message);
    err.flush();
    return code;
  }
}
