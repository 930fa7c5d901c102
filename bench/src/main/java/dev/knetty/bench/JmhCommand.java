package dev.knetty.bench;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.options.CommandLineOptionException;
import org.openjdk.jmh.runner.options.CommandLineOptions;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * {@code knetty bench jmh [regex] [JMH options]}: runs the JMH benchmarks compiled into this jar
 * ({@code dev.knetty.bench.jmh}), passing every argument to JMH unchanged ({@code -h} for JMH's
 * options, {@code -l} to list the benchmarks).
 */
@Command(
    name = "jmh",
    description = {
      "Run the JMH microbenchmarks (dev.knetty.bench.jmh) from this jar.",
      "Every argument goes to JMH: a benchmark regex, -f 1 -wi 3 -i 5, -l to list, -h for help."
    })
final class JmhCommand implements Callable<Integer> {

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @CommandLine.Unmatched List<String> args = new ArrayList<>();

  @Override
  public Integer call() throws RunnerException, IOException {
    CommandLineOptions options;
    try {
      options = new CommandLineOptions(args.toArray(new String[0]));
    } catch (CommandLineOptionException e) {
      throw new CommandLine.ParameterException(spec.commandLine(), "jmh: " + e.getMessage(), e);
    }
    if (options.shouldHelp()) {
      options.showHelp();
      return 0;
    }
    Runner runner = new Runner(options);
    if (options.shouldList()) {
      runner.list();
      return 0;
    }
    runner.run();
    return 0;
  }
}
