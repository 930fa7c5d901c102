package dev.knetty.bench;

import dev.knetty.bench.scenario.DirectScenario;
import java.time.Duration;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code knetty bench direct}: the baseline scenario, see {@link DirectScenario}. Options left out
 * take {@link DirectScenario.Config#defaults()}.
 */
@Command(
    name = "direct",
    mixinStandardHelpOptions = true,
    description = {
      "Baseline: the sample app as a child process with no proxy, open loop with ?sleep=100",
      "(Knative's dataplane-probe 'deployment': 1000 req/s, p95 in [100 ms, 105 ms]).",
      "Defaults: 1000 req/s for 10s after a 5s warm-up, 200 connections, h1, timeout 30s."
    })
final class DirectCommand implements Callable<Integer> {

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @CommandLine.Mixin ScenarioOptions options;

  @CommandLine.Mixin OpenLoopOptions load;

  @CommandLine.Mixin PhaseOptions phase;

  @CommandLine.Mixin JvmArgsOptions.App appJvmArgs;

  @Option(
      names = "--p95-ceiling",
      converter = GoDurations.Converter.class,
      description = "SLA: the largest acceptable p95 (default 105ms).")
  Duration p95Ceiling;

  DirectScenario scenario() {
    DirectScenario.Config d = DirectScenario.Config.defaults();
    try {
      return new DirectScenario(
          new DirectScenario.Config(
              load.rate(d.rate()),
              phase.duration(d.duration()),
              phase.warmup(d.warmup()),
              load.sleep(d.sleep()),
              load.connections(d.connections()),
              load.protocol(d.protocol()),
              phase.timeout(d.requestTimeout()),
              p95Ceiling == null ? d.p95Ceiling() : p95Ceiling,
              appJvmArgs.or(d.appJvmArgs())));
    } catch (IllegalArgumentException e) {
      throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage(), e);
    }
  }

  @Override
  public Integer call() throws Exception {
    return options.run(scenario(), spec);
  }
}
