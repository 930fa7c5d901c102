package dev.knetty.queueproxy;

import java.io.PrintWriter;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code knetty queue-proxy}: runs a {@link QueueProxy} configured from the environment until
 * SIGTERM, then drains as Knative's queue-proxy does and exits 0. A configuration problem ends it
 * at once with exit code 1 and one line on standard error naming the variable, its value and what
 * was expected.
 *
 * <p>No logger is touched before {@link #call()} has pointed logback at the queue-proxy's own
 * configuration, so that it applies however the command was started.
 */
@Command(
    name = "queue-proxy",
    mixinStandardHelpOptions = true,
    description = {
      "Knative's queue-proxy sidecar: containerConcurrency breaker, per-second stats (KMP push and",
      "Knative's protobuf on the stats port), probes and SIGTERM drain. Configured from Knative's",
      "environment variables (CONTAINER_CONCURRENCY, REVISION_TIMEOUT_SECONDS, USER_PORT, ...)",
      "and Knetty's (KNETTY_AUTOSCALER, KNETTY_DRAIN_QUIET_PERIOD, ...): see docs/queue-proxy.md."
    })
public final class QueueProxyCommand implements Callable<Integer> {

  /** Where the queue-proxy's logback configuration is, on the class path. */
  static final String LOGBACK_CONFIG = "dev/knetty/queueproxy/logback.xml";

  /** Exit code of a configuration or start-up problem. */
  public static final int EXIT_CONFIG = 1;

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Option(
      names = "--cds-training",
      hidden = true,
      description = "Run a short in-process workload and exit (records a CDS/AOT archive).")
  boolean cdsTraining;

  /** Runs the command: {@code java -cp knetty.jar dev.knetty.queueproxy.QueueProxyCommand}. */
  public static void main(String[] args) {
    System.exit(new CommandLine(new QueueProxyCommand()).execute(args));
  }

  @Override
  public Integer call() throws Exception {
    if (System.getProperty("logback.configurationFile") == null) {
      System.setProperty("logback.configurationFile", LOGBACK_CONFIG);
    }
    if (cdsTraining) {
      CdsTraining.run();
      return 0;
    }
    PrintWriter err = spec.commandLine().getErr();
    QueueProxy qp;
    try {
      qp = QueueProxy.builder(QueueProxyConfig.fromEnvironment(System.getenv())).start();
    } catch (IllegalArgumentException | IllegalStateException e) {
      err.println("queue-proxy: " + e.getMessage());
      err.flush();
      return EXIT_CONFIG;
    }
    Runtime.getRuntime().addShutdownHook(new Thread(() -> onSigterm(qp), "queue-proxy-sigterm"));
    new CountDownLatch(1).await(); // until SIGTERM: the hook ends the process
    return 0;
  }

  /**
   * The SIGTERM sequence, in the JVM's shutdown hook: drain, close, then end the process with 0 as
   * Knative's queue-proxy does (the JVM would report 143 for SIGTERM).
   */
  private static void onSigterm(QueueProxy qp) {
    try {
      qp.drain().get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (ExecutionException e) {
      org.slf4j.LoggerFactory.getLogger(QueueProxyCommand.class).warn("drain failed", e);
    } finally {
      qp.close();
      org.slf4j.LoggerFactory.getLogger(QueueProxyCommand.class).info("queue-proxy stopped");
      System.out.flush();
      System.err.flush();
      Runtime.getRuntime().halt(0);
    }
  }
}
