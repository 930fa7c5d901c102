package dev.knetty.bench.scenario.local;

import dev.knetty.bench.GoDurations;
import dev.knetty.bench.load.LoadResult;
import dev.knetty.bench.load.LoadSpec;
import dev.knetty.bench.report.TimeSeriesPlot;
import dev.knetty.bench.scenario.Chart;
import dev.knetty.bench.scenario.Check;
import dev.knetty.bench.scenario.Components;
import dev.knetty.bench.scenario.MetricTable;
import dev.knetty.bench.scenario.Phase;
import dev.knetty.bench.scenario.Scenario;
import dev.knetty.bench.scenario.ScenarioContext;
import dev.knetty.bench.scenario.ScenarioResult;
import java.io.IOException;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Knative's load test in local mode: one revision at zero pods, then open-loop steps of rising rate
 * ({@code ?sleep=100} like Knative's, containerConcurrency 0), each step a phase, back to back.
 * Errors must be zero and p95 within sleep + 15 ms; the desired and ready pods are read from the
 * autoscaler's {@code /revisions} every second and plotted.
 */
public final class RampScenario implements Scenario {

  static final String REVISION = "ramp";

  /**
   * @param rates the steps' requests per second (Knative: 1000, 2000, 3000)
   * @param step how long each step lasts (Knative: 2 minutes)
   * @param target the per-pod concurrency target annotation; scaled with the rates it keeps
   *     Knative's pod counts
   * @param maxScale the max-scale annotation: on one machine every pod takes CPU from the others,
   *     and without a bound the requests queued during the cold start panic the autoscaler into
   *     more pods than the machine can start
   */
  public record Config(
      List<Double> rates,
      Duration step,
      Duration sleep,
      int target,
      int maxScale,
      int connections,
      Duration requestTimeout,
      List<String> localCommand,
      List<String> appJvmArgs) {

    public Config {
      rates = List.copyOf(rates);
      localCommand = List.copyOf(localCommand);
      appJvmArgs = List.copyOf(appJvmArgs);
      Objects.requireNonNull(step, "step");
      Objects.requireNonNull(sleep, "sleep");
      Objects.requireNonNull(requestTimeout, "requestTimeout");
      if (rates.isEmpty()) {
        throw new IllegalArgumentException("rates: none (expected: at least one step)");
      }
      if (target < 1) {
        throw new IllegalArgumentException("target: " + target + " (expected: >= 1)");
      }
      if (maxScale < 1) {
        throw new IllegalArgumentException("maxScale: " + maxScale + " (expected: >= 1)");
      }
    }

    /**
     * Knative's steps divided by 10 for a 2-core machine that runs the load generator, the
     * activator, the autoscaler and every pod, with the concurrency target divided by 10 too
     * (Knative's 100 x 0.7 becomes 10 x 0.7), so the pod counts stay Knative's (5 at the top), at
     * most 6 pods; 30 s per step instead of 2 minutes.
     */
    public static Config defaults(List<String> localCommand) {
      return new Config(
          List.of(100.0, 200.0, 300.0),
          Duration.ofSeconds(30),
          Duration.ofMillis(100),
          10,
          6,
          500,
          Duration.ofSeconds(30),
          localCommand,
          Components.SAMPLE_APP_JVM);
    }
  }

  private final Config config;

  /**
   * @throws IllegalArgumentException if the load settings are invalid
   */
  public RampScenario(Config config) {
    this.config = Objects.requireNonNull(config, "config");
    for (double rate : config.rates()) {
      loadSpec(URI.create("http://127.0.0.1/"), rate);
    }
  }

  @Override
  public String name() {
    return "ramp";
  }

  @Override
  public String description() {
    List<String> steps = new ArrayList<>();
    config.rates().forEach(r -> steps.add(trim(r)));
    return String.format(
        Locale.ROOT,
        "Knative's load test in local mode: one revision from zero pods through %s req/s of"
            + " ?sleep=%d, %s each (open loop, h1, %d connections), through the activator;"
            + " target %d concurrent requests per pod, at most %d pods.",
        String.join(", ", steps),
        config.sleep().toMillis(),
        GoDurations.format(config.step()),
        config.connections(),
        config.target(),
        config.maxScale());
  }

  List<LocalMode.Revision> revisions() {
    Map<String, String> annotations =
        LocalScenarios.ordered(
            "autoscaling.knative.dev/initial-scale",
            "0",
            "autoscaling.knative.dev/target",
            Integer.toString(config.target()),
            "autoscaling.knative.dev/max-scale",
            Integer.toString(config.maxScale()));
    return List.of(new LocalMode.Revision(REVISION, 0, annotations));
  }

  @Override
  public ScenarioResult run(ScenarioContext context) throws Exception {
    LocalMode local =
        LocalMode.start(
            context,
            config.localCommand(),
            revisions(),
            config.appJvmArgs(),
            LocalScenarios.CLUSTER_SETTINGS,
            Duration.ofMinutes(2));
    local.awaitZero(List.of(REVISION), Duration.ofMinutes(2));

    List<TimeSeriesPlot.Point> desired = new ArrayList<>();
    List<TimeSeriesPlot.Point> ready = new ArrayList<>();
    long start = System.nanoTime();
    ScheduledExecutorService poller =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "ramp-pods");
              t.setDaemon(true);
              return t;
            });
    poller.scheduleAtFixedRate(
        () -> {
          try {
            LocalMode.Pods p = local.pods().get(REVISION);
            if (p != null) {
              double t = (System.nanoTime() - start) / 1e9;
              synchronized (desired) {
                desired.add(new TimeSeriesPlot.Point(t, Math.max(0, p.desired())));
                ready.add(new TimeSeriesPlot.Point(t, p.ready()));
              }
            }
          } catch (IOException e) {
            // A missed sample; the next one follows in a second.
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
        },
        0,
        1,
        TimeUnit.SECONDS);
    List<Phase> phases = new ArrayList<>();
    try {
      for (double rate : config.rates()) {
        phases.add(context.runPhase(loadSpec(local.activator(), rate), local.process()));
      }
    } finally {
      poller.shutdownNow();
      poller.awaitTermination(5, TimeUnit.SECONDS);
    }
    synchronized (desired) {
      return result(phases, List.copyOf(desired), List.copyOf(ready));
    }
  }

  private LoadSpec loadSpec(URI base, double rate) {
    LoadSpec.Builder b =
        LoadSpec.builder(base.resolve("/?sleep=" + config.sleep().toMillis()))
            .name(trim(rate) + " req/s")
            .openLoop(rate)
            .duration(config.step())
            .connections(config.connections())
            .requestTimeout(config.requestTimeout());
    LocalMode.routeTo(REVISION).forEach(b::header);
    return b.build();
  }

  private ScenarioResult result(
      List<Phase> phases, List<TimeSeriesPlot.Point> desired, List<TimeSeriesPlot.Point> ready) {
    double floor = config.sleep().toNanos() / 1e6;
    MetricTable metrics =
        new MetricTable(
            "requests",
            "errors",
            "p50 ms",
            "p95 ms",
            "p99 ms",
            "max ms",
            "pods at end",
            "local mode CPU ms/1k req");
    List<Check> checks = new ArrayList<>();
    long totalErrors = 0;
    double maxMillis = 0;
    for (Phase phase : phases) {
      LoadResult r = phase.result();
      String row = phase.label();
      metrics.put(row, "requests", r.requests(), 0);
      metrics.put(row, "errors", r.errorCount(), 0);
      metrics.put(row, "p50 ms", r.percentileMillis(50), 1);
      metrics.put(row, "p95 ms", r.percentileMillis(95), 1);
      metrics.put(row, "p99 ms", r.percentileMillis(99), 1);
      metrics.put(row, "max ms", r.maxMillis(), 0);
      if (!ready.isEmpty()) {
        metrics.put(row, "pods at end", podsAt(ready, phases, phase), 0);
      }
      Phase.Accounted localMode = phase.processes().get(0);
      metrics.put(row, "local mode CPU ms/1k req", localMode.cpuMillisPer1000(r), 0);
      checks.add(Check.between(row + " p95 ms", r.percentileMillis(95), floor, floor + 15));
      totalErrors += r.errorCount();
      maxMillis = Math.max(maxMillis, r.maxMillis());
    }
    checks.add(0, Check.atMost("errors", totalErrors, 0));
    checks.add(1, Check.atMost("max latency ms", maxMillis, 10_000));
    Chart pods =
        new Chart(
            "pods",
            "ramp: pods of the revision",
            "pods",
            List.of(
                new TimeSeriesPlot.Series("desired", desired),
                new TimeSeriesPlot.Series("ready", ready)));
    List<String> notes = new ArrayList<>();
    notes.add(
        "Scaled down from Knative's load test (1,000, 2,000, 3,000 req/s for 2 minutes each,"
            + " p95 within [100, 115] ms, max <= 10 s, zero errors): this machine's "
            + Runtime.getRuntime().availableProcessors()
            + " cores run the load generator, local mode (activator and autoscaler) and every pod"
            + " (a queue-proxy JVM and a sample-app JVM each). The concurrency target is scaled"
            + " with the rate so the pod counts match Knative's; max-scale "
            + config.maxScale()
            + " keeps the requests queued during the cold start from panicking the autoscaler"
            + " into more JVM pods than two cores can start (without it: 100 pods, 200 JVMs).");
    notes.add(
        "The steps run back to back as separate phases (the next starts when the previous one's"
            + " last response is in); the first includes the cold start. local mode CPU: the"
            + " `knetty local` process and all its pods, per 1,000 requests.");
    return new ScenarioResult(
        name(), description(), phases, checks, List.of(pods), metrics.metrics(), notes);
  }

  /** Ready pods at the last sample within the phase's time span (phases back to back). */
  private static double podsAt(List<TimeSeriesPlot.Point> ready, List<Phase> phases, Phase phase) {
    double end = 0;
    for (Phase p : phases) {
      end += p.result().elapsed().toNanos() / 1e9;
      if (p == phase) {
        break;
      }
    }
    double last = 0;
    for (TimeSeriesPlot.Point point : ready) {
      if (point.seconds() <= end) {
        last = point.value();
      }
    }
    return last;
  }

  private static String trim(double value) {
    return value == Math.rint(value)
        ? Long.toString((long) value)
        : String.format(Locale.ROOT, "%.2f", value);
  }
}
