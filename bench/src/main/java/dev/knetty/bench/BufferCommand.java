package dev.knetty.bench;

import dev.knetty.bench.load.LoadSpec;
import dev.knetty.bench.scenario.buffer.BufferScenario;
import java.time.Duration;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code knetty bench buffer}: see {@link BufferScenario}. Options left out take {@link
 * BufferScenario.Config#defaults()}.
 */
@Command(
    name = "buffer",
    mixinStandardHelpOptions = true,
    description = {
      "10,000 requests waiting in the activator for a revision with no pods: the activator's RSS",
      "and heap (after a full GC) idle and with all of them waiting; then a pod is added and",
      "every request must succeed."
    })
final class BufferCommand implements Callable<Integer> {

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @CommandLine.Mixin ScenarioOptions options;

  @Option(names = "--requests", description = "Requests waiting at once (default: 10000).")
  Integer requests;

  @Option(
      names = "--h2c",
      description = "HTTP/2 over cleartext, the streams over --connections (default: HTTP/1.1).")
  boolean h2c;

  @Option(
      names = "--connections",
      description = "h2c only: connections the streams are spread over (default: 100).")
  Integer connections;

  @Option(
      names = "--fill-timeout",
      converter = GoDurations.Converter.class,
      description = "Longest wait for every request to be waiting (default: 2m).")
  Duration fillTimeout;

  @CommandLine.Mixin JvmArgsOptions.App appJvmArgs;

  @CommandLine.Mixin JvmArgsOptions.QueueProxy queueProxyJvmArgs;

  @CommandLine.Mixin JvmArgsOptions.Activator activatorJvmArgs;

  BufferScenario scenario() {
    BufferScenario.Config d = BufferScenario.Config.defaults();
    int n = requests == null ? d.requests() : requests;
    try {
      return new BufferScenario(
          new BufferScenario.Config(
              n,
              h2c ? LoadSpec.Protocol.H2C : LoadSpec.Protocol.HTTP_1_1,
              h2c ? (connections == null ? Math.min(100, n) : connections) : n,
              fillTimeout == null ? d.fillTimeout() : fillTimeout,
              d.requestTimeout(),
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
