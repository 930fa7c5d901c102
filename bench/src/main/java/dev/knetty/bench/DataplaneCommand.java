package dev.knetty.bench;

import dev.knetty.bench.scenario.dataplane.DataplaneScenario;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * {@code knetty bench dataplane}: see {@link DataplaneScenario}. Options left out take {@link
 * DataplaneScenario.Config#defaults()}.
 */
@Command(
    name = "dataplane",
    mixinStandardHelpOptions = true,
    description = {
      "Knative's dataplane-probe: open loop with ?sleep=100 direct to the sample app, through a",
      "queue-proxy, through an activator + queue-proxy (each a child process); p50/p95/p99, CPU",
      "per 1,000 requests and peak RSS of every process; SLA p95 <= 105 ms direct, <= 110 ms",
      "proxied. Defaults: 1000 req/s for 20s after a 10s warm-up per target, 200 connections."
    })
final class DataplaneCommand implements Callable<Integer> {

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @CommandLine.Mixin ScenarioOptions options;

  @CommandLine.Mixin OpenLoopOptions load;

  @CommandLine.Mixin PhaseOptions phase;

  @CommandLine.Mixin JvmArgsOptions.App appJvmArgs;

  @CommandLine.Mixin JvmArgsOptions.QueueProxy queueProxyJvmArgs;

  @CommandLine.Mixin JvmArgsOptions.Activator activatorJvmArgs;

  DataplaneScenario scenario() {
    DataplaneScenario.Config d = DataplaneScenario.Config.defaults();
    try {
      return new DataplaneScenario(
          new DataplaneScenario.Config(
              load.rate(d.rate()),
              phase.duration(d.duration()),
              phase.warmup(d.warmup()),
              load.sleep(d.sleep()),
              load.connections(d.connections()),
              load.protocol(d.protocol()),
              phase.timeout(d.requestTimeout()),
              d.directMargin(),
              d.proxiedMargin(),
              appJvmArgs.or(d.appJvmArgs()),
              queueProxyJvmArgs.or(d.queueProxyJvmArgs()),
              activatorJvmArgs.or(d.activatorJvmArgs())));
    } catch (IllegalArgumentException e) {
      throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage(), e);
    }
  }

  @Override
  public Integer call() throws Exception {
    return options.run(scenario(), spec);
  }
}
