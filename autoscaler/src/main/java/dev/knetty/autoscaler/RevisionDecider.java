package dev.knetty.autoscaler;

import dev.knetty.common.config.DeciderSpec;
import java.time.Duration;
import java.util.Objects;

/**
 * One revision's metrics and decider: Knative's collection ({@code collector.go}) and {@code
 * autoscaler.Scale} ({@code pkg/autoscaler/scaling/autoscaler.go}) in one object driven by an
 * explicit clock. The server's {@link Multiscaler} and the {@code simulate} command both run this
 * class, so a trace replays exactly what the server decides.
 *
 * <p>Times are nanoseconds since the Unix epoch. Where Knative reads the wall clock (the panic
 * start of a new decider, {@code ResizeWindow}) the time is a parameter here.
 *
 * <p>Not thread-safe: the owner serialises all calls.
 */
public final class RevisionDecider {

  private static final long NOT_PANICKING = Long.MIN_VALUE;

  /** The scale-down delay window's slot: the tick interval. */
  private static final long DELAY_GRANULARITY = Duration.ofSeconds(2).toNanos();

  /** The fewest activators a revision gets ({@code minActivators}). */
  public static final int MIN_ACTIVATORS = 2;

  private DeciderSpec spec;
  private final RevisionMetrics metrics;
  private MaxTimeWindow delayWindow;
  private long panicTime = NOT_PANICKING;
  private int maxPanicPods;

  /** The second being coalesced by {@link #record}, and its sums. */
  private boolean hasPending;

  private long pendingSecond;
  private double pendingConcurrency;
  private double pendingRps;

  private boolean valid;
  private int desiredScale;
  private int excessBurstCapacity;
  private double observedStable;
  private double observedPanic;

  /**
   * A new decider ({@code newAutoscaler}). Created while more than one pod is ready it starts in
   * panic mode holding that many pods, so that a restarted autoscaler, which lost its metric
   * history, does not scale down before it knows better.
   *
   * @param createdNanos creation time: the panic start if it starts panicking
   * @param readyPods ready pods at creation; negative when unknown (treated as 0)
   */
  public RevisionDecider(DeciderSpec spec, long createdNanos, int readyPods) {
    this.spec = Objects.requireNonNull(spec, "spec");
    this.metrics = new RevisionMetrics(spec);
    this.delayWindow = delayWindow(spec);
    int ready = Math.max(readyPods, 0);
    if (ready > 1) {
      panicTime = createdNanos;
    }
    maxPanicPods = ready;
  }

  private static MaxTimeWindow delayWindow(DeciderSpec spec) {
    return spec.scaleDownDelay().isZero()
        ? null
        : new MaxTimeWindow(spec.scaleDownDelay().toNanos(), DELAY_GRANULARITY);
  }

  /** The current spec. */
  public DeciderSpec spec() {
    return spec;
  }

  /**
   * Records a stat at {@code nanos}: the reporter's concurrency and RPS minus their proxied parts
   * (those the activator already reported).
   *
   * <p>Consecutive stats of the same second are summed here and reach the buckets as one value when
   * another second comes or the decider is evaluated: the buckets sum a second's values anyway, the
   * order of seconds is kept, and a stat then costs a few additions on one object instead of four
   * ring updates (what matters at a million stats a second).
   */
  public void record(long nanos, double concurrency, double rps) {
    long second = Math.floorDiv(nanos, TimedBuckets.NANOS_PER_SECOND);
    if (second != pendingSecond || !hasPending) {
      flush();
      pendingSecond = second;
      hasPending = true;
    }
    pendingConcurrency += concurrency;
    pendingRps += rps;
  }

  /** Moves the coalesced second into the buckets. */
  private void flush() {
    if (hasPending) {
      metrics.record(pendingSecond * TimedBuckets.NANOS_PER_SECOND, pendingConcurrency, pendingRps);
      hasPending = false;
      pendingConcurrency = 0;
      pendingRps = 0;
    }
  }

  /**
   * Applies a new spec ({@code Update} plus the collector's {@code updateMetric}): windows are
   * resized keeping recent data. The aggregation algorithm stays what it was at creation, as in
   * Knative. Unlike Knative, whose delay window is only built at creation, a changed scale-down
   * delay takes effect here (with a fresh delay window).
   */
  public void update(DeciderSpec newSpec, long nanos) {
    Objects.requireNonNull(newSpec, "newSpec");
    flush();
    metrics.resize(newSpec, nanos);
    if (!newSpec.scaleDownDelay().equals(spec.scaleDownDelay())) {
      delayWindow = delayWindow(newSpec);
    }
    spec = newSpec;
  }

  /**
   * Evaluates the decider at {@code nanos} from the recorded metrics ({@code Scale}).
   *
   * @param readyPods ready pods now; negative when they cannot be counted (an invalid result)
   * @return whether the result is valid; read it through the accessors or {@link #result()}
   */
  public boolean scale(long nanos, int readyPods) {
    flush();
    if (readyPods < 0) {
      return invalid();
    }
    if (metrics.noData(spec.metric(), spec.targetBurstCapacity(), nanos)) {
      return invalid();
    }
    return scale(
        nanos,
        readyPods,
        metrics.stable(spec.metric(), nanos),
        metrics.panic(spec.metric(), nanos));
  }

