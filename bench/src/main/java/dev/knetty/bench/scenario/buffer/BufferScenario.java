package dev.knetty.bench.scenario.buffer;

import dev.knetty.bench.GoDurations;
import dev.knetty.bench.load.LoadResult;
import dev.knetty.bench.load.LoadSpec;
import dev.knetty.bench.proc.ProcessSampler;
import dev.knetty.bench.report.TimeSeriesPlot;
import dev.knetty.bench.scenario.Chart;
import dev.knetty.bench.scenario.Check;
import dev.knetty.bench.scenario.Components;
import dev.knetty.bench.scenario.MetricTable;
import dev.knetty.bench.scenario.Phase;
import dev.knetty.bench.scenario.PrometheusScrape;
import dev.knetty.bench.scenario.Scenario;
import dev.knetty.bench.scenario.ScenarioContext;
import dev.knetty.bench.scenario.ScenarioResult;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.TimeUnit;

/**
 * The activator as a buffer: {@code requests} requests (Knative's activator queues up to 10,000 per
 * revision) sent at once to a revision with no pods, so that every one waits in the activator; its
 * resident set and its heap (after a full GC, through {@code jcmd}) are measured idle and with
 * every request waiting. Then the revision gets a pod (a queue-proxy in front of the sample app,
 * written into the activator's endpoints file) and every request must succeed.
 */
public final class BufferScenario implements Scenario {

  static final String ACTIVATOR = "activator";
  static final String REVISION = "hello";
  private static final Duration POLL = Duration.ofMillis(250);
  private static final double MIB = 1024.0 * 1024.0;

  /**
   * @param requests how many requests wait at once (Knative's per-revision queue: 10,000)
   * @param connections HTTP/1.1: one per request; h2c: the streams are spread over them
   * @param fillTimeout how long the requests may take to all be waiting
   * @param requestTimeout each request's budget, waiting included
   */
  public record Config(
      int requests,
      LoadSpec.Protocol protocol,
      int connections,
      Duration fillTimeout,
      Duration requestTimeout,
      List<String> appJvmArgs,
      List<String> queueProxyJvmArgs,
      List<String> activatorJvmArgs) {

    public Config {
      Objects.requireNonNull(protocol, "protocol");
      Objects.requireNonNull(fillTimeout, "fillTimeout");
      Objects.requireNonNull(requestTimeout, "requestTimeout");
      appJvmArgs = List.copyOf(appJvmArgs);
      queueProxyJvmArgs = List.copyOf(queueProxyJvmArgs);
      activatorJvmArgs = List.copyOf(activatorJvmArgs);
      if (requests < 1 || requests > LoadSpec.MAX_CONCURRENCY) {
        throw new IllegalArgumentException(
            "requests: " + requests + " (expected: 1-" + LoadSpec.MAX_CONCURRENCY + ")");
      }
      if (connections < 1 || connections > requests) {
        throw new IllegalArgumentException(
            "connections: " + connections + " (expected: 1-requests " + requests + ")");
      }
      if (protocol == LoadSpec.Protocol.HTTP_1_1 && connections != requests) {
        throw new IllegalArgumentException(
            "connections: "
                + connections
                + " (expected: requests "
                + requests
                + " for HTTP/1.1, one request per connection)");
      }
      if (fillTimeout.isNegative() || fillTimeout.isZero()) {
        throw new IllegalArgumentException(
            "fillTimeout: " + GoDurations.format(fillTimeout) + " (expected: > 0)");
      }
    }

    /** 10,000 HTTP/1.1 requests, each on its own connection. */
    public static Config defaults() {
      return new Config(
          10_000,
          LoadSpec.Protocol.HTTP_1_1,
          10_000,
          Duration.ofMinutes(2),
          Duration.ofMinutes(5),
          Components.SAMPLE_APP_JVM,
          Components.QUEUE_PROXY_JVM,
          Components.ACTIVATOR_JVM);
    }
  }

  private final Config config;

  /**
   * @throws IllegalArgumentException if the load settings are invalid
   */
  public BufferScenario(Config config) {
    this.config = Objects.requireNonNull(config, "config");
    loadSpec(URI.create("http://127.0.0.1/"));
  }

  @Override
  public String name() {
    return "buffer";
  }

