package dev.knetty.bench.sampleapp;

import dev.knetty.bench.GoDurations;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code knetty sample-app}: runs {@link SampleApp} until SIGTERM, then shuts down gracefully.
 * Prints {@value #READY_PREFIX}{@code http://HOST:PORT} on standard output once it listens, which
 * is how a parent process learns the port when it asked for port 0.
 */
@Command(
    name = "sample-app",
    mixinStandardHelpOptions = true,
    description = {
      "Knetty's test workload (like Knative's autoscale image): HTTP/1.1 and h2c on one port.",
      "  /?sleep=MS&prime=N&bloat=MB, /healthz, /ws (websocket echo), /sse?n=10&interval=100"
    })
public final class SampleAppCommand implements Callable<Integer> {

  /** The start of the line printed once the app listens; the URL follows. */
  public static final String READY_PREFIX = "sample-app listening on ";

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Option(
      names = "--port",
      defaultValue = "${env:PORT:-8080}",
      description = "Port to listen on, 0 for any free port (default: $PORT or 8080).")
  int port;

  @Option(
      names = "--host",
      defaultValue = "0.0.0.0",
      description = "Address to bind (default: ${DEFAULT-VALUE}).")
  String host;

  @Option(names = "--io-threads", description = "Event loops (default: one per core).")
  Integer ioThreads;

  @Option(
      names = "--work-threads",
      description = "Threads for prime and bloat work (default: half the cores).")
  Integer workThreads;

  @Option(
      names = "--work-queue",
      defaultValue = "1024",
      description = "Work that may wait for a thread before 503 (default: ${DEFAULT-VALUE}).")
  int workQueue;

  @Option(
      names = "--max-sleep",
      defaultValue = "5m",
      converter = GoDurations.Converter.class,
      description = "Largest sleep accepted (default: ${DEFAULT-VALUE}).")
  Duration maxSleep;

  @Option(
      names = "--max-bloat-mb",
      defaultValue = "128",
      description = "Largest bloat in MiB accepted (default: ${DEFAULT-VALUE}).")
  int maxBloatMb;

  @Option(
      names = "--shutdown-grace",
      defaultValue = "10s",
      converter = GoDurations.Converter.class,
      description = "How long SIGTERM waits for requests in flight (default: ${DEFAULT-VALUE}).")
  Duration shutdownGrace;

  /** The settings these options describe. */
  SampleAppConfig config() {
    SampleAppConfig.Builder builder =
        SampleAppConfig.builder()
            .host(host)
            .port(port)
            .workQueue(workQueue)
            .maxSleep(maxSleep)
            .maxBloatMb(maxBloatMb)
            .shutdownGrace(shutdownGrace);
    if (ioThreads != null) {
      builder.ioThreads(ioThreads);
    }
    if (workThreads != null) {
      builder.workThreads(workThreads);
    }
    try {
      return builder.build();
    } catch (IllegalArgumentException e) {
      throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage(), e);
    }
  }

  @Override
  public Integer call() throws InterruptedException {
    SampleAppConfig config = config();
    SampleApp app = new SampleApp(config);
    int bound;
    try {
      bound = app.start();
    } catch (InterruptedException e) {
      throw e;
    } catch (Exception e) { // Netty's bind failures are (sneakily thrown) IOExceptions
      spec.commandLine()
          .getErr()
          .println(
              "sample-app: cannot listen on "
                  + config.host()
                  + ":"
                  + config.port()
                  + " ("
                  + e.getMessage()
                  + ")");
      return 1;
    }
    Runtime.getRuntime().addShutdownHook(new Thread(app::close, "sample-app-shutdown"));
    PrintWriter out = spec.commandLine().getOut();
    out.println(READY_PREFIX + "http://" + config.host() + ":" + bound);
    out.flush();
    app.awaitClosed();
    return 0;
  }
}
