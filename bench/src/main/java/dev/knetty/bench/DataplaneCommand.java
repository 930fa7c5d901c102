package dev.knetty.bench;

import dev.knetty.bench.load.LoadSpec;
import dev.knetty.bench.scenario.dataplane.DataplaneScenario;
import java.time.Duration;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code knetty bench dataplane}: see {@link DataplaneScenario}. Options left out take {@link
 * DataplaneScenario.Config#defaults()}.
 */
@Command(
    name = "dataplane",
    mixinStandardHelpOptions = true,
    description = {
      "Knative's dataplane-probe: open loop with ?sleep=100 direct to the sample app, through a",
      "queue-proxy, through an activator + queue-proxy (each a child process); p50/p95/p99, CPU",
      "per 1,000 requests and peak RSS of every process; SLA p95 <= 105 ms direct, <= 110 ms",
      "proxied. Defaults: 1000 req/s for 20s after a 10s warm-up per target, 200 connections."
    })
final class DataplaneCommand implements Callable<Integer> {

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @CommandLine.Mixin ScenarioOptions options;

  @Option(names = "--rate", description = "Requests per second.")
  Double rate;

  @Option(
      names = "--duration",
      converter = GoDurations.Converter.class,
      description = "Measured duration per target.")
  Duration duration;

  @Option(
      names = "--warmup",
      converter = GoDurations.Converter.class,
      description = "Warm-up per target, not counted.")
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

  @Option(names = "--app-jvm-args", description = "JVM options of the sample app, space separated.")
  String appJvmArgs;

  @Option(
      names = "--queue-proxy-jvm-args",
      description = "JVM options of the queue-proxy (default: bin/knetty's sidecar settings).")
  String queueProxyJvmArgs;

  @Option(
      names = "--activator-jvm-args",
      description = "JVM options of the activator (default: the Helm chart's).")
  String activatorJvmArgs;

  DataplaneScenario scenario() {
    DataplaneScenario.Config d = DataplaneScenario.Config.defaults();
    try {
      return new DataplaneScenario(
          new DataplaneScenario.Config(
              rate == null ? d.rate() : rate,
              duration == null ? d.duration() : duration,
              warmup == null ? d.warmup() : warmup,
              sleep == null ? d.sleep() : sleep,
              connections == null ? d.connections() : connections,
              h2c ? LoadSpec.Protocol.H2C : d.protocol(),
              timeout == null ? d.requestTimeout() : timeout,
              d.directMargin(),
              d.proxiedMargin(),
              ScenarioOptions.jvmArgs(appJvmArgs, d.appJvmArgs()),
              ScenarioOptions.jvmArgs(queueProxyJvmArgs, d.queueProxyJvmArgs()),
              ScenarioOptions.jvmArgs(activatorJvmArgs, d.activatorJvmArgs())));
    } catch (IllegalArgumentException e) {
      throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage(), e);
    }
  }

  @Override
  public Integer call() throws Exception {
    return options.run(scenario(), spec);
  }
}