  @Override
  public String description() {
    return String.format(
        Locale.ROOT,
        "%d requests (%s, %d connections) waiting in the activator for a revision with no pods:"
            + " the activator's RSS and heap idle and with all of them waiting; then a pod is"
            + " added and every request must succeed.",
        config.requests(),
        config.protocol().label(),
        config.connections());
  }

  @Override
  public ScenarioResult run(ScenarioContext context) throws Exception {
    Components.Server app = Components.sampleApp(context, "sample-app", config.appJvmArgs());
    Components.Server qp =
        Components.queueProxy(
            context, "queue-proxy", app.port(), 0, config.queueProxyJvmArgs(), Map.of());
    context.awaitReady(qp.base(), Duration.ofSeconds(30));
    Path endpoints = context.runDir().resolve("endpoints.yaml");
    Components.writeEndpoints(
        endpoints, List.of(new Components.Revision(REVISION, 0, List.of()))); // no pods
    Components.Server activator =
        Components.activator(
            context, ACTIVATOR, endpoints, config.activatorJvmArgs(), List.of("--max-wait=0s"));
    long pid = activator.process().pid();
    Path jcmd = Path.of(System.getProperty("java.home"), "bin", "jcmd");
    boolean canGc = Files.isExecutable(jcmd);

    // Idle, after the activator has served its metrics once (and loaded those classes).
    PrometheusScrape.of(activator.metricsPort());
    Memory idle = memory(activator, jcmd, canGc);
    context.progress(String.format(Locale.ROOT, "activator idle: %s", idle));

    List<TimeSeriesPlot.Point> waitingSeries = new ArrayList<>();
    List<TimeSeriesPlot.Point> rssSeries = new ArrayList<>();
    long start = System.nanoTime();
    ScenarioContext.RunningPhase phase =
        context.startPhase(loadSpec(activator.base()), activator.process());
    double waiting = 0;
    long deadline = start + config.fillTimeout().toNanos();
    while (System.nanoTime() < deadline) {
      waiting = waiting(activator);
      sample(start, waiting, pid, waitingSeries, rssSeries);
      if (waiting >= config.requests()) {
        break;
      }
      TimeUnit.NANOSECONDS.sleep(POLL.toNanos());
    }
    double fillSeconds = (System.nanoTime() - start) / 1e9;
    context.progress(
        String.format(
            Locale.ROOT, "%.0f requests waiting after %.1f s; measuring", waiting, fillSeconds));
    Memory full = memory(activator, jcmd, canGc);
    context.progress(String.format(Locale.ROOT, "activator with requests waiting: %s", full));

    long released = System.nanoTime();
    Components.writeEndpoints(
        endpoints,
        List.of(new Components.Revision(REVISION, 0, List.of("127.0.0.1:" + qp.port()))));
    Thread sampler =
        new Thread(
            () -> {
              try {
                double w;
                do {
                  w = waiting(activator);
                  sample(start, w, pid, waitingSeries, rssSeries);
                  TimeUnit.NANOSECONDS.sleep(POLL.toNanos());
                } while (w > 0);
              } catch (IOException | RuntimeException e) {
                // The activator stopped answering: the series ends here.
              } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
              }
            },
            "buffer-sampler");
    sampler.setDaemon(true);
    sampler.start();
    Phase done = phase.await();
    double drainSeconds = (System.nanoTime() - released) / 1e9;
    sampler.interrupt();
    sampler.join(TimeUnit.SECONDS.toMillis(5));
    return result(
        done, idle, full, waiting, fillSeconds, drainSeconds, canGc, waitingSeries, rssSeries);
  }

  /** RSS, and heap in use (after a full GC when {@code jcmd} is there). */
  private record Memory(long rssBytes, double heapBytes) {
    @Override
    public String toString() {
      return String.format(
          Locale.ROOT, "RSS %.1f MiB, heap %.1f MiB", rssBytes / MIB, heapBytes / MIB);
    }
  }

  private static Memory memory(Components.Server activator, Path jcmd, boolean canGc)
      throws IOException, InterruptedException {
    if (canGc) {
      Process gc =
          new ProcessBuilder(jcmd.toString(), Long.toString(activator.process().pid()), "GC.run")
              .redirectErrorStream(true)
              .redirectOutput(ProcessBuilder.Redirect.DISCARD)
              .start();
      if (!gc.waitFor(60, TimeUnit.SECONDS)) {
        gc.destroyForcibly();
      }
    }
    double heap =
        PrometheusScrape.of(activator.metricsPort()).sum("jvm_memory_used_bytes", "area=\"heap\"");
    return new Memory(ProcessSampler.rssBytes(activator.process().pid()), heap);
  }

  private static double waiting(Components.Server activator)
      throws IOException, InterruptedException {
    double w =
        PrometheusScrape.of(activator.metricsPort()).sum("knetty_activator_buffered_requests", "");
    return Double.isNaN(w) ? 0 : w;
  }

  private static synchronized void sample(
      long start,
      double waiting,
      long pid,
      List<TimeSeriesPlot.Point> waitingSeries,
      List<TimeSeriesPlot.Point> rssSeries) {
    double t = (System.nanoTime() - start) / 1e9;
    waitingSeries.add(new TimeSeriesPlot.Point(t, waiting));
    rssSeries.add(new TimeSeriesPlot.Point(t, ProcessSampler.rssBytes(pid) / MIB));
  }

  private ScenarioResult result(
      Phase phase,
      Memory idle,
      Memory full,
      double waiting,
      double fillSeconds,
      double drainSeconds,
      boolean canGc,
      List<TimeSeriesPlot.Point> waitingSeries,
      List<TimeSeriesPlot.Point> rssSeries) {
    LoadResult r = phase.result();
    int n = config.requests();
    MetricTable metrics =
        new MetricTable("idle MiB", "waiting MiB", "growth MiB", "KiB per request", "value");
    memoryRow(metrics, "activator RSS", idle.rssBytes(), full.rssBytes(), n);
    memoryRow(
        metrics,
        canGc ? "activator heap after full GC" : "activator heap (no GC)",
        idle.heapBytes(),
        full.heapBytes(),
        n);
    metrics.put("requests waiting at once", "value", waiting, 0);
    metrics.put("seconds until all waited", "value", fillSeconds, 1);
    metrics.put("seconds to serve all after the pod was added", "value", drainSeconds, 1);
    metrics.put("succeeded", "value", r.successes(), 0);
    metrics.put("errors", "value", r.errorCount(), 0);
    List<Check> checks =
        List.of(
            Check.atMost("requests short of waiting at once", n - waiting, 0),
            Check.near("requests that succeeded", r.successes(), n, 0),
            Check.atMost("errors", r.errorCount(), 0));
    List<String> notes = new ArrayList<>();
    notes.add(
        "Heap: jvm_memory_used_bytes{area=\"heap\"} of the activator's /metrics"
            + (canGc ? ", each time right after `jcmd <pid> GC.run` (a full GC)" : " without a GC")
            + "; RSS: VmRSS from /proc. Per request: growth ÷ "
            + n
            + ".");
    notes.add(
        "Activator JVM: "
            + String.join(" ", config.activatorJvmArgs())
            + ". Requests: "
            + config.protocol().label()
            + " over "
            + config.connections()
            + " connections; latency is from the send to the response, waiting included.");
    if (!r.errors().isEmpty()) {
      notes.add("Errors by kind: " + r.errors() + ".");
    }
    Chart chart =
        new Chart(
            "over-time",
            "buffer: waiting requests and activator RSS",
            "requests / MiB",
            List.of(
                new TimeSeriesPlot.Series("waiting requests", waitingSeries),
                new TimeSeriesPlot.Series("activator RSS (MiB)", rssSeries)));
    return new ScenarioResult(
        name(), description(), List.of(phase), checks, List.of(chart), metrics.metrics(), notes);
  }

  private static void memoryRow(
      MetricTable metrics, String row, double idleBytes, double fullBytes, int requests) {
    metrics.put(row, "idle MiB", idleBytes / MIB, 1);
    metrics.put(row, "waiting MiB", fullBytes / MIB, 1);
    metrics.put(row, "growth MiB", (fullBytes - idleBytes) / MIB, 1);
    metrics.put(row, "KiB per request", (fullBytes - idleBytes) / 1024 / requests, 2);
  }

  private LoadSpec loadSpec(URI base) {
    int n = config.requests();
    LoadSpec.Builder b = LoadSpec.builder(base.resolve("/"));
    Components.routeTo(REVISION).forEach(b::header);
    return b.name("buffered")
        .protocol(config.protocol())
        .closedLoop(n)
        .maxRequests(n)
        .connections(config.connections())
        .maxStreamsPerConnection((n + config.connections() - 1) / config.connections())
        .duration(config.fillTimeout().plus(config.requestTimeout()))
        .requestTimeout(config.requestTimeout())
        .build();
  }
}
