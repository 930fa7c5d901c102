package dev.knetty.bench;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * {@code knetty bench}: the load generator ({@code bench load}) and the benchmark scenarios. Each
 * scenario is a subcommand (see {@link dev.knetty.bench.scenario.Scenario} for how to add one).
 */
@Command(
    name = "bench",
    mixinStandardHelpOptions = true,
    description =
        "Benchmarks on this machine's loopback interface: a load generator and scenarios.",
    subcommands = {
      LoadCommand.class,
      DirectCommand.class,
      JmhCommand.class,
      StartupCommand.class,
      AutoscalerBenchCommand.class,
      CommandLine.HelpCommand.class
    })
public final class BenchCommand implements Runnable {

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
  }
}
