package dev.knetty.bench;

import dev.knetty.bench.report.Environment;
import dev.knetty.bench.report.LoadAverage;
import dev.knetty.bench.scenario.Scenario;
import dev.knetty.bench.scenario.ScenarioContext;
import dev.knetty.bench.scenario.ScenarioReport;
import dev.knetty.bench.scenario.ScenarioResult;
import dev.knetty.bench.scenario.ScenarioRun;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine;
import picocli.CommandLine.Option;

/** Options every scenario subcommand shares, and the one way to run a scenario from the CLI. */
final class ScenarioOptions {

  /** How often the load average is read while waiting for a quiet machine. */
  private static final Duration QUIET_POLL = Duration.ofSeconds(5);

  @Option(
      names = "--out",
      description =
          "Directory for the JSON, SVG and markdown reports (default: bench/results/NAME).")
  Path outputDir;

  @Option(
      names = "--threads",
      description = "Event loops of the load generator (default: up to 2, one per core).")
  Integer threads;

  @Option(
      names = "--runs",
      defaultValue = "1",
      description =
          "Repetitions, each with fresh processes; the report gives medians and min-max"
              + " (default: ${DEFAULT-VALUE}).")
  int runs;

  @Option(
      names = "--quiet-load",
      defaultValue = "0",
      description =
          "Before each run, wait (up to --quiet-wait) until the 1-minute load average is below"
              + " this; 0: do not wait (default: ${DEFAULT-VALUE}).")
  double quietLoad;

  @Option(
      names = "--quiet-wait",
      defaultValue = "5m",
      converter = GoDurations.Converter.class,
      description = "Longest wait for --quiet-load per run; then it runs anyway (default: 5m).")
  Duration quietWait;

  @Option(
      names = "--fail-on-sla",
      negatable = true,
      defaultValue = "true",
      fallbackValue = "true",
      description = "Exit with 1 when a check fails, as Knative's benchmarks do (default: true).")
  boolean failOnSla;

  /**
   * Runs {@code scenario} {@code --runs} times, writes the reports and prints the markdown.
   *
   * @return the exit code
   */
  int run(Scenario scenario, CommandLine.Model.CommandSpec spec) throws Exception {
    if (runs < 1 || runs > 100) {
      throw new CommandLine.ParameterException(
          spec.commandLine(), "--runs: " + runs + " (expected: 1-100)");
    }
    if (!(quietLoad >= 0)) {
      throw new CommandLine.ParameterException(
          spec.commandLine(), "--quiet-load: " + quietLoad + " (expected: >= 0)");
    }
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    Path dir = outputDir != null ? outputDir : Path.of("bench", "results", scenario.name());
    Environment environment = Environment.capture();
    err.println("scenario " + scenario.name() + ": " + scenario.description());
    err.println(environment.describe());
    List<ScenarioRun> done = new ArrayList<>();
    for (int i = 1; i <= runs; i++) {
      double waited = awaitQuiet(err);
      LoadAverage before = LoadAverage.now();
      String started = Instant.now().truncatedTo(ChronoUnit.SECONDS).toString();
      err.println("run " + i + " of " + runs + ", load average " + before);
      err.flush();
      Path logs = runs == 1 ? dir.resolve("logs") : dir.resolve("logs").resolve("run-" + i);
      ScenarioResult result;
      try (ScenarioContext context =
          new ScenarioContext(
              dir, logs, threads == null ? LoadCommand.defaultThreads() : threads, err)) {
        result = scenario.run(context);
      }
      done.add(new ScenarioRun(i, started, before, LoadAverage.now(), waited, result));
    }
    out.println();
    out.print(ScenarioReport.markdown(done, environment));
    out.println();
    for (Path file : ScenarioReport.write(done, environment, dir)) {
      out.println("wrote " + file);
    }
    out.flush();
    boolean passed = done.stream().allMatch(r -> r.result().passed());
    return passed || !failOnSla ? 0 : 1;
  }

  /** JVM options given as one space-separated string; {@code fallback} when null. */
  static List<String> jvmArgs(String option, List<String> fallback) {
    if (option == null) {
      return fallback;
    }
    return Arrays.stream(option.trim().split("\\s+")).filter(s -> !s.isEmpty()).toList();
  }

  /** Waits for the 1-minute load average to drop below {@code --quiet-load}; seconds waited. */
  private double awaitQuiet(PrintWriter err) throws InterruptedException {
    if (quietLoad <= 0) {
      return 0;
    }
    long start = System.nanoTime();
    long deadline = start + quietWait.toNanos();
    LoadAverage load;
    while ((load = LoadAverage.now()).one() >= quietLoad && System.nanoTime() < deadline) {
      err.printf(
          Locale.ROOT,
          "waiting for a quiet machine: load average %.2f (want < %.2f)%n",
          load.one(),
          quietLoad);
      err.flush();
      TimeUnit.NANOSECONDS.sleep(QUIET_POLL.toNanos());
    }
    if (load.one() >= quietLoad) {
      err.printf(
          Locale.ROOT,
          "load average still %.2f after %s: running anyway%n",
          load.one(),
          GoDurations.format(quietWait));
    }
    return (System.nanoTime() - start) / 1e9;
  }
}
