package dev.knetty.bench;

import dev.knetty.bench.scenario.local.RampScenario;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code knetty bench ramp}: see {@link RampScenario}. Options left out take {@link
 * RampScenario.Config#defaults}.
 */
@Command(
    name = "ramp",
    mixinStandardHelpOptions = true,
    description = {
      "Knative's load test in local mode: one revision from zero pods through rising open-loop",
      "steps of ?sleep=100 (default 100, 200, 300 req/s for 30s each: Knative's divided by 10);",
      "errors, p95, max and the pod count over time."
    })
final class RampCommand implements Callable<Integer> {

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @CommandLine.Mixin ScenarioOptions options;

  @CommandLine.Mixin LocalCommandOption local;

  @Option(names = "--rates", split = ",", description = "Requests per second of each step.")
  List<Double> rates;

  @Option(
      names = "--step",
      converter = GoDurations.Converter.class,
      description = "Duration of each step (default: 30s).")
  Duration step;

  @Option(
      names = "--sleep",
      converter = GoDurations.Converter.class,
      description = "Sleep per request (default: 100ms).")
  Duration sleep;

  @Option(
      names = "--target",
      description = "Concurrency target per pod, the revision's annotation (default: 10).")
  Integer target;

  @Option(
      names = "--max-scale",
      description = "Most pods, the revision's max-scale annotation (default: 6).")
  Integer maxScale;

  @Option(names = "--connections", description = "Keep-alive connections (default: 500).")
  Integer connections;

  @CommandLine.Mixin JvmArgsOptions.App appJvmArgs;

  RampScenario scenario() {
    RampScenario.Config d = RampScenario.Config.defaults(local.command());
    try {
      return new RampScenario(
          new RampScenario.Config(
              rates == null ? d.rates() : rates,
              step == null ? d.step() : step,
              sleep == null ? d.sleep() : sleep,
              target == null ? d.target() : target,
              maxScale == null ? d.maxScale() : maxScale,
              connections == null ? d.connections() : connections,
              d.requestTimeout(),
              d.localCommand(),
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
