package dev.knetty.bench.scenario.autoscaler;

import dev.knetty.autoscaler.Multiscaler;
import dev.knetty.autoscaler.server.AutoscalerServer;
import dev.knetty.autoscaler.server.AutoscalerServerConfig;
import dev.knetty.autoscaler.server.RevisionSource;
import dev.knetty.autoscaler.server.RevisionSpec;
import dev.knetty.bench.GoDurations;
import dev.knetty.bench.report.TimeSeriesPlot;
import dev.knetty.bench.scenario.Chart;
import dev.knetty.bench.scenario.Check;
import dev.knetty.bench.scenario.Scenario;
import dev.knetty.bench.scenario.ScenarioContext;
import dev.knetty.bench.scenario.ScenarioResult;
import dev.knetty.common.RevisionKey;
import dev.knetty.common.net.Transport;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import org.HdrHistogram.Histogram;

/**
 * The autoscaler's two hot paths, in process:
 *
 * <ol>
 *   <li><b>KMP ingest</b>: {@code connections} queue-proxy connections blast pre-encoded STATS
 *       frames (each with {@code statsPerFrame} stats) at an {@link AutoscalerServer} that
 *       autoscales {@code revisions} revisions with the advisory scaler, as {@code knetty
 *       autoscaler} runs standalone; the rate is the stats the server decoded and recorded per
 *       second of wall time. The senders write frames encoded once, so most of the CPU goes to the
 *       server.
 *   <li><b>Evaluation</b>: {@code ticks} times {@link Multiscaler#tickAll()} over every revision
 *       (each with data in its windows), timed one by one, after a tenth as many not counted (the
 *       JIT). The server keeps ticking every revision every 2 s meanwhile, as it would.
 * </ol>
 *
 * <p>Knative has no such benchmark; the bars are Knetty's: a million stats a second and an
 * evaluation of 10,000 revisions well inside Knative's 2-second tick.
 */
public final class AutoscalerScenario implements Scenario {

  /**
   * @param connections KMP client connections
   * @param revisions revisions autoscaled (and reported on: each connection covers {@code
   *     statsPerFrame} of them, round robin)
   * @param statsPerFrame stats per STATS frame
   * @param framesPerWrite frames per socket write of a sender
   * @param senderThreads event loops of the senders
   * @param serverThreads event loops of the server
   * @param warmup ingest before measuring
   * @param duration measured ingest
   * @param ticks evaluations of every revision
   * @param minStatsPerSecond the ingest bar
   * @param maxTickP99 the evaluation bar (99th percentile of one {@code tickAll})
   */
  public record Config(
      int connections,
      int revisions,
      int statsPerFrame,
      int framesPerWrite,
      int senderThreads,
      int serverThreads,
      Duration warmup,
      Duration duration,
      int ticks,
      double minStatsPerSecond,
      Duration maxTickP99) {

    public Config {
      positive("connections", connections, 10_000);
      positive("revisions", revisions, 100_000);
      positive("statsPerFrame", statsPerFrame, 10_000);
      positive("framesPerWrite", framesPerWrite, 1_000);
      positive("senderThreads", senderThreads, 64);
      positive("serverThreads", serverThreads, 64);
      positive("ticks", ticks, 100_000);
      Objects.requireNonNull(warmup, "warmup");
      Objects.requireNonNull(duration, "duration");
      Objects.requireNonNull(maxTickP99, "maxTickP99");
      if (warmup.isNegative()) {
        throw new IllegalArgumentException(
            "warmup: " + GoDurations.format(warmup) + " (expected: >= 0)");
      }
      if (duration.toMillis() < 100 || duration.compareTo(Duration.ofHours(1)) > 0) {
        throw new IllegalArgumentException(
            "duration: " + GoDurations.format(duration) + " (expected: 100ms to 1h)");
      }
      if (!(minStatsPerSecond >= 0)) {
        throw new IllegalArgumentException(
            "minStatsPerSecond: " + minStatsPerSecond + " (expected: >= 0)");
      }
    }

    /** 1,000 connections, 10,000 revisions, 10 s after a 3 s warm-up, 200 evaluations. */
    public static Config defaults() {
      return new Config(
          1_000,
          10_000,
          10,
          16,
          1,
          1,
          Duration.ofSeconds(3),
          Duration.ofSeconds(10),
          200,
          1_000_000,
          Duration.ofMillis(20));
    }

    private static void positive(String name, int value, int max) {
      if (value < 1 || value > max) {
        throw new IllegalArgumentException(name + ": " + value + " (expected: 1 to " + max + ")");
      }
    }
  }

