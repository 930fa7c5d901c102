package dev.knetty.activator;

import dev.knetty.common.kmp.KmpClient;
import dev.knetty.common.proxy.ExchangeOutcome;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Supplier;
import java.util.function.ToDoubleFunction;

/**
 * The activator's meters (names in {@code docs/activator.md}), registered once; per-revision gauges
 * are registered with their revision and removed with it.
 */
final class ActivatorMetrics {

  /** Why a request was answered by the activator itself with an error. */
  enum Rejection {
    /** Its revision had {@code maxWaitingPerRevision} requests waiting (503). */
    REVISION_REQUESTS,
    /** The activator had {@code maxWaiting} requests waiting (503). */
    ACTIVATOR_REQUESTS,
    /** Its revision's waiting requests held {@code maxBufferedBytesPerRevision} (503). */
    REVISION_BYTES,
    /** All waiting requests held {@code maxBufferedBytes} (503). */
    ACTIVATOR_BYTES,
    /** No such revision (404). */
    UNKNOWN_REVISION,
    /** The revision went away while the request waited (404). */
    REVISION_REMOVED;

    final String tag = name().toLowerCase(Locale.ROOT);
  }

  private static final String PREFIX = "knetty.activator.";

  final MeterRegistry registry;
  private final Map<Rejection, Counter> rejections = new EnumMap<>(Rejection.class);
  private final Map<ExchangeOutcome.Kind, Counter> outcomes =
      new EnumMap<>(ExchangeOutcome.Kind.class);
  final Counter waitTimeouts;
  final Counter proxyTimeouts;
  final Timer coldStartWait;
  final Counter connectErrors;
  final Counter upstreamErrors;
  final Counter retries;
  final Counter probeSuccesses;
  final Counter probeFailures;
  final Counter immediateStats;

  ActivatorMetrics(MeterRegistry registry, BufferLimits limits, Supplier<Integer> revisions) {
    this.registry = registry;
    for (Rejection r : Rejection.values()) {
      rejections.put(
          r,
          Counter.builder(PREFIX + "rejected")
              .description("Requests the activator answered itself with an error, by reason")
              .tag("reason", r.tag)
              .register(registry));
    }
    for (ExchangeOutcome.Kind k : ExchangeOutcome.Kind.values()) {
      outcomes.put(
          k,
          Counter.builder(PREFIX + "requests")
              .description("Requests for a known revision, by how they ended")
              .tag("outcome", k.name().toLowerCase(Locale.ROOT))
              .register(registry));
    }
    waitTimeouts = timeouts(registry, "waiting");
    proxyTimeouts = timeouts(registry, "proxying");
    coldStartWait =
        Timer.builder(PREFIX + "cold.start.wait")
            .description(
                "Time from arrival to forwarding of requests that arrived while their revision"
                    + " had no capacity")
            .publishPercentileHistogram()
            .minimumExpectedValue(Duration.ofMillis(10))
            .maximumExpectedValue(Duration.ofMinutes(10))
            .register(registry);
    connectErrors = upstreamErrors(registry, "connect");
    upstreamErrors = upstreamErrors(registry, "upstream");
    retries =
        Counter.builder(PREFIX + "upstream.retries")
            .description("Requests moved to another pod after a failed connection")
            .register(registry);
    probeSuccesses = probes(registry, "success");
    probeFailures = probes(registry, "failure");
    immediateStats =
        Counter.builder(PREFIX + "scale.from.zero.signals")
            .description("Immediate stats sent for the first request to an idle revision")
            .register(registry);
    Gauge.builder(PREFIX + "buffered.requests", limits, BufferLimits::waiting)
        .description("Requests waiting for capacity, all revisions")
        .register(registry);
    Gauge.builder(PREFIX + "buffered.bytes", limits, BufferLimits::bytes)
        .description("Request body bytes reserved for waiting requests, all revisions")
        .baseUnit("bytes")
        .register(registry);
    Gauge.builder(PREFIX + "revisions", revisions, s -> s.get())
        .description("Revisions known to the activator")
        .register(registry);
  }

