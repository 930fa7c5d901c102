package dev.knetty.bench.scenario;

import dev.knetty.bench.load.LoadGenerator;
import dev.knetty.bench.load.LoadResult;
import dev.knetty.bench.load.LoadSpec;
import dev.knetty.bench.load.RunningLoad;
import dev.knetty.bench.proc.ProcessSampler;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

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
   * @param outputDir where reports go, and child logs under {@code logs/}
   * @param loadThreads event loops of the load generator
   * @param progress receives one line per phase and per second of load
   */
  public ScenarioContext(Path outputDir, int loadThreads, PrintWriter progress) {
    this(outputDir, outputDir.resolve("logs"), loadThreads, progress);
  }

  /**
   * @param outputDir where reports go
   * @param logDir this run's directory: child output, files written for the children
   * @param loadThreads event loops of the load generator
   * @param progress receives one line per phase and per second of load
   */
  public ScenarioContext(Path outputDir, Path logDir, int loadThreads, PrintWriter progress) {
    this.outputDir = outputDir;
    this.progress = progress;
    this.processes = new ChildProcesses(logDir);
    this.load = new LoadGenerator(loadThreads);
  }

  public Path outputDir() {
    return outputDir;
  }

  /**
   * This run's own directory: each child's output ({@code <name>.log}) and the files a scenario
   * writes for its children (configurations, endpoints files).
   */
  public Path runDir() {
    return processes.logDir();
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
   * Runs one load phase named {@code spec.name()}, accounting CPU and memory of the {@code
   * accounted} processes (with their descendants) and of this JVM (the load generator, as {@link
   * Phase#LOAD_GENERATOR}). CPU time counts from the end of the warm-up to the last response.
   */
  public Phase runPhase(LoadSpec spec, ChildProcess... accounted) throws InterruptedException {
    return startPhase(spec, accounted).await();
  }

  /**
   * Starts a load phase like {@link #runPhase} and returns at once, for a scenario that acts while
   * the load runs (e.g. adds a pod once every request waits); {@link RunningPhase#await()} ends it.
   */
  public RunningPhase startPhase(LoadSpec spec, ChildProcess... accounted) {
    progress("phase " + spec.name() + ": " + spec.describe() + " -> " + spec.target());
    Map<String, ProcessSampler> samplers = new LinkedHashMap<>();
    try {
      for (ChildProcess child : accounted) {
        samplers.put(child.name(), ProcessSampler.start(child.pid(), SAMPLE_INTERVAL, true));
      }
      samplers.put(
          Phase.LOAD_GENERATOR,
          ProcessSampler.start(ProcessHandle.current().pid(), SAMPLE_INTERVAL, false));
      RunningLoad running =
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
                          s.p99Millis())));
      // CPU time counts from the end of the warm-up, whenever the scenario calls await().
      CompletableFuture<Void> rebased =
          CompletableFuture.runAsync(
              () -> samplers.values().forEach(ProcessSampler::rebase),
              CompletableFuture.delayedExecutor(
                  Math.max(0, running.measureStartNanos() - System.nanoTime()),
                  TimeUnit.NANOSECONDS));
      return new RunningPhase(spec.name(), running, samplers, rebased);
    } catch (RuntimeException e) {
      samplers.values().forEach(ProcessSampler::close);
      throw e;
    }
  }

  /** A load phase in progress, from {@link #startPhase}. */
  public static final class RunningPhase {
    private final String label;
    private final RunningLoad running;
    private final Map<String, ProcessSampler> samplers;
    private final CompletableFuture<Void> rebased;

    private RunningPhase(
        String label,
        RunningLoad running,
        Map<String, ProcessSampler> samplers,
        CompletableFuture<Void> rebased) {
      this.label = label;
      this.running = running;
      this.samplers = samplers;
      this.rebased = rebased;
    }

    /** Requests sent so far, warm-up included. */
    public long dispatched() {
      return running.dispatched();
    }

    /** Waits for the last response and returns the phase. */
    public Phase await() throws InterruptedException {
      try {
        LoadResult result = running.await();
        rebased.join();
        List<Phase.Accounted> usages = new ArrayList<>();
        samplers.forEach((name, sampler) -> usages.add(new Phase.Accounted(name, sampler.stop())));
        return new Phase(label, result, usages);
      } finally {
        samplers.values().forEach(ProcessSampler::close);
      }
    }
  }

  /**
   * Polls {@code url} until it answers 200, like Knative's benchmarks probe a service before
   * loading it.
   *
   * @throws IllegalStateException if it does not within {@code timeout}
   */
  public void awaitReady(URI url, Duration timeout) throws InterruptedException {
    awaitReady(url, Map.of(), timeout);
  }

  /**
   * Polls {@code url}, sending {@code headers} (e.g. the revision an activator routes to), until it
   * answers 200.
   *
   * @throws IllegalStateException if it does not within {@code timeout}
   */
  public void awaitReady(URI url, Map<String, String> headers, Duration timeout)
      throws InterruptedException {
    awaitReady(url, headers, timeout, null);
  }

  /**
   * Polls {@code url} until it answers 200, and gives up at once if {@code server} (may be null)
   * exits meanwhile.
   *
   * @throws IllegalStateException if it does not answer within {@code timeout}, or the server ends
   */
  public void awaitReady(URI url, Duration timeout, ChildProcess server)
      throws InterruptedException {
    awaitReady(url, Map.of(), timeout, server);
  }

  private void awaitReady(
      URI url, Map<String, String> headers, Duration timeout, ChildProcess server)
      throws InterruptedException {
    HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    long deadline = System.nanoTime() + timeout.toNanos();
    String last = "no answer";
    while (System.nanoTime() < deadline) {
      if (server != null && !server.isAlive()) {
        throw new IllegalStateException(
            server.name() + " exited before " + url + " answered; see " + server.log());
      }
      try {
        HttpRequest.Builder request = HttpRequest.newBuilder(url).timeout(Duration.ofSeconds(5));
        headers.forEach(request::header);
        HttpResponse<Void> response =
            client.send(request.build(), HttpResponse.BodyHandlers.discarding());
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
