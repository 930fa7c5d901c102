package dev.knetty.bench.scenario.local;

import dev.knetty.bench.GoDurations;
import dev.knetty.bench.load.LoadResult;
import dev.knetty.bench.load.LoadSpec;
import dev.knetty.bench.scenario.Check;
import dev.knetty.bench.scenario.Components;
import dev.knetty.bench.scenario.MetricTable;
import dev.knetty.bench.scenario.Phase;
import dev.knetty.bench.scenario.Scenario;
import dev.knetty.bench.scenario.ScenarioContext;
import dev.knetty.bench.scenario.ScenarioResult;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import org.HdrHistogram.Histogram;

/**
 * Cold starts in local mode ({@code knetty local} as a child process): the time from sending a
 * request to a revision at zero pods until the first byte of its response (the status line and
 * headers) comes back through the activator. First one revision, {@code repetitions} times, waiting
 * for zero pods between them through the autoscaler's {@code /revisions}; then, for each {@code N}
 * of {@code parallel}, N revisions at zero getting one request each at the same moment (Knative's
 * scale-from-zero benchmark: 1, 5, 25, 100). Every pod is a queue-proxy JVM and a sample-app JVM.
 */
public final class ColdStartScenario implements Scenario {

  static final String SINGLE = "cold";

  /** Knative's scale-from-zero bounds (p95, max) by N, as coded in its benchmark. */
  private static final Map<Integer, double[]> KNATIVE_BOUNDS_MS =
      Map.of(
          1,
          new double[] {50, 50},
          5,
          new double[] {50, 50},
          25,
          new double[] {2000, 5000},
          100,
          new double[] {25000, 25000});

  /**
   * @param repetitions cold starts of the single revision
   * @param parallel the N of each parallel cold start
   * @param localCommand runs {@code knetty local}; empty: not available
   * @param scaleToZeroTimeout how long a revision may take to get back to zero pods
   * @param requestTimeout each cold request's budget
   */
  public record Config(
      int repetitions,
      List<Integer> parallel,
      List<String> localCommand,
      List<String> appJvmArgs,
      Duration scaleToZeroTimeout,
      Duration requestTimeout) {

    public Config {
      parallel = List.copyOf(parallel);
      localCommand = List.copyOf(localCommand);
      appJvmArgs = List.copyOf(appJvmArgs);
      Objects.requireNonNull(scaleToZeroTimeout, "scaleToZeroTimeout");
      Objects.requireNonNull(requestTimeout, "requestTimeout");
      if (repetitions < 0 || repetitions > 1000) {
        throw new IllegalArgumentException("repetitions: " + repetitions + " (expected: 0-1000)");
      }
      for (int n : parallel) {
        if (n < 1 || n > 1000) {
          throw new IllegalArgumentException("parallel: " + n + " (expected: 1-1000)");
        }
      }
      if (repetitions == 0 && parallel.isEmpty()) {
        throw new IllegalArgumentException(
            "repetitions: 0 and parallel: none (expected: something to measure)");
      }
    }

    /** 5 repetitions; 1, 5 and 25 in parallel (100 needs ~200 JVMs: not on a small machine). */
    public static Config defaults(List<String> localCommand) {
      return new Config(
          5,
          List.of(1, 5, 25),
          localCommand,
          Components.SAMPLE_APP_JVM,
          Duration.ofMinutes(2),
          Duration.ofMinutes(2));
    }
  }

  private final Config config;

  public ColdStartScenario(Config config) {
    this.config = Objects.requireNonNull(config, "config");
  }

  @Override
  public String name() {
    return "coldstart";
  }

  @Override
  public String description() {
    return String.format(
        Locale.ROOT,
        "Cold starts in local mode: time to the first byte of a request to a revision at zero pods,"
            + " through the activator, %d times one after the other, then %s revisions at once;"
            + " every pod is a queue-proxy JVM and a sample-app JVM.",
        config.repetitions(),
        config.parallel().isEmpty() ? "no" : config.parallel().toString());
  }

