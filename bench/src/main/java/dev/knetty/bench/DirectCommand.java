package dev.knetty.bench;

import dev.knetty.bench.load.LoadSpec;
import dev.knetty.bench.scenario.DirectScenario;
import java.time.Duration;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code knetty bench direct}: the baseline scenario, see {@link DirectScenario}. Options left out
 * take {@link DirectScenario.Config#defaults()}.
 */
@Command(
    name = "direct",
    mixinStandardHelpOptions = true,
    description = {
      "Baseline: the sample app as a child process with no proxy, open loop with ?sleep=100",
      "(Knative's dataplane-probe 'deployment': 1000 req/s, p95 in [100 ms, 105 ms]).",
      "Defaults: 1000 req/s for 10s after a 5s warm-up, 200 connections, h1, timeout 30s."
    })
final class DirectCommand implements Callable<Integer> {

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @CommandLine.Mixin ScenarioOptions options;

  @Option(names = "--rate", description = "Requests per second.")
  Double rate;

  @Option(
      names = "--duration",
      converter = GoDurations.Converter.class,
      description = "Measured duration.")
  Duration duration;

  @Option(
      names = "--warmup",
      converter = GoDurations.Converter.class,
      description = "Warm-up, not counted.")
  Duration warmup;

  @Option(
      names = "--sleep",
      converter = GoDurations.Converter.class,
      description = "Sleep per request: the latency floor (default 100ms).")
  Duration sleep;

  @Option(names = "--connections", description = "Keep-alive connections.")
  Integer connections;

  @Option(names = "--h2c", description = "HTTP/2 over cleartext with prior knowledge.")
  boolean h2c;

  @Option(
      names = "--timeout",
      converter = GoDurations.Converter.class,
      description = "Request timeout.")
  Duration timeout;

  @Option(
      names = "--p95-ceiling",
      converter = GoDurations.Converter.class,
      description = "SLA: the largest acceptable p95 (default 105ms).")
  Duration p95Ceiling;

  @Option(
      names = "--app-jvm-args",
      description = "JVM options of the sample app, space separated (default: -Xmx256m ...).")
  String appJvmArgs;

  DirectScenario scenario() {
    DirectScenario.Config d = DirectScenario.Config.defaults();
    try {
      return new DirectScenario(
          new DirectScenario.Config(
              rate == null ? d.rate() : rate,
              duration == null ? d.duration() : duration,
              warmup == null ? d.warmup() : warmup,
              sleep == null ? d.sleep() : sleep,
              connections == null ? d.connections() : connections,
              h2c ? LoadSpec.Protocol.H2C : d.protocol(),
              timeout == null ? d.requestTimeout() : timeout,
              p95Ceiling == null ? d.p95Ceiling() : p95Ceiling,
              ScenarioOptions.jvmArgs(appJvmArgs, d.appJvmArgs())));
    } catch (IllegalArgumentException e) {
      throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage(), e);
    }
  }

  @Override
  public Integer call() throws Exception {
    return options.run(scenario(), spec);
  }
}