  private static final Duration SAMPLE = Duration.ofMillis(500);

  private final Config config;

  public AutoscalerScenario(Config config) {
    this.config = Objects.requireNonNull(config, "config");
  }

  @Override
  public String name() {
    return "autoscaler";
  }

  @Override
  public String description() {
    return String.format(
        Locale.ROOT,
        "The autoscaler in process: KMP ingest from %,d connections over %,d revisions (%d"
            + " stats per frame), then %d evaluations of every revision.",
        config.connections(),
        config.revisions(),
        config.statsPerFrame(),
        config.ticks());
  }

  @Override
  public ScenarioResult run(ScenarioContext context) throws Exception {
    List<RevisionKey> keys = new ArrayList<>(config.revisions());
    List<RevisionSpec> specs = new ArrayList<>(config.revisions());
    for (int i = 0; i < config.revisions(); i++) {
      RevisionKey key = new RevisionKey("bench", String.format(Locale.ROOT, "rev-%05d", i));
      keys.add(key);
      specs.add(RevisionSpec.of(key, 10, Map.of()));
    }
    Transport transport = Transport.fromEnvironment();
    try (AutoscalerServer server =
        AutoscalerServer.builder(
                AutoscalerServerConfig.builder()
                    .host("127.0.0.1")
                    .kmpPort(0)
                    .adminPort(0)
                    .metricsPort(AutoscalerServerConfig.NO_METRICS)
                    .eventLoopThreads(config.serverThreads())
                    .build())
            .revisionSource(RevisionSource.fixed(specs))
            .transport(transport)
            .build()) {
      server.start();
      context.progress(
          "autoscaler: "
              + config.revisions()
              + " revisions, KMP on port "
              + server.kmpPort()
              + " ("
              + transport.displayName()
              + ")");
      List<TimeSeriesPlot.Point> rates = new ArrayList<>();
      double rate = ingest(context, server, keys, rates);
      List<TimeSeriesPlot.Point> tickTimes = new ArrayList<>();
      Histogram ticks = ticks(context, server.multiscaler(), tickTimes);
      return result(rate, rates, ticks, tickTimes);
    }
  }

  private double ingest(
      ScenarioContext context,
      AutoscalerServer server,
      List<RevisionKey> keys,
      List<TimeSeriesPlot.Point> rates)
      throws InterruptedException {
    try (StatBlaster blaster =
        new StatBlaster(
            Transport.fromEnvironment(),
            config.senderThreads(),
            new InetSocketAddress("127.0.0.1", server.kmpPort()),
            keys,
            config.connections(),
            config.statsPerFrame(),
            config.framesPerWrite())) {
      blaster.awaitHandshakes(Duration.ofSeconds(60));
      context.progress(
          "phase ingest: "
              + config.connections()
              + " connections, warm-up "
              + GoDurations.format(config.warmup())
              + ", measured "
              + GoDurations.format(config.duration()));
      blaster.start();
      Thread.sleep(config.warmup().toMillis());
      long startCount = server.receivedStats();
      long start = System.nanoTime();
      long end = start + config.duration().toNanos();
      long lastCount = startCount;
      long last = start;
      while (true) {
        long now = System.nanoTime();
        if (now >= end) {
          break;
        }
        Thread.sleep(Math.max(1, Math.min(SAMPLE.toMillis(), (end - now) / 1_000_000)));
        long count = server.receivedStats();
        long at = System.nanoTime();
        double perSecond = (count - lastCount) * 1e9 / (at - last);
        rates.add(new TimeSeriesPlot.Point((at - start) / 1e9, perSecond));
        context.progress(
            String.format(Locale.ROOT, "  %6.1fs  %,12.0f stats/s", (at - start) / 1e9, perSecond));
        lastCount = count;
        last = at;
      }
      long total = server.receivedStats() - startCount;
      double seconds = (System.nanoTime() - start) / 1e9;
      blaster.stop();
      double rate = total / seconds;
      context.progress(
          String.format(
              Locale.ROOT, "  ingest: %,d stats in %.2f s = %,.0f stats/s", total, seconds, rate));
      return rate;
    }
  }

