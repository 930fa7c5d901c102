package dev.knetty.queueproxy;

import dev.knetty.common.config.ConfigException;
import dev.knetty.common.metrics.ProcessMetrics;
import java.io.PrintWriter;
import java.nio.charset.Charset;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code knetty queue-proxy}: runs a {@link QueueProxy} configured from the environment until
 * SIGTERM, then drains as Knative's queue-proxy does and exits 0. A configuration problem ends it
 * at once with exit code {@value #EXIT_CONFIG} and one line on standard error naming the variable,
 * its value and what was expected.
 *
 * <p>Start-up is a product feature of a sidecar, so: {@link #main} without arguments skips picocli
 * (its reflection costs ~100 ms and its classes cannot be archived by CDS), and the process logs
 * through slf4j-simple (a handful of classes) unless {@code slf4j.provider} is set. No logger is
 * touched before that choice is made.
 */
@Command(
    name = "queue-proxy",
    mixinStandardHelpOptions = true,
    description = {
      "Knative's queue-proxy sidecar: the containerConcurrency breaker, per-second",
      "stats (KMP push, Knative's protobuf on the stats port), probes, SIGTERM drain.",
      "Configured from Knative's environment (CONTAINER_CONCURRENCY,",
      "REVISION_TIMEOUT_SECONDS, USER_PORT, ...) and Knetty's (KNETTY_AUTOSCALER, ...):",
      "see docs/queue-proxy.md."
    })
public final class QueueProxyCommand implements Callable<Integer> {

  /** Exit code of a configuration or start-up problem. */
  public static final int EXIT_CONFIG = 1;

  /** Knetty's log level variable; Knative's {@code SERVING_LOGGING_LEVEL} is the fallback. */
  static final String KNETTY_LOG_LEVEL = "KNETTY_LOG_LEVEL";

  static final String SERVING_LOGGING_LEVEL = "SERVING_LOGGING_LEVEL";

  private static final String SIMPLE_PROVIDER = "org.slf4j.simple.SimpleServiceProvider";
  private static final String SIMPLE = "org.slf4j.simpleLogger.";

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Option(
      names = "--cds-training",
      hidden = true,
      description = "Run a short in-process workload and exit (records a CDS/AOT archive).")
  boolean cdsTraining;

  /**
   * Runs the queue-proxy: {@code java -cp knetty.jar dev.knetty.queueproxy.QueueProxyCommand} (what
   * {@code bin/knetty queue-proxy} does). Options other than none go through picocli.
   */
  public static void main(String[] args) {
    if (args.length == 0) {
      System.exit(run(new PrintWriter(System.err, true, Charset.defaultCharset())));
    }
    System.exit(new CommandLine(new QueueProxyCommand()).execute(args));
  }

  @Override
  public Integer call() throws Exception {
    if (cdsTraining) {
      String problem = prepareProcess(System.getenv());
      if (problem != null) {
        throw new IllegalArgumentException(problem);
      }
      CdsTraining.run();
      return 0;
    }
    return run(spec.commandLine().getErr());
  }

  /** Configures, starts, waits for SIGTERM (the shutdown hook ends the process). */
  private static int run(PrintWriter err) {
    String problem = prepareProcess(System.getenv());
    if (problem != null) {
      return fail(err, problem);
    }
    // Overlaps the slowest part of the start-up (JMX, allocator) with the rest of it.
    CompletableFuture<ProcessMetrics> metrics = QueueProxy.startMetrics();
    QueueProxy qp;
    try {
      qp =
          QueueProxy.builder(QueueProxyConfig.fromEnvironment(System.getenv()))
              .metrics(metrics)
              .start();
    } catch (IllegalArgumentException | IllegalStateException e) {
      return fail(err, e.getMessage());
    }
    Runtime.getRuntime().addShutdownHook(new Thread(() -> onSigterm(qp), "queue-proxy-sigterm"));
    try {
      new CountDownLatch(1).await();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    return 0;
  }

  private static int fail(PrintWriter err, String message) {
    err.println("queue-proxy: " + message);
    err.flush();
    return EXIT_CONFIG;
  }

  /**
   * The SIGTERM sequence, in the JVM's shutdown hook: drain, close, then end the process with 0 as
   * Knative's queue-proxy does (the JVM would report 143 for SIGTERM). Nothing else in the process
   * needs its own hook: the log writes synchronously.
   */
  private static void onSigterm(QueueProxy qp) {
    try {
      qp.drain().get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (ExecutionException e) {
      LoggerFactory.getLogger(QueueProxyCommand.class).warn("drain failed", e);
    } finally {
      qp.close();
      LoggerFactory.getLogger(QueueProxyCommand.class).info("queue-proxy stopped");
      System.out.flush();
      System.err.flush();
      Runtime.getRuntime().halt(0);
    }
  }

  /**
   * Process-wide settings, before any Netty class or logger exists: logging ({@link
   * #configureLogging}), and Netty's allocator without JFR events (by default the first allocation
   * sets up JFR, ~150 ms on the event loop serving the first request; nobody records a sidecar).
   *
   * @return a one-line problem, or {@code null}
   */
  static String prepareProcess(Map<String, String> env) {
    setDefault("io.netty.jfr.enabled", "false");
    return configureLogging(env);
  }

  /**
   * Selects slf4j-simple (when it is on the class path and no provider was chosen) and sets its
   * defaults: INFO (or {@code KNETTY_LOG_LEVEL}, else Knative's {@code SERVING_LOGGING_LEVEL}) to
   * standard output, with milliseconds since start. Must run before the first logger is created.
   *
   * @return a one-line problem, or {@code null}
   */
  static String configureLogging(Map<String, String> env) {
    String level = "info";
    String knetty = env.get(KNETTY_LOG_LEVEL);
    if (knetty != null && !knetty.isBlank()) {
      level = slf4jLevel(knetty);
      if (level == null) {
        return new ConfigException(
                KNETTY_LOG_LEVEL, QueueProxyEnv.show(knetty), "trace, debug, info, warn or error")
            .getMessage();
      }
    } else {
      String knative = env.get(SERVING_LOGGING_LEVEL);
      if (knative != null && slf4jLevel(knative) != null) {
        level = slf4jLevel(knative);
      }
    }
    if (System.getProperty("slf4j.provider") != null || !onClassPath(SIMPLE_PROVIDER)) {
      return null; // the embedding application's logging
    }
    System.setProperty("slf4j.provider", SIMPLE_PROVIDER);
    // Not SLF4J's own "loading provider ..." line on standard error.
    setDefault("slf4j.internal.verbosity", "WARN");
    setDefault(SIMPLE + "logFile", "System.out");
    setDefault(SIMPLE + "defaultLogLevel", level);
    // Milliseconds since start: a date format would load the JDK's locale data (~100 ms of
    // start-up), and the container runtime timestamps every line anyway.
    setDefault(SIMPLE + "showDateTime", "true");
    setDefault(SIMPLE + "showThreadName", "true");
    setDefault(SIMPLE + "showShortLogName", "true");
    return null;
  }

  /** slf4j's name of a Knetty or zap (Knative) level, or {@code null}. */
  static String slf4jLevel(String level) {
    switch (level.trim().toLowerCase(Locale.ROOT)) {
      case "trace":
        return "trace";
      case "debug":
        return "debug";
      case "info":
        return "info";
      case "warn":
      case "warning":
        return "warn";
      case "error":
      case "dpanic":
      case "panic":
      case "fatal":
        return "error";
      default:
        return null;
    }
  }

  private static void setDefault(String key, String value) {
    if (System.getProperty(key) == null) {
      System.setProperty(key, value);
    }
  }

  private static boolean onClassPath(String className) {
    try {
      Class.forName(className, false, QueueProxyCommand.class.getClassLoader());
      return true;
    } catch (ClassNotFoundException e) {
      return false;
    }
  }
}
