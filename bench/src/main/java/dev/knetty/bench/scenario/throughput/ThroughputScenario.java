package dev.knetty.bench.scenario.throughput;

import dev.knetty.bench.GoDurations;
import dev.knetty.bench.load.LoadResult;
import dev.knetty.bench.load.LoadSpec;
import dev.knetty.bench.scenario.Check;
import dev.knetty.bench.scenario.ChildProcess;
import dev.knetty.bench.scenario.ChildProcesses;
import dev.knetty.bench.scenario.Components;
import dev.knetty.bench.scenario.MetricTable;
import dev.knetty.bench.scenario.Phase;
import dev.knetty.bench.scenario.Scenario;
import dev.knetty.bench.scenario.ScenarioContext;
import dev.knetty.bench.scenario.ScenarioResult;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * Proxy throughput and cost: a closed loop ({@code concurrency} HTTP/1.1 keep-alive connections,
 * each sending its next request when the previous response is complete) against the sample app's
 * {@code /} ("Hello World!"), directly and through each proxy in turn, all in one run so they share
 * the machine's conditions: the queue-proxy (containerConcurrency 0 and 100, optionally with C2 and
 * over h2c) and, when installed, HAProxy, nginx and Caddy, each started from {@code bench/peers/}
 * as this run's own foreground child process. A peer that is not installed is reported as skipped.
 *
 * <p>Every proxy gets the same thread count ({@code threads}: the queue-proxy's event loops,
 * HAProxy's {@code nbthread}, nginx's {@code worker_processes}, Caddy's {@code GOMAXPROCS}). On a
 * small machine the proxy, the app and the load generator compete for the same cores, so requests
 * per second measure the whole chain; CPU time per request is each proxy's own cost.
 */
public final class ThroughputScenario implements Scenario {

  /** Target ids, in the order they run. */
  public static final String DIRECT = "direct";

  public static final String QUEUE_PROXY = "queue-proxy";
  public static final String QUEUE_PROXY_CC100 = "queue-proxy-cc100";
  public static final String QUEUE_PROXY_C2 = "queue-proxy-c2";
  public static final String QUEUE_PROXY_H2C = "queue-proxy-h2c";

  /** Every target, in running order. */
  public static final List<String> TARGETS =
      List.of(
          DIRECT,
          QUEUE_PROXY,
          QUEUE_PROXY_CC100,
          QUEUE_PROXY_C2,
          QUEUE_PROXY_H2C,
          Peer.HAPROXY.id(),
          Peer.NGINX.id(),
          Peer.CADDY.id());

  private static final String APP = "sample-app";
  private static final String HAPROXY = Peer.HAPROXY.id();

  /** The only JVM option that makes the sidecar settings C1-only; the C2 target drops it. */
  private static final String C1_ONLY = "-XX:TieredStopAtLevel=1";

  /**
   * @param targets which targets to run, a subset of {@link #TARGETS} (run in that order)
   * @param concurrency requests in flight (and HTTP/1.1 connections)
   * @param threads threads (event loops, workers) of every proxy
   * @param h2cConnections connections of the h2c target, the streams spread over them
   * @param peerBinaries where a peer's executable is, by id; missing: looked up on PATH
   */
  public record Config(
      List<String> targets,
      int concurrency,
      Duration duration,
      Duration warmup,
      int threads,
      int h2cConnections,
      Duration requestTimeout,
      Map<String, Path> peerBinaries,
      List<String> appJvmArgs,
      List<String> queueProxyJvmArgs) {

    public Config {
      targets = List.copyOf(targets);
      peerBinaries = Map.copyOf(peerBinaries);
      appJvmArgs = List.copyOf(appJvmArgs);
      queueProxyJvmArgs = List.copyOf(queueProxyJvmArgs);
      Objects.requireNonNull(duration, "duration");
      Objects.requireNonNull(warmup, "warmup");
      Objects.requireNonNull(requestTimeout, "requestTimeout");
      if (targets.isEmpty()) {
        throw new IllegalArgumentException("targets: none (expected: some of " + TARGETS + ")");
      }
      for (String t : targets) {
        if (!TARGETS.contains(t)) {
          throw new IllegalArgumentException(
              "targets: " + t + " (expected: one of " + TARGETS + ")");
        }
      }
      for (String peer : peerBinaries.keySet()) {
        if (Peer.byId(peer) == null) {
          throw new IllegalArgumentException(
              "peerBinaries: " + peer + " (expected: haproxy, nginx or caddy)");
        }
      }
      if (threads < 1 || threads > 64) {
        throw new IllegalArgumentException("threads: " + threads + " (expected: 1-64)");
      }
      if (h2cConnections < 1 || h2cConnections > concurrency) {
        throw new IllegalArgumentException(
            "h2cConnections: " + h2cConnections + " (expected: 1-concurrency " + concurrency + ")");
      }
    }

    /**
     * Every target, 64 connections for 10 s after a 5 s warm-up each, proxies with as many threads
     * as the queue-proxy's default ({@code min(2, cores)}).
     */
    public static Config defaults() {
      return new Config(
          TARGETS,
          64,
          Duration.ofSeconds(10),
          Duration.ofSeconds(5),
          Math.max(1, Math.min(2, Runtime.getRuntime().availableProcessors())),
          4,
          Duration.ofSeconds(10),
          Map.of(),
          Components.SAMPLE_APP_JVM,
          Components.QUEUE_PROXY_JVM);
    }
  }

  private final Config config;

  /**
   * @throws IllegalArgumentException if the load settings are invalid
   */
  public ThroughputScenario(Config config) {
    this.config = Objects.requireNonNull(config, "config");
    loadSpec(DIRECT, URI.create("http://127.0.0.1/"), LoadSpec.Protocol.HTTP_1_1);
  }

  @Override
  public String name() {
    return "throughput";
  }

  @Override
  public String description() {
    return String.format(
        Locale.ROOT,
        "Proxy throughput and CPU cost: closed loop, %d keep-alive connections, %s after %s"
            + " warm-up per target, against the sample app's Hello World directly and through"
            + " each proxy (%d threads each), all in the same run.",
        config.concurrency(),
        GoDurations.format(config.duration()),
        GoDurations.format(config.warmup()),
        config.threads());
  }

  @Override
  public ScenarioResult run(ScenarioContext context) throws Exception {
    Components.Server app = Components.sampleApp(context, APP, config.appJvmArgs());
    List<Phase> phases = new ArrayList<>();
    List<String> notes = new ArrayList<>();
    for (String target : TARGETS) {
      if (!config.targets().contains(target)) {
        continue;
      }
      Peer peer = Peer.byId(target);
      Phase phase;
      if (target.equals(DIRECT)) {
        phase =
            context.runPhase(
                loadSpec(DIRECT, app.base(), LoadSpec.Protocol.HTTP_1_1), app.process());
      } else if (peer == null) {
        phase = runQueueProxy(context, target, app);
      } else {
        Optional<Path> executable =
            peer.locate(config.peerBinaries().get(target), System.getenv("PATH"));
        if (executable.isEmpty()) {
          Path override = config.peerBinaries().get(target);
          String why =
              override == null
                  ? "not installed (no " + target + " on PATH or in /usr/sbin)"
                  : override + " is not an executable file";
          notes.add(target + ": skipped, " + why + ".");
          context.progress("skipping " + target + ": " + why);
          continue;
        }
        notes.add(
            target
                + ": "
                + peer.version(executable.get())
                + " ("
                + executable.get()
                + ", bench/peers/"
                + peer.configFileName()
                + ").");
        phase = runPeer(context, peer, executable.get(), app);
      }
      phases.add(phase);
    }
    return result(phases, notes);
  }

  private Phase runQueueProxy(ScenarioContext context, String target, Components.Server app)
      throws IOException, InterruptedException {
    List<String> jvm = new ArrayList<>(config.queueProxyJvmArgs());
    if (target.equals(QUEUE_PROXY_C2)) {
      jvm.remove(C1_ONLY);
    }
    int cc = target.equals(QUEUE_PROXY_CC100) ? 100 : 0;
    Components.Server qp =
        Components.queueProxy(
            context,
            target,
            app.port(),
            cc,
            jvm,
            Map.of("KNETTY_IO_THREADS", Integer.toString(config.threads())));
    try {
      context.awaitReady(qp.base(), Duration.ofSeconds(30), qp.process());
      LoadSpec.Protocol protocol =
          target.equals(QUEUE_PROXY_H2C) ? LoadSpec.Protocol.H2C : LoadSpec.Protocol.HTTP_1_1;
      return context.runPhase(loadSpec(target, qp.base(), protocol), qp.process(), app.process());
    } finally {
      qp.process().stop(ChildProcesses.STOP_GRACE);
    }
  }

  private Phase runPeer(ScenarioContext context, Peer peer, Path executable, Components.Server app)
      throws IOException, InterruptedException {
    Path dir = context.runDir().resolve(peer.id()).toAbsolutePath();
    Files.createDirectories(dir);
    int port = Components.freePort(); // peers cannot report the port they got
    Map<String, String> values = new LinkedHashMap<>();
    values.put("LISTEN_PORT", Integer.toString(port));
    values.put("BACKEND_PORT", Integer.toString(app.port()));
    values.put("THREADS", Integer.toString(config.threads()));
    values.put("DIR", dir.toString());
    Path configFile = dir.resolve(peer.configFileName());
    Files.writeString(configFile, peer.render(values), StandardCharsets.UTF_8);
    ChildProcess process =
        context
            .processes()
            .start(
                peer.id(),
                peer.command(executable, configFile, dir),
                peer.environment(config.threads(), dir));
    try {
      URI base = URI.create("http://127.0.0.1:" + port + "/");
      context.awaitReady(base, Duration.ofSeconds(30), process);
      return context.runPhase(
          loadSpec(peer.id(), base, LoadSpec.Protocol.HTTP_1_1), process, app.process());
    } finally {
      process.stop(ChildProcesses.STOP_GRACE);
    }
  }

  private ScenarioResult result(List<Phase> phases, List<String> notes) {
    MetricTable metrics =
        new MetricTable(
            "req/s",
            "p50 ms",
            "p99 ms",
            "max ms",
            "errors",
            "proxy CPU ms/1k req",
            "proxy peak RSS MiB",
            "total CPU ms/1k req",
            "req/s ÷ haproxy",
            "proxy CPU/req ÷ haproxy",
            "req/s ÷ direct",
            "total CPU/req ÷ direct");
    Phase direct = find(phases, DIRECT);
    Phase haproxy = find(phases, HAPROXY);
    List<Check> checks = new ArrayList<>();
    for (Phase phase : phases) {
      LoadResult r = phase.result();
      String row = phase.label();
      metrics.put(row, "req/s", r.throughput(), 0);
      metrics.put(row, "p50 ms", r.percentileMillis(50), 2);
      metrics.put(row, "p99 ms", r.percentileMillis(99), 2);
      metrics.put(row, "max ms", r.maxMillis(), 1);
      metrics.put(row, "errors", r.errorCount(), 0);
      double proxyCpu = proxyCpuPer1000(phase);
      if (phase != direct) {
        metrics.put(row, "proxy CPU ms/1k req", proxyCpu, 1);
        metrics.put(row, "proxy peak RSS MiB", phase.processes().get(0).peakRssMiB(), 1);
      }
      double total = totalCpuPer1000(phase);
      metrics.put(row, "total CPU ms/1k req", total, 1);
      if (haproxy != null && phase != direct) {
        ratio(metrics, row, "req/s ÷ haproxy", r.throughput(), haproxy.result().throughput());
        ratio(metrics, row, "proxy CPU/req ÷ haproxy", proxyCpu, proxyCpuPer1000(haproxy));
      }
      if (direct != null) {
        ratio(metrics, row, "req/s ÷ direct", r.throughput(), direct.result().throughput());
        ratio(metrics, row, "total CPU/req ÷ direct", total, totalCpuPer1000(direct));
      }
      checks.add(Check.atMost(row + " errors", r.errorCount(), 0));
    }
    List<String> allNotes = new ArrayList<>();
    allNotes.add(
        "Closed loop: "
            + config.concurrency()
            + " connections each send their next request when the previous response is"
            + " complete (h2c: "
            + config.concurrency()
            + " streams over "
            + config.h2cConnections()
            + " connections); HTTP/1.1 keep-alive on both sides of every proxy, except that the"
            + " queue-proxy forwards h2c as h2c (4 HTTP/2 endpoints on the h2c path: load"
            + " generator, queue-proxy server and client, app). Backend: the sample app's /"
            + " (Hello World!, 12 bytes), the same process for every target.");
    allNotes.add(
        "Every proxy gets "
            + config.threads()
            + " threads: the queue-proxy's event loops (KNETTY_IO_THREADS), HAProxy's nbthread,"
            + " nginx's worker_processes, Caddy's GOMAXPROCS. The proxy, the app and the load"
            + " generator share this machine's "
            + Runtime.getRuntime().availableProcessors()
            + " CPUs, so req/s is what the whole chain achieves; CPU ms/1k req is per process.");
    allNotes.add(
        "proxy CPU: the proxy's own CPU time (nginx: master and workers); total CPU: proxy + app"
            + " + load generator. Ratios are of this run's numbers; ÷ haproxy for CPU/req below 1"
            + " means cheaper than HAProxy.");
    allNotes.add(
        "queue-proxy: bin/knetty's sidecar JVM settings ("
            + String.join(" ", config.queueProxyJvmArgs())
            + "); queue-proxy-c2: the same without "
            + C1_ONLY
            + "; cc100: CONTAINER_CONCURRENCY=100 (Knative's breaker on the path; "
            + config.concurrency()
            + " in flight never queue).");
    allNotes.addAll(notes);
    return new ScenarioResult(
        name(), description(), phases, checks, List.of(), metrics.metrics(), allNotes);
  }

  private static Phase find(List<Phase> phases, String label) {
    return phases.stream().filter(p -> p.label().equals(label)).findFirst().orElse(null);
  }

  /** The proxy's CPU ms per 1,000 requests: the first accounted process (not the app). */
  private static double proxyCpuPer1000(Phase phase) {
    Phase.Accounted proxy = phase.processes().get(0);
    return proxy.name().equals(APP) ? 0 : proxy.cpuMillisPer1000(phase.result());
  }

  private static double totalCpuPer1000(Phase phase) {
    return phase.processes().stream().mapToDouble(p -> p.cpuMillisPer1000(phase.result())).sum();
  }

  private static void ratio(
      MetricTable metrics, String row, String column, double value, double base) {
    if (base > 0) {
      metrics.put(row, column, value / base, 2);
    }
  }

  private LoadSpec loadSpec(String name, URI base, LoadSpec.Protocol protocol) {
    return LoadSpec.builder(base.resolve("/"))
        .name(name)
        .protocol(protocol)
        .closedLoop(config.concurrency())
        .connections(
            protocol == LoadSpec.Protocol.H2C ? config.h2cConnections() : config.concurrency())
        .maxStreamsPerConnection(
            (config.concurrency() + config.h2cConnections() - 1) / config.h2cConnections())
        .duration(config.duration())
        .warmup(config.warmup())
        .requestTimeout(config.requestTimeout())
        .build();
  }
}