  /** Times each {@code tickAll()} (microseconds), and adds (elapsed s, ms) to {@code times}. */
  private Histogram ticks(
      ScenarioContext context, Multiscaler multiscaler, List<TimeSeriesPlot.Point> times) {
    int warmup = Math.max(1, config.ticks() / 10);
    context.progress(
        "phase evaluate: " + config.ticks() + " x tickAll() after " + warmup + " not counted");
    for (int i = 0; i < warmup; i++) {
      multiscaler.tickAll(); // the JIT
    }
    Histogram histogram = new Histogram(TimeUnit.MINUTES.toMicros(1), 3);
    long phaseStart = System.nanoTime();
    for (int i = 0; i < config.ticks(); i++) {
      long start = System.nanoTime();
      multiscaler.tickAll();
      long end = System.nanoTime();
      long micros = Math.min(histogram.getHighestTrackableValue(), (end - start) / 1_000);
      histogram.recordValue(micros);
      times.add(new TimeSeriesPlot.Point((end - phaseStart) / 1e9, millis(micros)));
    }
    context.progress(
        String.format(
            Locale.ROOT,
            "  tickAll: p50 %.2f ms, p99 %.2f ms, max %.2f ms",
            millis(histogram.getValueAtPercentile(50)),
            millis(histogram.getValueAtPercentile(99)),
            millis(histogram.getMaxValue())));
    return histogram;
  }

  private ScenarioResult result(
      double rate,
      List<TimeSeriesPlot.Point> rates,
      Histogram ticks,
      List<TimeSeriesPlot.Point> tickTimes) {
    double p50 = millis(ticks.getValueAtPercentile(50));
    double p99 = millis(ticks.getValueAtPercentile(99));
    double max = millis(ticks.getMaxValue());
    List<Check> checks =
        List.of(
            new Check(
                "KMP ingest (stats/s)",
                String.format(Locale.ROOT, "%,.0f", rate),
                String.format(Locale.ROOT, ">= %,.0f", config.minStatsPerSecond()),
                rate >= config.minStatsPerSecond()),
            new Check(
                String.format(
                    Locale.ROOT, "tickAll over %,d revisions, p99 (ms)", config.revisions()),
                String.format(
                    Locale.ROOT,
                    "%.2f (p50 %.2f, max %.2f, %d ticks)",
                    p99,
                    p50,
                    max,
                    ticks.getTotalCount()),
                String.format(Locale.ROOT, "<= %.2f", config.maxTickP99().toNanos() / 1e6),
                p99 <= config.maxTickP99().toNanos() / 1e6));
    return new ScenarioResult(
        name(),
        description(),
        List.of(),
        checks,
        List.of(
            new Chart(
                "ingest",
                "autoscaler: KMP stats ingested per second",
                "Stats per second",
                List.of(new TimeSeriesPlot.Series("ingest", rates))),
            new Chart(
                "ticks",
                "autoscaler: each tickAll() over every revision",
                "Milliseconds",
                List.of(new TimeSeriesPlot.Series("tickAll", tickTimes)))));
  }

  private static double millis(long micros) {
    return micros / 1000.0;
  }
}
