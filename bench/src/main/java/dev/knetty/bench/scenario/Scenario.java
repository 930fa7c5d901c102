package dev.knetty.bench.scenario;

/**
 * A benchmark scenario: starts what it measures (child processes through {@link
 * ScenarioContext#processes()}), runs load phases ({@link ScenarioContext#runPhase}) and judges
 * them ({@link Check}). {@link ScenarioReport} turns the result into JSON, SVG and markdown.
 *
 * <p>To add one: implement this interface (config as a record, like {@link DirectScenario}), add a
 * picocli subcommand to {@code BenchCommand} that builds the config from options and calls {@code
 * ScenarioOptions.run}, and add a smoke test that runs it for a second or two.
 */
public interface Scenario {

  /** A short, file-name-safe name, e.g. {@code direct}. */
  String name();

  /** One sentence: what is measured, against which Knative benchmark. */
  String description();

  /** Runs the scenario; everything it starts through {@code context} is stopped afterwards. */
  ScenarioResult run(ScenarioContext context) throws Exception;
}
