package dev.knetty.bench;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.results.format.ResultFormatType;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.options.CommandLineOptionException;
import org.openjdk.jmh.runner.options.CommandLineOptions;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code knetty bench all}: every scenario of the benchmark report with its defaults, repeated
 * {@code --runs} times, and the JMH microbenchmarks, into one directory: what docs/benchmarks.md is
 * built from. A scenario that fails (e.g. local mode not available) is reported and the others
 * still run.
 */
@Command(
    name = "all",
    mixinStandardHelpOptions = true,
    description = {
      "Every scenario of docs/benchmarks.md with its defaults (dataplane, throughput, buffer,",
      "autoscaler, coldstart, ramp), each repeated --runs times, then the JMH microbenchmarks;",
      "reports into --out. E.g. bin/knetty bench all --out docs/benchmarks"
    })
final class AllCommand implements Callable<Integer> {

  /** The scenarios, in running order. */
  static final List<String> SCENARIOS =
      List.of("dataplane", "throughput", "buffer", "autoscaler", "coldstart", "ramp");

  static final String JMH = "jmh";

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Option(
      names = "--out",
      defaultValue = "bench/results",
      description = "Directory for every report (default: ${DEFAULT-VALUE}).")
  Path out;

  @Option(
      names = "--runs",
      defaultValue = "3",
      description = "Repetitions of each scenario (default: ${DEFAULT-VALUE}).")
  int runs;

  @Option(
      names = "--only",
      split = ",",
      description = "Run only these (scenarios, jmh), in the usual order.")
  List<String> only;

  @Option(
      names = "--jmh-args",
      defaultValue = "-f 1 -wi 3 -w 1s -i 5 -r 1s",
      description = "JMH settings (default: ${DEFAULT-VALUE}).")
  String jmhArgs;

  @Option(
      names = "--jmh-include",
      defaultValue = "dev\\.knetty\\.bench\\.jmh\\..*",
      description = "Regex of the JMH benchmarks to run (default: all of dev.knetty.bench.jmh).")
  String jmhInclude;

  @CommandLine.Mixin LocalCommandOption local;

  @Override
  public Integer call() throws Exception {
    List<String> all = new ArrayList<>(SCENARIOS);
    all.add(JMH);
    if (only != null && !all.containsAll(only)) {
      throw new CommandLine.ParameterException(
          spec.commandLine(), "--only: " + only + " (expected: some of " + all + ")");
    }
    CommandLineOptions jmhOptions;
    try {
      jmhOptions =
          new CommandLineOptions(
              ScenarioOptions.jvmArgs(jmhArgs, List.of()).toArray(new String[0]));
    } catch (CommandLineOptionException e) {
      throw new CommandLine.ParameterException(
          spec.commandLine(), "--jmh-args: " + e.getMessage(), e);
    }
    PrintWriter err = spec.commandLine().getErr();
    Map<String, String> outcome = new LinkedHashMap<>();
    for (String name : all) {
      if (only != null && !only.contains(name)) {
        continue;
      }
      int exit;
      try {
        exit = name.equals(JMH) ? jmh(jmhOptions) : scenario(name);
      } catch (RuntimeException | RunnerException | IOException e) {
        err.println(name + ": " + e);
        exit = -1;
      }
      outcome.put(name, exit == 0 ? "done" : "FAILED (exit " + exit + ", see above)");
    }
    PrintWriter stdout = spec.commandLine().getOut();
    outcome.forEach((name, what) -> stdout.println(name + ": " + what));
    stdout.flush();
    return outcome.values().stream().allMatch("done"::equals) ? 0 : 1;
  }

  private int scenario(String name) {
    // The same command tree, so each scenario parses its own options as from the shell.
    CommandLine bench =
        new CommandLine(new BenchCommand())
            .setOut(spec.commandLine().getOut())
            .setErr(spec.commandLine().getErr());
    List<String> args =
        new ArrayList<>(List.of(name, "--runs=" + runs, "--out=" + out, "--no-fail-on-sla"));
    if (local.localCommand != null && (name.equals("coldstart") || name.equals("ramp"))) {
      args.add("--local-command=" + local.localCommand);
    }
    return bench.execute(args.toArray(new String[0]));
  }

  private int jmh(CommandLineOptions jmhOptions) throws RunnerException, IOException {
    Files.createDirectories(out);
    Path json = out.resolve("jmh.json");
    OptionsBuilder options = new OptionsBuilder();
    options.include(jmhInclude);
    options.resultFormat(ResultFormatType.JSON);
    options.result(json.toString());
    options.parent(jmhOptions);
    Collection<RunResult> results = new Runner(options.build()).run();
    Path md = out.resolve("jmh.md");
    Files.writeString(md, markdown(results), StandardCharsets.UTF_8);
    spec.commandLine().getOut().println("wrote " + json + "\nwrote " + md);
    return 0;
  }

  /** One row per benchmark and parameter set: score ± 99.9% error. */
  static String markdown(Collection<RunResult> results) {
    StringBuilder md = new StringBuilder("## jmh\n\n");
    md.append("| benchmark | params | threads | score | ± error | unit |\n");
    md.append("|---|---|--:|--:|--:|---|\n");
    for (RunResult r : results) {
      var params = r.getParams();
      List<String> p = new ArrayList<>();
      for (String key : params.getParamsKeys()) {
        p.add(key + "=" + params.getParam(key));
      }
      var score = r.getPrimaryResult();
      String name = params.getBenchmark();
      md.append(
          String.format(
              Locale.ROOT,
              "| %s | %s | %d | %.1f | %.1f | %s |\n",
              name.substring(name.lastIndexOf('.', name.lastIndexOf('.') - 1) + 1),
              String.join(", ", p),
              params.getThreads(),
              score.getScore(),
              score.getScoreError(),
              score.getScoreUnit()));
    }
    return md.toString();
  }
}