  private static Counter timeouts(MeterRegistry registry, String phase) {
    return Counter.builder(PREFIX + "timeouts")
        .description("Requests that timed out (504), while waiting for capacity or proxied")
        .tag("phase", phase)
        .register(registry);
  }

  private static Counter upstreamErrors(MeterRegistry registry, String kind) {
    return Counter.builder(PREFIX + "upstream.errors")
        .description("Failed connections to pods (connect) and failures after sending (upstream)")
        .tag("kind", kind)
        .register(registry);
  }

  private static Counter probes(MeterRegistry registry, String result) {
    return Counter.builder(PREFIX + "probes")
        .description("Queue-proxy probes of pods")
        .tag("result", result)
        .register(registry);
  }

  void rejected(Rejection reason) {
    rejections.get(reason).increment();
  }

  void outcome(ExchangeOutcome.Kind kind) {
    outcomes.get(kind).increment();
  }

  /** The gauges of one revision; remove them with {@link #remove}. */
  List<Meter> register(RevisionEntry rev) {
    Tags tags = Tags.of("namespace", rev.key.namespace(), "revision", rev.key.name());
    return List.of(
        Gauge.builder(PREFIX + "revision.buffered.requests", rev, RevisionEntry::waiting)
            .description("Requests waiting for capacity")
            .tags(tags)
            .register(registry),
        Gauge.builder(PREFIX + "revision.buffered.bytes", rev, RevisionEntry::bufferedBytes)
            .description("Request body bytes reserved for waiting requests")
            .baseUnit("bytes")
            .tags(tags)
            .register(registry),
        Gauge.builder(PREFIX + "revision.capacity", rev, r -> r.throttler.capacity())
            .description("Requests the throttler lets through at once (2147483647: unlimited)")
            .tags(tags)
            .register(registry),
        Gauge.builder(PREFIX + "revision.healthy.pods", rev, r -> r.throttler.pods())
            .description("Pods that answered their probe")
            .tags(tags)
            .register(registry),
        Gauge.builder(PREFIX + "revision.assigned.pods", rev, r -> r.throttler.assignedPods())
            .description("Healthy pods this activator sends to (its subset)")
            .tags(tags)
            .register(registry),
        Gauge.builder(PREFIX + "revision.desired.pods", rev, RevisionEntry::desiredScale)
            .description("The autoscaler's desired scale (-1 unknown)")
            .tags(tags)
            .register(registry),
        Gauge.builder(
                PREFIX + "revision.excess.burst.capacity", rev, RevisionEntry::excessBurstCapacity)
            .description("The autoscaler's excess burst capacity")
            .tags(tags)
            .register(registry));
  }

  void remove(List<Meter> meters) {
    for (Meter m : meters) {
      registry.remove(m);
    }
  }

  /** The KMP client's state and counters. */
  void bind(KmpClient kmp) {
    Gauge.builder(PREFIX + "kmp.connected", kmp, c -> c.isConnected() ? 1 : 0)
        .description("1 while the KMP connection to the autoscaler is established")
        .register(registry);
    kmpCounter(kmp, "sent", KmpClient::sentBatches);
    kmpCounter(kmp, "replaced", KmpClient::replacedBatches);
    kmpCounter(kmp, "dropped", KmpClient::droppedBatches);
    FunctionCounter.builder(PREFIX + "kmp.reconnects", kmp, c -> c.reconnects())
        .description("KMP reconnect attempts")
        .register(registry);
  }

  private void kmpCounter(KmpClient kmp, String result, ToDoubleFunction<KmpClient> f) {
    FunctionCounter.builder(PREFIX + "kmp.batches", kmp, f)
        .description("Stat batches to the autoscaler: sent, replaced by a newer one, or lost")
        .tag("result", result)
        .register(registry);
  }
}
