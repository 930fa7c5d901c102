package dev.knetty.bench.scenario;

import dev.knetty.bench.load.LoadGenerator;
import dev.knetty.bench.load.LoadResult;
import dev.knetty.bench.load.LoadSpec;
import dev.knetty.bench.proc.ProcessSampler;
import dev.knetty.bench.proc.ProcessUsage;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;

/**
 * What a running {@link Scenario} works with: a load generator, the child processes it starts (all
 * stopped by {@link #close()}), an output directory and a progress stream for people.
 */
public final class ScenarioContext implements AutoCloseable {

  /** How often the process under test is sampled during a phase. */
  private static final Duration SAMPLE_INTERVAL = Duration.ofMillis(250);

  private final Path outputDir;
  private final LoadGenerator load;
  private final ChildProcesses processes;
  private final PrintWriter progress;

  /**
   * @param outputDir where reports and child logs go
   * @param loadThreads event loops of the load generator
   * @param progress receives one line per phase and per second of load
   */
  public ScenarioContext(Path outputDir, int loadThreads, PrintWriter progress) {
    this.outputDir = outputDir;
    this.progress = progress;
    this.processes = new ChildProcesses(outputDir.resolve("logs"));
    this.load = new LoadGenerator(loadThreads);
  }

  public Path outputDir() {
    return outputDir;
  }

  public LoadGenerator load() {
    return load;
  }

  public ChildProcesses processes() {
    return processes;
  }

  /** Prints a progress line. */
  public void progress(String line) {
    progress.println(line);
    progress.flush();
  }

  /**
   * Runs one load phase named {@code spec.name()}, accounting CPU and memory of {@code accounted}
   * (may be null) from just before the first request to just after the last.
   */
  public Phase runPhase(LoadSpec spec, ChildProcess accounted) throws InterruptedException {
    progress("phase " + spec.name() + ": " + spec.describe() + " -> " + spec.target());
    try (ProcessSampler sampler =
        accounted == null ? null : ProcessSampler.start(accounted.pid(), SAMPLE_INTERVAL)) {
      LoadResult result =
          load.start(
                  spec,
                  s ->
                      progress(
                          String.format(
                              Locale.ROOT,
                              "  %6.1fs  %6d requests  %4d errors  p50 %8.2f ms  p99 %8.2f ms",
                              s.seconds(),
                              s.requests(),
                              s.errors(),
                              s.p50Millis(),
                              s.p99Millis())))
              .await();
      ProcessUsage usage = sampler == null ? null : sampler.stop();
      return new Phase(spec.name(), result, usage);
    }
  }

  /**
   * Polls {@code url} until it answers 200, like Knative's benchmarks probe a service before
   * loading it.
   *
   * @throws IllegalStateException if it does not within {@code timeout}
   */
  public void awaitReady(URI url, Duration timeout) throws InterruptedException {
    HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    long deadline = System.nanoTime() + timeout.toNanos();
    String last = "no answer";
    while (System.nanoTime() < deadline) {
      try {
        HttpResponse<Void> response =
            client.send(
                HttpRequest.newBuilder(url).timeout(Duration.ofSeconds(5)).build(),
                HttpResponse.BodyHandlers.discarding());
        if (response.statusCode() == 200) {
          return;
        }
        last = "status " + response.statusCode();
      } catch (IOException e) {
        last = e.toString();
      }
      Thread.sleep(100);
    }
    throw new IllegalStateException(url + ": not ready within " + timeout + " (" + last + ")");
  }

  /** Stops the child processes and the load generator. */
  @Override
  public void close() {
    try {
      processes.close();
    } finally {
      load.close();
    }
  }
}
