package dev.knetty.bench.scenario.dataplane;

import dev.knetty.bench.GoDurations;
import dev.knetty.bench.load.IntervalSample;
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
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;

/**
 * Knative's dataplane-probe benchmark on one machine: the same open-loop load ({@code rate}
 * requests per second, the sample app sleeping {@code sleep} per request) against three targets in
 * turn, each a chain of child processes:
 *
 * <ol>
 *   <li>{@code direct}: the app alone (Knative's {@code deployment}; SLA p95 within sleep + 5 ms);
 *   <li>{@code queue-proxy}: a queue-proxy (containerConcurrency 0) in front of it (Knative's
 *       {@code queue}; p95 within sleep + 10 ms);
 *   <li>{@code activator}: an activator (a {@code knetty activator} process whose endpoints file
 *       points at that queue-proxy) in front of the queue-proxy (Knative's {@code activator}, TBC
 *       -1; p95 within sleep + 10 ms).
 * </ol>
 *
 * <p>Every phase accounts the CPU time and resident set of each process in the chain and of the
 * load generator. All of them share this machine's cores, so on a small machine the proxies'
 * latency includes waiting for a core.
 */
public final class DataplaneScenario implements Scenario {

  static final String DIRECT = "direct";
  static final String QUEUE_PROXY = "queue-proxy";
  static final String ACTIVATOR = "activator";
  static final String APP = "sample-app";

  /**
   * @param rate open-loop requests per second (Knative: 1000)
   * @param sleep what each request asks the app to sleep: the latency floor (Knative: 100 ms)
   * @param directMargin the SLA's p95 margin over the floor without a proxy (Knative: 5 ms)
   * @param proxiedMargin the p95 margin through the queue-proxy, and the activator (Knative: 10 ms)
   */
  public record Config(
      double rate,
      Duration duration,
      Duration warmup,
      Duration sleep,
      int connections,
      LoadSpec.Protocol protocol,
      Duration requestTimeout,
      Duration directMargin,
      Duration proxiedMargin,
      List<String> appJvmArgs,
      List<String> queueProxyJvmArgs,
      List<String> activatorJvmArgs) {

    public Config {
      Objects.requireNonNull(sleep, "sleep");
      Objects.requireNonNull(directMargin, "directMargin");
      Objects.requireNonNull(proxiedMargin, "proxiedMargin");
      appJvmArgs = List.copyOf(appJvmArgs);
      queueProxyJvmArgs = List.copyOf(queueProxyJvmArgs);
      activatorJvmArgs = List.copyOf(activatorJvmArgs);
      if (sleep.isNegative() || sleep.compareTo(Duration.ofMinutes(1)) > 0) {
        throw new IllegalArgumentException(
            "sleep: " + GoDurations.format(sleep) + " (expected: 0-1m)");
      }
      if (directMargin.isNegative() || proxiedMargin.isNegative()) {
        throw new IllegalArgumentException(
            "margins: "
                + GoDurations.format(directMargin)
                + ", "
                + GoDurations.format(proxiedMargin)
                + " (expected: >= 0)");
      }
    }

    /** Knative's numbers, for 20 s after a 10 s warm-up per target instead of 3 minutes. */
    public static Config defaults() {
      return new Config(
          1000,
          Duration.ofSeconds(20),
          Duration.ofSeconds(10),
          Duration.ofMillis(100),
          200,
          LoadSpec.Protocol.HTTP_1_1,
          Duration.ofSeconds(30),
          Duration.ofMillis(5),
          Duration.ofMillis(10),
          Components.SAMPLE_APP_JVM,
          Components.QUEUE_PROXY_JVM,
          Components.ACTIVATOR_JVM);
    }
  }

  private final Config config;

  /**
   * @throws IllegalArgumentException if the load settings are invalid (checked now rather than
   *     after the processes have started)
   */
  public DataplaneScenario(Config config) {
    this.config = Objects.requireNonNull(config, "config");
    loadSpec(DIRECT, URI.create("http://127.0.0.1/"), Map.of());
  }

  @Override
  public String name() {
    return "dataplane";
  }

  @Override
  public String description() {
    return String.format(
        Locale.ROOT,
        "Knative's dataplane-probe on one machine: %s req/s of ?sleep=%d (open loop, %s, %d"
            + " connections, %s after %s warm-up per target) direct to the sample app, through a"
            + " queue-proxy (CC 0), and through an activator and the queue-proxy; every process a"
            + " separate JVM.",
        trim(config.rate()),
        config.sleep().toMillis(),
        config.protocol().label(),
        config.connections(),
        GoDurations.format(config.duration()),
        GoDurations.format(config.warmup()));
  }