  /** {@code Scale} on given observations (also for tests that fake the metric client). */
  boolean scale(long nanos, int readyPods, double stable, double panic) {
    DeciderSpec s = spec;
    // At least one pod in the math, so a revision at zero can scale up.
    double readyPodsCount = Math.max(1, readyPods);

    // Keep each decision in [floor(rp / downRate), ceil(rp * upRate)]: a needed scale-up is at
    // least one pod; an unreachable revision may drop straight to the computed value.
    double maxScaleUp = Math.ceil(s.maxScaleUpRate() * readyPodsCount);
    double maxScaleDown = s.reachable() ? Math.floor(readyPodsCount / s.maxScaleDownRate()) : 0;

    double dspc = Math.ceil(stable / s.targetValue());
    double dppc = Math.ceil(panic / s.targetValue());
    int desiredStable = toInt32(Math.min(Math.max(dspc, maxScaleDown), maxScaleUp));
    int desiredPanic = toInt32(Math.min(Math.max(dppc, maxScaleDown), maxScaleUp));

    // Activation scale lifts non-zero decisions only; it never prevents scaling to zero.
    if (s.activationScale() > 1) {
      if (dspc > 0 && s.activationScale() > desiredStable) {
        desiredStable = s.activationScale();
      }
      if (dppc > 0 && s.activationScale() > desiredPanic) {
        desiredPanic = s.activationScale();
      }
    }

    // Pods needed for the panic load, over pods we have (an integer count over pods).
    boolean overPanicThreshold = dppc / readyPodsCount >= s.panicThreshold();
    if (overPanicThreshold) {
      panicTime = nanos; // enter, or extend
    } else if (panicTime != NOT_PANICKING && panicTime + s.stableWindow().toNanos() < nanos) {
      // The surge has made its way into the stable window: strict exit.
      panicTime = NOT_PANICKING;
      maxPanicPods = 0;
    }

    int desired = desiredStable;
    if (panicTime != NOT_PANICKING) {
      // Provision for the larger of the two, and never scale down while panicking.
      desired = Math.max(desired, desiredPanic);
      maxPanicPods = Math.max(maxPanicPods, desired);
      desired = maxPanicPods;
    }

    // Hold scale-downs for the delay: the maximum over the delay window. Ignored while
    // unreachable, so a revision that lost its routes goes down at once.
    if (s.reachable() && delayWindow != null) {
      delayWindow.record(nanos, desired);
      desired = delayWindow.current();
    }

    // Excess burst capacity uses the real ready count (possibly 0), not max(1, ready).
    double ebc = -1;
    if (s.targetBurstCapacity() == 0) {
      ebc = 0;
    } else if (s.targetBurstCapacity() > 0) {
      ebc = Math.floor(readyPods * s.totalValue() - s.targetBurstCapacity() - panic);
    }

    valid = true;
    desiredScale = desired;
    excessBurstCapacity = toInt32(ebc);
    observedStable = stable;
    observedPanic = panic;
    return true;
  }

  private boolean invalid() {
    valid = false;
    return false;
  }

  /** Whether the last evaluation was valid. */
  public boolean valid() {
    return valid;
  }

  /** Pods wanted by the last valid evaluation. */
  public int desiredScale() {
    return desiredScale;
  }

  /** Excess burst capacity of the last valid evaluation. */
  public int excessBurstCapacity() {
    return excessBurstCapacity;
  }

  /** Pods held while panicking. */
  int maxPanicPods() {
    return maxPanicPods;
  }

  /** Whether the decider is in panic mode now. */
  public boolean panicMode() {
    return panicTime != NOT_PANICKING;
  }

  /** Stable-window average of the last valid evaluation. */
  public double observedStable() {
    return observedStable;
  }

  /** Panic-window average of the last valid evaluation. */
  public double observedPanic() {
    return observedPanic;
  }

  /** The last evaluation, or {@link ScaleResult#INVALID}. */
  public ScaleResult result() {
    return valid
        ? new ScaleResult(
            true, desiredScale, excessBurstCapacity, panicMode(), observedStable, observedPanic)
        : ScaleResult.INVALID;
  }

  /**
   * The multiscaler's excess burst capacity before any evaluation: TBC itself when it is -1 or 0,
   * else {@code initialScale x total - TBC} truncated towards zero (Go's {@code int32} conversion).
   */
  public static int initialExcessBurstCapacity(DeciderSpec spec) {
    double tbc = spec.targetBurstCapacity();
    if (tbc == -1 || tbc == 0) {
      return (int) tbc;
    }
    return toInt32(spec.initialScale() * spec.totalValue() - tbc);
  }

  /**
   * Activators to put in the revision's path ({@code computeNumActivators} in {@code kpa.go}):
   * enough to cover the ready pods' capacity plus the burst capacity, at least 2; with TBC 0 always
   * 2.
   */
  public static int activators(DeciderSpec spec, int readyPods) {
    double tbc = spec.targetBurstCapacity();
    if (tbc == 0) {
      return MIN_ACTIVATORS;
    }
    double capacityToCover = Math.max(readyPods, 0) * spec.totalValue();
    if (tbc > 0) {
      capacityToCover += tbc;
    }
    return toInt32(Math.max(MIN_ACTIVATORS, Math.ceil(capacityToCover / spec.activatorCapacity())));
  }

  /** Go's {@code int32(float64)} for in-range values (truncation); out of range saturates. */
  static int toInt32(double v) {
    return (int) v;
  }
}
