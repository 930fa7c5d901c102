package dev.knetty.bench;

import java.util.List;
import picocli.CommandLine.Option;

/**
 * The JVM options of the child processes a scenario starts, one mixin per process so that each
 * command offers only the options of the processes it runs; an option left out takes the scenario's
 * default.
 */
final class JvmArgsOptions {

  private JvmArgsOptions() {}

  /** {@code --app-jvm-args}. */
  static final class App {

    @Option(
        names = "--app-jvm-args",
        description = "JVM options of the sample app, space separated.")
    String value;

    List<String> or(List<String> fallback) {
      return ScenarioOptions.jvmArgs(value, fallback);
    }
  }

  /** {@code --queue-proxy-jvm-args}. */
  static final class QueueProxy {

    @Option(
        names = "--queue-proxy-jvm-args",
        description = "JVM options of the queue-proxy (default: bin/knetty's sidecar settings).")
    String value;

    List<String> or(List<String> fallback) {
      return ScenarioOptions.jvmArgs(value, fallback);
    }
  }

  /** {@code --activator-jvm-args}. */
  static final class Activator {

    @Option(
        names = "--activator-jvm-args",
        description = "JVM options of the activator (default: the Helm chart's).")
    String value;

    List<String> or(List<String> fallback) {
      return ScenarioOptions.jvmArgs(value, fallback);
    }
  }
}
