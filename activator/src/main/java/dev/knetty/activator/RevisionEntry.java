package dev.knetty.activator;

import dev.knetty.activator.throttler.RevisionThrottler;
import dev.knetty.common.RevisionKey;
import dev.knetty.common.config.RevisionSettings;
import dev.knetty.common.kmp.Decision;
import dev.knetty.common.proxy.ExchangeTimeouts;
import dev.knetty.common.proxy.UpstreamTarget;
import io.micrometer.core.instrument.Meter;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One revision the activator serves: its throttler, its timeouts, its buffer counters and what the
 * autoscaler decided for it. The request path reads the volatile parts; {@link Revisions} changes
 * the rest on the control loop.
 */
final class RevisionEntry {

  /**
   * The exchange timeouts of the revision: {@code proxy} once a request is forwarded (Knative's,
   * from the revision's settings) and {@code waiting} while it waits for capacity. Both count from
   * arrival; nothing is written to the client while it waits, so the earliest of Knative's three
   * timeouts and the activator's {@code maxWait} is the one that fires then.
   */
  record Timeouts(ExchangeTimeouts proxy, ExchangeTimeouts waiting) {

    static Timeouts of(RevisionKey key, RevisionSettings s, ActivatorConfig config) {
      ExchangeTimeouts proxy =
          ExchangeTimeouts.ofSeconds(
              s.timeoutSeconds(),
              s.responseStartTimeoutSeconds(),
              s.idleTimeoutSeconds(),
              ExchangeTimeouts.ACTIVATOR_MESSAGE);
      Duration deadline = earliest(earliest(proxy.total(), proxy.responseStart()), proxy.idle());
      Duration maxWait = config.maxWait();
      ExchangeTimeouts waiting;
      if (!maxWait.isZero() && (deadline.isZero() || maxWait.compareTo(deadline) < 0)) {
        waiting =
            new ExchangeTimeouts(
                maxWait, Duration.ZERO, Duration.ZERO, config.waitTimeoutMessage(key));
      } else {
        waiting =
            new ExchangeTimeouts(
                deadline, Duration.ZERO, Duration.ZERO, ExchangeTimeouts.ACTIVATOR_MESSAGE);
      }
      return new Timeouts(proxy, waiting);
    }

    /** The earlier of two timeouts, where zero means none. */
    private static Duration earliest(Duration a, Duration b) {
      if (a.isZero()) {
        return b;
      }
      return b.isZero() || a.compareTo(b) <= 0 ? a : b;
    }
  }

  final RevisionKey key;
  final RevisionThrottler throttler;

  /** Waiting requests and the bytes reserved for them (see {@link BufferLimits}). */
  final AtomicInteger waiting = new AtomicInteger();

  final AtomicLong bytes = new AtomicLong();

  /** Pods a request could not connect to, reported to the prober in one control-loop task. */
  final Set<UpstreamTarget> failedPods = ConcurrentHashMap.newKeySet();

  final AtomicBoolean failuresQueued = new AtomicBoolean();

  private volatile Timeouts timeouts;
  private volatile int desiredScale = -1;
  private volatile int excessBurstCapacity;

  // Control loop only.
  private RevisionSettings settings;
  private Decision decision;
  private int sourceIndex = -1;
  private int sourceCount;
  List<Meter> meters = List.of();

  RevisionEntry(RevisionKey key, RevisionSettings settings, ActivatorConfig config) {
    this.key = key;
    this.settings = settings;
    this.timeouts = Timeouts.of(key, settings, config);
    this.throttler = new RevisionThrottler(key.toString(), settings.containerConcurrency());
  }

  Timeouts timeouts() {
    return timeouts;
  }

  /** New settings from the endpoint source. */
  void settings(RevisionSettings value, ActivatorConfig config) {
    settings = value;
    timeouts = Timeouts.of(key, value, config);
    if (decision == null) {
      throttler.updateContainerConcurrency(value.containerConcurrency());
    }
  }

  /**
   * The autoscaler's decision, or {@code null} when it forgot the revision. Its
   * containerConcurrency wins over the source's while there is one (the autoscaler reads the
   * revision spec); its activator index and count select this activator's pods unless the source
   * knows them ({@link #sourceSubset}).
   */
  void decision(Decision value) {
    decision = value;
    if (value == null) {
      desiredScale = -1;
      excessBurstCapacity = 0;
      throttler.updateContainerConcurrency(settings.containerConcurrency());
    } else {
      desiredScale = value.desiredScale();
      excessBurstCapacity = value.excessBurstCapacity();
      throttler.updateContainerConcurrency(value.containerConcurrency());
    }
    applySubset();
  }

  /**
   * This activator's index among the revision's activators as the endpoint source sees it ({@code
   * -1}: unknown). Known, it wins over the decision's: on Kubernetes it comes from the revision's
   * public EndpointSlice, the addresses its traffic is actually sent to (Knative's rule), while the
   * autoscaler computes the decision's from the activators connected to it.
   */
  void sourceSubset(int index, int count) {
    sourceIndex = index;
    sourceCount = count;
    applySubset();
  }

  private void applySubset() {
    if (sourceIndex >= 0) {
      throttler.updateSubset(sourceIndex, sourceCount);
    } else if (decision != null) {
      throttler.updateSubset(decision.activatorIndex(), decision.activatorCount());
    } else {
      throttler.updateSubset(-1, 0);
    }
  }

  int waiting() {
    return waiting.get();
  }

  long bufferedBytes() {
    return bytes.get();
  }

  int desiredScale() {
    return desiredScale;
  }

  int excessBurstCapacity() {
    return excessBurstCapacity;
  }

  @Override
  public String toString() {
    return key.toString();
  }
}
