package dev.knetty.bench;

import dev.knetty.bench.load.LoadGenerator;
import dev.knetty.bench.load.LoadResult;
import dev.knetty.bench.load.LoadSpec;
import dev.knetty.bench.load.RunningLoad;
import dev.knetty.bench.proc.ProcessSampler;
import dev.knetty.bench.proc.ProcessUsage;
import dev.knetty.bench.report.Json;
import dev.knetty.bench.report.LoadSummary;
import dev.knetty.bench.report.PercentilePlot;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code knetty bench load URL}: drives one loopback URL and reports latency percentiles. */
@Command(
    name = "load",
    mixinStandardHelpOptions = true,
    description = {
      "Drive one loopback URL (open loop at --rate, or --closed-loop) and report throughput,",
      "errors by kind and latency percentiles measured from each request's intended send time."
    })
final class LoadCommand implements Callable<Integer> {

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Parameters(index = "0", paramLabel = "URL", description = "http:// URL on a loopback address.")
  URI url;

  @Option(names = "--name", defaultValue = "load", description = "Label in reports.")
  String name;

  @Option(names = "--rate", defaultValue = "100", description = "Requests per second (open loop).")
  double rate;

  @Option(
      names = "--duration",
      defaultValue = "10s",
      converter = GoDurations.Converter.class,
      description = "Measured duration (default: ${DEFAULT-VALUE}).")
  Duration duration;

  @Option(
      names = "--warmup",
      defaultValue = "0s",
      converter = GoDurations.Converter.class,
      description = "Load before measuring, not counted (default: ${DEFAULT-VALUE}).")
  Duration warmup;

  @Option(
      names = "--connections",
      defaultValue = "64",
      description = "Keep-alive connections (default: ${DEFAULT-VALUE}).")
  int connections;

  @Option(names = "--h2c", description = "HTTP/2 over cleartext with prior knowledge.")
  boolean h2c;

  @Option(names = "--closed-loop", description = "Send as fast as responses come back.")
  boolean closedLoop;

  @Option(
      names = "--concurrency",
      defaultValue = "64",
      description = "Closed loop: requests in flight (default: ${DEFAULT-VALUE}).")
  int concurrency;

  @Option(
      names = "--streams",
      defaultValue = "100",
      description = "h2c: streams per connection (default: ${DEFAULT-VALUE}).")
  int streams;

  @Option(
      names = "--timeout",
      defaultValue = "30s",
      converter = GoDurations.Converter.class,
      description = "Request timeout, from the intended send time (default: ${DEFAULT-VALUE}).")
  Duration timeout;

  @Option(
      names = "--max-queued",
      defaultValue = "10000",
      description =
          "Open loop: due requests that may wait for a connection before failing"
              + " (default: ${DEFAULT-VALUE}).")
  int maxQueued;

  @Option(
      names = {"-H", "--header"},
      paramLabel = "NAME:VALUE",
      description = "Extra request header, repeatable.")
  List<String> headers = List.of();

  @Option(
      names = "--threads",
      description = "Event loops of the generator (default: up to 2, one per core).")
  Integer threads;

  @Option(names = "--json", paramLabel = "FILE", description = "Write the result as JSON.")
  Path json;

  @Option(names = "--svg", paramLabel = "FILE", description = "Write the percentile plot.")
  Path svg;

  @Option(
      names = "--pid",
      description = "Account CPU and peak RSS of this process (from /proc) during the run.")
  Long pid;

  LoadSpec loadSpec() {
    try {
      LoadSpec.Builder builder =
          LoadSpec.builder(url)
              .name(name)
              .protocol(h2c ? LoadSpec.Protocol.H2C : LoadSpec.Protocol.HTTP_1_1)
              .duration(duration)
              .warmup(warmup)
              .connections(connections)
              .maxStreamsPerConnection(streams)
              .requestTimeout(timeout)
              .maxQueued(maxQueued);
      if (closedLoop) {
        builder.closedLoop(concurrency);
      } else {
        builder.openLoop(rate);
      }
      for (String header : headers) {
        int colon = header.indexOf(':');
        if (colon < 1) {
          throw new IllegalArgumentException(
              "header: " + header + " (expected: NAME:VALUE, e.g. Host:example.com)");
        }
        builder.header(header.substring(0, colon).trim(), header.substring(colon + 1).trim());
      }
      return builder.build();
    } catch (IllegalArgumentException e) {
      throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage(), e);
    }
  }

  static int defaultThreads() {
    return Math.max(1, Math.min(2, Runtime.getRuntime().availableProcessors()));
  }

  @Override
  public Integer call() throws InterruptedException, IOException {
    LoadSpec load = loadSpec();
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    LoadResult result;
    ProcessUsage usage = null;
    try (LoadGenerator generator = new LoadGenerator(threads == null ? defaultThreads() : threads);
        ProcessSampler sampler = pid == null ? null : sample(pid)) {
      err.println(load.describe() + " -> " + load.target());
      err.flush();
      RunningLoad running;
      try {
        running =
            generator.start(
                load,
                s -> {
                  err.println(
                      String.format(
                          Locale.ROOT,
                          "  %6.1fs  %6d requests  %4d errors  p99 %8.2f ms",
                          s.seconds(),
                          s.requests(),
                          s.errors(),
                          s.p99Millis()));
                  err.flush();
                });
      } catch (IllegalArgumentException e) {
        throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage(), e);
      }
      running.awaitMeasureStart();
      if (sampler != null) {
        sampler.rebase(); // CPU of the measured requests only, not of the warm-up
      }
      result = running.await();
      if (sampler != null) {
        usage = sampler.stop();
      }
    }
    LoadSummary summary = LoadSummary.of(result, usage);
    out.print(summary.text());
    if (json != null) {
      Json.write(json, summary);
      out.println("json           " + json);
    }
    if (svg != null) {
      PercentilePlot.write(
          svg,
          load.name() + ": latency by percentile",
          List.of(new PercentilePlot.Curve(load.name(), result.latency())));
      out.println("svg            " + svg);
    }
    out.flush();
    return 0;
  }

  private ProcessSampler sample(long processId) {
    try {
      return ProcessSampler.start(processId, Duration.ofMillis(250));
    } catch (UncheckedIOException e) {
      throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage(), e);
    }
  }
}
