package dev.knetty.bench;

import dev.knetty.bench.scenario.throughput.ThroughputScenario;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code knetty bench throughput}: see {@link ThroughputScenario}. Options left out take {@link
 * ThroughputScenario.Config#defaults()}.
 */
@Command(
    name = "throughput",
    mixinStandardHelpOptions = true,
    description = {
      "Closed-loop throughput and CPU per request of the queue-proxy (CC 0, CC 100, C2, h2c)",
      "next to HAProxy, nginx and Caddy when installed (configs in bench/peers/, own foreground",
      "instances) and direct, against the sample app's Hello World, all in one run.",
      "Defaults: all targets, 64 connections, 10s after a 5s warm-up each, 2 proxy threads."
    })
final class ThroughputCommand implements Callable<Integer> {

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @CommandLine.Mixin ScenarioOptions options;

  @Option(
      names = "--targets",
      split = ",",
      description =
          "Targets to run, in this order: direct, queue-proxy, queue-proxy-cc100,"
              + " queue-proxy-c2, queue-proxy-h2c, haproxy, nginx, caddy (default: all).")
  List<String> targets;

  @Option(names = "--concurrency", description = "Connections, each with one request in flight.")
  Integer concurrency;

  @Option(
      names = "--proxy-threads",
      description = "Threads of every proxy (default: the queue-proxy's, min(2, cores)).")
  Integer proxyThreads;

  @Option(names = "--h2c-connections", description = "Connections of the h2c target.")
  Integer h2cConnections;

  @Option(names = "--haproxy-bin", description = "The haproxy executable (default: on PATH).")
  Path haproxyBin;

  @Option(names = "--nginx-bin", description = "The nginx executable (default: on PATH).")
  Path nginxBin;

  @Option(names = "--caddy-bin", description = "The caddy executable (default: on PATH).")
  Path caddyBin;

  @CommandLine.Mixin PhaseOptions phase;

  @CommandLine.Mixin JvmArgsOptions.App appJvmArgs;

  @CommandLine.Mixin JvmArgsOptions.QueueProxy queueProxyJvmArgs;

  ThroughputScenario scenario() {
    ThroughputScenario.Config d = ThroughputScenario.Config.defaults();
    Map<String, Path> binaries = new LinkedHashMap<>();
    if (haproxyBin != null) {
      binaries.put("haproxy", haproxyBin);
    }
    if (nginxBin != null) {
      binaries.put("nginx", nginxBin);
    }
    if (caddyBin != null) {
      binaries.put("caddy", caddyBin);
    }
    try {
      int c = concurrency == null ? d.concurrency() : concurrency;
      return new ThroughputScenario(
          new ThroughputScenario.Config(
              targets == null ? d.targets() : targets,
              c,
              phase.duration(d.duration()),
              phase.warmup(d.warmup()),
              proxyThreads == null ? d.threads() : proxyThreads,
              h2cConnections == null ? Math.min(d.h2cConnections(), c) : h2cConnections,
              phase.timeout(d.requestTimeout()),
              binaries,
              appJvmArgs.or(d.appJvmArgs()),
              queueProxyJvmArgs.or(d.queueProxyJvmArgs())));
    } catch (IllegalArgumentException e) {
      throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage(), e);
    }
  }

  @Override
  public Integer call() throws Exception {
    return options.run(scenario(), spec);
  }
}
