package dev.knetty.autoscaler.server;

import dev.knetty.autoscaler.Multiscaler;
import dev.knetty.autoscaler.RevisionSnapshot;
import dev.knetty.common.RevisionKey;
import dev.knetty.common.config.ScalingMetric;
import dev.knetty.common.kmp.CloseReason;
import dev.knetty.common.kmp.KmpServer;
import dev.knetty.common.kmp.Role;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.ToDoubleFunction;

/**
 * The server's meters: KMP traffic counters and per-revision gauges (tagged {@code namespace} and
 * {@code revision}: bounded by the revisions, removed with them). Gauges read the multiscaler's
 * snapshot when scraped.
 */
final class ServerMetrics {

  /** Why a stat was not recorded: the {@code reason} tag of {@code stats.rejected}. */
  enum RejectReason {
    /** No such revision is autoscaled (not in the revision source, or removed). */
    UNKNOWN_REVISION;

    String tag() {
      return name().toLowerCase(Locale.ROOT);
    }
  }

  private final MeterRegistry registry;
  private final Multiscaler multiscaler;
  private final RecordingScaler scaler;
  private final Counter statsReceived;
  private final Counter[] statsRejected = new Counter[RejectReason.values().length];
  private final Counter[] connects = new Counter[Role.values().length];
  private final Counter invalidRevisions;
  private final List<Meter> serverMeters = new ArrayList<>();
  private final ConcurrentHashMap<RevisionKey, RevisionMeters> revisions =
      new ConcurrentHashMap<>();

  private record RevisionMeters(ScalingMetric metric, List<Meter> meters) {}

  ServerMetrics(MeterRegistry registry, Multiscaler multiscaler, RecordingScaler scaler) {
    this.registry = registry;
    this.multiscaler = multiscaler;
    this.scaler = scaler;
    this.statsReceived =
        Counter.builder("knetty.autoscaler.stats.received")
            .description("Stats received over KMP, accepted or not")
            .register(registry);
    for (RejectReason reason : RejectReason.values()) {
      statsRejected[reason.ordinal()] =
          Counter.builder("knetty.autoscaler.stats.rejected")
              .description("Stats received over KMP and not recorded, by reason")
              .tag("reason", reason.tag())
              .register(registry);
    }
    for (Role role : Role.values()) {
      connects[role.ordinal()] =
          Counter.builder("knetty.autoscaler.kmp.connects")
              .description("KMP handshakes completed, by the client's role")
              .tag("role", role.name().toLowerCase(Locale.ROOT))
              .register(registry);
    }
    this.invalidRevisions =
        Counter.builder("knetty.autoscaler.revisions.invalid")
            .description(
                "Revision updates refused for invalid settings (the revision keeps its last"
                    + " good settings, or is not autoscaled)")
            .register(registry);
  }

  /** Registers the meters that read the KMP server and the pusher. */
  void bind(KmpServer kmp, DecisionPusher pusher) {
    serverMeters.add(
        Gauge.builder("knetty.autoscaler.kmp.connections", kmp, KmpServer::activeConnections)
            .description("Open KMP connections (handshakes in progress included)")
            .register(registry));
    serverMeters.add(
        Gauge.builder("knetty.autoscaler.kmp.activators", pusher, DecisionPusher::activatorCount)
            .description("Connected activators")
            .register(registry));
    for (CloseReason reason : CloseReason.values()) {
      serverMeters.add(
          FunctionCounter.builder(
                  "knetty.autoscaler.kmp.closed", kmp, k -> k.closedConnections(reason))
              .description("Closed KMP connections, by reason")
              .tag("reason", reason.name().toLowerCase(Locale.ROOT))
              .register(registry));
    }
  }

  void received(int stats) {
    statsReceived.increment(stats);
  }

  void rejected(RejectReason reason, int stats) {
    statsRejected[reason.ordinal()].increment(stats);
  }

  void connected(Role role) {
    connects[role.ordinal()].increment();
  }

  void invalidRevision() {
    invalidRevisions.increment();
  }

  /** Registers {@code key}'s gauges, or re-registers them when its scaling metric changed. */
  void revision(RevisionKey key, ScalingMetric metric) {
    RevisionMeters existing = revisions.get(key);
    if (existing != null && existing.metric() == metric) {
      return;
    }
    if (existing != null) {
      existing.meters().forEach(registry::remove);
    }
    Tags tags = Tags.of("namespace", key.namespace(), "revision", key.name());
    String observed = metric == ScalingMetric.RPS ? "requests.per.second" : "request.concurrency";
    List<Meter> meters = new ArrayList<>();
    meters.add(gauge("desired.pods", "Pods the decider wants", tags, key, s -> s.desiredScale()));
    meters.add(
        gauge("ready.pods", "Ready pods (Knative's actual_pods)", tags, key, s -> s.readyPods()));
    meters.add(
        Gauge.builder(
                "knetty.autoscaler.requested.pods",
                key,
                k -> multiscaler.contains(k) ? scaler.requested(k) : Double.NaN)
            .description("Replicas last asked of the scaler (-1: never)")
            .tags(tags)
            .strongReference(true)
            .register(registry));
    meters.add(
        gauge("panic.mode", "1 while the decider panics", tags, key, s -> s.panicMode() ? 1 : 0));
    meters.add(
        gauge(
            "stable." + observed,
            "Stable-window average of the scaling metric",
            tags,
            key,
            RevisionSnapshot::observedStable));
    meters.add(
        gauge(
            "panic." + observed,
            "Panic-window average of the scaling metric",
            tags,
            key,
            RevisionSnapshot::observedPanic));
    meters.add(
        gauge(
            "excess.burst.capacity",
            "Excess burst capacity (negative: the activator stays in the path)",
            tags,
            key,
            s -> s.excessBurstCapacity()));
    revisions.put(key, new RevisionMeters(metric, meters));
  }

  /** Removes {@code key}'s gauges. */
  void removed(RevisionKey key) {
    RevisionMeters gone = revisions.remove(key);
    if (gone != null) {
      gone.meters().forEach(registry::remove);
    }
  }

  /** Removes every meter that reads the server's objects (at close). */
  void close() {
    for (RevisionKey key : List.copyOf(revisions.keySet())) {
      removed(key);
    }
    serverMeters.forEach(registry::remove);
    serverMeters.clear();
  }

  private Meter gauge(
      String name,
      String description,
      Tags tags,
      RevisionKey key,
      ToDoubleFunction<RevisionSnapshot> value) {
    return Gauge.builder(
            "knetty.autoscaler." + name,
            key,
            k -> multiscaler.snapshot(k).map(value::applyAsDouble).orElse(Double.NaN))
        .description(description)
        .tags(tags)
        .strongReference(true)
        .register(registry);
  }
}