  /** The revisions: {@code cold}, and {@code p<N>-<i>} for each parallel N. */
  List<LocalMode.Revision> revisions() {
    Map<String, String> annotations = LocalScenarios.scaleToZeroFast();
    List<LocalMode.Revision> revisions = new ArrayList<>();
    if (config.repetitions() > 0) {
      revisions.add(new LocalMode.Revision(SINGLE, 0, annotations));
    }
    for (int n : config.parallel()) {
      for (String name : group(n)) {
        revisions.add(new LocalMode.Revision(name, 0, annotations));
      }
    }
    return revisions;
  }

  private static List<String> group(int n) {
    List<String> names = new ArrayList<>();
    for (int i = 1; i <= n; i++) {
      names.add("p" + n + "-" + i);
    }
    return names;
  }

  @Override
  public ScenarioResult run(ScenarioContext context) throws Exception {
    List<LocalMode.Revision> revisions = revisions();
    LocalMode local =
        LocalMode.start(
            context,
            config.localCommand(),
            revisions,
            config.appJvmArgs(),
            LocalScenarios.CLUSTER_SETTINGS,
            Duration.ofMinutes(2));
    HttpClient client =
        HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(10))
            .build();
    List<Phase> phases = new ArrayList<>();
    if (config.repetitions() > 0) {
      Recorder sequential = new Recorder();
      for (int i = 1; i <= config.repetitions(); i++) {
        local.awaitZero(List.of(SINGLE), config.scaleToZeroTimeout());
        Outcome o = coldRequest(client, local, SINGLE).join();
        sequential.add(o);
        context.progress(
            String.format(Locale.ROOT, "cold start %d of %d: %s", i, config.repetitions(), o));
      }
      phases.add(
          sequential.phase(
              "one at a time", local, 1, config.repetitions(), config.requestTimeout()));
    }
    for (int n : config.parallel()) {
      List<String> names = group(n);
      local.awaitZero(names, config.scaleToZeroTimeout());
      Recorder parallel = new Recorder();
      long start = System.nanoTime();
      List<CompletableFuture<Outcome>> all = new ArrayList<>();
      for (String name : names) {
        all.add(coldRequest(client, local, name));
      }
      all.forEach(f -> parallel.add(f.join()));
      context.progress(
          String.format(
              Locale.ROOT,
              "%d cold starts at once: all answered after %.0f ms, %d errors",
              n,
              (System.nanoTime() - start) / 1e6,
              parallel.errorCount()));
      phases.add(parallel.phase("parallel " + n, local, n, n, config.requestTimeout()));
    }
    return result(phases);
  }

  /** One request's outcome: time to the response head, or the error kind. */
  record Outcome(long micros, int status, String error) {
    @Override
    public String toString() {
      return error != null
          ? error
          : String.format(Locale.ROOT, "%d after %.1f ms", status, micros / 1000.0);
    }
  }

  private CompletableFuture<Outcome> coldRequest(
      HttpClient client, LocalMode local, String revision) {
    HttpRequest.Builder request =
        HttpRequest.newBuilder(local.activator()).timeout(config.requestTimeout());
    LocalMode.routeTo(revision).forEach(request::header);
    long start = System.nanoTime();
    long[] head = new long[1];
    return client
        .sendAsync(
            request.build(),
            info -> {
              head[0] = System.nanoTime(); // the status line and headers have arrived
              return HttpResponse.BodySubscribers.discarding();
            })
        .handle(
            (response, failure) -> {
              if (failure != null) {
                Throwable cause =
                    failure instanceof CompletionException ? failure.getCause() : failure;
                return new Outcome(
                    0, 0, cause instanceof HttpTimeoutException ? "timeout" : "other");
              }
              long micros = (head[0] - start) / 1000;
              return response.statusCode() == 200
                  ? new Outcome(micros, 200, null)
                  : new Outcome(micros, response.statusCode(), "status_" + response.statusCode());
            });
  }

  /** Collects outcomes into what a {@link Phase} holds. */
  private static final class Recorder {
    private final Histogram histogram = new Histogram(3_600_000_000L, 3);
    private final Map<String, Long> errors = new LinkedHashMap<>();
    private long requests;
    private long successes;
    private final long start = System.nanoTime();

    synchronized void add(Outcome o) {
      requests++;
      if (o.error() == null) {
        successes++;
        histogram.recordValue(Math.max(1, o.micros()));
      } else {
        errors.merge(o.error(), 1L, Long::sum);
      }
    }

    synchronized long errorCount() {
      return requests - successes;
    }

    /**
     * @param concurrency requests at once
     * @param n requests in all
     */
    synchronized Phase phase(
        String label, LocalMode local, int concurrency, int n, Duration timeout) {
      LoadSpec spec =
          LoadSpec.builder(local.activator())
              .name(label)
              .closedLoop(concurrency)
              .connections(concurrency)
              .maxRequests(n)
              .duration(timeout)
              .requestTimeout(timeout)
              .build();
      LoadResult result =
          new LoadResult(
              spec,
              requests,
              successes,
              errors,
              histogram,
              Duration.ofNanos(System.nanoTime() - start),
              List.of(),
              0);
      return new Phase(label, result, List.of());
    }
  }

  private ScenarioResult result(List<Phase> phases) {
    MetricTable metrics = new MetricTable("cold starts", "p50 ms", "p95 ms", "max ms", "errors");
    List<Check> checks = new ArrayList<>();
    for (Phase phase : phases) {
      LoadResult r = phase.result();
      String row = phase.label();
      metrics.put(row, "cold starts", r.requests(), 0);
      metrics.put(row, "p50 ms", r.percentileMillis(50), 0);
      metrics.put(row, "p95 ms", r.percentileMillis(95), 0);
      metrics.put(row, "max ms", r.maxMillis(), 0);
      metrics.put(row, "errors", r.errorCount(), 0);
      checks.add(Check.atMost(row + " errors", r.errorCount(), 0));
      if (row.startsWith("parallel ")) {
        int n = Integer.parseInt(row.substring("parallel ".length()));
        double[] bounds = KNATIVE_BOUNDS_MS.get(n);
        if (bounds != null) {
          checks.add(
              Check.atMost(row + " p95 ms (Knative's bound)", r.percentileMillis(95), bounds[0]));
          checks.add(Check.atMost(row + " max ms (Knative's bound)", r.maxMillis(), bounds[1]));
        }
      }
    }
    List<String> notes = new ArrayList<>();
    notes.add(
        "Time to first byte: from sending the request to the activator until its response status"
            + " line and headers arrive (the JDK HTTP client). It"
            + " covers the activator's scale-from-zero signal, the autoscaler's decision, local mode"
            + " starting the pod (a queue-proxy JVM and a sample-app JVM), the readiness probe and"
            + " the proxied request.");
    notes.add(
        "Revisions: containerConcurrency 0, "
            + LocalScenarios.describe(LocalScenarios.scaleToZeroFast())
            + "; cluster: "
            + LocalScenarios.describe(LocalScenarios.CLUSTER_SETTINGS)
            + ". Between cold starts the revision is waited for until /revisions shows zero"
            + " desired and ready pods (at most "
            + GoDurations.format(config.scaleToZeroTimeout())
            + ").");
    notes.add(
        "Knative's scale-from-zero benchmark bounds (p95, max): N=1 and 5: 50 ms, 50 ms; N=25: 2 s,"
            + " 5 s; N=100: 25 s, 25 s. Its N=1/5 bounds do not measure a process start (a"
            + " container image already on the node, the pod scheduled in advance), a JVM pod here"
            + " always misses them.");
    if (!config.parallel().contains(100)) {
      notes.add(
          "N=100 not run by default: 100 pods are 200 JVMs (about 16 GiB of RSS and minutes of"
              + " CPU on "
              + Runtime.getRuntime().availableProcessors()
              + " cores); `--parallel=1,5,25,100` runs it.");
    }
    return new ScenarioResult(
        name(), description(), phases, checks, List.of(), metrics.metrics(), notes);
  }
}
