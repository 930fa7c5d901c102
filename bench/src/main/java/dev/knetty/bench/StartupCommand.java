package dev.knetty.bench;

import dev.knetty.bench.proc.ProcessSampler;
import dev.knetty.bench.proc.ProcessUsage;
import dev.knetty.bench.report.Json;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code knetty bench startup --url URL -- COMMAND...}: how long a server takes from exec until it
 * answers {@code GET URL} with 200, and its resident set once idle. Runs the command {@code --runs}
 * times, one at a time, and reports the median and the spread.
 *
 * <p>The URL is polled every 2 ms on a fresh connection (a refused connection costs microseconds),
 * so the measured time is the command's start-up plus at most one poll interval.
 */
@Command(
    name = "startup",
    mixinStandardHelpOptions = true,
    description = {
      "Measure exec -> first 200 on --url, and idle RSS, of a server command (repeated).",
      "Example: knetty bench startup --url http://127.0.0.1:8012/ --env USER_PORT=8080 \\",
      "           -- java -jar dist/target/knetty.jar queue-proxy"
    })
final class StartupCommand implements Callable<Integer> {

  private static final long POLL_NANOS = TimeUnit.MILLISECONDS.toNanos(2);

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Option(names = "--url", required = true, description = "http:// URL on loopback to poll.")
  URI url;

  @Option(names = "--runs", defaultValue = "10", description = "Runs (default: ${DEFAULT-VALUE}).")
  int runs;

  @Option(
      names = "--settle",
      defaultValue = "3s",
      converter = GoDurations.Converter.class,
      description = "Idle time after ready before RSS is read (default: ${DEFAULT-VALUE}).")
  Duration settle;

  @Option(
      names = "--timeout",
      defaultValue = "60s",
      converter = GoDurations.Converter.class,
      description = "Give up on a run after this long (default: ${DEFAULT-VALUE}).")
  Duration timeout;

  @Option(
      names = "--env",
      paramLabel = "NAME=VALUE",
      description = "Environment variable for the command, repeatable.")
  Map<String, String> env = Map.of();

  @Option(names = "--name", defaultValue = "startup", description = "Label in the report.")
  String name;

  @Option(names = "--json", paramLabel = "FILE", description = "Write the result as JSON.")
  Path json;

  @Parameters(arity = "1..*", paramLabel = "COMMAND", description = "The server command.")
  List<String> command;

  /** One run: exec to ready, and what the idle process uses. */
  record Run(double readyMillis, long idleRssBytes, double cpuSeconds) {}

  /** All runs and their summary. */
  record Result(
      String name,
      List<String> command,
      List<Run> runs,
      double medianReadyMillis,
      double minReadyMillis,
      double maxReadyMillis,
      double medianIdleRssMiB,
      double minIdleRssMiB,
      double maxIdleRssMiB,
      double loadAverage) {}

  @Override
  public Integer call() throws IOException, InterruptedException {
    if (!"http".equals(url.getScheme()) || url.getPort() < 1) {
      throw new CommandLine.ParameterException(
          spec.commandLine(), "--url: " + url + " (expected: http://127.0.0.1:PORT/path)");
    }
    PrintWriter err = spec.commandLine().getErr();
    double load = loadAverage();
    List<Run> results = new ArrayList<>();
    for (int i = 1; i <= runs; i++) {
      Run run = runOnce();
      results.add(run);
      err.printf(
          Locale.ROOT,
          "  run %2d: ready %7.1f ms, idle RSS %6.1f MiB, cpu %.2f s%n",
          i,
          run.readyMillis(),
          run.idleRssBytes() / 1048576.0,
          run.cpuSeconds());
      err.flush();
    }
    double[] ready = results.stream().mapToDouble(Run::readyMillis).sorted().toArray();
    double[] rss =
        results.stream().mapToDouble(r -> r.idleRssBytes() / 1048576.0).sorted().toArray();
    Result result =
        new Result(
            name,
            command,
            results,
            median(ready),
            ready[0],
            ready[ready.length - 1],
            median(rss),
            rss[0],
            rss[rss.length - 1],
            load);
    PrintWriter out = spec.commandLine().getOut();
    out.printf(
        Locale.ROOT,
        "%s: %d runs, load average %.2f before%n"
            + "  exec -> ready  median %.0f ms  (min %.0f, max %.0f)%n"
            + "  idle RSS       median %.1f MiB (min %.1f, max %.1f)%n",
        name,
        runs,
        load,
        result.medianReadyMillis(),
        result.minReadyMillis(),
        result.maxReadyMillis(),
        result.medianIdleRssMiB(),
        result.minIdleRssMiB(),
        result.maxIdleRssMiB());
    if (json != null) {
      Json.write(json, result);
    }
    out.flush();
    return 0;
  }

  private Run runOnce() throws IOException, InterruptedException {
    ProcessBuilder pb =
        new ProcessBuilder(command)
            .redirectOutput(ProcessBuilder.Redirect.DISCARD)
            .redirectError(ProcessBuilder.Redirect.DISCARD);
    pb.environment().putAll(env);
    long start = System.nanoTime();
    Process p = pb.start();
    try {
      long deadline = start + timeout.toNanos();
      while (!answers200()) {
        if (!p.isAlive()) {
          throw new IOException(
              "the command exited with " + p.exitValue() + " before " + url + " answered");
        }
        if (System.nanoTime() - deadline > 0) {
          throw new IOException(url + " did not answer 200 within " + timeout);
        }
        long next = POLL_NANOS - (System.nanoTime() - start) % POLL_NANOS;
        TimeUnit.NANOSECONDS.sleep(next);
      }
      double readyMillis = (System.nanoTime() - start) / 1e6;
      TimeUnit.NANOSECONDS.sleep(settle.toNanos());
      ProcessUsage usage;
      try (ProcessSampler sampler = ProcessSampler.start(p.pid(), Duration.ofSeconds(1))) {
        usage = sampler.snapshot();
      }
      return new Run(readyMillis, usage.maxSampledRssBytes(), usage.totalCpuSeconds());
    } finally {
      stop(p);
    }
  }

  /** SIGTERM, then SIGKILL if it does not end within the timeout. */
  private void stop(Process p) throws InterruptedException {
    p.toHandle().destroy();
    if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
      p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
    }
  }

  private boolean answers200() {
    try (Socket s = new Socket()) {
      s.connect(new InetSocketAddress(url.getHost(), url.getPort()), 1000);
      s.setSoTimeout(5000);
      String path = url.getRawPath() == null || url.getRawPath().isEmpty() ? "/" : url.getRawPath();
      OutputStream out = s.getOutputStream();
      out.write(
          ("GET " + path + " HTTP/1.1\r\nHost: " + url.getHost() + "\r\nConnection: close\r\n\r\n")
              .getBytes(StandardCharsets.ISO_8859_1));
      out.flush();
      InputStream in = s.getInputStream();
      byte[] head = in.readNBytes(12); // "HTTP/1.1 200"
      return head.length == 12 && new String(head, StandardCharsets.ISO_8859_1).endsWith(" 200");
    } catch (IOException e) {
      return false;
    }
  }

  private static double median(double[] sorted) {
    int n = sorted.length;
    return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
  }

  /** The 1-minute load average, or -1 where {@code /proc/loadavg} is missing. */
  static double loadAverage() {
    try {
      String line = Files.readString(Path.of("/proc/loadavg"));
      return Double.parseDouble(line.trim().split(" ")[0]);
    } catch (IOException | RuntimeException e) {
      return -1;
    }
  }
}
