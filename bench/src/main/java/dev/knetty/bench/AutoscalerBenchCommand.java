package dev.knetty.bench;

import dev.knetty.bench.scenario.autoscaler.AutoscalerScenario;
import java.time.Duration;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code knetty bench autoscaler}: see {@link AutoscalerScenario}. Options left out take {@link
 * AutoscalerScenario.Config#defaults()}.
 */
@Command(
    name = "autoscaler",
    mixinStandardHelpOptions = true,
    description = {
      "The autoscaler in process: KMP stat ingest (stats/s) from many connections, then the time",
      "of one evaluation of every revision (tickAll). Defaults: 1000 connections, 10000",
      "revisions, 10 stats per frame, 10s after a 3s warm-up, 200 evaluations; bars 1,000,000",
      "stats/s and p99 tickAll <= 20ms."
    })
final class AutoscalerBenchCommand implements Callable<Integer> {

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @CommandLine.Mixin ScenarioOptions options;

  @Option(names = "--connections", description = "KMP client connections.")
  Integer connections;

  @Option(names = "--revisions", description = "Revisions autoscaled.")
  Integer revisions;

  @Option(names = "--stats-per-frame", description = "Stats per STATS frame.")
  Integer statsPerFrame;

  @Option(names = "--frames-per-write", description = "Frames per socket write of a sender.")
  Integer framesPerWrite;

  @Option(names = "--sender-threads", description = "Event loops of the senders.")
  Integer senderThreads;

  @Option(names = "--server-threads", description = "Event loops of the autoscaler.")
  Integer serverThreads;

  @Option(
      names = "--warmup",
      converter = GoDurations.Converter.class,
      description = "Ingest before measuring.")
  Duration warmup;

  @Option(
      names = "--duration",
      converter = GoDurations.Converter.class,
      description = "Measured ingest.")
  Duration duration;

  @Option(names = "--ticks", description = "Evaluations of every revision.")
  Integer ticks;

  @Option(names = "--min-stats-per-second", description = "The ingest bar.")
  Double minStatsPerSecond;

  @Option(
      names = "--max-tick-p99",
      converter = GoDurations.Converter.class,
      description = "The evaluation bar: p99 of one tickAll.")
  Duration maxTickP99;

  AutoscalerScenario scenario() {
    AutoscalerScenario.Config d = AutoscalerScenario.Config.defaults();
    try {
      return new AutoscalerScenario(
          new AutoscalerScenario.Config(
              connections == null ? d.connections() : connections,
              revisions == null ? d.revisions() : revisions,
              statsPerFrame == null ? d.statsPerFrame() : statsPerFrame,
              framesPerWrite == null ? d.framesPerWrite() : framesPerWrite,
              senderThreads == null ? d.senderThreads() : senderThreads,
              serverThreads == null ? d.serverThreads() : serverThreads,
              warmup == null ? d.warmup() : warmup,
              duration == null ? d.duration() : duration,
              ticks == null ? d.ticks() : ticks,
              minStatsPerSecond == null ? d.minStatsPerSecond() : minStatsPerSecond,
              maxTickP99 == null ? d.maxTickP99() : maxTickP99));
    } catch (IllegalArgumentException e) {
      throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage(), e);
    }
  }

  @Override
  public Integer call() throws Exception {
    return options.run(scenario(), spec);
  }
}
