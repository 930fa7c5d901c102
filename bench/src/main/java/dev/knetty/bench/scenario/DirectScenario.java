package dev.knetty.bench.scenario;

import dev.knetty.bench.GoDurations;
import dev.knetty.bench.load.IntervalSample;
import dev.knetty.bench.load.LoadResult;
import dev.knetty.bench.load.LoadSpec;
import dev.knetty.bench.report.TimeSeriesPlot;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * The baseline: the sample app as a child process with nothing in front of it, driven at a constant
 * rate with {@code ?sleep=100}. This is the shape of Knative's dataplane-probe {@code deployment}
 * benchmark (1000 req/s, 100 ms sleep, SLA p95 in [100 ms, 105 ms], request count within 0.1% of
 * rate x duration), on one machine instead of a 5-replica Deployment. The queue-proxy and activator
 * scenarios are measured against it.
 */
public final class DirectScenario implements Scenario {

  /**
   * @param sleep what each request asks the app to sleep: the latency floor
   * @param p95Ceiling the SLA's upper p95 bound (Knative: 105 ms for the deployment)
   * @param appJvmArgs JVM options of the sample app process
   */
  public record Config(
      double rate,
      Duration duration,
      Duration warmup,
      Duration sleep,
      int connections,
      LoadSpec.Protocol protocol,
      Duration requestTimeout,
      Duration p95Ceiling,
      List<String> appJvmArgs) {

    public Config {
      Objects.requireNonNull(sleep, "sleep");
      Objects.requireNonNull(p95Ceiling, "p95Ceiling");
      appJvmArgs = List.copyOf(appJvmArgs);
      if (sleep.isNegative() || sleep.compareTo(Duration.ofMinutes(1)) > 0) {
        throw new IllegalArgumentException(
            "sleep: " + GoDurations.format(sleep) + " (expected: 0-1m)");
      }
      if (p95Ceiling.compareTo(sleep) < 0) {
        throw new IllegalArgumentException(
            "p95Ceiling: "
                + GoDurations.format(p95Ceiling)
                + " (expected: >= sleep "
                + GoDurations.format(sleep)
                + ")");
      }
    }

    /** Knative's numbers, for 10 s after a 5 s warm-up (JIT) instead of 3 minutes. */
    public static Config defaults() {
      return new Config(
          1000,
          Duration.ofSeconds(10),
          Duration.ofSeconds(5),
          Duration.ofMillis(100),
          200,
          LoadSpec.Protocol.HTTP_1_1,
          Duration.ofSeconds(30),
          Duration.ofMillis(105),
          Components.SAMPLE_APP_JVM);
    }
  }

  private final Config config;

  /**
   * @throws IllegalArgumentException if the load settings are invalid (checked now rather than
   *     after the app has started)
   */
  public DirectScenario(Config config) {
    this.config = Objects.requireNonNull(config, "config");
    loadSpec(URI.create("http://127.0.0.1/"));
  }

  @Override
  public String name() {
    return "direct";
  }

  @Override
  public String description() {
    return "The sample app alone (no proxy), "
        + GoDurations.format(config.sleep())
        + " sleep per request: Knative's dataplane-probe 'deployment' shape, the baseline.";
  }

  @Override
  public ScenarioResult run(ScenarioContext context) throws Exception {
    Components.Server app = Components.sampleApp(context, "sample-app", config.appJvmArgs());
    Phase phase = context.runPhase(loadSpec(app.base()), app.process());
    app.process().stop(ChildProcesses.STOP_GRACE);

    LoadResult result = phase.result();
    long expected = Math.round(config.rate() * config.duration().toNanos() / 1e9);
    List<Check> checks =
        List.of(
            Check.between(
                "p95 latency (ms)",
                result.percentileMillis(95),
                config.sleep().toNanos() / 1e6,
                config.p95Ceiling().toNanos() / 1e6),
            Check.near("requests", result.requests(), expected, Math.max(1, expected / 1000)),
            Check.atMost("errors", result.errorCount(), 0));
    return new ScenarioResult(
        name(), description(), List.of(phase), checks, List.of(latencyOverTime(result)));
  }

  private LoadSpec loadSpec(URI app) {
    return LoadSpec.builder(app.resolve("/?sleep=" + config.sleep().toMillis()))
        .name("deployment")
        .protocol(config.protocol())
        .openLoop(config.rate())
        .duration(config.duration())
        .warmup(config.warmup())
        .connections(config.connections())
        .requestTimeout(config.requestTimeout())
        .build();
  }

  private static Chart latencyOverTime(LoadResult result) {
    List<TimeSeriesPlot.Point> p50 = new ArrayList<>();
    List<TimeSeriesPlot.Point> p99 = new ArrayList<>();
    List<TimeSeriesPlot.Point> max = new ArrayList<>();
    for (IntervalSample s : result.intervals()) {
      p50.add(new TimeSeriesPlot.Point(s.seconds(), s.p50Millis()));
      p99.add(new TimeSeriesPlot.Point(s.seconds(), s.p99Millis()));
      max.add(new TimeSeriesPlot.Point(s.seconds(), s.maxMillis()));
    }
    return new Chart(
        "over-time",
        "direct: latency per second",
        "Latency (ms)",
        List.of(
            new TimeSeriesPlot.Series("p50", p50),
            new TimeSeriesPlot.Series("p99", p99),
            new TimeSeriesPlot.Series("max", max)));
  }
}