  @Override
  public ScenarioResult run(ScenarioContext context) throws Exception {
    Components.Server app = Components.sampleApp(context, APP, config.appJvmArgs());
    Components.Server qp =
        Components.queueProxy(
            context, QUEUE_PROXY, app.port(), 0, config.queueProxyJvmArgs(), Map.of());
    Path endpoints = context.runDir().resolve("endpoints.yaml");
    Components.writeEndpoints(
        endpoints, List.of(new Components.Revision("hello", 0, List.of("127.0.0.1:" + qp.port()))));
    Components.Server activator =
        Components.activator(context, ACTIVATOR, endpoints, config.activatorJvmArgs(), List.of());
    Map<String, String> route = Components.routeTo("hello");
    context.awaitReady(qp.base(), Duration.ofSeconds(30));
    context.awaitReady(activator.base(), route, Duration.ofSeconds(30));

    Phase direct = context.runPhase(loadSpec(DIRECT, app.base(), Map.of()), app.process());
    Phase queue =
        context.runPhase(loadSpec(QUEUE_PROXY, qp.base(), Map.of()), qp.process(), app.process());
    Phase proxied =
        context.runPhase(
            loadSpec(ACTIVATOR, activator.base(), route),
            activator.process(),
            qp.process(),
            app.process());
    List<Phase> phases = List.of(direct, queue, proxied);

    double floor = config.sleep().toNanos() / 1e6;
    long expected = Math.round(config.rate() * config.duration().toNanos() / 1e9);
    List<Check> checks = new ArrayList<>();
    MetricTable metrics =
        new MetricTable(
            "p50 ms",
            "p95 ms",
            "p99 ms",
            "max ms",
            "added p50 ms",
            "added p95 ms",
            "errors",
            "activator CPU ms/1k req",
            "activator peak RSS MiB",
            "queue-proxy CPU ms/1k req",
            "queue-proxy peak RSS MiB",
            "app CPU ms/1k req",
            "load gen CPU ms/1k req");
    double directP95 = direct.result().percentileMillis(95);
    double directP50 = direct.result().percentileMillis(50);
    for (Phase phase : phases) {
      LoadResult r = phase.result();
      double margin =
          (phase == direct ? config.directMargin() : config.proxiedMargin()).toNanos() / 1e6;
      checks.add(
          Check.between(
              phase.label() + " p95 latency (ms)", r.percentileMillis(95), floor, floor + margin));
      checks.add(
          Check.near(
              phase.label() + " requests", r.requests(), expected, Math.max(1, expected / 1000)));
      checks.add(Check.atMost(phase.label() + " errors", r.errorCount(), 0));

      String row = phase.label();
      metrics.put(row, "p50 ms", r.percentileMillis(50), 2);
      metrics.put(row, "p95 ms", r.percentileMillis(95), 2);
      metrics.put(row, "p99 ms", r.percentileMillis(99), 2);
      metrics.put(row, "max ms", r.maxMillis(), 1);
      metrics.put(row, "added p50 ms", r.percentileMillis(50) - directP50, 2);
      metrics.put(row, "added p95 ms", r.percentileMillis(95) - directP95, 2);
      metrics.put(row, "errors", r.errorCount(), 0);
      cost(metrics, row, phase, ACTIVATOR);
      cost(metrics, row, phase, QUEUE_PROXY);
      metrics.put(row, "app CPU ms/1k req", phase.process(APP).cpuMillisPer1000(r), 0);
      metrics.put(
          row,
          "load gen CPU ms/1k req",
          phase.process(Phase.LOAD_GENERATOR).cpuMillisPer1000(r),
          0);
    }
    return new ScenarioResult(
        name(),
        description(),
        phases,
        checks,
        List.of(p99OverTime(phases)),
        metrics.metrics(),
        List.of(
            "All processes share this machine's "
                + Runtime.getRuntime().availableProcessors()
                + " CPUs: the load generator (the benchmark's JVM), the sample app, the"
                + " queue-proxy and the activator; a proxy's added latency includes waiting for"
                + " a core.",
            "Added p50/p95: the target's percentile minus direct's in the same run. CPU ms/1k"
                + " req: CPU time of that process during the measured part per 1,000 requests;"
                + " peak RSS: its VmHWM.",
            "JVMs: app "
                + String.join(" ", config.appJvmArgs())
                + "; queue-proxy "
                + String.join(" ", config.queueProxyJvmArgs())
                + " (bin/knetty's sidecar settings); activator "
                + String.join(" ", config.activatorJvmArgs())
                + "."));
  }

  /** The CPU per 1,000 requests and peak RSS of {@code process} in {@code phase}, when there. */
  private static void cost(MetricTable metrics, String row, Phase phase, String process) {
    Phase.Accounted p = phase.process(process);
    if (p != null) {
      metrics.put(row, process + " CPU ms/1k req", p.cpuMillisPer1000(phase.result()), 1);
      metrics.put(row, process + " peak RSS MiB", p.peakRssMiB(), 1);
    }
  }

  private LoadSpec loadSpec(String name, URI base, Map<String, String> headers) {
    LoadSpec.Builder b =
        LoadSpec.builder(base.resolve("/?sleep=" + config.sleep().toMillis()))
            .name(name)
            .protocol(config.protocol())
            .openLoop(config.rate())
            .duration(config.duration())
            .warmup(config.warmup())
            .connections(config.connections())
            .requestTimeout(config.requestTimeout());
    headers.forEach(b::header);
    return b.build();
  }

  private static Chart p99OverTime(List<Phase> phases) {
    List<TimeSeriesPlot.Series> series = new ArrayList<>();
    for (Phase phase : phases) {
      List<TimeSeriesPlot.Point> points = new ArrayList<>();
      for (IntervalSample s : phase.result().intervals()) {
        points.add(new TimeSeriesPlot.Point(s.seconds(), s.p99Millis()));
      }
      series.add(new TimeSeriesPlot.Series(phase.label() + " p99", points));
    }
    return new Chart("p99-over-time", "dataplane: p99 latency per second", "Latency (ms)", series);
  }

  private static String trim(double value) {
    return value == Math.rint(value)
        ? Long.toString((long) value)
        : String.format(Locale.ROOT, "%.2f", value);
  }
}
