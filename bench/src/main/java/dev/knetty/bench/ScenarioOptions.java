package dev.knetty.bench;

import dev.knetty.bench.scenario.Scenario;
import dev.knetty.bench.scenario.ScenarioContext;
import dev.knetty.bench.scenario.ScenarioReport;
import dev.knetty.bench.scenario.ScenarioResult;
import java.io.PrintWriter;
import java.nio.file.Path;
import picocli.CommandLine;
import picocli.CommandLine.Option;

/** Options every scenario subcommand shares, and the one way to run a scenario from the CLI. */
final class ScenarioOptions {

  @Option(
      names = "--out",
      defaultValue = "bench-results",
      description = "Directory for the JSON, SVG and markdown reports (default: ${DEFAULT-VALUE}).")
  Path outputDir;

  @Option(
      names = "--threads",
      description = "Event loops of the load generator (default: up to 2, one per core).")
  Integer threads;

  @Option(
      names = "--fail-on-sla",
      negatable = true,
      defaultValue = "true",
      fallbackValue = "true",
      description = "Exit with 1 when a check fails, as Knative's benchmarks do (default: true).")
  boolean failOnSla;

  /**
   * Runs {@code scenario}, writes its reports and prints the markdown.
   *
   * @return the exit code
   */
  int run(Scenario scenario, CommandLine.Model.CommandSpec spec) throws Exception {
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    ScenarioResult result;
    try (ScenarioContext context =
        new ScenarioContext(
            outputDir, threads == null ? LoadCommand.defaultThreads() : threads, err)) {
      err.println("scenario " + scenario.name() + ": " + scenario.description());
      result = scenario.run(context);
    }
    out.println();
    out.print(ScenarioReport.markdown(result));
    out.println();
    for (Path file : ScenarioReport.write(result, outputDir)) {
      out.println("wrote " + file);
    }
    out.flush();
    return result.passed() || !failOnSla ? 0 : 1;
  }
}
