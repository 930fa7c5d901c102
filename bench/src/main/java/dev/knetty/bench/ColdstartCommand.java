package dev.knetty.bench;

import dev.knetty.bench.scenario.local.ColdStartScenario;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code knetty bench coldstart}: see {@link ColdStartScenario}. Options left out take {@link
 * ColdStartScenario.Config#defaults}.
 */
@Command(
    name = "coldstart",
    mixinStandardHelpOptions = true,
    description = {
      "Cold starts in local mode (knetty local as a child process): time to the first byte of a",
      "request to a revision at zero pods, repeated, then N revisions at once (default 1, 5, 25)."
    })
final class ColdstartCommand implements Callable<Integer> {

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @CommandLine.Mixin ScenarioOptions options;

  @CommandLine.Mixin LocalCommandOption local;

  @Option(names = "--repetitions", description = "Cold starts of one revision (default: 5).")
  Integer repetitions;

  @Option(
      names = "--parallel",
      split = ",",
      description = "Revisions cold-starting at once, each N in turn (default: 1,5,25).")
  List<Integer> parallel;

  @CommandLine.Mixin JvmArgsOptions.App appJvmArgs;

  ColdStartScenario scenario() {
    ColdStartScenario.Config d = ColdStartScenario.Config.defaults(local.command());
    try {
      return new ColdStartScenario(
          new ColdStartScenario.Config(
              repetitions == null ? d.repetitions() : repetitions,
              parallel == null ? d.parallel() : parallel,
              d.localCommand(),
              appJvmArgs.or(d.appJvmArgs()),
              d.scaleToZeroTimeout(),
              d.requestTimeout()));
    } catch (IllegalArgumentException e) {
      throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage(), e);
    }
  }

  @Override
  public Integer call() throws Exception {
    return options.run(scenario(), spec);
  }
}
